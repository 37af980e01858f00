"""Collected data re-checked against today's opt-outs: what ``policyguard recheck`` runs.

The crawl has the add-on enabled, and its spider requests no page: it reads the inputs and asks the
site registry (``GuardRuntime.documents``) for each capture's origin, which fetches robots.txt,
tdmrep.json and the RSL licences robots.txt names through the engine with every rule a crawl applies
(RFC 9309 status handling, redirects, size limits, POLICYGUARD_MAX_ORIGINS, and any shared cache),
once per origin. Each capture is then decided by the compiled site, with the statements its archived
response made (WARC headers and meta tags, marked with the capture's date) read by the same core
readers as in a crawl; licences an archived page names are fetched now, once each.

Streaming with bounded memory: captures are read one at a time and queued, in input order, each
with the decision it awaits; the first time an origin is met its documents start downloading while
reading goes on. Whenever the head of the queue is decided, it is written to ``kept`` or
``removed`` and counted; when the queue holds ``window`` captures, reading waits for the head. So
at most ``window`` captures (their small facts, not their bytes) are held, and the site registry
holds at most POLICYGUARD_MAX_ORIGINS origins; the window is capped at that bound, so an origin is
never dropped while captures of the same window still need it. Memory does not grow with the
number of records. Every :data:`PAUSE_EVERY` captures the reader lets the reactor run, so the
downloads progress while a large input is read.

An origin whose robots.txt is unreachable now (5xx, 429, network failure) has every capture
removed: RFC 9309 §2.3.1.4 (https://www.rfc-editor.org/rfc/rfc9309, read 2026-12-06) says complete
disallow. Published re-checks of training data counted it as allowed and read robots.txt alone,
per domain (Apertus, https://arxiv.org/abs/2504.06219, read 2026-12-06). A capture that cannot be
decided (no URL, or a failure in our own code) is removed too: nothing is kept that was not
checked. When the crawl is stopped before the end, the captures not yet written are in neither
output, and the result says so.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from tqdm import tqdm
from twisted.internet.task import deferLater

from ..core.decision import Decision, Source, refusal
from ..core.purposes import Purpose
from ..datasets import Capture, DatasetError, open_dataset
from .accounting import RECHECK_SPIDER, RecheckAction
from .fetch import describe_failure
from .live_check import check_settings
from .runtime import GuardRuntime

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from twisted.internet.defer import Deferred

    from ..datasets import Dataset, SplitOutput

__all__ = [
    "AUDIT_NAME",
    "RECHECK_DEFAULTS",
    "InputSummary",
    "RecheckJob",
    "RecheckResult",
    "RecheckSpider",
    "recheck_settings",
]

logger = logging.getLogger("scrapy_policyguard")

#: The audit trail's file name in the output folder.
AUDIT_NAME = "audit.jsonl"
#: Captures read between two turns of the reactor.
PAUSE_EVERY = 64
#: The progress bar's origin and capture counts are refreshed every so many records.
_POSTFIX_EVERY = 512


@dataclass(frozen=True)
class RecheckJob:
    """What to re-check and where the split copies go (``OUT/kept/NAME``, ``OUT/removed/NAME``)."""

    inputs: tuple[Path, ...]
    out: Path
    url_field: str = "url"
    window: int = 2000
    progress: bool = False


@dataclass
class InputSummary:
    """One input file's outcome."""

    path: str
    kind: str
    kept: int = 0
    removed: int = 0
    passed: int = 0  # records copied to both outputs (warcinfo, dns:)
    records: int = 0
    removed_by: Counter[str] = field(default_factory=Counter)

    @property
    def captures(self) -> int:
        return self.kept + self.removed


@dataclass
class RecheckResult:
    inputs: list[InputSummary] = field(default_factory=list)
    error: str | None = None


class _Pending:
    """A capture in the queue and, once made, its decision."""

    __slots__ = ("capture", "decision", "waiter")

    def __init__(self, capture: Capture) -> None:
        self.capture = capture
        self.decision: Decision | None = None
        self.waiter: Deferred[None] | None = None

    @property
    def ready(self) -> bool:
        return self.capture.passthrough or self.decision is not None


