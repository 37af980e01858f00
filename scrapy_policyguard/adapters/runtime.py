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
import os
import socket
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy import signals
from scrapy.utils.reactor import is_asyncio_reactor_installed

from .._version import __version__
from ..core.access import RobotsAccess
from ..core.blocklist import Blocklist, BlocklistError, load_blocklists
from ..core.budget import Budget
from ..core.bundled import bundled_agents, bundled_packs
from ..core.engine import Policy
from ..core.rulefiles import RuleFileError
from ..core.signals import c2pa
from ..core.signals.embedded import MediaReader
from ..core.terms import TermsIndex, TermsPack, assemble_packs
from ..core.webbotauth import RequestSigner
from .accounting import Ledger
from .audit import AuditLog, Record, audit_path
from .crawl_delay import CrawlDelays
from .document_events import DocumentReporter
from .documents import DocumentEvent, SiteRegistry
from .fetch import DocumentFetcher
from .media import MediaDecisions
from .outcomes import Outcomes
from .robot_parser import RobotParser
from .settings import GuardSettings, OnError, PolicyGuardConfigError
from .shared_documents import SharedDocuments

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

    from ..core.agents import AgentCatalogue

__all__ = ["Configuration", "GuardRuntime", "load_configuration"]

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


def load_blocklist(settings: GuardSettings) -> Blocklist:
    """The crawl's blocklists; a file that cannot be read or a bad line stops the crawl."""
    try:
        return load_blocklists(settings.blocklists)
    except BlocklistError as exc:
        raise PolicyGuardConfigError(
            f"POLICYGUARD_BLOCKLISTS: {exc}. Fix: one domain per line ('#' starts a comment)"
        ) from None


@dataclass(frozen=True)
class Configuration:
    """What a crawl's POLICYGUARD_* settings name, read and checked: what GuardRuntime runs on,
    and what a command checks before it starts a crawl, so both stop on the same errors."""

    settings: GuardSettings
    packs: list[TermsPack]
    pack_warnings: list[str]
    blocklist: Blocklist


def load_configuration(settings: BaseSettings, spider: Any = None) -> Configuration:
    """Settings, rule packs and blocklists; the first problem raises PolicyGuardConfigError."""
    guard = GuardSettings.from_settings(settings, spider)
    packs, pack_warnings = load_terms(guard)
    return Configuration(guard, packs, pack_warnings, load_blocklist(guard))


def crawler_media_default(crawler: Crawler) -> bool:
    """Whether POLICYGUARD_MEDIA_READERS was left to its default (xmp, and c2pa when installed)."""
    return crawler.settings.get("POLICYGUARD_MEDIA_READERS") is None


