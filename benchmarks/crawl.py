"""Crawl throughput three ways: no robots.txt checking, Scrapy's RobotsTxtMiddleware, policyguard.

    python benchmarks/crawl.py                   # 50 origins x 100 pages, 3 rounds (a few minutes)
    python benchmarks/crawl.py --quick           # tiny, to check the script runs
    python benchmarks/crawl.py --origins 60 --pages 120 --rounds 5 --json

A LocalWeb of many virtual origins runs in its own process (so it has a core of its own); each
origin has a realistic robots.txt of a few hundred lines (rules, AI-crawler groups that reserve
/private/, Content-Signal and Content-Usage lines), some have a tdmrep.json or an RSL licence, and
its HTML pages carry links and, on some, robots meta tags. The same crawl (every page of every
origin, found by following links) runs in a fresh process per mode, the modes alternating round
after round so that machine noise hits them alike. Reported per mode: pages per second (median of
the rounds), process CPU time per page (``resource.getrusage``, steadier than wall time on a
shared machine), requests that were not pages, and peak memory; then the ratios.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MODES = ("none", "scrapy", "policyguard")
TOKEN = "BenchBot"


def host(index: int) -> str:
    return f"site{index}.bench"


def page(index: int, number: int, pages: int) -> str:
    links = "".join(
        f'<li><a href="/articles/{(number + step) % pages}">next {step}</a></li>' for step in (1, 2, 3, 7)
    )
    meta = '<meta name="robots" content="noarchive">' if number % 10 == 3 else ""
    tdm = '<meta name="tdm-reservation" content="0">' if number % 10 == 5 else ""
    text = " ".join(f"word{(number * 31 + i) % 997}" for i in range(400))
    return (
        f"<!DOCTYPE html><html><head><title>Article {number} of {host(index)}</title>{meta}{tdm}</head>"
        f"<body><article><h1>Article {number}</h1><p>{text}</p><ul>{links}</ul></article></body></html>"
    )


def serve(origins: int, pages: int, conn: Any) -> None:
    """The server process: builds the web, reports its proxy URL, serves until told to stop."""
    from corpus import realistic_robots

    from scrapy_policyguard.demo.web import LocalWeb, Reply

    with LocalWeb() as web:
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
                        body='[{"location": "/private/", "tdm-reservation": 1}]',
                        content_type="application/json",
                    ),
                )
            web.add(name, "/robots.txt", robots)
            for n in range(pages):
                web.add(name, f"/articles/{n}", page(i, n, pages))
        conn.send(web.proxy_url)
        conn.recv()  # "stop"


def worker(mode: str, proxy: str, origins: int, pages: int) -> dict[str, Any]:
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
        )
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
    }


def run_worker(mode: str, proxy: str, origins: int, pages: int) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        mode,
        "--proxy",
        proxy,
        "--origins",
        str(origins),
        "--pages",
        str(pages),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--origins", type=int, default=50)
    parser.add_argument("--pages", type=int, default=100, help="pages per origin")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="5 origins x 10 pages, 1 round")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--proxy", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.proxy, args.origins, args.pages)))
        return
    if args.quick:
        args.origins, args.pages, args.rounds = 5, 10, 1
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    server = ctx.Process(target=serve, args=(args.origins, args.pages, there), daemon=True)
    server.start()
    proxy = here.recv()
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    try:
        for round_number in range(args.rounds):
            order = MODES[round_number % 3 :] + MODES[: round_number % 3]
            for mode in order:
                results[mode].append(run_worker(mode, proxy, args.origins, args.pages))
    finally:
        here.send("stop")
        server.join(timeout=10)
    summary = {}
    for mode, runs in results.items():
        summary[mode] = {
            "pages": runs[0]["pages"],
            "pages_per_s": statistics.median(r["pages"] / r["wall_s"] for r in runs),
            "cpu_ms_per_page": statistics.median(r["cpu_s"] * 1000 / max(r["pages"], 1) for r in runs),
            "max_rss_mib": max(r["max_rss_mib"] for r in runs),
            "documents": runs[0]["documents"],
            "denied": runs[0]["denied"],
            "runs": runs,
        }
    pg, sc, no = summary["policyguard"], summary["scrapy"], summary["none"]
    ratios = {
        "throughput_policyguard_vs_scrapy": pg["pages_per_s"] / sc["pages_per_s"],
        "throughput_policyguard_vs_none": pg["pages_per_s"] / no["pages_per_s"],
        "cpu_per_page_policyguard_vs_scrapy": pg["cpu_ms_per_page"] / sc["cpu_ms_per_page"],
        "cpu_per_page_policyguard_vs_none": pg["cpu_ms_per_page"] / no["cpu_ms_per_page"],
    }
    if args.json:
        print(
            json.dumps(
                {
                    "origins": args.origins,
                    "pages_per_origin": args.pages,
                    "summary": summary,
                    "ratios": ratios,
                },
                indent=2,
            )
        )
        return
    print(f"{args.origins} origins x {args.pages} pages, {args.rounds} rounds, modes alternating")
    print(
        f"{'mode':<13}{'pages':>7}{'pages/s':>10}{'cpu ms/page':>13}{'peak MiB':>10}  documents fetched (not pages)"
    )
    for mode, row in summary.items():
        docs = ", ".join(f"{k} {v}" for k, v in row["documents"].items() if v)
        print(
            f"{mode:<13}{row['pages']:>7}{row['pages_per_s']:>10.1f}{row['cpu_ms_per_page']:>13.3f}{row['max_rss_mib']:>10.1f}  {docs or '-'}"
        )
    print(
        f"\nthroughput policyguard / Scrapy-robots: {ratios['throughput_policyguard_vs_scrapy']:.3f} (target >= 0.95)"
        f"\nthroughput policyguard / no robots:     {ratios['throughput_policyguard_vs_none']:.3f}"
        f"\nCPU per page policyguard / Scrapy-robots: {ratios['cpu_per_page_policyguard_vs_scrapy']:.3f}"
        f"\nCPU per page policyguard / no robots:     {ratios['cpu_per_page_policyguard_vs_none']:.3f}"
    )


if __name__ == "__main__":
    main()
