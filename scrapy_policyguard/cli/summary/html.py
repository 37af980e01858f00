"""The compliance summary as one self-contained HTML page for reviewers: inline CSS and SVG, no
scripts, nothing loaded from elsewhere."""

from __future__ import annotations

from html import escape
from typing import Any

from ..report.html import CSS, bar_chart, pay_section, table
from .model import Summary
from .text import size

__all__ = ["render_html"]

#: Domains the chart shows: the listed ones, and the next largest for context up to this many.
CHART_ROWS = 15
_STATUS_CLASS = {"enforced": "ok", "information": "ok"}
_EXTRA_CSS = """
.measure{border:1px solid #ddd;border-radius:6px;padding:.2rem 1rem .6rem;margin:1rem 0}
.measure h3{margin:.6rem 0 .2rem}.tag{display:inline-block;padding:0 .5rem;border-radius:9px;font-size:.8em;
background:#fdf2d0;border:1px solid #e3c76b}.tag.ok{background:#eaf6ee;border-color:#9fd0ae}
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{color:#555}dd{margin:0}
"""


def _domains_table(domains: list[dict[str, Any]]) -> str:
    rows = [
        [
            f"<code>{escape(d['domain'])}</code>",
            escape(size(d["bytes"])),
            str(d["responses"]),
            str(d["items"]),
            escape(size(d["bytes_withheld"])) if d["bytes_withheld"] else "-",
            str(d["requests_denied"]) if d["requests_denied"] else "-",
            escape(", ".join(d["origins"])),
        ]
        for d in domains
    ]
    headers = ["domain", "content kept", "pages kept", "items kept", "withheld", "not fetched", "sites"]
    return table(headers, rows, {1, 2, 3, 4, 5})


def _evidence(measure: dict[str, Any], collected: bool) -> str:
    """A measure's evidence as tables; ``collected``: whether the run crawled (a re-check alone
    sends no page request)."""
    evidence = measure["evidence"]
    parts = []
    if evidence.get("unreachable_origins"):
        origins = evidence["unreachable_origins"]
        shown_counts = [
            (key, title)
            for key, title, shown in (
                ("requests_not_sent", "pages not fetched", collected),
                ("captures_removed", "captures removed", any(o["captures_removed"] for o in origins)),
            )
            if shown
        ]
        rows = [
            [
                f"<code>{escape(o['origin'])}</code>",
                escape(o["detail"]),
                *(str(o[key]) for key, _ in shown_counts),
            ]
            for o in origins
        ]
        parts.append(
            "<p class=small>Sites whose robots.txt could not be read: treated as closed to the crawler.</p>"
            + table(["site", "what happened", *(title for _, title in shown_counts)], rows, {2, 3})
        )
    if evidence.get("protocols"):
        protocols = evidence["protocols"]
        counted = [key for key in protocols[0] if key not in ("source", "protocol", "read")]
        # The kinds of decision the run made; one column when it made none.
        columns = [c for c in counted if any(p[c] for p in protocols)] or counted[:1]
        rows = [
            [
                escape(p["protocol"]) + ("" if p["read"] else " <i>(not read in this run)</i>"),
                *(str(p[c]) if p[c] else "-" for c in columns),
            ]
            for p in protocols
        ]
        parts.append(
            table(["signal", *(c.replace("_", " ") for c in columns)], rows, set(range(1, len(columns) + 1)))
        )
        fetched = evidence["documents_fetched"]
        parts.append(
            f"<p class=small>Site documents read: {fetched['tdmrep.json']} tdmrep.json files, "
            f"{fetched['rsl']} RSL licences.</p>"
        )
    if "lists" in evidence:
        rows = [
            [
                f"<code>{escape(str(item['file']))}</code>",
                str(item["entries"]),
                f"<code>{escape(str(item['sha256'])[:16])}</code>",
            ]
            for item in evidence["lists"]
        ]
        if rows:
            parts.append(table(["list", "domains", "sha256"], rows, {1}))
        if evidence["domains_excluded"]:
            parts.append(
                table(
                    ["listed domain", "requests not sent"],
                    [
                        [f"<code>{escape(d['domain'])}</code>", str(d["requests"])]
                        for d in evidence["domains_excluded"]
                    ],
                    {1},
                )
            )
    if evidence.get("denied_pages"):
        items = "".join(f"<li><code>{escape(url)}</code></li>" for url in evidence["denied_pages"][:20])
        parts.append(f"<p class=small>Paywalled pages withheld from AI use:</p><ul>{items}</ul>")
    if "crawlers" in evidence:
        rows = [
            [
                f"<code>{escape(c['token'])}</code>",
                f"<code>{escape(c['user_agent'] or '-')}</code>",
                escape(c["information_url"] or "-"),
            ]
            for c in evidence["crawlers"]
        ]
        parts.append(table(["product token", "User-Agent", "information page"], rows))
    return "".join(parts)


