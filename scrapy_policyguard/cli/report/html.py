"""The audit report as one self-contained HTML page: inline CSS and SVG, no scripts, no fetches."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from ...adapters.accounting import OriginCount
from .model import COLUMNS, Report, met_a_price

__all__ = ["CSS", "bar_chart", "pay_section", "render_html", "table"]

_SERIES = [
    (OriginCount.REQUESTS_ALLOWED, "fetched", "#3b8c5a"),
    (OriginCount.REQUESTS_DENIED, "blocked before fetching", "#c0392b"),
    (OriginCount.REQUESTS_WOULD_DENY, "would be blocked (audit mode)", "#e67e22"),
    (OriginCount.REQUESTS_MARKED, "fetched, use denied", "#d4a017"),
    (OriginCount.RESPONSES_DENIED, "use denied by the response", "#8e44ad"),
]
_ITEM_SERIES = [
    (OriginCount.ITEMS_ALLOWED, "items allowed for the purpose", "#2e86c1"),
    (OriginCount.ITEMS_DENIED, "items kept but denied (quarantine)", "#d4a017"),
    (OriginCount.ITEMS_DROPPED, "items dropped", "#7f8c8d"),
]

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2327;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#555}.bad{background:#fdecea;border:1px solid #e0a39b;padding:.6rem 1rem;border-radius:6px}
.ok{background:#eaf6ee;border:1px solid #9fd0ae;padding:.6rem 1rem;border-radius:6px}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #eee;vertical-align:top}th{background:#f6f7f7}td.n{text-align:right;
font-variant-numeric:tabular-nums}.legend span{display:inline-block;margin-right:1rem}
.sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
code{background:#f3f3f3;padding:0 .25rem;border-radius:3px;font-size:.9em}.small{font-size:.85em;color:#555}
"""


def bar_chart(
    rows: Sequence[tuple[str, Mapping[str, int]]],
    series: Sequence[tuple[str, str, str]],
    fmt: Callable[[int], str] = str,
) -> str:
    """Horizontal stacked bars, one per row, as inline SVG; ``fmt`` writes the values."""
    if not rows:
        return "<p class=small>Nothing to chart.</p>"
    label_w, bar_w, row_h = 260, 560, 26
    top = max((sum(counts.get(k, 0) for k, _, _ in series) for _, counts in rows), default=0) or 1
    height = row_h * len(rows) + 10
    parts = [
        f'<svg role="img" width="{label_w + bar_w + 80}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (label, counts) in enumerate(rows):
        y = 5 + index * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label[:40])}</text>'
        )
        x = float(label_w)
        total = 0
        for key, title, colour in series:
            value = counts.get(key, 0)
            if not value:
                continue
            width = bar_w * value / top
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{max(width, 1):.1f}" height="{row_h - 8}" fill="{colour}">'
                f"<title>{escape(title)}: {escape(fmt(value))}</title></rect>"
            )
            x += width
            total += value
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 16}" font-size="12">{escape(fmt(total))}</text>')
    parts.append("</svg>")
    legend = "".join(
        f'<span><i class="sw" style="background:{c}"></i>{escape(t)}</span>' for _, t, c in series
    )
    return f'<div class="legend small">{legend}</div>' + "".join(parts)


