"""Crawl cost three ways: no robots.txt checking, Scrapy's RobotsTxtMiddleware, policyguard.

    python benchmarks/crawl.py                      # narrow: 50 origins x 100 pages, 3 rounds
    python benchmarks/crawl.py --profile broad      # broad: 3,000 origins x 2 pages, 3 rounds
    python benchmarks/crawl.py --profile broad --curve   # memory at 1k/3k/6k/10k origins
    python benchmarks/crawl.py --quick              # tiny, to check the script runs

A LocalWeb of many virtual origins runs in its own process (so it has a core of its own). The same
crawl (every page of every origin, found by following links) runs in a fresh process per mode, the
modes alternating round after round so that machine noise hits them alike. Reported per mode:
pages per second (median of the rounds), process CPU time per page (``resource.getrusage``,
steadier than wall time on a shared machine), peak RSS, requests that were not pages; then the
ratios.

Profiles:

``narrow``  few origins, many pages: each origin has a generated robots.txt of a few hundred rules
            (AI-crawler groups, Content-Signal and Content-Usage lines); some have a tdmrep.json
            or an RSL licence; pages carry robots meta tags.
``broad``   the shape of crawls for AI data: many origins, two pages each, every origin serving
            Wikipedia's real robots.txt (benchmarks/data/robots/wikipedia.org.txt, 421 lines).
            By default each origin's copy differs by one Sitemap line, so no two files are
            identical and nothing can be shared between origins; ``--same-robots`` serves the very
            same bytes everywhere (as hosting platforms and multi-host sites do). Peak RSS per
            origin is reported over the no-robots baseline.

``--curve`` runs no-robots and policyguard (default POLICYGUARD_MAX_ORIGINS, and 500) at 1,000,
3,000, 6,000 and 10,000 origins, one round each, to show whether memory is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from measure import WebProcess, run_fresh

HERE = Path(__file__).resolve().parent

MODES = ("none", "scrapy", "policyguard")
TOKEN = "BenchBot"
PROFILES = {"narrow": (50, 100), "broad": (3000, 2)}
CURVE = (1000, 3000, 6000, 10000)


def host(index: int) -> str:
    return f"site{index}.bench"


def page(index: int, number: int, pages: int, meta_tags: bool) -> str:
    links = "".join(
        f'<li><a href="/articles/{(number + step) % pages}">next {step}</a></li>' for step in (1, 2, 3, 7)
    )
    meta = '<meta name="robots" content="noarchive">' if meta_tags and number % 10 == 3 else ""
    tdm = '<meta name="tdm-reservation" content="0">' if meta_tags and number % 10 == 5 else ""
    text = " ".join(f"word{(number * 31 + i) % 997}" for i in range(400))
    return (
        f"<!DOCTYPE html><html><head><title>Article {number} of {host(index)}</title>{meta}{tdm}</head>"
        f"<body><article><h1>Article {number}</h1><p>{text}</p><ul>{links}</ul></article></body></html>"
    )


def serve_narrow(web: Any, origins: int, pages: int) -> None:
    from corpus import realistic_robots

    from scrapy_policyguard.demo.web import Reply

    for i in range(origins):
        name = host(i)
        robots = realistic_robots(i, rules=150 + (i * 37) % 200, block_ai="/private/")
        if i % 10 == 0:
            robots = f"License: http://{name}/license.xml\n" + robots
            web.add(
                name,
                "/license.xml",
                Reply(
                    body='<rsl xmlns="https://rslstandard.org/rsl"><content url="/private/"><license>'
                    '<prohibits type="usage">ai-train</prohibits></license></content></rsl>',
                    content_type="application/rsl+xml",
                ),
            )
        if i % 5 == 0:
            web.add(
                name,
                "/.well-known/tdmrep.json",
                Reply(
                    body='[{"location": "/private/", "tdm-reservation": 1}]', content_type="application/json"
                ),
            )
        web.add(name, "/robots.txt", robots)
        for n in range(pages):
            web.add(name, f"/articles/{n}", page(i, n, pages, meta_tags=True))


def serve_broad(web: Any, origins: int, pages: int, same_robots: bool) -> None:
    from scrapy_policyguard.demo.web import Reply

    real = (HERE / "data" / "robots" / "wikipedia.org.txt").read_bytes()

    def robots_of(name: str) -> Any:
        body = real if same_robots else real + f"\nSitemap: http://{name}/sitemap.xml\n".encode()
        return lambda seen: Reply(body=body, content_type="text/plain")

    for i in range(origins):
        name = host(i)
        web.add(name, "/robots.txt", robots_of(name))
        for n in range(pages):
            body = page(i, n, pages, meta_tags=False)
            web.add(name, f"/articles/{n}", lambda seen, body=body: Reply(body=body))


def build_web(web: Any, profile: str, origins: int, pages: int, same_robots: bool) -> None:
    """The web of one profile and size (served by measure.WebProcess)."""
    if profile == "narrow":
        serve_narrow(web, origins, pages)
    else:
        serve_broad(web, origins, pages, same_robots)


def worker(mode: str, proxy: str, origins: int, pages: int, max_origins: int | None) -> dict[str, Any]:
    """One crawl in this process; returns its figures."""
    os.environ["http_proxy"] = proxy
    os.environ.pop("no_proxy", None)
    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bench(scrapy.Spider):
        name = "bench"
        allowed_domains = [host(i) for i in range(origins)]

        async def start(self):  # type: ignore[no-untyped-def]
            for i in range(origins):
                yield scrapy.Request(f"http://{host(i)}/articles/0")

        def parse(self, response):  # type: ignore[no-untyped-def]
            yield {"url": response.url, "title": response.css("title::text").get()}
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href)

    settings: dict[str, Any] = {
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "RETRY_ENABLED": False,
        "COOKIES_ENABLED": False,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "USER_AGENT": f"{TOKEN}/1.0 (+https://example.org/bot)",
    }
    if mode == "none":
        settings["ROBOTSTXT_OBEY"] = False
    elif mode == "scrapy":
        settings.update(ROBOTSTXT_OBEY=True, ROBOTSTXT_USER_AGENT=TOKEN)
    else:
        settings.update(
            ADDONS={"scrapy_policyguard.Addon": 0},
            ROBOTSTXT_OBEY=True,
            POLICYGUARD_USER_AGENT=TOKEN,
            POLICYGUARD_PURPOSE="ai-train",
            POLICYGUARD_ITEM_ACTION="tag",
            # Wikipedia's file gives SemrushBot "Crawl-delay: 5" in a group that, read as RFC 9309
            # groups lines, also holds "User-agent: *": obeyed, every origin's second page would
            # wait 5 s. Scrapy's middleware ignores Crawl-delay, so it is off here: the modes
            # differ by the checking alone.
            POLICYGUARD_CRAWL_DELAY=False,
        )
        if max_origins is not None:
            settings["POLICYGUARD_MAX_ORIGINS"] = max_origins
    process = CrawlerProcess(settings, install_root_handler=False)
    crawler = process.create_crawler(Bench)
    process.crawl(crawler)
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    wall_start = time.perf_counter()
    process.start()
    wall = time.perf_counter() - wall_start
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    stats = crawler.stats.get_stats()
    pages_crawled = stats.get("response_received_count", 0) - stats.get("robotstxt/response_count", 0)
    documents = {
        "robots.txt": stats.get("policyguard/robots/fetched", stats.get("robotstxt/request_count", 0)),
        "tdmrep.json": stats.get("policyguard/tdmrep/fetched", 0),
        "rsl": stats.get("policyguard/rsl/fetched", 0),
    }
    pages_crawled -= (
        documents["tdmrep.json"]
        + documents["rsl"]
        + (documents["robots.txt"] if mode == "policyguard" else 0)
    )
    return {
        "mode": mode,
        "pages": pages_crawled,
        "items": stats.get("item_scraped_count", 0),
        "requests": stats.get("downloader/request_count", 0),
        "documents": documents,
        "wall_s": wall,
        "cpu_s": (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime),
        "max_rss_mib": cpu_end.ru_maxrss / 1024,
        "denied": stats.get("policyguard/requests/denied", stats.get("robotstxt/forbidden", 0)),
        "evicted": stats.get("policyguard/cache/evicted", 0),
    }


def run_worker(
    mode: str, proxy: str, origins: int, pages: int, max_origins: int | None = None
) -> dict[str, Any]:
    bound = ("--max-origins", max_origins) if max_origins is not None else ()
    argv = ("--worker", mode, "--proxy", proxy, "--origins", origins, "--pages", pages, *bound)
    return run_fresh(__file__, f"{mode} crawl", *argv)


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """The three modes, alternated round after round, on one web."""
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    with WebProcess(build_web, args.profile, args.origins, args.pages, args.same_robots) as proxy:
        for round_number in range(args.rounds):
            order = MODES[round_number % 3 :] + MODES[: round_number % 3]
            for mode in order:
                run = run_worker(mode, proxy, args.origins, args.pages, args.max_origins)
                results[mode].append(run)
                print(
                    f"  round {round_number + 1} {mode:<12} {run['pages'] / run['wall_s']:8.1f} pages/s "
                    f"{run['cpu_s'] * 1000 / max(run['pages'], 1):7.2f} CPU ms/page "
                    f"{run['max_rss_mib']:7.1f} MiB",
                    file=sys.stderr,
                )
    summary = {}
    for mode, runs in results.items():
        summary[mode] = {
            "pages": runs[0]["pages"],
            "pages_per_s": statistics.median(r["pages"] / r["wall_s"] for r in runs),
            "cpu_ms_per_page": statistics.median(r["cpu_s"] * 1000 / max(r["pages"], 1) for r in runs),
            "max_rss_mib": statistics.median(r["max_rss_mib"] for r in runs),
            "documents": runs[0]["documents"],
            "denied": runs[0]["denied"],
            "runs": runs,
        }
    pg, sc, no = summary["policyguard"], summary["scrapy"], summary["none"]
    for row in (sc, pg):
        row["rss_over_none_mib"] = row["max_rss_mib"] - no["max_rss_mib"]
        row["rss_per_origin_kib"] = row["rss_over_none_mib"] * 1024 / args.origins
    ratios = {
        "throughput_policyguard_vs_scrapy": pg["pages_per_s"] / sc["pages_per_s"],
        "throughput_policyguard_vs_none": pg["pages_per_s"] / no["pages_per_s"],
        "cpu_per_page_scrapy_vs_policyguard": sc["cpu_ms_per_page"] / pg["cpu_ms_per_page"],
        "cpu_per_page_policyguard_vs_none": pg["cpu_ms_per_page"] / no["cpu_ms_per_page"],
        "rss_over_none_policyguard_vs_scrapy": pg["rss_over_none_mib"] / sc["rss_over_none_mib"]
        if sc["rss_over_none_mib"] > 0
        else None,
    }
    return {"summary": summary, "ratios": ratios}


def curve(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Peak RSS against the number of origins, with the default bound and with ``curve_bound``
    (500; 4 in the quick run, so that origins are dropped and met again there too)."""
    rows = []
    for origins in args.curve_sizes:
        with WebProcess(build_web, args.profile, origins, args.pages, args.same_robots) as proxy:
            none = run_worker("none", proxy, origins, args.pages)
            default = run_worker("policyguard", proxy, origins, args.pages)
            bounded = run_worker("policyguard", proxy, origins, args.pages, args.curve_bound)
        row = {
            "origins": origins,
            "none_mib": none["max_rss_mib"],
            "policyguard_mib": default["max_rss_mib"],
            "bound": args.curve_bound,
            "policyguard_bounded_mib": bounded["max_rss_mib"],
            "bounded_evicted": bounded["evicted"],
            "bounded_denied": bounded["denied"],
        }
        rows.append(row)
        print(f"  {row}", file=sys.stderr)
    return rows


