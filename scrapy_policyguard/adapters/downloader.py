"""The downloader middleware: decide every request before it reaches the network.

It takes the place of Scrapy's RobotsTxtMiddleware (the add-on disables that one, so no robots.txt
is fetched twice): robots.txt is fetched once per origin (scheme, host, port), classified as RFC
9309 says, refreshed after ``POLICYGUARD_ROBOTS_TTL``, and every request gets a Decision in
``request.meta["policyguard"]``. A blocked request raises :class:`PolicyDenied`, which carries
the Decision for errbacks. Each response is decided again with what it says itself; for media
(image responses, and every file FilesPipeline and ImagesPipeline download) that includes the XMP
and C2PA statements the body embeds, read from the bytes already downloaded. A media-pipeline
download denied that way is not stored when denied items are dropped (see media.py).

A request to a website on a POLICYGUARD_BLOCKLISTS list is refused first of all, before the
document registry is asked, so nothing of that origin is fetched (not even robots.txt), and the
plugin's own document fetches (a redirect or a licence on a listed host) and
``dont_obey_robotstxt`` requests are refused too. Every response that comes back counts its body
size as kept for the declared purpose or withheld from it (see accounting.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from ..core.decision import Decision, Evidence, Source, Stage, refusal
from ..core.paths import path_of
from ..core.purposes import Purpose, UnknownPurposeError, parse_purpose
from ..core.signals.headers import READ_HEADERS
from .accounting import RequestAction
from .fetch import FETCH_META
from .runtime import GuardRuntime
from .settings import DeniedItems, is_enabled
from .shared_documents import SharedCacheUnavailable

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["DECIDED_META", "DECISION_META", "PURPOSE_META", "PolicyDenied", "PolicyGuardDownloaderMiddleware"]

logger = logging.getLogger("scrapy_policyguard")

#: request.meta / response.meta key holding the Decision.
DECISION_META = "policyguard"
#: request.meta key that declares the purpose of one request.
PURPOSE_META = "policyguard_purpose"
#: request.meta key of a request sent again for a page already decided and counted (the paid
#: retry of a pay-per-crawl page): the URL it was set for. A request whose marker names its own URL
#: keeps its Decision and is not counted a second time. The marker is taken off as the request is
#: checked, so nothing that inherits the meta (a redirect or a RetryMiddleware re-send of the paid
#: retry, ``Request(url, meta=response.meta)`` in a spider) skips a check.
DECIDED_META = "policyguard_decided"
#: The response headers a decision reads, as Scrapy's header names lower-cased: no other header
#: is decoded.
_READ_HEADERS = frozenset(name.encode("latin-1") for name in READ_HEADERS)


class PolicyDenied(IgnoreRequest):
    """A request the policy does not allow; ``decision`` says why."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__(f"Forbidden by policy ({decision.purpose}): {decision.reason}")


def cache_unavailable(problem: str, missing: str = "the site's documents") -> Evidence:
    """Our own infrastructure failed: refused, never let through unchecked."""
    return refusal(
        "shared policy cache unavailable",
        "POLICYGUARD_REDIS_ON_ERROR = 'deny'",
        f"{problem}, and this worker has no copy of {missing}",
    )


def invalid_purpose_decision(request: Request, default: Purpose, error: str) -> Decision:
    value = request.meta.get(PURPOSE_META)
    evidence = refusal(f"request.meta[{PURPOSE_META!r}] = {value!r}", "request.meta", error)
    return Decision.build(request.url, default, [evidence])


class PolicyGuardDownloaderMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        if not is_enabled(crawler.settings):
            raise NotConfigured("POLICYGUARD_ENABLED is False")
        self.runtime = GuardRuntime.of(crawler)
        self.outcomes = self.runtime.outcomes
        self.crawler = crawler
        if self._scrapy_robots_enabled(crawler):
            logger.warning(
                "Scrapy's RobotsTxtMiddleware is enabled too, so robots.txt is fetched twice and "
                "its result (which lets a 5xx robots.txt allow everything) applies on top. Enable "
                "scrapy-policyguard with ADDONS = {'scrapy_policyguard.Addon': 0}, which disables it.",
            )
        else:
            logger.info("scrapy-policyguard checks robots.txt in place of Scrapy's RobotsTxtMiddleware")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PolicyGuardDownloaderMiddleware:
        return cls(crawler)

    @staticmethod
    def _scrapy_robots_enabled(crawler: Crawler) -> bool:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            return False
        enabled = build_component_list(
            crawler.settings.get_component_priority_dict_with_base("DOWNLOADER_MIDDLEWARES")
        )
        return any(load_object(component) is RobotsTxtMiddleware for component in enabled)

    def _purpose(self, request: Request) -> Purpose | str:
        """The request's declared purpose, or the error message for a bad one."""
        value = request.meta.get(PURPOSE_META)
        if value is None:
            return self.runtime.settings.purpose
        try:
            return parse_purpose(value)
        except UnknownPurposeError as exc:
            return str(exc)

    def _refuse_listed(self, request: Request, listed: Evidence, spider: Spider | None) -> None:
        """Block a request to a blocklisted website (enforce mode), recorded like any other."""
        purpose = self._purpose(request)
        decision = Decision.build(
            request.url,
            purpose if isinstance(purpose, Purpose) else self.runtime.settings.purpose,
            [listed],
            unknown_allows=self.runtime.settings.unknown_allows,
        )
        request.meta[DECISION_META] = decision
        document = {"document": request.meta[FETCH_META]} if request.meta.get(FETCH_META) else {}
        self.outcomes.request(request, decision, RequestAction.BLOCKED, **document)
        logger.debug("Blocked (blocklist): %s: %s", request, decision.reason, extra={"spider": spider})
        raise PolicyDenied(decision)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        decided_for = request.meta.pop(DECIDED_META, None)
        if not request.url.startswith(("http://", "https://")):
            return
        if decided_for == request.url and isinstance(request.meta.get(DECISION_META), Decision):
            return
        runtime = self.runtime
        listed = runtime.blocklist.evidence(request.url) if runtime.blocklist else None
        if listed is not None and runtime.settings.enforce:
            self._refuse_listed(request, listed, spider)
        if request.meta.get(FETCH_META):
            return
        extra = (listed,) if listed is not None else ()
        if request.meta.get("dont_obey_robotstxt"):
            site = runtime.documents.cached(request.url)
            decision = site.decide(request.url, runtime.settings.purpose) if site is not None else None
            if extra:
                decision = (
                    decision.extend(extra)
                    if decision is not None
                    else Decision.build(request.url, runtime.settings.purpose, extra)
                )
            self.outcomes.request(request, decision, RequestAction.OVERRIDE, override="dont_obey_robotstxt")
            logger.debug("Not checked (dont_obey_robotstxt): %s", request, extra={"spider": spider})
            return
        purpose = self._purpose(request)
        if not isinstance(purpose, Purpose):
            # A bad per-request purpose cannot stop a crawl that is already running: the request
            # is refused (fail closed) and the audit trail says why.
            logger.error("%s: request.meta[%r]: %s", request, PURPOSE_META, purpose)
            decision = invalid_purpose_decision(request, runtime.settings.purpose, purpose)
            self.outcomes.request(request, decision, RequestAction.BLOCKED)
            raise PolicyDenied(decision)
        try:
            site = await runtime.documents.site(request.url, purpose, request)
        except SharedCacheUnavailable as exc:
            decision = Decision.build(request.url, purpose, [cache_unavailable(str(exc))])
            self.outcomes.request(request, decision, RequestAction.BLOCKED)
            raise PolicyDenied(decision) from None
        decision = site.decide(request.url, purpose, path_of(request.url))
        if extra:  # audit mode: a listed website is fetched, and recorded as would-block
            decision = decision.extend(extra)
        request.meta[DECISION_META] = decision
        if decision.allowed and not decision.crawl_denied:
            self.outcomes.request(request, decision, RequestAction.ALLOWED)
            logger.debug("Allowed (%s): %s", decision.purpose, request, extra={"spider": spider})
            return
        if not runtime.settings.enforce:
            self.outcomes.request(request, decision, RequestAction.WOULD_BLOCK, mode="audit")
            logger.debug(
                "Would block (audit mode): %s: %s", request, decision.reason, extra={"spider": spider}
            )
            return
        if not decision.crawl_denied and not runtime.settings.block_before_fetch:
            # POLICYGUARD_BLOCK_BEFORE_FETCH = False: fetched for link discovery, content denied.
            self.outcomes.request(request, decision, RequestAction.MARKED)
            logger.debug(
                "Fetching, content denied: %s: %s", request, decision.reason, extra={"spider": spider}
            )
            return
        self.outcomes.request(request, decision, RequestAction.BLOCKED)
        if request.callback is NO_CALLBACK:
            runtime.media.remember(request.url, decision, stored=False)
        logger.debug("Blocked: %s: %s", request, decision.reason, extra={"spider": spider})
        raise PolicyDenied(decision)

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        decision = request.meta.get(DECISION_META)
        if (
            request.meta.get(FETCH_META)
            or not isinstance(decision, Decision)
            or decision.stage is not Stage.REQUEST
        ):
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        is_image = content_type.startswith("image/")
        media_download = request.callback is NO_CALLBACK  # a FilesPipeline / ImagesPipeline download
        updated = await self._decide_response(request, response, decision, is_image, media_download)
        request.meta[DECISION_META] = updated
        if media_download:
            settings = self.runtime.settings
            drop = not updated.allowed and settings.enforce and settings.item_action is DeniedItems.DROP
            self.runtime.media.remember(request.url, updated, is_image, stored=not drop)
            if drop:
                self.outcomes.file_dropped(request, updated, len(response.body))
                logger.debug("File not stored: %s: %s", response, updated.reason, extra={"spider": spider})
                raise PolicyDenied(updated)
        newly_denied = not updated.allowed and decision.allowed
        self.outcomes.response(request, updated, newly_denied, len(response.body))
        if newly_denied:
            logger.debug(
                "Content denied by the response: %s: %s", response, updated.reason, extra={"spider": spider}
            )
        return response

    async def _decide_response(
        self, request: Request, response: Response, decision: Decision, is_image: bool, media_download: bool
    ) -> Decision:
        """``decision`` with what the response's headers, HTML and (for media) embedded metadata
        say, the licences they name, and for a media download what its page says of its images."""
        runtime = self.runtime
        documents = runtime.documents
        # The site that decided the request, or (when a broad crawl dropped it meanwhile) the
        # origin's documents fetched again: the response is never judged on less.
        site = documents.cached(request.url)
        if site is None:
            try:
                site = await documents.site(request.url, decision.purpose, request)
            except SharedCacheUnavailable as exc:
                return decision.extend((cache_unavailable(str(exc)),), stage=Stage.RESPONSE)
        pairs = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items()
            if name.lower() in _READ_HEADERS
            for value in values
        ]
        # Scrapy's own parsed tree, which the spider's selectors reuse: the markup is parsed once.
        html = response.selector.root if isinstance(response, HtmlResponse) else None
        media = response.body if is_image or media_download else None
        facts = site.policy.read_response(request.url, pairs, html, is_image=is_image, media=media)
        if facts.media is not None:
            self.outcomes.media(facts.media)
        # A licence on a blocklisted website is not fetched: it is named as unusable instead.
        blocklist = runtime.blocklist
        listed = {
            url: f"not fetched, {evidence.summary()}"
            for url in facts.license_urls
            if blocklist and (evidence := blocklist.evidence(url)) is not None
        }
        wanted = [url for url in facts.license_urls if url not in listed]
        cache_down: tuple[Evidence, ...] = ()
        try:
            fetched = await documents.licenses(wanted, site.origin, request) if wanted else {}
        except SharedCacheUnavailable as exc:  # a licence not read is never taken as no licence
            fetched = dict.fromkeys(wanted, f"not fetched: {exc}")
            cache_down = (cache_unavailable(str(exc), "the licences the response names"),)
        facts = facts.with_licenses(request.url, {**fetched, **listed})
        for warning in facts.warnings:
            logger.warning("%s: %s", request.url, warning, extra={"spider": self.crawler.spider})
        updated = site.decide_response(request.url, decision.purpose, facts, path_of(request.url))
        on_blocklist = [e for e in decision.evidence if e.source is Source.BLOCKLIST]  # audit mode only
        if on_blocklist or cache_down:
            updated = updated.extend((*on_blocklist, *cache_down))
        if facts.html is not None and any(e.source is Source.PAYWALL for e in facts.html.evidence):
            runtime.ledger.inc("responses/paywalled")
        recognised = facts.media is not None and facts.media.format is not None  # an image whatever its type
        page = runtime.media.page_evidence(request.url, is_image or recognised) if media_download else ()
        return updated.extend(page) if page else updated