def table(headers: list[str], rows: list[list[str]], numeric: frozenset[int] | set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=n' if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def pay_section(pay: dict[str, Any]) -> str:
    """Pay-per-crawl spending per site; empty when the crawl met no price."""
    if not met_a_price(pay):
        return ""

    def money(charged: Mapping[str, str]) -> str:
        return escape(", ".join(f"{c} {a}" for c, a in charged.items()) or "nothing")

    verb = "would have paid (audit mode: nothing was paid)" if pay["simulated"] else "paid"
    rows = [
        [f"<code>{escape(origin)}</code>", str(entry["pages"]), money(entry["charged"])]
        for origin, entry in pay["origins"].items()
    ]
    unsettled = pay.get("unsettled")
    unknown = (
        f" A further {escape(unsettled)} was offered for pages sent with a price whose billing is unknown."
        if unsettled and Decimal(unsettled)
        else ""
    )
    return (
        "<h2>Pay-per-crawl spending</h2>"
        f"<p>The crawl {verb} <b>{money(pay['charged'])}</b> for {pay['pages']} page(s), as billed in each "
        f"page's <code>crawler-charged</code> header; {pay['declined']} priced page(s) were declined "
        f"(above the price or budget limits, or refused by the site).{unknown}</p>"
        + table(["site", "pages paid", "charged"], rows, {1})
    )


def _workers_section(workers: list[dict[str, Any]], documents: Mapping[str, Mapping[str, int]]) -> str:
    """The files a run of several workers was merged from; empty for a crawl of one process."""
    if len(workers) < 2:
        return ""
    rows = [
        [
            escape(str(w["worker"] or "-")),
            f"<code>{escape(w['file'])}</code>",
            escape(str(w["finish_reason"] or "-")) if w["complete"] else "<b>cut short</b>",
        ]
        for w in workers
    ]
    copies = ", ".join(
        f"{escape(kind)}: {counts.get('fetched', 0)} fetched, {counts.get('shared', 0)} read from the shared cache"
        for kind, counts in documents.items()
    )
    finished = sum(1 for w in workers if w["complete"])
    return (
        f"<h2>Workers</h2><p>One run of {len(workers)} workers, {finished} of them finished; their audit "
        "files are merged: counts per site are summed, each document fetch is counted once, where the "
        f"worker that fetched it recorded it.{' Documents: ' + copies + '.' if copies else ''} A worker whose "
        "file ends without its totals record was cut short: its counts come from the records it wrote.</p>"
        + table(["worker", "audit file", "finished"], rows)
    )


def render_html(report: Report, top: int = 5) -> str:
    data = report.to_dict(top)
    crawl: dict[str, Any] = data["crawl"]
    origins = data["origins"]
    status = (
        '<p class="ok">This audit log is complete: the crawl finished and every record could be read.</p>'
        if report.complete
        else '<p class="bad"><b>Incomplete audit log.</b> '
        + escape("; ".join(data["problems"]))
        + ". The figures come from the records present; fetched pages are not counted.</p>"
    )
    # The columns some origin has a count in: a crawl has no recheck counts, a recheck no items.
    columns = [(key, title) for key, title in COLUMNS if any(o["counts"].get(key) for o in origins)]
    per_origin_rows = [
        [
            f"<code>{escape(o['origin'])}</code>",
            escape(f"{o['robots']['state']} ({o['robots']['status']})") if o["robots"] else "-",
            *(str(o["counts"].get(key, 0)) for key, _ in columns),
        ]
        for o in origins
    ]
    sources: dict[str, int] = {}
    for o in origins:
        for source, count in o["denials_by_source"].items():
            sources[source] = sources.get(source, 0) + count
    source_rows = [(s, {"n": n}) for s, n in sorted(sources.items(), key=lambda kv: -kv[1])]
    reasons_html = []
    for o in origins:
        if not o["reasons"]:
            continue
        rows = [
            [
                str(r["count"]),
                escape(r["source"]),
                f"<code>{escape(r['rule'])}</code>",
                escape(r["location"]),
                escape(r["detail"]),
            ]
            for r in o["reasons"]
        ]
        reasons_html.append(
            f"<h3><code>{escape(o['origin'])}</code></h3>"
            + table(["count", "source", "rule", "where", "meaning"], rows, {0})
        )
    rules = crawl.get("rules") or []
    rule_rows = [
        [
            escape(str(r.get("id", r.get("kind")))),
            escape(str(r.get("version", r.get("entries", "")))),
            f"<code class=small>{escape(str(r.get('sha256', ''))[:16])}</code>",
            escape(str(r.get("file", ""))),
        ]
        for r in rules
    ]
    stats_rows = [[escape(k.removeprefix("policyguard/")), str(v)] for k, v in data["stats"].items()]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Crawl policy report: {escape(str(crawl.get("spider")))}</title><style>{CSS}</style></head><body>
<h1>What this crawl was allowed to collect, and why</h1>
<p class="meta">Spider <b>{escape(str(crawl.get("spider")))}</b>, declared purpose <b>{
        escape(str(crawl.get("purpose")))
    }</b>
(the use the collected content is meant for), crawler name <code>{
        escape(str(crawl.get("user_agent")))
    }</code>,
mode {escape(str(crawl.get("mode")))}. Started {escape(str(crawl.get("started")))}, finished
{escape(str(crawl.get("finished") or "-"))}. Audit log <code>{escape(report.path)}</code>, crawl id
<code>{escape(str(crawl.get("id")))}</code>.</p>
{status}
{_workers_section(data["workers"], data["documents"])}
<h2>Decisions per site</h2>
<p class="small">For each website (origin): pages fetched, pages not fetched because a rule forbids it,
and the items (records of content) kept for the declared purpose or dropped.</p>
{bar_chart([(o["origin"], o["counts"]) for o in origins], _SERIES)}
{bar_chart([(o["origin"], o["counts"]) for o in origins], _ITEM_SERIES)}
{
        table(
            ["site", "robots.txt", *(title for _, title in columns)],
            per_origin_rows,
            set(range(2, 2 + len(columns))),
        )
    }
{pay_section(data["pay"])}
<h2>Decisions per source of the rule</h2>
<p class="small">Which kind of rule made the decisions: <code>robots.txt</code> (the site's crawling rules),
<code>robots-ai-groups</code> (the site blocks AI crawlers), <code>content-signal</code>,
<code>content-usage</code>, <code>tdmrep</code>, <code>rsl</code> (machine-readable AI-use reservations and
licences), <code>x-robots-tag</code> / <code>html-meta</code> (page-level opt-outs such as noai),
<code>terms</code> (the platform's terms of service), <code>pay-per-crawl</code> (a priced page not paid
for), <code>blocklist</code> (a list of copyright-infringing
websites) and <code>paywall</code> (the page declares a paywall); <code>item:</code> counts dropped items.</p>
{bar_chart(source_rows, [("n", "decisions", "#34495e")])}
<h2>Main reasons, with their evidence</h2>
{"".join(reasons_html) or "<p>No request or item was denied.</p>"}
<h2>Rules in force</h2>
{table(["rule set", "version", "sha256", "file"], rule_rows)}
<h2>All counters</h2>
{table(["counter", "value"], stats_rows, {1})}
<p class="small">Generated by scrapy-policyguard {escape(str(crawl.get("plugin_version")))}.</p>
</body></html>
"""