def print_compare(args: argparse.Namespace, result: dict[str, Any]) -> None:
    summary, ratios = result["summary"], result["ratios"]
    same = ", identical robots.txt on every origin" if args.same_robots else ""
    print(
        f"{args.profile}: {args.origins} origins x {args.pages} pages{same}, {args.rounds} rounds, "
        "modes alternating, medians"
    )
    print(
        f"{'mode':<13}{'pages':>7}{'pages/s':>10}{'CPU ms/page':>13}{'peak MiB':>10}{'KiB/origin':>12}"
        "  documents fetched (not pages)"
    )
    for mode, row in summary.items():
        docs = ", ".join(f"{k} {v}" for k, v in row["documents"].items() if v)
        per_origin = f"{row['rss_per_origin_kib']:>12.1f}" if "rss_per_origin_kib" in row else f"{'-':>12}"
        print(
            f"{mode:<13}{row['pages']:>7}{row['pages_per_s']:>10.1f}{row['cpu_ms_per_page']:>13.3f}"
            f"{row['max_rss_mib']:>10.1f}{per_origin}  {docs or '-'}"
        )
    rss = ratios["rss_over_none_policyguard_vs_scrapy"]
    print(
        f"\nthroughput policyguard / Scrapy-robots:        {ratios['throughput_policyguard_vs_scrapy']:.3f}"
        f"\nCPU per page Scrapy-robots / policyguard:      {ratios['cpu_per_page_scrapy_vs_policyguard']:.3f}"
        " (>= 1 means policyguard costs no more)"
        f"\nCPU per page policyguard / no robots:          {ratios['cpu_per_page_policyguard_vs_none']:.3f}"
        + (f"\nRSS over no-robots, policyguard / Scrapy-robots: {rss:.3f}" if rss is not None else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", choices=tuple(PROFILES), default="narrow")
    parser.add_argument("--origins", type=int, help="origins (default: 50 narrow, 3000 broad)")
    parser.add_argument("--pages", type=int, help="pages per origin (default: 100 narrow, 2 broad)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--same-robots", action="store_true", help="broad: identical robots.txt bytes")
    parser.add_argument("--max-origins", type=int, help="POLICYGUARD_MAX_ORIGINS for policyguard")
    parser.add_argument("--curve", action="store_true", help="peak RSS at 1k, 3k, 6k and 10k origins")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 round, to check the script runs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--proxy", help=argparse.SUPPRESS)
    args = parser.parse_args()
    default_origins, default_pages = PROFILES[args.profile]
    args.origins = args.origins or default_origins
    args.pages = args.pages or default_pages
    if args.worker:
        print(json.dumps(worker(args.worker, args.proxy, args.origins, args.pages, args.max_origins)))
        return
    args.curve_sizes, args.curve_bound = CURVE, 500
    if args.quick:
        args.origins, args.pages, args.rounds = (5, 10, 1) if args.profile == "narrow" else (10, 2, 1)
        args.curve_sizes, args.curve_bound = (10,), 4
    if args.curve:
        rows = curve(args)
        if args.json:
            print(
                json.dumps({"profile": args.profile, "pages_per_origin": args.pages, "curve": rows}, indent=2)
            )
            return
        print(f"{args.profile}: peak RSS (MiB) by origins, {args.pages} pages each")
        print(
            f"{'origins':>8}{'no robots':>11}{'policyguard':>13}{'max ' + str(args.curve_bound):>9}{'evicted':>9}"
        )
        for row in rows:
            print(
                f"{row['origins']:>8}{row['none_mib']:>11.1f}{row['policyguard_mib']:>13.1f}"
                f"{row['policyguard_bounded_mib']:>9.1f}{row['bounded_evicted']:>9}"
            )
        return
    result = compare(args)
    if args.json:
        print(
            json.dumps(
                {
                    "profile": args.profile,
                    "origins": args.origins,
                    "pages_per_origin": args.pages,
                    "same_robots": args.same_robots,
                    **result,
                },
                indent=2,
            )
        )
        return
    print_compare(args, result)


if __name__ == "__main__":
    main()