def _collection(data: dict[str, Any]) -> str:
    """When the crawls collected, how much, and the main domains by size (template 2.3 (iv), (vii));
    a re-check alone collected nothing, and says so."""
    run, totals, rule, period = data["run"], data["totals"], data["run"]["top_domains_rule"], data["period"]
    if not run["collected"]:
        return (
            "<h2>What was collected</h2><p>Nothing: this run re-checked data collected before (see "
            "<i>Re-checked data</i> below) and fetched no page, so it has no collection period (template "
            "section 2.3 (iv)) and no domain sizes (2.3 (vii)) of its own.</p>"
        )
    listed = {d["domain"] for d in data["top_domains"]}
    shown = data["domains"][: max(CHART_ROWS, len(listed))]
    chart_rows = [
        (d["domain"], {"top" if d["domain"] in listed else "other": d["bytes"]}) for d in shown if d["bytes"]
    ]
    chart = bar_chart(
        chart_rows,
        [("top", "listed in the summary", "#2e86c1"), ("other", "other domains", "#aab7b8")],
        size,
    )
    limit = f", at most {rule['max_domains']}" if rule["max_domains"] is not None else ""
    return f"""<h2>When</h2>
<p>Template section 2.3 (iv), period of data collection: from <b>{escape(str(period["start"] or "-"))}</b> to
<b>{escape(str(period["end"] or "-"))}</b> (the first and last record of the run's crawls).</p>
<dl><dt>pages fetched</dt><dd>{totals["requests_allowed"]}</dd><dt>pages not fetched (a rule forbids it)</dt>
<dd>{totals["requests_denied"]}</dd><dt>content kept for the purpose</dt><dd>{totals["responses_kept"]} pages,
{escape(size(totals["bytes_kept"]))}</dd><dt>content fetched but withheld</dt><dd>{totals["responses_withheld"]} pages,
{escape(size(totals["bytes_withheld"]))}</dd><dt>items kept / withheld / dropped</dt><dd>{totals["items_allowed"]} /
{totals["items_denied"]} / {totals["items_dropped"]}</dd></dl>
{pay_section(data["pay"]) if "pay" in data else ""}
<h2>Main domain names by size of content scraped</h2>
<p class="small">Template section 2.3 (vii): the top {rule["share"]:.0%}{escape(limit)} of all domain names, ranked by
the size of the content kept (bytes of the pages whose use the rules allow). Sites are grouped by registered
domain, so <code>en.wikipedia.org</code> and <code>de.wikipedia.org</code> count as <code>wikipedia.org</code>.
{rule["domains_with_content"]} domains gave content; {rule["listed"]} are listed, covering
{escape(size(rule["bytes_covered"]))} of {escape(size(rule["bytes_kept"]))}.</p>
{chart}
{_domains_table(data["top_domains"])}
"""


