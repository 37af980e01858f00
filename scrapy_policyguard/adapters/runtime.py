"""One guard per crawler: settings, site cache, audit trail and stats shared by every component.

The downloader middleware, the spider middleware and the pipeline each ask
:meth:`GuardRuntime.of` for the crawler's guard, so they read one configuration, one cache and
write one audit trail whichever of them Scrapy builds first.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections import Counter, OrderedDict, defaultdict
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.http import HtmlResponse
from scrapy.http.request import NO_CALLBACK

from .. import __version__
from ..core.access import UNAVAILABLE, UNREACHABLE, RobotsAccess
from ..core.bundled import bundled_agents, bundled_packs
from ..core.decision import Decision
from ..core.engine import AI_PURPOSES, Policy, SitePolicy
from ..core.paths import origin_of, path_of
from ..core.purposes import Purpose
from ..core.rulefiles import RuleFileError
from ..core.terms import TermsIndex, TermsPack, assemble_packs
from .audit import AuditLog, audit_path
from .fetch import DocumentFetcher
from .items import ItemRecord
from .settings import GuardSettings, PolicyGuardConfigError
from .sites import DocumentEvent, SiteRegistry

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["STATS_PREFIX", "GuardRuntime"]

logger = logging.getLogger("scrapy_policyguard")

STATS_PREFIX = "policyguard/"
MEDIA_DECISIONS_KEPT = 10_000
_RUNTIMES: weakref.WeakKeyDictionary[Crawler, GuardRuntime] = weakref.WeakKeyDictionary()


def load_terms(settings: GuardSettings) -> tuple[list[TermsPack], list[str]]:
    """The rule packs of this crawl; any problem stops it with file, line and the setting to fix."""
    try:
        packs, warnings = assemble_packs(bundled_packs(), settings.rules, settings.rules_disabled)
    except RuleFileError as exc:
        raise PolicyGuardConfigError(f"rule pack error: {exc} (POLICYGUARD_RULES / bundled rules)") from None
    except ValueError as exc:
        raise PolicyGuardConfigError(f"POLICYGUARD_RULES_DISABLED: {exc}") from None
    ids = {pack.id for pack in packs} | {pack.id for pack in bundled_packs()}
    for key in settings.agreements:
        if key not in ids and not key.startswith(("https://", "http://")):
            raise PolicyGuardConfigError(
                f"POLICYGUARD_AGREEMENTS names {key!r}, which is neither a rule pack id nor a licence URL. "
                f"Fix: use one of {', '.join(sorted(ids))}, or the URL of an RSL licence"
            )
    return packs, warnings


class GuardRuntime:
    """The crawl-wide state of scrapy-policyguard for one crawler."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = GuardSettings.from_settings(crawler.settings, crawler.spider)
        self.packs, pack_warnings = load_terms(self.settings)
        agents = bundled_agents()
        if self.settings.ai_tokens:
            agents = agents.with_changes(self.settings.ai_tokens)
        self.agents = agents
        self.policy = Policy(
            self.settings.user_agent.token,
            unknown_allows=self.settings.unknown_allows,
            agents=agents,
            legacy_usage=self.settings.legacy_usage,
            agreements=self.settings.agreements,
            terms=TermsIndex(self.packs),
        )
        for warning in pack_warnings:
            logger.warning(warning)
        self.sites = SiteRegistry(
            DocumentFetcher(crawler),
            self.policy,
            robots_limit=self.settings.robots_max_bytes,
            ttl=self.settings.robots_ttl,
            unreachable_retry=self.settings.unreachable_retry,
            on_fetched=self._document_fetched,
        )
        spider_name = crawler.spider.name if crawler.spider is not None else "spider"
        path = audit_path(self.settings.audit_log, spider_name) if self.settings.audit_log else None
        try:
            self.audit = AuditLog(path)
        except OSError as exc:
            problem = f"cannot create {path} ({exc.strerror or exc})"
            raise PolicyGuardConfigError(
                f"POLICYGUARD_AUDIT_LOG={self.settings.audit_log!r}: {problem}. Fix: use a writable file path"
            ) from None
        # Decisions on media downloads (FilesPipeline / ImagesPipeline), by URL, for the pipeline.
        self._media: OrderedDict[str, tuple[Decision, bool]] = OrderedDict()
        # Per-origin counts for the totals record, so a report needs no record per allowed request.
        self.per_origin: dict[str, Counter[str]] = defaultdict(Counter)
        self._opened = False
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler: Crawler) -> GuardRuntime:
        runtime = _RUNTIMES.get(crawler)
        if runtime is None:
            runtime = _RUNTIMES[crawler] = cls(crawler)
        return runtime

    # -- stats -------------------------------------------------------------------------------

    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(STATS_PREFIX + key, count)

    def stats(self) -> dict[str, Any]:
        assert self.crawler.stats is not None
        return {
            key: value
            for key, value in sorted(self.crawler.stats.get_stats().items())
            if key.startswith(STATS_PREFIX)
        }

    # -- sites -------------------------------------------------------------------------------

    async def site(self, url: str, purpose: Purpose, request: Request | None = None) -> SitePolicy:
        """The compiled policy of ``url``'s origin, fetching its documents when needed."""
        origin = origin_of(url)
        need_tdmrep = purpose in AI_PURPOSES
        return self.sites.fresh(origin, need_tdmrep) or await self.sites.site(origin, need_tdmrep, request)

    def cached_site(self, url: str) -> SitePolicy | None:
        return self.sites.cached(origin_of(url))

    def _document_fetched(self, event: DocumentEvent) -> None:
        if event.kind == "robots.txt":
            self._robots_fetched(event)
            return
        result = event.result
        status_key = str(result.status) if result.status is not None else "error"
        kind = event.kind.split(".")[0]
        self.inc(f"{kind}/fetched")
        self.inc(f"{kind}/status/{status_key}")
        if event.note:
            self.inc(f"{kind}/unusable")
            logger.warning(
                "%s %s not used: %s", event.kind, event.url, event.note, extra={"spider": self.crawler.spider}
            )
        self.audit.write(
            "document",
            kind=event.kind,
            origin=event.origin,
            url=event.url,
            status=result.status,
            detail=result.detail,
            redirects=list(result.hops),
            bytes=len(result.body),
            sha256=hashlib.sha256(result.body).hexdigest() if result.body else None,
            note=event.note or event.info,
        )

    def _robots_fetched(self, event: DocumentEvent) -> None:
        access: RobotsAccess = event.entry.value
        origin = event.origin
        status_key = str(access.status) if access.status is not None else "error"
        self.inc("robots/fetched")
        self.inc(f"robots/status/{status_key}")
        self.inc(f"robots/{access.state}")
        if access.stale:
            self.inc("robots/stale")
        group = None
        if access.robots is not None:
            merged = access.robots.group_for(self.policy.user_agent)
            group = merged.label if merged.groups else None
        size = access.robots.size if access.robots is not None else None
        retry_in = event.entry.expires_at - self.sites.clock()
        spider = {"spider": self.crawler.spider}
        if access.stale:
            logger.warning(
                "robots.txt for %s: %s; keeping the earlier copy", origin, access.detail, extra=spider
            )
        elif access.state == UNREACHABLE:
            logger.warning(
                "robots.txt for %s unreachable (%s): every URL of this origin is disallowed "
                "(RFC 9309 §2.3.1.4); next attempt in %.0f s",
                origin,
                access.detail,
                retry_in,
                extra=spider,
            )
        elif access.state == UNAVAILABLE:
            logger.info(
                "robots.txt for %s unavailable (%s): all URLs allowed (RFC 9309 §2.3.1.3)",
                origin,
                access.detail,
                extra=spider,
            )
        else:
            logger.info(
                "robots.txt for %s: %s, %s bytes, %s for %s",
                origin,
                access.detail,
                size,
                f"group {group}" if group else "no group applies",
                self.policy.user_agent,
                extra=spider,
            )
        self.audit.write(
            "robots",
            origin=origin,
            url=access.url,
            state=access.state,
            status=access.status,
            detail=access.detail,
            redirects=list(access.hops),
            bytes=size,
            sha256=access.sha256,
            group=group,
            stale=access.stale,
            next_fetch_in=round(retry_in, 3),
        )

    # -- decisions ---------------------------------------------------------------------------

    async def decide_request(self, request: Request, purpose: Purpose) -> Decision:
        site = await self.site(request.url, purpose, request)
        return site.decide(request.url, purpose, path_of(request.url))

    async def decide_response(self, request: Request, response: Response, decision: Decision) -> Decision:
        """``decision`` with what the response's headers and HTML say."""
        site = self.cached_site(request.url)
        if site is None:
            return decision
        pairs = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items()
            for value in values
        ]
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        html = response.selector.root if isinstance(response, HtmlResponse) else None
        is_image = content_type.startswith("image/")
        facts = site.read_response(request.url, pairs, html, is_image=is_image)
        fetched = (
            await self.sites.licenses(facts.license_urls, site.origin, request) if facts.license_urls else {}
        )
        facts = facts.with_licenses(request.url, fetched)
        for warning in facts.warnings:
            logger.warning("%s: %s", request.url, warning, extra={"spider": self.crawler.spider})
        updated = site.decide_response(request.url, decision.purpose, facts, path_of(request.url))
        if request.callback is NO_CALLBACK:  # a FilesPipeline / ImagesPipeline download
            self.remember_media(request.url, updated, is_image)
        return updated

    def remember_media(self, url: str, decision: Decision, is_image: bool = False) -> None:
        self._media[url] = (decision, is_image)
        self._media.move_to_end(url)
        while len(self._media) > MEDIA_DECISIONS_KEPT:
            self._media.popitem(last=False)

    def media_decision(self, url: str) -> tuple[Decision, bool] | None:
        """The decision on a downloaded file, and whether it was an image."""
        return self._media.get(url)

    def record_item(self, record: ItemRecord, action: str) -> None:
        """Count one item outcome (kept, dropped, would-drop, tagged-denied) and audit it when due.

        ``items/seen`` = ``items/kept`` + ``items/dropped``; ``items/allowed`` and
        ``items/denied`` split the kept ones.
        """
        tag = record.tag or {}
        allowed = bool(tag.get("allowed"))
        sources: tuple[str, ...] = ()  # what denied the item, only looked up when it was denied
        if not allowed:
            sources = (
                (record.decision.denied_by or ("default",))
                if record.decision is not None
                else ("unknown-provenance",)
            )
        origin = origin_of(record.source_url) if record.source_url else "(no response)"
        self.inc("items/seen")
        if record.decision is None:
            self.inc("items/unknown_provenance")
        if record.files_denied:
            self.inc("items/files_denied", len(record.files_denied))
        if action == "dropped":
            self.inc("items/dropped")
            self.per_origin[origin]["items_dropped"] += 1
            for source in sources:
                self.inc(f"items/dropped/{source}")
        else:
            self.inc("items/kept")
            self.inc("items/allowed" if allowed else "items/denied")
            self.per_origin[origin]["items_allowed" if allowed else "items_denied"] += 1
            if not allowed:
                for source in sources:
                    self.inc(f"items/denied/{source}")
        if allowed and not self.settings.audit_all:
            return
        self.audit.write(
            "item",
            action=action,
            url=record.source_url,
            origin=origin,
            fingerprint=tag.get("fingerprint"),
            purpose=tag.get("purpose"),
            outcome=tag.get("outcome"),
            allowed=allowed,
            reasons=tag.get("reasons"),
            denied_by=list(sources) if not allowed else [],
            provenance=tag.get("provenance"),
            files_denied=record.files_denied,
            conditions=tag.get("conditions"),
        )

    def record(self, request: Request, decision: Decision | None, action: str, **extra: Any) -> None:
        """Count one request decision and write its audit record when it calls for one.

        Every request the middleware sees counts in exactly one of ``requests/allowed``,
        ``requests/denied`` and ``requests/overridden``; ``requests/would_deny`` (audit mode) and
        ``requests/marked`` (fetched although a use is denied) are parts of ``requests/allowed``.
        """
        counts = self.per_origin[origin_of(request.url)]
        if action == "blocked":
            self.inc("requests/denied")
            counts["requests_denied"] += 1
        elif action == "override":
            self.inc("requests/overridden")
            counts["requests_overridden"] += 1
        else:
            self.inc("requests/allowed")
            counts["requests_allowed"] += 1
            if action != "allowed":
                counts[f"requests_{action.replace('-', '_')}"] += 1
        if action in ("blocked", "would-block", "marked"):
            assert decision is not None
            counter = {"blocked": "requests/denied", "would-block": "requests/would_deny"}.get(
                action, "requests/marked"
            )
            if action != "blocked":
                self.inc(counter)
            for source in decision.denied_by or ("default",):
                self.inc(f"{counter}/{source}")
        if action == "allowed" and not self.settings.audit_all:
            return
        self._write_decision("request", request, decision, action, extra)

    def record_response(self, request: Request, decision: Decision, newly_denied: bool) -> None:
        """Count a response-time decision; audit it when the response itself brought a denial."""
        self.inc("responses/checked")
        if newly_denied:
            self.inc("responses/denied")
            self.per_origin[origin_of(request.url)]["responses_denied"] += 1
            for source in decision.denied_by or ("default",):
                self.inc(f"responses/denied/{source}")
        elif not self.settings.audit_all:
            return
        self._write_decision("response", request, decision, "marked" if newly_denied else "allowed", {})

    def _write_decision(
        self, record: str, request: Request, decision: Decision | None, action: str, extra: dict[str, Any]
    ) -> None:
        fields: dict[str, Any] = {"url": request.url, "method": request.method, "action": action}
        if decision is not None:
            fields.update(
                purpose=str(decision.purpose),
                outcome=str(decision.outcome),
                allowed=decision.allowed,
                stage=decision.stage,
                reason=decision.reason,
                denied_by=list(decision.denied_by),
                conditions=list(decision.conditions),
                evidence=[e.to_dict() for e in decision.evidence],
            )
        fields.update(extra)
        self.audit.write(record, **fields)

    # -- lifecycle ---------------------------------------------------------------------------

    def _spider_opened(self, spider: Spider) -> None:
        if self._opened:
            return
        self._opened = True
        choice = self.settings.user_agent
        logger.info(
            "scrapy-policyguard %s: purpose %s, mode %s, product token %r (from %s)%s",
            __version__,
            self.settings.purpose,
            self.settings.mode,
            choice.token,
            choice.setting,
            f", audit log {self.audit.path}" if self.audit.path else "",
            extra={"spider": spider},
        )
        if choice.is_scrapy_default:
            logger.warning(
                "The product token is Scrapy's default 'Scrapy', which many robots.txt files "
                "disallow (it is on the ai.robots.txt list). Set POLICYGUARD_USER_AGENT to a token "
                "of your own and name it in USER_AGENT with a contact URL.",
                extra={"spider": spider},
            )
        self.audit.write(
            "crawl",
            plugin="scrapy-policyguard",
            version=__version__,
            scrapy_version=scrapy.__version__,
            spider=spider.name,
            purpose=str(self.settings.purpose),
            user_agent={
                "token": choice.token,
                "setting": choice.setting,
                "value": choice.value,
                "header": self.crawler.settings.get("USER_AGENT"),
            },
            mode=self.settings.mode,
            settings=self.settings.describe(),
            rules=[
                {
                    "kind": "agents",
                    "file": self.agents.origin,
                    "sha256": self.agents.sha256,
                    "entries": len(self.agents),
                },
                *(
                    {"kind": "terms", "id": p.id, "file": p.file, "version": p.reviewed, "sha256": p.sha256}
                    for p in self.packs
                ),
            ],
        )

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        origins = {origin: dict(sorted(counts.items())) for origin, counts in sorted(self.per_origin.items())}
        self.audit.write("totals", finish_reason=reason, stats=self.stats(), origins=origins)
        self.audit.close()