def _refusal(capture: Capture, rule: str, detail: str, purpose: Purpose) -> Decision:
    """A fail-closed decision for a capture that could not be checked."""
    return Decision.build(capture.url, purpose, [refusal(rule, capture.where, detail)])


async def _turn() -> None:
    """Let the reactor run once (downloads, timers) before reading on."""
    from twisted.internet import reactor

    await maybe_deferred_to_future(deferLater(reactor, 0))


class _Rechecker:
    def __init__(self, runtime: GuardRuntime, job: RecheckJob, result: RecheckResult, engine: Any) -> None:
        self.runtime = runtime
        self.job = job
        self.result = result
        self.engine = engine
        self.purpose = runtime.settings.purpose
        self.window = max(1, min(job.window, runtime.settings.max_origins))
        self.bar: tqdm[Any] | None = None
        self._postfix_at: float = 0

    async def run(self) -> None:
        datasets = [
            open_dataset(path, self.runtime.policy, url_field=self.job.url_field) for path in self.job.inputs
        ]
        self.bar = tqdm(
            unit=" records",
            unit_scale=True,
            file=sys.stderr,
            disable=not self.job.progress,
            dynamic_ncols=True,
        )
        try:
            for dataset in datasets:
                summary = InputSummary(str(dataset.path), str(dataset.kind))
                self.result.inputs.append(summary)
                output = dataset.split_output(
                    self.job.out / "kept" / dataset.path.name, self.job.out / "removed" / dataset.path.name
                )
                try:
                    await self._split(dataset, output, summary)
                finally:
                    output.close()
                    self._progress(0, summary, final=True)
                if not self.engine.running:
                    return
        finally:
            self.bar.close()

    async def _split(self, dataset: Dataset, output: SplitOutput, summary: InputSummary) -> None:
        queue: deque[_Pending] = deque()
        broken: DatasetError | None = None
        try:
            try:
                for read, capture in enumerate(dataset.captures(), 1):
                    queue.append(self._start(capture))
                    self._flush(queue, output, summary)
                    while len(queue) >= self.window:
                        await self._wait(queue[0])
                        self._flush(queue, output, summary)
                    if read % PAUSE_EVERY == 0:
                        await _turn()
                    if not self.engine.running:
                        break
            except DatasetError as exc:
                broken = exc  # what was read before the break is still decided and written
            while queue and self.engine.running:
                await self._wait(queue[0])
                self._flush(queue, output, summary)
        finally:  # also when the crawl is stopped while this waits (the await is cancelled)
            if queue:
                self.result.error = (
                    f"the re-check was stopped: {dataset.path} from {queue[0].capture.where} on, and any "
                    "input after it, is in neither output"
                )
        if broken is not None and not queue:
            raise broken

    def _start(self, capture: Capture) -> _Pending:
        pending = _Pending(capture)
        if capture.passthrough:
            return pending
        if capture.problem is not None:
            pending.decision = _refusal(capture, "capture not checked", capture.problem, self.purpose)
            return pending
        pending.waiter = deferred_from_coro(self._decide(pending))
        return pending

    async def _decide(self, pending: _Pending) -> None:
        capture = pending.capture
        url = capture.url
        blocklist = self.runtime.blocklist
        listed = blocklist.evidence(url) if blocklist else None
        if listed is not None:  # as in a crawl: a listed website is not contacted, not even robots.txt
            pending.decision = Decision.build(url, self.purpose, [listed])
            return
        try:
            documents = self.runtime.documents
            site = await documents.site(url, self.purpose)
            facts = capture.facts
            if facts is None:
                pending.decision = site.decide(url, self.purpose)
                return
            named = facts.license_urls
            fetched = await documents.licenses(named, site.origin) if named else {}
            pending.decision = site.decide_response(url, self.purpose, facts.with_licenses(url, fetched))
        except Exception as exc:  # our own failure: the capture is removed, never kept unchecked
            logger.error("recheck: %s could not be decided: %s", url, exc, exc_info=True)
            pending.decision = _refusal(capture, "capture not decided", describe_failure(exc), self.purpose)

    @staticmethod
    async def _wait(pending: _Pending) -> None:
        if pending.waiter is not None and not pending.ready:
            await maybe_deferred_to_future(pending.waiter)

    def _flush(self, queue: deque[_Pending], output: SplitOutput, summary: InputSummary) -> None:
        ledger = self.runtime.ledger
        while queue and queue[0].ready:
            pending = queue.popleft()
            capture = pending.capture
            summary.records += capture.records
            if capture.passthrough or pending.decision is None:
                output.write(capture, True)
                summary.passed += capture.records
                ledger.inc("recheck/records/passed", capture.records)
            else:
                self._settle(capture, pending.decision, output, summary)
            self._progress(capture.records, summary)

    def _settle(
        self, capture: Capture, decision: Decision, output: SplitOutput, summary: InputSummary
    ) -> None:
        keep = decision.allowed
        output.write(capture, keep)
        action = RecheckAction.KEPT if keep else RecheckAction.REMOVED
        self.runtime.ledger.inc(f"recheck/records/{action}", capture.records)
        if keep:
            summary.kept += 1
        else:
            summary.removed += 1
            summary.removed_by.update(map(str, decision.denied_by or (Source.POLICYGUARD,)))
        fields: dict[str, Any] = {"input": str(capture.where), "records": list(capture.record_types)}
        if capture.record_ids:
            fields["record_ids"] = list(capture.record_ids)
        if capture.date is not None:
            fields["captured"] = capture.date
        self.runtime.outcomes.recheck(capture.url, decision, action, **fields)

    def _progress(self, records: int, summary: InputSummary, *, final: bool = False) -> None:
        bar = self.bar
        if bar is None or bar.disable:
            return
        bar.update(records)
        if final or bar.n >= self._postfix_at:
            self._postfix_at = bar.n + _POSTFIX_EVERY
            stats = self.runtime.crawler.stats
            origins = stats.get_value("policyguard/robots/fetched", 0) if stats is not None else 0
            bar.set_postfix_str(
                f"{origins} origins resolved, {summary.kept} kept, {summary.removed} removed", refresh=final
            )