def _recheck_section(recheck: dict[str, Any]) -> str:
    """Captures of data collected before, kept or removed by today's opt-outs (``policyguard recheck``)."""
    period, captured = recheck["period"], recheck["captured"]
    dates = (
        f" The captures the audit trail records were made from {escape(captured['start'])} to "
        f"{escape(captured['end'])}."
        if captured["start"]
        else ""
    )
    sources = ", ".join(
        f"<code>{escape(source)}</code> {count}" for source, count in recheck["removed_by"].items()
    )
    rows = [
        [f"<code>{escape(d['domain'])}</code>", str(d["captures_kept"]), str(d["captures_removed"])]
        for d in recheck["domains"]
    ]
    return (
        "<h2>Re-checked data</h2>"
        f"<p>From {escape(str(period['start'] or '-'))} to {escape(str(period['end'] or '-'))}, "
        f"<code>policyguard recheck</code> checked <b>{recheck['captures']}</b> captures of data collected "
        f"before against what the sites say today, fetching their robots.txt and other site documents but "
        f"no page: <b>{recheck['kept']}</b> kept, <b>{recheck['removed']}</b> removed"
        + (f" (by {sources})" if sources else "")
        + f".{dates}</p>"
        + table(["domain", "captures kept", "captures removed"], rows, {1, 2})
    )


def render_html(summary: Summary) -> str:
    data = summary.to_dict()
    run = data["run"]
    status = (
        '<p class="ok">Every audit file of this run was complete: each crawl finished and every record could be read.</p>'
        if run["complete"]
        else '<p class="bad"><b>Incomplete audit trail.</b> ' + escape("; ".join(run["problems"])) + ".</p>"
    )
    if "audit" in run["modes"]:
        status += (
            '<p class="bad"><b>Audit mode.</b> At least one crawl ran in audit mode: what the rules deny was '
            "recorded but not blocked or removed.</p>"
        )
    crawler_rows = [
        [
            f"<code>{escape(c['token'])}</code>",
            f"<code>{escape(c['user_agent'] or '-')}</code>",
            escape(", ".join(c["purposes"])),
            escape(", ".join(c["spiders"])),
        ]
        for c in data["crawlers"]
    ]
    measures = "".join(
        f'<div class="measure"><h3>Measure {escape(m["measure"])}: {escape(m["heading"])} '
        f'<span class="tag {_STATUS_CLASS.get(m["status"], "")}">{escape(m["status"])}</span></h3>'
        f"<p>{escape(m['summary'])}</p>"
        + (f'<p class="small">Also answers: {escape(m["template"])}.</p>' if m.get("template") else "")
        + _evidence(m, run["collected"])
        + "</div>"
        for m in data["measures"]
    )
    references = "".join(
        f"<li>{escape(r['title'])}: <code>{escape(r['url'])}</code></li>" for r in run["references"]
    )
    crawls = "".join(
        f"<li><code>{escape(str(c['id']))}</code>: {escape(str(c['kind']))}, spider {escape(str(c['spider']))}, "
        f"purpose {escape(str(c['purpose']))}, mode {escape(str(c['mode']))}, {escape(str(c['started']))} to "
        f"{escape(str(c['finished'] or 'unfinished'))}</li>"
        for c in run["crawls"]
    )
    every_domain = f"<h2>Every domain</h2>{_domains_table(data['domains'])}" if run["collected"] else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Crawl compliance summary</title><style>{CSS}{_EXTRA_CSS}</style></head><body>
<h1>What this crawl collected, and what it respected</h1>
<p class="meta">A summary of {len(run["crawls"])} crawl(s) from {len(run["files"])} audit file(s), arranged as the EU
General-Purpose AI Code of Practice (copyright chapter) and the AI Act's template for the public summary of
training content ask. It is evidence from the crawl's own records, not a statement that anyone complies with the law.</p>
{status}
<h2>Who crawled, and why</h2>
<p class="small">Template section 2.3 (i) crawler names and (ii) purposes: the name the crawler gives itself in
robots.txt (product token) and in every request (User-Agent), and what the collected content is for.</p>
{table(["product token", "User-Agent", "purposes", "spiders"], crawler_rows)}
{_collection(data)}
{_recheck_section(data["recheck"]) if "recheck" in data else ""}
<h2>What the crawl respected</h2>
<p class="small">One section per measure of the Code of Practice (copyright chapter), with what the crawl recorded.</p>
{measures}
{every_domain}
<h2>Crawls and sources</h2>
<ul>{crawls}</ul>
<p class="small">Audit files: {escape(", ".join(run["files"]))}.</p>
<ul class="small">{references}</ul>
<p class="small">Generated by {escape(run["generated_by"])}.</p>
</body></html>
"""
