"""``policyguard report AUDIT.jsonl``: what a crawl fetched, blocked, kept and dropped, and why.

Reads the JSON Lines audit trail (see adapters/audit.py for the records). A file may hold several
crawls (the log is appended to); the last one is reported unless ``--crawl`` names another. A log
cut short by a killed crawl, or with a broken last line, still gives a report, which says it is
incomplete and which figures it could not know.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Report", "load_report", "register"]


def register(commands: Any) -> None:
    p = commands.add_parser("report", help="summarise an audit trail (terminal, --json or --html)")
    p.add_argument("audit", type=Path, help="the JSON Lines audit log")
    p.add_argument("--crawl", help="the crawl id to report (default: the last crawl in the file)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML page")
    p.add_argument("--top", type=int, default=5, help="reasons shown per origin (default 5)")
    p.set_defaults(run=run)


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


def _origin_of(url: str | None) -> str:
    if not url:
        return "(no response)"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


#: The per-origin counters a record stands for, as the totals record counts them.
_COUNTED = {
    ("request", "allowed"): ("requests_allowed",),
    ("request", "blocked"): ("requests_denied",),
    ("request", "would-block"): ("requests_allowed", "requests_would_deny"),
    ("request", "marked"): ("requests_allowed", "requests_marked"),
    ("request", "override"): ("requests_overridden",),
    ("response", "marked"): ("responses_denied",),
}


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
    crawls = list(dict.fromkeys(r.get("crawl") for r in records if r.get("crawl")))
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
        elif kind in ("request", "response"):
            entry = origin(_origin_of(record.get("url")))
            if totals is None:  # without the totals, count what the records show
                for key in _COUNTED.get((kind, record.get("action", "")), ()):
                    entry.counts[key] += 1
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
            entry = origin(record.get("origin") or _origin_of(record.get("url")))
            if totals is None:
                action = record.get("action")
                key = (
                    "items_dropped"
                    if action == "dropped"
                    else "items_allowed"
                    if record.get("allowed")
                    else "items_denied"
                )
                entry.counts[key] += 1
            for source in record.get("denied_by", []):
                entry.sources[f"item:{source}"] += 1
            for reason in record.get("reasons") or []:
                entry.add_reason({"source": "item", "rule": reason, "location": "", "detail": ""})
    if totals is not None:
        for name, counts in (totals.get("origins") or {}).items():
            origin(name).counts.update(counts)
    return Report(str(path), crawl, totals, dict(origins), [c for c in crawls if c], broken, len(mine))


_COLUMNS = [
    ("requests_allowed", "fetched"),
    ("requests_denied", "blocked"),
    ("requests_would_deny", "would block"),
    ("requests_marked", "fetched, use denied"),
    ("responses_denied", "denied by response"),
    ("requests_overridden", "overrides"),
    ("items_allowed", "items allowed"),
    ("items_denied", "items kept, denied"),
    ("items_dropped", "items dropped"),
]


def render_text(report: Report, top: int) -> str:
    data = report.to_dict(top)
    crawl = data["crawl"]
    out = [
        f"scrapy-policyguard audit report: {report.path}",
        f"crawl {crawl['id']}  spider {crawl['spider']}  purpose {crawl['purpose']}  mode {crawl['mode']}  "
        f"token {crawl['user_agent']}",
        f"started {crawl['started']}  finished {crawl['finished'] or '-'}"
        f" ({crawl['finish_reason'] or 'unknown'})",
    ]
    if report.complete:
        out.append("status: complete")
    else:
        out.append("status: INCOMPLETE: " + "; ".join(data["problems"]))
        out.append("        figures below come from the records present; allowed requests are not counted")
    if len(data["crawls_in_file"]) > 1:
        out.append(f"(this file holds {len(data['crawls_in_file'])} crawls; use --crawl ID for another)")
    stats = data["stats"]
    if stats:
        out.append("")
        out.append(
            "totals: "
            + ", ".join(
                f"{k.removeprefix('policyguard/')}={v}" for k, v in stats.items() if k.count("/") <= 2
            )
        )
    used = [(key, title) for key, title in _COLUMNS if any(o["counts"].get(key) for o in data["origins"])]
    width = max((len(o["origin"]) for o in data["origins"]), default=6)
    out.append("")
    out.append(f"{'origin':<{width}}  robots.txt   " + "  ".join(title for _, title in used))
    for entry in data["origins"]:
        robots = entry["robots"]
        state = f"{robots['state']} {robots['status'] or ''}".strip() if robots else "-"
        cells = "  ".join(f"{entry['counts'].get(key, 0):>{len(title)}}" for key, title in used)
        out.append(f"{entry['origin']:<{width}}  {state:<11}  {cells}")
    out.append("")
    out.append("main reasons:")
    for entry in data["origins"]:
        if not entry["reasons"]:
            continue
        out.append(f"  {entry['origin']}")
        for reason in entry["reasons"]:
            where = f" ({reason['location']})" if reason["location"] else ""
            out.append(f"    {reason['count']:>4} x [{reason['source']}] {reason['rule']}{where}")
            if reason["detail"]:
                out.append(f"           {reason['detail'][:160]}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    try:
        report = load_report(args.audit, args.crawl)
    except (OSError, ValueError) as exc:
        print(f"policyguard report: {exc}", file=sys.stderr)
        return 2
    if args.html:
        from .report_html import render_html

        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(render_html(report, args.top), encoding="utf-8")
    if args.json:
        json.dump(report.to_dict(args.top), sys.stdout, indent=2, default=str)
        print()
    else:
        print(render_text(report, args.top))
        if args.html:
            print(f"\nHTML report: {args.html}")
    return 0 if report.complete else 3
