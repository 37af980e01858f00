"""The report model: one run's audit trail read back, per origin, with the reasons for denials.

Reads the JSON Lines audit trail (records in adapters/audit.py) from one file or from the files
of a run's workers (scrapy-redis: one file per worker). A file may hold several crawls (the log is
appended to); a run is the crawls that share a ``run`` id (every worker of a crawl). The last run
started is reported unless another is named. A log cut short by a killed crawl, or with a broken
last line, still gives a report, which says it is incomplete and which figures it could not know.
The text and HTML renderings read only :meth:`Report.to_dict`.

Reading files (:func:`read_audit`), choosing a run (:meth:`AuditTrail.select`) and merging per-origin
counts (:func:`build_origins`) are shared with ``policyguard summary``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ...adapters.accounting import (
    NO_ORIGIN,
    TALLIES,
    ItemAction,
    OriginCount,
    RecheckAction,
    RequestAction,
    ResponseAction,
)
from ...adapters.audit import Record
from ...core.paths import origin_of

__all__ = [
    "COLUMNS",
    "AuditTrail",
    "Origin",
    "Report",
    "Worker",
    "build_origins",
    "load_report",
    "met_a_price",
    "read_audit",
    "spending",
]


@dataclass
class Reason:
    source: str
    rule: str
    location: str
    detail: str
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rule": self.rule,
            "location": self.location,
            "detail": self.detail,
            "count": self.count,
        }


@dataclass
class Origin:
    origin: str
    counts: Counter[str] = field(default_factory=Counter)
    robots: dict[str, Any] | None = None
    reasons: dict[tuple[str, str, str], Reason] = field(default_factory=dict)
    sources: Counter[str] = field(default_factory=Counter)

    def add_reason(self, evidence: dict[str, Any]) -> None:
        key = (evidence.get("source", ""), evidence.get("rule", ""), evidence.get("location", ""))
        reason = self.reasons.get(key)
        if reason is None:
            reason = self.reasons[key] = Reason(*key, evidence.get("detail", ""))
        reason.count += 1

    def to_dict(self, top: int) -> dict[str, Any]:
        reasons = sorted(self.reasons.values(), key=lambda r: -r.count)
        robots = self.robots or {}
        return {
            "origin": self.origin,
            "robots": {k: robots.get(k) for k in ("state", "status", "detail", "group")} if robots else None,
            "counts": dict(sorted(self.counts.items())),
            "denials_by_source": dict(self.sources.most_common()),
            "reasons": [r.to_dict() for r in reasons[:top]],
        }


@dataclass
class Worker:
    """One worker's part of a run: its audit file, crawl id and whether it finished."""

    file: str
    crawl: str
    worker: str | None
    crawl_record: dict[str, Any] | None
    totals: dict[str, Any] | None
    charges: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "crawl": self.crawl,
            "worker": self.worker,
            "complete": self.totals is not None,
            "finish_reason": self.totals.get("finish_reason") if self.totals else None,
        }


@dataclass
class Report:
    paths: list[str]
    run: str | None
    workers: list[Worker]
    origins: dict[str, Origin]
    runs_in_files: list[str]
    broken_lines: int
    documents: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> copy -> count

    @property
    def path(self) -> str:
        return ", ".join(self.paths)

    @property
    def crawl(self) -> dict[str, Any] | None:
        return next((w.crawl_record for w in self.workers if w.crawl_record is not None), None)

    @property
    def complete(self) -> bool:
        finished = all(w.totals is not None for w in self.workers)
        return bool(self.workers) and finished and not self.broken_lines

    def problems(self) -> list[str]:
        found = []
        if self.crawl is None:
            found.append("no crawl record: the start of the log is missing")
        for worker in self.workers:
            if worker.totals is None:
                who = f"worker {worker.worker} ({worker.file})" if len(self.workers) > 1 else "the crawl"
                found.append(f"no totals record: {who} did not finish (killed or still running)")
        if self.broken_lines:
            found.append(f"{self.broken_lines} line(s) could not be read (cut short or corrupt)")
        return found

    def stats(self) -> dict[str, Any]:
        """The workers' ``policyguard/`` stats, added up."""
        return sum_stats(w.totals for w in self.workers)

    def pay(self) -> dict[str, Any]:
        """Pay-per-crawl spending of the workers (see :func:`spending`)."""
        return spending(
            [w.totals for w in self.workers],
            [charge for worker in self.workers for charge in worker.charges],
            self.stats().get("policyguard/pay/declined", 0),
        )

    def to_dict(self, top: int = 5) -> dict[str, Any]:
        crawl = self.crawl or {}
        started = [str(w.crawl_record.get("time")) for w in self.workers if w.crawl_record]
        finished = [str(w.totals.get("time")) for w in self.workers if w.totals]
        ends = [w.totals for w in self.workers if w.totals is not None]
        reasons = sorted({str(end["finish_reason"]) for end in ends if end.get("finish_reason")})
        return {
            "audit_log": self.path,
            "complete": self.complete,
            "problems": self.problems(),
            "crawl": {
                "id": self.run,
                "spider": crawl.get("spider"),
                "purpose": crawl.get("purpose"),
                "mode": crawl.get("mode"),
                "user_agent": (crawl.get("user_agent") or {}).get("token"),
                "started": min(started) if started else None,
                "finished": max(finished) if finished and len(finished) == len(self.workers) else None,
                "finish_reason": ", ".join(reasons) or None,
                "plugin_version": crawl.get("version"),
                "rules": crawl.get("rules", []),
            },
            "workers": [w.to_dict() for w in self.workers],
            "crawls_in_file": self.runs_in_files,
            "documents": {kind: dict(copies) for kind, copies in sorted(self.documents.items())},
            "stats": self.stats(),
            "pay": self.pay(),
            "origins": [o.to_dict(top) for o in sorted(self.origins.values(), key=lambda o: o.origin)],
        }


