"""The downloader middleware: decide every request before it reaches the network.

It takes the place of Scrapy's RobotsTxtMiddleware (the add-on disables that one, so no robots.txt
is fetched twice): robots.txt is fetched once per origin (scheme, host, port), classified as RFC
9309 says, refreshed after ``POLICYGUARD_ROBOTS_TTL``, and every request gets a Decision in
``request.meta["policyguard"]``. A blocked request raises :class:`PolicyDenied`, which carries
the Decision for errbacks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from ..core.decision import CRAWL, Decision, Evidence, Outcome
from ..core.purposes import PURPOSES, Purpose, UnknownPurposeError, parse_purpose
from .fetch import FETCH_META
from .runtime import GuardRuntime

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["DECISION_META", "PURPOSE_META", "PolicyDenied", "PolicyGuardDownloaderMiddleware"]

logger = logging.getLogger("scrapy_policyguard")

#: request.meta / response.meta key holding the Decision.
DECISION_META = "policyguard"
#: request.meta key that declares the purpose of one request.
PURPOSE_META = "policyguard_purpose"


class PolicyDenied(IgnoreRequest):
    """A request the policy does not allow; ``decision`` says why."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__(f"Forbidden by policy ({decision.purpose}): {decision.reason}")


def invalid_purpose_decision(request: Request, default: Purpose, error: str) -> Decision:
    value = request.meta.get(PURPOSE_META)
    evidence = Evidence(
        "policyguard",
        f"request.meta[{PURPOSE_META!r}] = {value!r}",
        "request.meta",
        error,
        dict.fromkeys(PURPOSES, Outcome.DENY),
        CRAWL,
    )
    return Decision.build(request.url, default, [evidence])


class PolicyGuardDownloaderMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.runtime = GuardRuntime.of(crawler)
        if not self.runtime.settings.enabled:
            raise NotConfigured("POLICYGUARD_ENABLED is False")
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

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get(FETCH_META) or not request.url.startswith(("http://", "https://")):
            return
        runtime = self.runtime
        if request.meta.get("dont_obey_robotstxt"):
            site = runtime.cached_site(request.url)
            decision = None
            if site is not None:
                decision = site.decide(request.url, runtime.settings.purpose)
            runtime.record(request, decision, "override", override="dont_obey_robotstxt")
            logger.debug("Not checked (dont_obey_robotstxt): %s", request, extra={"spider": spider})
            return
        purpose = self._purpose(request)
        if not isinstance(purpose, Purpose):
            # A bad per-request purpose cannot stop a crawl that is already running: the request
            # is refused (fail closed) and the audit trail says why.
            logger.error("%s: request.meta[%r]: %s", request, PURPOSE_META, purpose)
            decision = invalid_purpose_decision(request, runtime.settings.purpose, purpose)
            runtime.record(request, decision, "blocked")
            raise PolicyDenied(decision)
        decision = await runtime.decide_request(request, purpose)
        request.meta[DECISION_META] = decision
        if decision.allowed and not decision.crawl_denied:
            runtime.record(request, decision, "allowed")
            logger.debug("Allowed (%s): %s", decision.purpose, request, extra={"spider": spider})
            return
        if not runtime.settings.enforce:
            runtime.record(request, decision, "would-block", mode="audit")
            logger.debug(
                "Would block (audit mode): %s: %s", request, decision.reason, extra={"spider": spider}
            )
            return
        if not decision.crawl_denied and not runtime.settings.block_before_fetch:
            # POLICYGUARD_BLOCK_BEFORE_FETCH = False: fetched for link discovery, content denied.
            runtime.record(request, decision, "marked")
            logger.debug(
                "Fetching, content denied: %s: %s", request, decision.reason, extra={"spider": spider}
            )
            return
        runtime.record(request, decision, "blocked")
        if request.callback is NO_CALLBACK:
            runtime.remember_media(request.url, decision)
        logger.debug("Blocked: %s: %s", request, decision.reason, extra={"spider": spider})
        raise PolicyDenied(decision)

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        decision = request.meta.get(DECISION_META)
        if request.meta.get(FETCH_META) or not isinstance(decision, Decision) or decision.stage != "request":
            return response
        updated = await self.runtime.decide_response(request, response, decision)
        request.meta[DECISION_META] = updated
        newly_denied = not updated.allowed and decision.allowed
        self.runtime.record_response(request, updated, newly_denied)
        if newly_denied:
            logger.debug(
                "Content denied by the response: %s: %s", response, updated.reason, extra={"spider": spider}
            )
        return response
