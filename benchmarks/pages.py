"""What paywall detection adds to reading one HTML page's markup.

    python benchmarks/pages.py            # full run (about 20 seconds)
    python benchmarks/pages.py --quick    # a second, for the test suite
    python benchmarks/pages.py --json

Each page is parsed once (as Scrapy's selector does anyway) and its markup read by
``read_html`` with POLICYGUARD_PAYWALL = "ignore" (the baseline: robots meta, TDMRep, RSL links)
and = "deny" (the same plus the schema.org JSON-LD and microdata walk), alternated round by round
in this one invocation. Figures: median wall time per page (``perf_counter_ns``) and process CPU
time per page (``resource.getrusage``), with the machine's CPU and Python version.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from typing import Any

from measure import cpu_seconds, machine

from scrapy_policyguard.core.signals.html import parse_html, read_html
from scrapy_policyguard.core.signals.schema_org import PaywallMode

PARAGRAPH = "<p>" + "Harbour authorities still advise boat owners to check their moorings. " * 6 + "</p>"
JSON_LD = (
    '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",'
    ' "headline": "h", "isAccessibleForFree": false, "hasPart": {"@type": "WebPageElement",'
    ' "isAccessibleForFree": false, "cssSelector": ".paywall"}}</script>'
)
MICRODATA = '<meta itemprop="isAccessibleForFree" content="false">'


def page(paragraphs: int, links: int, head: str = "", itemscope: str = "", extra: str = "") -> str:
    nav = "".join(f'<li><a href="/news/{i}">Story {i}</a></li>' for i in range(links))
    body = PARAGRAPH * paragraphs
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title>'
        f'<meta name="robots" content="max-image-preview:large">{head}</head><body>'
        f"<nav><ul>{nav}</ul></nav><article {itemscope}>{extra}<h1>h</h1>{body}</article></body></html>"
    )


def pages() -> dict[str, str]:
    return {
        "article, no markup (5 KiB)": page(8, 20),
        "article, JSON-LD paywall (5 KiB)": page(8, 20, JSON_LD),
        "front page, JSON-LD paywall (100 KiB)": page(150, 400, JSON_LD),
        "article, microdata paywall (25 KiB)": page(
            40, 60, itemscope='itemscope itemtype="https://schema.org/NewsArticle"', extra=MICRODATA
        ),
    }


def measure(root: Any, mode: PaywallMode, calls: int) -> tuple[list[int], float]:
    times = []
    clock = time.perf_counter_ns
    gc.disable()
    cpu = cpu_seconds()
    for _ in range(calls):
        start = clock()
        read_html(root, url="https://news.example/a", own_token="BenchBot", paywall=mode)
        times.append(clock() - start)
    cpu = cpu_seconds() - cpu
    gc.enable()
    return times, cpu


def run(rounds: int, calls: int) -> list[dict[str, Any]]:
    rows = []
    for name, html in pages().items():
        root = parse_html(html)
        samples: dict[PaywallMode, list[int]] = {PaywallMode.IGNORE: [], PaywallMode.DENY: []}
        cpu = dict.fromkeys(samples, 0.0)
        for _ in range(rounds):
            for mode in samples:  # alternated, so both see the same machine
                times, spent = measure(root, mode, calls)
                samples[mode] += times
                cpu[mode] += spent
        base, full = (statistics.median(samples[m]) / 1000 for m in (PaywallMode.IGNORE, PaywallMode.DENY))
        total = rounds * calls
        rows.append(
            {
                "page": name,
                "kib": round(len(html.encode()) / 1024, 1),
                "paywalled": bool(read_html(root, url="https://n/", own_token="B").evidence),
                "median_us_without": round(base, 1),
                "median_us_with": round(full, 1),
                "added_us": round(full - base, 1),
                "cpu_us_without": round(cpu[PaywallMode.IGNORE] / total * 1e6, 1),
                "cpu_us_with": round(cpu[PaywallMode.DENY] / total * 1e6, 1),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rounds, calls = (1, 20) if args.quick else (5, 400)
    result = {
        "machine": machine(),
        "pages": run(rounds, calls),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"machine: {result['machine']['cpu']}, Python {result['machine']['python']}")
    print("read_html on a parsed page, without and with paywall detection (median wall; CPU per page)")
    print(f"  {'page':<40}{'size':>9}{'without':>10}{'with':>10}{'added':>9}{'cpu w/o':>10}{'cpu with':>10}")
    for r in result["pages"]:
        print(
            f"  {r['page']:<40}{r['kib']:>5.1f} KiB{r['median_us_without']:>8.1f}us{r['median_us_with']:>8.1f}us"
            f"{r['added_us']:>7.1f}us{r['cpu_us_without']:>8.1f}us{r['cpu_us_with']:>8.1f}us"
        )


if __name__ == "__main__":
    main()