#: The per-origin columns of every rendering, in order, with their titles.
COLUMNS: tuple[tuple[OriginCount, str], ...] = (
    (OriginCount.REQUESTS_ALLOWED, "fetched"),
    (OriginCount.REQUESTS_DENIED, "blocked"),
    (OriginCount.REQUESTS_WOULD_DENY, "would block"),
    (OriginCount.REQUESTS_MARKED, "fetched, use denied"),
    (OriginCount.RESPONSES_DENIED, "denied by response"),
    (OriginCount.FILES_DROPPED, "files not stored"),
    (OriginCount.REQUESTS_OVERRIDDEN, "overrides"),
    (OriginCount.ITEMS_ALLOWED, "items allowed"),
    (OriginCount.ITEMS_DENIED, "items kept, denied"),
    (OriginCount.ITEMS_DROPPED, "items dropped"),
    (OriginCount.CAPTURES_KEPT, "captures kept"),
    (OriginCount.CAPTURES_REMOVED, "captures removed"),
)

_ACTIONS: dict[str, Any] = {
    "request": RequestAction,
    "response": ResponseAction,
    "item": ItemAction,
    "recheck": RecheckAction,
}
#: The (record, action) pairs whose evidence explains a denial.
_DENIALS = frozenset(
    {
        (Record.REQUEST, RequestAction.BLOCKED),
        (Record.REQUEST, RequestAction.WOULD_BLOCK),
        (Record.REQUEST, RequestAction.MARKED),
        (Record.RESPONSE, ResponseAction.MARKED),
        (Record.RESPONSE, ResponseAction.BLOCKED),
        (Record.RESPONSE, ResponseAction.WOULD_BLOCK),
        (Record.RESPONSE, ResponseAction.FILE_DROPPED),
        (Record.RECHECK, RecheckAction.REMOVED),
    }
)


def _counted(record: dict[str, Any]) -> dict[str, int]:
    """The per-origin counts one record stands for (the ledger's table, a response's size
    included), for logs without totals."""
    try:
        tally = TALLIES[(Record(record["record"]), _ACTIONS[record["record"]](record.get("action")))]
    except (KeyError, ValueError):
        return {}
    counts = dict.fromkeys(map(str, tally.origin), 1)
    size = record.get("bytes")
    if isinstance(size, int):
        counts.update(dict.fromkeys(map(str, tally.size_origin), size))
    return counts


@dataclass
class AuditTrail:
    """The records of one or more audit files, in file order: what ``report`` and ``summary`` read.

    A file may hold several crawls (the log is appended to), and one run may span several files
    (one per worker): records keep their ``crawl`` id, and :meth:`select` picks the crawls of a run.
    """

    paths: list[str]
    records: list[dict[str, Any]]
    broken_lines: int
    files: dict[str, str] = field(default_factory=dict)  # crawl id -> the file it was read from

    @property
    def crawls(self) -> list[str]:
        """The crawl ids, in the order they first appear."""
        return list(dict.fromkeys(str(r["crawl"]) for r in self.records if r.get("crawl")))

    @property
    def runs(self) -> dict[str, str]:
        """Each crawl's run: the ``run`` id of its crawl record, else (a log from before run ids,
        or a crawl whose start is missing) the crawl itself."""
        found = {crawl: crawl for crawl in self.crawls}
        for record in self.records:
            if record["record"] == "crawl" and record.get("run"):
                found[str(record["crawl"])] = str(record["run"])
        return found

    def select(self, wanted: str | None = None) -> list[str]:
        """The crawls of run ``wanted`` (a run id, or one crawl id), else of the run started last."""
        runs = self.runs
        if wanted is not None:
            chosen = [crawl for crawl, run in runs.items() if run == wanted]
            if not chosen and wanted in runs:
                chosen = [wanted]
            if not chosen:
                known = ", ".join(dict.fromkeys(runs.values())) or "none"
                raise ValueError(f"no run or crawl {wanted!r} in {', '.join(self.paths)} (runs: {known})")
            return chosen
        if not runs:
            return []
        started = {str(r["crawl"]): str(r.get("time", "")) for r in self.records if r["record"] == "crawl"}
        order = list(dict.fromkeys(runs.values()))  # ties on the start time: the later in the files
        last = max(
            order,
            key=lambda run: (min(started.get(c, "") for c, r in runs.items() if r == run), order.index(run)),
        )
        return [crawl for crawl, run in runs.items() if run == last]

    def of(self, crawl_ids: Collection[str]) -> list[dict[str, Any]]:
        """The records of these crawls, in order."""
        return [r for r in self.records if r.get("crawl") in crawl_ids]


