"""The report model: one crawl's audit trail read back, per origin, with the reasons for denials.

Reads the JSON Lines audit trail (records in adapters/audit.py). A file may hold several crawls
(the log is appended to); the last one is reported unless another is named. A log cut short by a
killed crawl, or with a broken last line, still gives a report, which says it is incomplete and
which figures it could not know. The text and HTML renderings read only :meth:`Report.to_dict`.

Reading files (:func:`read_audit`) and merging per-origin counts (:func:`build_origins`) are shared
with ``policyguard summary``, which reads every file of a run.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...adapters.accounting import NO_ORIGIN, TALLIES, ItemAction, OriginCount, RequestAction, ResponseAction
from ...adapters.audit import Record
from ...core.paths import origin_of

__all__ = ["COLUMNS", "AuditTrail", "Origin", "Report", "build_origins", "load_report", "read_audit"]


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
class Report:
    path: str
    crawl: dict[str, Any] | None
    totals: dict[str, Any] | None
    origins: dict[str, Origin]
    crawls_in_file: list[str]
    broken_lines: int
    records: int

    @property
    def complete(self) -> bool:
        return self.totals is not None and self.broken_lines == 0

    def problems(self) -> list[str]:
        found = []
        if self.crawl is None:
            found.append("no crawl record: the start of the log is missing")
        if self.totals is None:
            found.append("no totals record: the crawl did not finish (killed or still running)")
        if self.broken_lines:
            found.append(f"{self.broken_lines} line(s) could not be read (cut short or corrupt)")
        return found

    def stats(self) -> dict[str, Any]:
        return dict(self.totals.get("stats", {})) if self.totals else {}

    def to_dict(self, top: int = 5) -> dict[str, Any]:
        crawl = self.crawl or {}
        return {
            "audit_log": self.path,
            "complete": self.complete,
            "problems": self.problems(),
            "crawl": {
                "id": crawl.get("crawl"),
                "spider": crawl.get("spider"),
                "purpose": crawl.get("purpose"),
                "mode": crawl.get("mode"),
                "user_agent": (crawl.get("user_agent") or {}).get("token"),
                "started": crawl.get("time"),
                "finished": self.totals.get("time") if self.totals else None,
                "finish_reason": self.totals.get("finish_reason") if self.totals else None,
                "plugin_version": crawl.get("version"),
                "rules": crawl.get("rules", []),
            },
            "crawls_in_file": self.crawls_in_file,
            "stats": self.stats(),
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


_ACTIONS: dict[str, Any] = {"request": RequestAction, "response": ResponseAction, "item": ItemAction}


@dataclass
class AuditTrail:
    """The records of one or more audit files, in file order: what ``report`` and ``summary`` read.

    A file may hold several crawls (the log is appended to), and one run may span several files
    (one per worker): records keep their ``crawl`` id, and :meth:`of` picks the crawls to use.
    """

    paths: list[str]
    records: list[dict[str, Any]]
    broken_lines: int

    @property
    def crawls(self) -> list[str]:
        """The crawl ids, in the order they first appear."""
        return list(dict.fromkeys(str(r["crawl"]) for r in self.records if r.get("crawl")))

    def of(self, crawl_ids: Collection[str]) -> list[dict[str, Any]]:
        """The records of these crawls, in order."""
        return [r for r in self.records if r.get("crawl") in crawl_ids]


def read_audit(paths: Iterable[Path]) -> AuditTrail:
    """Every whole record of every file; a line that is not a JSON record counts as broken."""
    records: list[dict[str, Any]] = []
    broken = 0
    names = []
    for path in paths:
        names.append(str(path))
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
                if isinstance(record, dict) and "record" in record:
                    records.append(record)
                else:
                    broken += 1
    return AuditTrail(names, records, broken)


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
        elif kind in ("request", "response"):
            url = record.get("url")
            name = origin_of(url) if isinstance(url, str) and url else NO_ORIGIN
            entry = origin(name)
            unsettled[(crawl, name)].update(_counted(record))
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


def load_report(path: Path, crawl_id: str | None = None) -> Report:
    trail = read_audit([path])
    crawls = trail.crawls
    chosen = crawl_id or (crawls[-1] if crawls else None)
    if crawl_id and crawl_id not in crawls:
        raise ValueError(f"no crawl {crawl_id!r} in {path} (crawls: {', '.join(crawls) or 'none'})")
    mine = trail.of({chosen}) if chosen else []
    crawl = next((r for r in mine if r["record"] == "crawl"), None)
    totals = next((r for r in reversed(mine) if r["record"] == "totals"), None)
    return Report(str(path), crawl, totals, build_origins(mine), crawls, trail.broken_lines, len(mine))
