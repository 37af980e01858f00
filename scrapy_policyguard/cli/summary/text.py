"""The compliance summary for a terminal, and the byte sizes every rendering writes."""

from __future__ import annotations

from typing import Any

from ..report.text import pay_lines
from .model import Summary

__all__ = ["render_text", "size"]


def size(count: int) -> str:
    """Bytes for people: ``1,234 B``, ``12.1 KiB``, ``3.40 MiB``, ``1.25 GiB``."""
    if count < 1024:
        return f"{count:,} B"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}" if value >= 10 else f"{value:.2f} {unit}"
    raise AssertionError("unreachable")


def _domain_rows(domains: list[dict[str, Any]]) -> list[str]:
    width = max((len(d["domain"]) for d in domains), default=6)
    lines = [f"    {'domain':<{width}}  {'bytes kept':>12}  {'responses':>9}  {'items':>6}  withheld"]
    lines += [
        f"    {d['domain']:<{width}}  {size(d['bytes']):>12}  {d['responses']:>9}  {d['items']:>6}  "
        f"{size(d['bytes_withheld']) if d['bytes_withheld'] else '-'}"
        for d in domains
    ]
    return lines


def _recheck_lines(recheck: dict[str, Any]) -> list[str]:
    why = ", ".join(f"{source} {count}" for source, count in recheck["removed_by"].items())
    period, captured = recheck["period"], recheck["captured"]
    lines = [
        "",
        f"Re-checked data (policyguard recheck; no page was fetched): {recheck['captures']} captures of data "
        f"collected before checked against today's opt-outs: {recheck['kept']} kept, {recheck['removed']} "
        f"removed" + (f" ({why})" if why else ""),
        f"  re-checked {period['start'] or '-'} to {period['end'] or '-'}"
        + (f"; audited captures made {captured['start']} to {captured['end']}" if captured["start"] else ""),
    ]
    width = max((len(d["domain"]) for d in recheck["domains"]), default=6)
    lines.append(f"    {'domain':<{width}}  {'kept':>8}  {'removed':>8}")
    lines += [
        f"    {d['domain']:<{width}}  {d['captures_kept']:>8}  {d['captures_removed']:>8}"
        for d in recheck["domains"]
    ]
    return lines


def render_text(summary: Summary) -> str:
    data = summary.to_dict()
    run, totals, rule = data["run"], data["totals"], data["run"]["top_domains_rule"]
    out = [
        "scrapy-policyguard compliance summary (evidence from the crawl; not a statement of compliance)",
        f"files: {', '.join(run['files'])}",
        f"crawls: {len(run['crawls'])}  purposes: {', '.join(run['purposes']) or '-'}  "
        f"modes: {', '.join(run['modes']) or '-'}",
    ]
    out.append("status: complete" if run["complete"] else "status: INCOMPLETE: " + "; ".join(run["problems"]))
    out += ["", "Crawlers (template 2.3 (i), purposes 2.3 (ii))"]
    for crawler in data["crawlers"]:
        out.append(
            f"  {crawler['token']}  User-Agent: {crawler['user_agent'] or '-'}  purposes: "
            f"{', '.join(crawler['purposes'])}  spiders: {', '.join(crawler['spiders'])}"
        )
    period = data["period"]
    if run["collected"]:
        out += [
            "",
            f"Period of data collection (template 2.3 (iv)): {period['start'] or '-'} to "
            f"{period['end'] or '-'}",
            "",
            f"Totals: {totals['requests_allowed']} requests sent, {totals['requests_denied']} not sent; "
            f"{totals['responses_kept']} responses kept for the purpose ({size(totals['bytes_kept'])}), "
            f"{totals['responses_withheld']} withheld ({size(totals['bytes_withheld'])}); "
            f"items: {totals['items_allowed']} kept, {totals['items_denied']} withheld, "
            f"{totals['items_dropped']} dropped; {totals['domains']} domains, "
            f"{totals['domains_with_content']} with content kept",
            *(pay_lines(data["pay"]) if "pay" in data else ()),
            "",
            f"Main domain names by size of content scraped (template 2.3 (vii)): the top {rule['share']:.0%}"
            + (f", at most {rule['max_domains']}" if rule["max_domains"] is not None else "")
            + f" of {rule['domains_with_content']} domains with content = {rule['listed']} listed, "
            f"{size(rule['bytes_covered'])} of {size(rule['bytes_kept'])}",
            *_domain_rows(data["top_domains"]),
            "",
            f"All domains ({len(data['domains'])}):",
            *_domain_rows(data["domains"]),
        ]
    else:
        out += [
            "",
            "Nothing was collected in this run: it re-checked data collected before, so it has no collection "
            "period (template 2.3 (iv)), totals or domain sizes (2.3 (vii)) of its own.",
        ]
    if "recheck" in data:
        out += _recheck_lines(data["recheck"])
    out += ["", "General-Purpose AI Code of Practice, copyright chapter: evidence per measure"]
    for measure in data["measures"]:
        out.append(f"  [{measure['measure']}] {measure['heading']}: {measure['status']}")
        out.append(f"    {measure['summary']}")
        evidence = measure["evidence"]
        for origin in evidence.get("unreachable_origins", []):
            effects = [f"{origin['requests_not_sent']} requests not sent"] if run["collected"] else []
            if origin["captures_removed"]:
                effects.append(f"{origin['captures_removed']} captures removed")
            out.append(f"    unreachable: {origin['origin']} ({origin['detail']}): {', '.join(effects)}")
        for protocol in evidence.get("protocols", []):
            counts = {k: v for k, v in protocol.items() if k not in ("source", "protocol", "read") and v}
            if counts:
                out.append(
                    f"    {protocol['source']}: "
                    + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
                )
        for listed in evidence.get("lists", []):
            out.append(
                f"    list {listed['file']}: {listed['entries']} domains, sha256 {str(listed['sha256'])[:16]}"
            )
        for page in evidence.get("denied_pages", [])[:10]:
            out.append(f"    paywalled: {page}")
    out += ["", "Sources:"] + [f"  {ref['title']}: {ref['url']}" for ref in run["references"]]
    return "\n".join(out)