def open_audit(settings: GuardSettings, spider_name: str, worker: str) -> AuditLog:
    path = audit_path(settings.audit_log, spider_name, worker) if settings.audit_log else None
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
        configuration = load_configuration(crawler.settings, crawler.spider)
        self.settings = settings = configuration.settings
        self.packs, pack_warnings = configuration.packs, configuration.pack_warnings
        self.blocklist = configuration.blocklist
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
            paywall=settings.paywall,
            media_readers=settings.media_readers,
        )
        for warning in pack_warnings:
            logger.warning(warning)
        spider_name = crawler.spider.name if crawler.spider is not None else "spider"
        self.worker = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.audit = open_audit(settings, spider_name, self.worker)
        self.ledger = Ledger(
            crawler.stats,
            max_origins=settings.max_origins,
            on_drop=lambda origin, counts: self.audit.write(Record.ORIGIN, origin=origin, counts=counts),
        )
        self.outcomes = Outcomes(self.ledger, self.audit, audit_all=settings.audit_all)
        self.media = MediaDecisions()
        self.budget = Budget(settings.limits)
        self.signer = (
            RequestSigner(settings.signing_key, settings.signature_agent, lifetime=settings.signature_ttl)
            if settings.signing_key is not None and settings.signature_agent is not None
            else None
        )
        #: The item fields FilesPipeline and ImagesPipeline read their URLs from.
        self.files_field: str = crawler.settings.get("FILES_URLS_FIELD", "file_urls")
        self.images_field: str = crawler.settings.get("IMAGES_URLS_FIELD", "image_urls")
        self.crawl_delays = CrawlDelays(
            crawler, self.policy.user_agent, enabled=settings.crawl_delay, maximum=settings.crawl_delay_max
        )
        clock = time.time
        self._reporter = DocumentReporter(
            self.ledger, self.audit, self.policy.user_agent, clock, crawler.spider
        )
        self.shared = self._shared_documents(settings) if settings.shared_cache else None
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
            shared=self.shared,
            clock=clock,
        )
        self._opened = False
        crawler.signals.connect(self._spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    def _shared_documents(self, settings: GuardSettings) -> SharedDocuments:
        shared = settings.shared_cache
        assert shared is not None
        if not is_asyncio_reactor_installed():
            raise PolicyGuardConfigError(
                "POLICYGUARD_CACHE='redis' needs Scrapy's asyncio reactor (the default since Scrapy 2.13). "
                "Fix: remove TWISTED_REACTOR, or set it to "
                "'twisted.internet.asyncioreactor.AsyncioSelectorReactor'"
            )
        return SharedDocuments(
            shared.url,
            shared.key,
            ttl=settings.robots_ttl,
            lock_ttl=shared.lock_ttl,
            on_error=shared.on_error,
            on_outage=self._cache_outage,
            on_error_count=lambda: self.ledger.inc("cache/errors"),
        )

    def _cache_outage(self, down: bool, detail: str) -> None:
        """Once per outage of the shared cache, and once when it is back: log and audit it."""
        shared = self.settings.shared_cache
        assert shared is not None
        extra = {"spider": self.crawler.spider}
        if down:
            logger.warning(
                "The shared policy cache %s is unreachable (%s): %s until it answers again",
                shared.url,
                detail,
                "fetching documents in this worker"
                if shared.on_error is OnError.FETCH
                else "refusing requests to origins this worker has no copy for",
                extra=extra,
            )
        else:
            logger.info("The shared policy cache %s answers again", shared.url, extra=extra)
        self.audit.write(
            Record.CACHE, state="down" if down else "up", detail=detail, on_error=str(shared.on_error)
        )

    def _document_fetched(self, event: DocumentEvent) -> None:
        delay = None
        if isinstance(event.value, RobotsAccess):  # a robots.txt fetch
            delay = self.crawl_delays.update(event.origin, event.value)
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

    async def _spider_opened(self, spider: Spider) -> None:
        if self._opened:
            return
        self._opened = True
        settings = self.settings
        run = settings.run_id or (await self.shared.run_id() if self.shared else None)
        if run is None:
            run = self.audit.crawl_id
            if self.shared is not None:  # Redis did not answer: no run id to share
                logger.warning(
                    "The shared policy cache %s did not answer at start: this worker's audit records "
                    "carry a run id of their own (%s) and will not merge with the other workers' run "
                    "in policyguard report (read them with --crawl %s). Set POLICYGUARD_RUN_ID to one "
                    "value on every worker to keep them in one run.",
                    self.shared.url,
                    run,
                    run,
                    extra={"spider": spider},
                )
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
        if self.signer is not None:
            logger.info(
                "Signing every request (Web Bot Auth) as %s, keyid %s",
                self.signer.agent,
                self.signer.key.thumbprint,
                extra={"spider": spider},
            )
        if crawler_media_default(self.crawler) and MediaReader.C2PA not in settings.media_readers:
            logger.warning(
                "Content Credentials (C2PA manifests) in downloaded media are not read: c2pa-python is "
                "not installed (%s). Files that carry one are noted as unread in the audit trail.",
                c2pa.INSTALL_HINT,
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
            run=run,
            worker=self.worker,
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
                *(
                    {"kind": "blocklist", "file": f.file, "entries": f.entries, "sha256": f.sha256}
                    for f in self.blocklist.files
                ),
            ],
        )

    async def _spider_closed(self, spider: Spider, reason: str) -> None:
        pay = {**self.budget.snapshot(), "simulated": not self.settings.enforce}
        if pay["pages"] or self.settings.limits.max_price is not None:
            limits = self.settings.limits
            logger.info(
                "pay-per-crawl: %d page(s) %s, %s %s (POLICYGUARD_BUDGET %s), %s declined",
                pay["pages"],
                "would have been paid" if pay["simulated"] else "paid",
                ", ".join(f"{c} {a}" for c, a in pay["charged"].items()) or "nothing",
                "would have been charged" if pay["simulated"] else "charged",
                limits.budget or "none",
                self.crawler.stats.get_value("policyguard/pay/declined", 0) if self.crawler.stats else 0,
                extra={"spider": spider},
            )
        self.audit.write(
            Record.TOTALS,
            finish_reason=reason,
            stats=self.ledger.stats(),
            origins=self.ledger.origins(),
            pay=pay,
        )
        self.audit.close()
        if self.shared is not None:
            await self.shared.close()