def sum_stats(ends: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    """The numeric ``stats`` of ``totals`` records (None: a crawl that did not finish), added up."""
    summed: dict[str, float] = {}
    for end in ends:
        for key, value in ((end or {}).get("stats") or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                summed[key] = summed.get(key, 0) + value
    return dict(sorted(summed.items()))


def fetched(record: dict[str, Any]) -> bool:
    """A ``robots`` or ``document`` record of a fetch (not of a copy another worker fetched, read
    from the shared cache, nor of one kept while the cache was down): what counts as a fetch."""
    return str(record.get("copy", "fetched")) == "fetched"


def count_documents(records: Iterable[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Per document kind (``robots.txt``, ``tdmrep.json``, ``rsl``), its records by copy."""
    documents: dict[str, Counter[str]] = {}
    for record in records:
        if record["record"] in ("robots", "document"):
            kind = "robots.txt" if record["record"] == "robots" else str(record.get("kind"))
            documents.setdefault(kind, Counter())[str(record.get("copy", "fetched"))] += 1
    return documents


def read_audit(paths: Iterable[Path]) -> AuditTrail:
    """Every whole record of every file; a line that is not a JSON record counts as broken."""
    trail = AuditTrail([], [], 0)
    for path in paths:
        trail.paths.append(str(path))
        with path.open("rb") as handle:
            for raw in handle:
                line = raw.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except (ValueError, UnicodeDecodeError):
                    trail.broken_lines += 1
                    continue
                if isinstance(record, dict) and "record" in record and record.get("crawl"):
                    trail.records.append(record)
                    trail.files.setdefault(str(record["crawl"]), str(path))
                else:
                    trail.broken_lines += 1
    return trail


def build_origins(records: Iterable[dict[str, Any]]) -> dict[str, Origin]:
    """Per-origin counts, robots.txt state and denial reasons of the given records (one crawl or
    several: each crawl's counts come from its totals record, its ``origin`` records, and, for a
    crawl that left no totals, what its request, response and item records show)."""
    origins: dict[str, Origin] = {}
    # Counts read off request, response and item records since the origin's last "origin"
    # record, per crawl: they stand in for the totals record when a killed crawl left none.
    unsettled: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    finished: dict[str, dict[str, Any]] = {}

    def origin(name: str) -> Origin:
        entry = origins.get(name)
        if entry is None:
            entry = origins[name] = Origin(name)
        return entry

    for record in records:
        kind = record["record"]
        crawl = str(record.get("crawl"))
        if kind == "robots":
            origin(record["origin"]).robots = record
        elif kind == "origin":
            # A bounded crawl dropped this origin's counts from memory: they are settled here.
            origin(record["origin"]).counts.update(record.get("counts") or {})
            unsettled.pop((crawl, record["origin"]), None)
        elif kind in ("request", "response", "recheck"):
            url = record.get("url")
            name = record.get("origin") or (origin_of(url) if isinstance(url, str) and url else NO_ORIGIN)
            entry = origin(name)
            unsettled[(crawl, name)].update(_counted(record))
            if (kind, record.get("action")) in _DENIALS:
                for source in record.get("denied_by", []):
                    entry.sources[source] += 1
                for evidence in record.get("evidence", []):
                    if (
                        record.get("purpose") in evidence.get("effects", {})
                        and evidence["effects"][record["purpose"]] == "deny"
                    ):
                        entry.add_reason(evidence)
        elif kind == "item":
            name = record.get("origin") or NO_ORIGIN
            entry = origin(name)
            unsettled[(crawl, name)].update(_counted(record))
            for source in record.get("denied_by", []):
                entry.sources[f"item:{source}"] += 1
            for reason in record.get("reasons") or []:
                entry.add_reason({"source": "item", "rule": reason, "location": "", "detail": ""})
        elif kind == "totals":
            finished[crawl] = record
    for totals in finished.values():
        for name, counts in (totals.get("origins") or {}).items():
            origin(name).counts.update(counts)
    for (crawl, name), counts in unsettled.items():
        if crawl not in finished:  # without the totals, count what the records show
            origin(name).counts.update(counts)
    return origins


def load_report(paths: Path | Sequence[Path], run_id: str | None = None) -> Report:
    """One run, read from one audit file or from the files of its workers (scrapy-redis)."""
    trail = read_audit([paths] if isinstance(paths, Path) else paths)
    chosen = trail.select(run_id)
    records = trail.of(set(chosen))
    runs = trail.runs
    report = Report(
        trail.paths,
        runs[chosen[0]] if chosen else None,
        [],
        build_origins(records),
        list(dict.fromkeys(runs.values())),
        trail.broken_lines,
    )
    by_crawl: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_crawl[str(record["crawl"])].append(record)
    report.documents = count_documents(records)
    for crawl in chosen:
        mine = by_crawl[crawl]
        start = next((r for r in mine if r["record"] == "crawl"), None)
        totals = next((r for r in reversed(mine) if r["record"] == "totals"), None)
        charges = [r for r in mine if r["record"] == "charge"]
        worker = start.get("worker") if start else None
        report.workers.append(Worker(trail.files.get(crawl, ""), crawl, worker, start, totals, charges))
    return report


def spending(
    ends: Sequence[dict[str, Any] | None], charges: Sequence[dict[str, Any]], declined: int
) -> dict[str, Any]:
    """Pay-per-crawl spending of the crawls whose ``totals`` records are ``ends`` (None for a crawl
    that did not finish), in total and per origin: the totals' ``pay`` blocks when every crawl left
    one, else the sum of the ``charge`` records. ``declined`` pages come from the stats. Money
    stays decimal text. Shared with ``policyguard summary``."""
    pays = [end["pay"] for end in ends if end and isinstance(end.get("pay"), dict)]
    if pays and len(pays) == len(ends):
        return {"source": "totals", "declined": declined, **_sum_pays(pays)}
    return {"source": "charge records", "declined": declined, **_sum_charges(charges)}


def met_a_price(pay: dict[str, Any]) -> bool:
    """Whether the crawl met any pay-per-crawl price (paid, declined, or billing unknown): the
    renderings show spending only then."""
    return bool(pay["pages"] or pay["declined"] or _decimal(pay.get("unsettled") or 0))


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def _sum_pays(pays: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``pay`` blocks of several workers' totals, added up (money as decimal text)."""
    charged: dict[str, Decimal] = defaultdict(Decimal)
    origins: dict[str, dict[str, Any]] = {}
    for pay in pays:
        for currency, amount in (pay.get("charged") or {}).items():
            charged[currency] += _decimal(amount)
        for origin, account in (pay.get("origins") or {}).items():
            entry = origins.setdefault(origin, {"charged": defaultdict(Decimal), "pages": 0})
            for currency, amount in (account.get("charged") or {}).items():
                entry["charged"][currency] += _decimal(amount)
            entry["pages"] += account.get("pages", 0)
    return {
        "simulated": any(pay.get("simulated") for pay in pays),
        "pages": sum(pay.get("pages", 0) for pay in pays),
        "charged": {c: format(a, "f") for c, a in sorted(charged.items())},
        "unsettled": format(sum((_decimal(pay.get("unsettled", 0)) for pay in pays), Decimal(0)), "f"),
        "origins": {
            origin: {"charged": {c: format(a, "f") for c, a in e["charged"].items()}, "pages": e["pages"]}
            for origin, e in sorted(origins.items())
        },
    }


def _sum_charges(charges: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Spending added up from ``charge`` records (paid ones; would-pay ones in an audit-mode crawl)."""
    simulated = any(c.get("action") == "would-pay" for c in charges)
    counted = "would-pay" if simulated else "paid"
    total: dict[str, Decimal] = defaultdict(Decimal)
    origins: dict[str, dict[str, Any]] = {}
    pages = 0
    for charge in charges:
        if charge.get("action") != counted:
            continue
        amount = charge.get("charged") if counted == "paid" else charge.get("price")
        currency = charge.get("charged_currency") or charge.get("currency") or "?"
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            continue
        pages += 1
        total[currency] += value
        entry = origins.setdefault(str(charge.get("origin")), {"charged": defaultdict(Decimal), "pages": 0})
        entry["charged"][currency] += value
        entry["pages"] += 1
    return {
        "simulated": simulated,
        "pages": pages,
        "charged": {c: format(a, "f") for c, a in sorted(total.items())},
        "unsettled": None,
        "origins": {
            origin: {"charged": {c: format(a, "f") for c, a in e["charged"].items()}, "pages": e["pages"]}
            for origin, e in sorted(origins.items())
        },
    }
