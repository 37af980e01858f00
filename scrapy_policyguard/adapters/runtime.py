"""The composition root: one guard per crawler, built from its settings, shared by every component.

The downloader middleware, the spider middleware and the pipeline each ask :meth:`GuardRuntime.of`
for the crawler's guard (after checking POLICYGUARD_ENABLED, so a disabled guard builds nothing),
so they read one configuration, one document registry and one audit trail whichever of them
Scrapy builds first. The runtime also writes the first (``crawl``) and last (``totals``) audit
records, applies each robots.txt's Crawl-delay (adapters/crawl_delay.py) and sends Scrapy's
``robots_parsed`` signal for each robots.txt fetched.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import TYPE_CHECKING

import scrapy
from scrapy import signals

from .._version import __version__
from ..core.bundled import bundled_agents, bundled_packs
from ..core.engine import Policy
from ..core.rulefiles import RuleFileError
from ..core.terms import TermsIndex, TermsPack, assemble_packs
from .accounting import Ledger
from .audit import AuditLog, Record, audit_path
from .crawl_delay import CrawlDelays
from .document_events import DocumentReporter
from .documents import DocumentEvent, SiteRegistry
from .fetch import DocumentFetcher, DocumentKind
from .media import MediaDecisions
from .outcomes import Outcomes
from .robot_parser import RobotParser
from .settings import GuardSettings, PolicyGuardConfigError

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler

    from ..core.access import RobotsAccess
    from ..core.agents import AgentCatalogue

__all__ = ["GuardRuntime"]

logger = logging.getLogger("scrapy_policyguard")

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


def open_audit(settings: GuardSettings, spider_name: str) -> AuditLog:
    path = audit_path(settings.audit_log, spider_name) if settings.audit_log else None
    try:
        return AuditLog(path)
    except OSError as exc:
        problem = f"cannot create {path} ({exc.strerror or exc})"
        raise PolicyGuardConfigError(
            f"POLICYGUARD_AUDIT_LOG={settings.audit_log!r}: {problem}. Fix: use a writable file path"
        ) from None


class GuardRuntime:
    """The crawl-wide state of scrapy-policyguard for one crawler."""

    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.settings = settings = GuardSettings.from_settings(crawler.settings, crawler.spider)
        self.packs, pack_warnings = load_terms(settings)
        agents = bundled_agents()
        self.agents: AgentCatalogue = (
            agents.with_changes(settings.ai_tokens) if settings.ai_tokens else agents
        )
        self.policy = Policy(
            settings.user_agent.token,
            unknown_allows=settings.unknown_allows,
            agents=self.agents,
            legacy_usage=settings.legacy_usage,
            agreements=settings.agreements,
            terms=TermsIndex(self.packs),
        )
        for warning in pack_warnings:
            logger.warning(warning)
        spider_name = crawler.spider.name if crawler.spider is not None else "spider"
        self.audit = open_audit(settings, spider_name)
        self.ledger = Ledger(
            crawler.stats,
            max_origins=settings.max_origins,
            on_drop=lambda origin, counts: self.audit.write(Record.ORIGIN, origin=origin, counts=counts),
        )
        self.outcomes = Outcomes(self.ledger, self.audit, audit_all=settings.audit_all)
        self.media = MediaDecisions()
        self.crawl_delays = CrawlDelays(
            crawler, self.policy.user_agent, enabled=settings.crawl_delay, maximum=settings.crawl_delay_max
        )
        clock = time.time
        self._reporter = DocumentReporter(
            self.ledger, self.audit, self.policy.user_agent, clock, crawler.spider
        )
        self.documents = SiteRegistry(
            DocumentFetcher(crawler),
            self.policy,
            robots_limit=settings.robots_max_bytes,
            ttl=settings.robots_ttl,
            unreachable_retry=settings.unreachable_retry,
            on_fetched=self._document_fetched,
            on_robots=self._send_robots_parsed,
            max_origins=settings.max_origins,
            on_evicted=self._evicted,
            clock=clock,
        )
        self._opened = False
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    def _document_fetched(self, event: DocumentEvent) -> None:
        delay = None
        if event.kind is DocumentKind.ROBOTS:
            delay = self.crawl_delays.update(event.origin, event.entry.value)
        self._reporter(event, delay)

    def _evicted(self, origin: str) -> None:
        self.ledger.inc("cache/evicted")
        self.crawl_delays.forget(origin)

    async def _send_robots_parsed(self, access: RobotsAccess, request: Request | None) -> None:
        """Scrapy's ``robots_parsed`` (Scrapy 2.18+), as its RobotsTxtMiddleware sends it: listeners
        written for Scrapy keep working with the add-on, and their parser answers as the guard does."""
        signal = getattr(signals, "robots_parsed", None)
        if signal is not None:
            await self.crawler.signals.send_catch_log_async(
                signal=signal, robotparser=RobotParser(access), request=request
            )

    @classmethod
    def of(cls, crawler: Crawler) -> GuardRuntime:
        runtime = _RUNTIMES.get(crawler)
        if runtime is None:
            runtime = _RUNTIMES[crawler] = cls(crawler)
        return runtime

    def _spider_opened(self, spider: Spider) -> None:
        if self._opened:
            return
        self._opened = True
        settings = self.settings
        choice = settings.user_agent
        logger.info(
            "scrapy-policyguard %s: purpose %s, mode %s, product token %r (from %s)%s",
            __version__,
            settings.purpose,
            settings.mode,
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
            Record.CRAWL,
            plugin="scrapy-policyguard",
            version=__version__,
            scrapy_version=scrapy.__version__,
            spider=spider.name,
            purpose=str(settings.purpose),
            user_agent={
                "token": choice.token,
                "setting": choice.setting,
                "value": choice.value,
                "header": self.crawler.settings.get("USER_AGENT"),
            },
            mode=str(settings.mode),
            settings=settings.describe(),
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
        self.audit.write(
            Record.TOTALS, finish_reason=reason, stats=self.ledger.stats(), origins=self.ledger.origins()
        )
        self.audit.close()
