"""The report model: one crawl's audit trail read back, per origin, with the reasons for denials.

Reads the JSON Lines audit trail (records in adapters/audit.py). A file may hold several crawls
(the log is appended to); the last one is reported unless another is named. A log cut short by a
killed crawl, or with a broken last line, still gives a report, which says it is incomplete and
which figures it could not know. The text and HTML renderings read only :meth:`Report.to_dict`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ...adapters.accounting import NO_ORIGIN, TALLIES, ItemAction, OriginCount, RequestAction, ResponseAction
from ...adapters.audit import Record
from ...core.paths import origin_of

__all__ = ["COLUMNS", "Report", "Worker", "load_report", "read_records"]


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
    records: int
    documents: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> copy -> count

    @property
    def path(self) -> str:
        return ", ".join(self.paths)

    @property
    def crawl(self) -> dict[str, Any] | None:
        return next((w.crawl_record for w in self.workers if w.crawl_record is not None), None)

    @property
    def complete(self) -> bool:
        return (
            bool(self.workers) and all(w.totals is not None for w in self.workers) and not self.broken_lines
        )

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
        summed: dict[str, float] = {}
        for worker in self.workers:
            for key, value in ((worker.totals or {}).get("stats") or {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    summed[key] = summed.get(key, 0) + value
        return dict(sorted(summed.items()))

    def pay(self) -> dict[str, Any]:
        """Pay-per-crawl spending, in total and per origin: the ``totals`` record's, or (a crawl
        that did not finish) the sum of its ``charge`` records. Money stays decimal text."""
        declined = self.stats().get("policyguard/pay/declined", 0)
        pays = [w.totals["pay"] for w in self.workers if w.totals and isinstance(w.totals.get("pay"), dict)]
        if pays and len(pays) == len(self.workers):
            return {"source": "totals", "declined": declined, **_sum_pays(pays)}
        charges = [charge for worker in self.workers for charge in worker.charges]
        return {"source": "charge records", "declined": declined, **_sum_charges(charges)}

    def to_dict(self, top: int = 5) -> dict[str, Any]:
        crawl = self.crawl or {}
        started = [
            w.crawl_record["time"] for w in self.workers if w.crawl_record and "time" in w.crawl_record
        ]
        finished = [w.totals["time"] for w in self.workers if w.totals and "time" in w.totals]
        reasons = sorted(
            {
                str(w.totals["finish_reason"])
                for w in self.workers
                if w.totals and w.totals.get("finish_reason")
            }
        )
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
    (OriginCount.REQUESTS_OVERRIDDEN, "overrides"),
    (OriginCount.ITEMS_ALLOWED, "items allowed"),
    (OriginCount.ITEMS_DENIED, "items kept, denied"),
    (OriginCount.ITEMS_DROPPED, "items dropped"),
)


def _counted(record: dict[str, Any]) -> tuple[OriginCount, ...]:
    """The per-origin counts one record stands for (the ledger's table), for logs without totals."""
    try:
        tally = TALLIES[(Record(record["record"]), _ACTIONS[record["record"]](record.get("action")))]
    except (KeyError, ValueError):
        return ()
    return tally.origin


_ACTIONS: dict[str, Any] = {"request": RequestAction, "response": ResponseAction, "item": ItemAction}


def read_records(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The records of one audit file, and how many lines could not be read."""
    records: list[dict[str, Any]] = []
    broken = 0
    with path.open("rb") as handle:
        for raw in handle:
            line = raw.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except (ValueError, UnicodeDecodeError):
                broken += 1
                continue
            if isinstance(record, dict) and "record" in record and record.get("crawl"):
                records.append(record)
            else:
                broken += 1
    return records, broken


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


def _sum_charges(charges: list[dict[str, Any]]) -> dict[str, Any]:
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


def load_report(paths: Path | Sequence[Path], run_id: str | None = None) -> Report:
    """One run, read from one audit file or from the files of its workers (scrapy-redis).

    A run is the crawls that share a ``run`` id (every worker of a crawl; a log written before
    run ids existed counts each crawl as its own run); the last run started is reported unless
    ``run_id`` names another (a run id or a crawl id).
    """
    files = [paths] if isinstance(paths, Path) else list(paths)
    crawl_records: dict[str, tuple[str, dict[str, Any]]] = {}  # crawl id -> (file, crawl record)
    by_crawl: dict[str, list[dict[str, Any]]] = defaultdict(list)
    crawl_files: dict[str, str] = {}
    broken = 0
    for path in files:
        records, unreadable = read_records(path)
        broken += unreadable
        for record in records:
            crawl_id = str(record["crawl"])
            by_crawl[crawl_id].append(record)
            crawl_files.setdefault(crawl_id, str(path))
            if record["record"] == "crawl":
                crawl_records[crawl_id] = (str(path), record)
    run_of = {crawl_id: str(rec.get("run") or crawl_id) for crawl_id, (_, rec) in crawl_records.items()}
    for crawl_id in by_crawl:
        run_of.setdefault(crawl_id, crawl_id)
    runs = sorted(set(run_of.values()), key=lambda run: _started(run, run_of, crawl_records))
    if run_id is not None:
        chosen = run_id if run_id in runs else run_of.get(run_id)
        if chosen is None:
            where = ", ".join(map(str, files))
            raise ValueError(f"no run or crawl {run_id!r} in {where} (runs: {', '.join(runs) or 'none'})")
    else:
        chosen = runs[-1] if runs else None
    report = Report([str(p) for p in files], chosen, [], {}, runs, broken, 0)
    for crawl_id in (c for c in by_crawl if run_of[c] == chosen):
        _add_worker(report, crawl_id, crawl_files[crawl_id], crawl_records.get(crawl_id), by_crawl[crawl_id])
    return report


def _started(run: str, run_of: dict[str, str], crawl_records: dict[str, tuple[str, dict[str, Any]]]) -> str:
    times = [str(rec.get("time", "")) for cid, (_, rec) in crawl_records.items() if run_of[cid] == run]
    return min(times) if times else ""


def _add_worker(
    report: Report,
    crawl_id: str,
    file: str,
    crawl: tuple[str, dict[str, Any]] | None,
    records: list[dict[str, Any]],
) -> None:
    """One worker's records into the report: per-origin counts, reasons, documents."""
    record_of_crawl = crawl[1] if crawl is not None else None
    totals = next((r for r in reversed(records) if r["record"] == "totals"), None)
    worker = record_of_crawl.get("worker") if record_of_crawl else None
    charges = [r for r in records if r["record"] == "charge"]
    report.workers.append(Worker(file, crawl_id, worker, record_of_crawl, totals, charges))
    report.records += len(records)
    origins = report.origins
    unsettled: dict[str, Counter[str]] = defaultdict(Counter)

    def origin(name: str) -> Origin:
        entry = origins.get(name)
        if entry is None:
            entry = origins[name] = Origin(name)
        return entry

    for record in records:
        kind = record["record"]
        if kind in ("robots", "document"):
            document = "robots.txt" if kind == "robots" else str(record.get("kind"))
            report.documents.setdefault(document, Counter())[str(record.get("copy", "fetched"))] += 1
            if kind == "robots":
                origin(record["origin"]).robots = record
        elif kind == "origin":
            # A bounded crawl dropped this origin's counts from memory: they are settled here.
            origin(record["origin"]).counts.update(record.get("counts") or {})
            unsettled.pop(record["origin"], None)
        elif kind in ("request", "response"):
            url = record.get("url")
            entry = origin(origin_of(url) if isinstance(url, str) and url else NO_ORIGIN)
            unsettled[entry.origin].update(_counted(record))
            if record.get("action") in ("blocked", "would-block", "marked"):
                for source in record.get("denied_by", []):
                    entry.sources[source] += 1
                for evidence in record.get("evidence", []):
                    if (
                        record.get("purpose") in evidence.get("effects", {})
                        and evidence["effects"][record["purpose"]] == "deny"
                    ):
                        entry.add_reason(evidence)
        elif kind == "item":
            entry = origin(record.get("origin") or NO_ORIGIN)
            unsettled[entry.origin].update(_counted(record))
            for source in record.get("denied_by", []):
                entry.sources[f"item:{source}"] += 1
            for reason in record.get("reasons") or []:
                entry.add_reason({"source": "item", "rule": reason, "location": "", "detail": ""})
    if totals is not None:
        for name, counts in (totals.get("origins") or {}).items():
            origin(name).counts.update(counts)
    else:  # without the totals, count what the records show
        for name, counts in unsettled.items():
            origin(name).counts.update(counts)
