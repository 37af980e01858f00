"""The audit report for a terminal: crawl header, totals, a table per origin, the main reasons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .model import COLUMNS, Report, met_a_price

__all__ = ["pay_lines", "render_text"]


def _money(charged: dict[str, str]) -> str:
    return ", ".join(f"{currency} {amount}" for currency, amount in charged.items()) or "nothing"


def pay_lines(pay: dict[str, Any]) -> list[str]:
    """Pay-per-crawl spending, in total and per origin; nothing when the crawl met no price."""
    if not met_a_price(pay):
        return []
    verb = "would have been paid" if pay["simulated"] else "paid"
    summary = (
        f"pay-per-crawl: {pay['pages']} page(s) {verb}, {_money(pay['charged'])}; {pay['declined']} declined"
    )
    unsettled = pay.get("unsettled")
    if unsettled and Decimal(unsettled):
        summary += f"; {unsettled} unsettled (sent with a price, billing unknown)"
    lines = ["", summary]
    for origin, entry in pay["origins"].items():
        lines.append(f"  {origin}  {_money(entry['charged'])} ({entry['pages']} page(s))")
    return lines


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
    if len(data["workers"]) > 1:
        finished = sum(1 for w in data["workers"] if w["complete"])
        out.append(f"{len(data['workers'])} workers ({finished} finished), one run merged")
    documents = data["documents"]
    if documents:
        out.append(
            "documents: "
            + ", ".join(
                f"{kind} {copies.get('fetched', 0)} fetched"
                + (f", {copies['shared']} read from the shared cache" if copies.get("shared") else "")
                for kind, copies in documents.items()
            )
        )
    if len(data["crawls_in_file"]) > 1:
        out.append(f"(the files hold {len(data['crawls_in_file'])} runs; use --crawl ID for another)")
    stats = data["stats"]
    if stats:
        out.append("")
        out.append(
            "totals: "
            + ", ".join(
                f"{k.removeprefix('policyguard/')}={v}" for k, v in stats.items() if k.count("/") <= 2
            )
        )
    out.extend(pay_lines(data["pay"]))
    used = [(key, title) for key, title in COLUMNS if any(o["counts"].get(key) for o in data["origins"])]
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
