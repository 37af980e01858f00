"""The report model: one crawl's audit trail read back, per origin, with the reasons for denials.

Reads the JSON Lines audit trail (records in adapters/audit.py). A file may hold several crawls
(the log is appended to); the last one is reported unless another is named. A log cut short by a
killed crawl, or with a broken last line, still gives a report, which says it is incomplete and
which figures it could not know. The text and HTML renderings read only :meth:`Report.to_dict`.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
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

__all__ = ["COLUMNS", "Report", "load_report"]


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
    # Counts read off request, response and item records since the origin's last "origin"
    # record: they stand in for the totals record when a killed crawl left none.
    unsettled: Counter[str] = field(default_factory=Counter)

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
    (OriginCount.CAPTURES_KEPT, "captures kept"),
    (OriginCount.CAPTURES_REMOVED, "captures removed"),
)


def _counted(record: dict[str, Any]) -> tuple[OriginCount, ...]:
    """The per-origin counts one record stands for (the ledger's table), for logs without totals."""
    try:
        tally = TALLIES[(Record(record["record"]), _ACTIONS[record["record"]](record.get("action")))]
    except (KeyError, ValueError):
        return ()
    return tally.origin


_ACTIONS: dict[str, Any] = {
    "request": RequestAction,
    "response": ResponseAction,
    "item": ItemAction,
    "recheck": RecheckAction,
}
#: The actions of request, response and recheck records whose evidence explains a denial.
_DENIALS = frozenset(
    {RequestAction.BLOCKED, RequestAction.WOULD_BLOCK, RequestAction.MARKED, RecheckAction.REMOVED}
)


def load_report(path: Path, crawl_id: str | None = None) -> Report:
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
            if isinstance(record, dict) and "record" in record:
                records.append(record)
            else:
                broken += 1
    crawls: list[str] = list(dict.fromkeys(str(r["crawl"]) for r in records if r.get("crawl")))
    chosen = crawl_id or (crawls[-1] if crawls else None)
    if crawl_id and crawl_id not in crawls:
        raise ValueError(f"no crawl {crawl_id!r} in {path} (crawls: {', '.join(crawls) or 'none'})")
    mine = [r for r in records if r.get("crawl") == chosen]
    crawl = next((r for r in mine if r["record"] == "crawl"), None)
    totals = next((r for r in reversed(mine) if r["record"] == "totals"), None)
    origins: dict[str, Origin] = defaultdict(lambda: Origin(""))

    def origin(name: str) -> Origin:
        entry = origins[name]
        entry.origin = name
        return entry

    for record in mine:
        kind = record["record"]
        if kind == "robots":
            origin(record["origin"]).robots = record
        elif kind == "origin":
            # A bounded crawl dropped this origin's counts from memory: they are settled here.
            entry = origin(record["origin"])
            entry.counts.update(record.get("counts") or {})
            entry.unsettled.clear()
        elif kind in ("request", "response", "recheck"):
            url = record.get("url")
            name = record.get("origin") or (origin_of(url) if isinstance(url, str) and url else NO_ORIGIN)
            entry = origin(name)
            entry.unsettled.update(_counted(record))
            if record.get("action") in _DENIALS:
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
            entry.unsettled.update(_counted(record))
            for source in record.get("denied_by", []):
                entry.sources[f"item:{source}"] += 1
            for reason in record.get("reasons") or []:
                entry.add_reason({"source": "item", "rule": reason, "location": "", "detail": ""})
    if totals is not None:
        for name, counts in (totals.get("origins") or {}).items():
            origin(name).counts.update(counts)
    else:  # without the totals, count what the records show
        for entry in origins.values():
            entry.counts.update(entry.unsettled)
    return Report(str(path), crawl, totals, dict(origins), [c for c in crawls if c], broken, len(mine))