class RecheckSpider(scrapy.Spider):
    """Requests no page: reads the inputs and decides each capture (see the module docstring)."""

    name = RECHECK_SPIDER

    def __init__(self, job: RecheckJob, result: RecheckResult, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.result = result

    async def start(self) -> AsyncIterator[scrapy.Request]:
        engine = self.crawler.engine
        try:
            await _Rechecker(GuardRuntime.of(self.crawler), self.job, self.result, engine).run()
        except DatasetError as exc:
            self.result.error = str(exc)
            raise CloseSpider("recheck_failed") from None
        except Exception as exc:  # an output that cannot be written, say: the run fails, loudly
            logger.error("recheck failed", exc_info=True)
            self.result.error = (
                f"the re-check failed: {describe_failure(exc)}; the outputs hold only what was written before"
            )
            raise CloseSpider("recheck_failed") from None
        return
        yield  # an async generator that yields nothing: the crawl fetches documents only


#: Settings a re-check sets unless the project's settings module sets them: many origins, small
#: documents, and a dead host should not hold the queue for Scrapy's default three minutes.
RECHECK_DEFAULTS: dict[str, Any] = {"CONCURRENT_REQUESTS": 64, "DOWNLOAD_TIMEOUT": 30}


def recheck_settings(
    module: str | None = None, *, out: Path, audit_all: bool = False, **options: Any
) -> Settings:
    """Scrapy settings for a re-check: those of a check crawl (live_check.check_settings), the
    audit trail in ``out``, and :data:`RECHECK_DEFAULTS` where the project set nothing."""
    settings = check_settings(module, **options)
    settings.set("POLICYGUARD_AUDIT_LOG", str(out / AUDIT_NAME), priority="cmdline")
    if audit_all:
        settings.set("POLICYGUARD_AUDIT_ALL", True, priority="cmdline")
    for name, value in RECHECK_DEFAULTS.items():
        if settings.getpriority(name) == SETTINGS_PRIORITIES["default"]:
            settings.set(name, value, priority="default")
    return settings
