"""One guard per crawler: settings, site cache, audit trail and stats shared by every component.

The downloader middleware, the spider middleware and the pipeline each ask
:meth:`GuardRuntime.of` for the crawler's guard, so they read one configuration, one cache and
write one audit trail whichever of them Scrapy builds first.
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals

from .. import __version__
from ..core.access import PARSED, UNAVAILABLE, UNREACHABLE
from ..core.decision import Decision
from ..core.engine import Policy, SitePolicy, origin_of
from ..core.paths import path_of
from .audit import AuditLog, audit_path
from .fetch import CachedRobots, RobotsFetcher
from .settings import GuardSettings

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

__all__ = ["STATS_PREFIX", "GuardRuntime"]

logger = logging.getLogger("scrapy_policyguard")

STATS_PREFIX = "policyguard/"
_RUNTIMES: weakref.WeakKeyDictionary[Crawler, GuardRuntime] = weakref.WeakKeyDictionary()


class GuardRuntime:
    """The crawl-wide state of scrapy-policyguard for one crawler."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.settings = GuardSettings.from_settings(crawler.settings, crawler.spider)
        self.policy = Policy(self.settings.user_agent.token, unknown_allows=self.settings.unknown_allows)
        self.fetcher = RobotsFetcher(
            crawler,
            max_bytes=self.settings.robots_max_bytes,
            ttl=self.settings.robots_ttl,
            unreachable_retry=self.settings.unreachable_retry,
        )
        self._sites: dict[str, tuple[CachedRobots, SitePolicy]] = {}
        spider_name = crawler.spider.name if crawler.spider is not None else "spider"
        path = audit_path(self.settings.audit_log, spider_name) if self.settings.audit_log else None
        self.audit = AuditLog(path)
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

    async def site(self, url: str, request: Request | None = None) -> SitePolicy:
        """The compiled policy of ``url``'s origin, fetching its robots.txt if needed."""
        origin = origin_of(url)
        known = self._sites.get(origin)
        fresh = self.fetcher.fresh(origin)
        if known is not None and fresh is known[0]:
            return known[1]
        entry, fetched = await self.fetcher.get(origin, request)
        known = self._sites.get(origin)
        if known is not None and known[0] is entry:
            return known[1]
        site = SitePolicy(self.policy, entry.access)
        self._sites[origin] = (entry, site)
        if fetched:
            self._robots_resolved(origin, entry, site)
        return site

    def cached_site(self, url: str) -> SitePolicy | None:
        known = self._sites.get(origin_of(url))
        return known[1] if known is not None else None

    def _robots_resolved(self, origin: str, entry: CachedRobots, site: SitePolicy) -> None:
        access = entry.access
        status_key = str(access.status) if access.status is not None else "error"
        self.inc("robots/fetched")
        self.inc(f"robots/status/{status_key}")
        self.inc(f"robots/{access.state}")
        if access.stale:
            self.inc("robots/stale")
        group = site.group.label if site.group is not None else None
        size = access.robots.size if access.robots is not None else None
        if access.state == UNREACHABLE and not access.stale:
            logger.warning(
                "robots.txt for %s unreachable (%s): every URL of this origin is disallowed "
                "(RFC 9309 §2.3.1.4); next attempt in %.0f s",
                origin,
                access.detail,
                entry.expires_at - self.fetcher.clock(),
                extra={"spider": self.crawler.spider},
            )
        elif access.stale:
            logger.warning(
                "robots.txt for %s: %s; keeping the earlier copy",
                origin,
                access.detail,
                extra={"spider": self.crawler.spider},
            )
        elif access.state == UNAVAILABLE:
            logger.info(
                "robots.txt for %s unavailable (%s): all URLs allowed (RFC 9309 §2.3.1.3)",
                origin,
                access.detail,
                extra={"spider": self.crawler.spider},
            )
        else:
            logger.info(
                "robots.txt for %s: %s, %s bytes, %s for %s",
                origin,
                access.detail,
                size,
                f"group {group}" if site.group and site.group.groups else "no group applies",
                self.policy.user_agent,
                extra={"spider": self.crawler.spider},
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
            group=group if access.state == PARSED else None,
            stale=access.stale,
            expires_in=round(entry.expires_at - self.fetcher.clock(), 3),
        )

    # -- decisions ---------------------------------------------------------------------------

    async def decide_request(self, request: Request, purpose: Any) -> Decision:
        site = await self.site(request.url, request)
        return site.decide(request.url, purpose, path_of(request.url))

    def record(self, request: Request, decision: Decision | None, action: str, **extra: Any) -> None:
        """Count a request outcome and write its audit record when the outcome calls for one."""
        if action == "blocked":
            self.inc("requests/denied")
            assert decision is not None
            for source in decision.denied_by or ("default",):
                self.inc(f"requests/denied/{source}")
        elif action == "would-block":
            self.inc("requests/would_deny")
            assert decision is not None
            for source in decision.denied_by or ("default",):
                self.inc(f"requests/would_deny/{source}")
            self.inc("requests/allowed")
        elif action == "override":
            self.inc("requests/overridden")
        else:
            self.inc("requests/allowed")
        if action == "allowed" and not self.settings.audit_all:
            return
        fields: dict[str, Any] = {"url": request.url, "method": request.method, "action": action}
        if decision is not None:
            fields.update(
                purpose=str(decision.purpose),
                outcome=str(decision.outcome),
                allowed=decision.allowed,
                reason=decision.reason,
                denied_by=list(decision.denied_by),
                evidence=[e.to_dict() for e in decision.evidence],
            )
        fields.update(extra)
        self.audit.write("request", **fields)

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
            rules=[],
        )

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        self.audit.write("totals", finish_reason=reason, stats=self.stats())
        self.audit.close()
