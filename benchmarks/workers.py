"""Many workers on one shared cache (POLICYGUARD_CACHE = "redis"): what it saves and what it costs.

    python benchmarks/workers.py            # a few minutes; needs redis-server (apt-get install redis-server)
    python benchmarks/workers.py --quick    # tiny, to check the script runs

A redis-server on a free port, a LocalWeb of many origins in its own process (each origin's
robots.txt answers after 100 ms, like a distant site), and worker processes that share
scrapy-redis's scheduler and dupefilter, as in production. Reported:

- robots.txt and tdmrep.json fetches per origin with 1, 2 and 4 workers, in redis mode and, for
  comparison, with each worker fetching for itself (memory mode);
- Redis commands per origin (``INFO commandstats``, before and after);
- time to the first decision on a new origin, for the worker that fetched its documents and for
  the workers that waited for it (two and four workers started together on one origin);
- the cost of a warm decision: one worker, on Scrapy's own scheduler, crawling a few origins with
  many pages each, so that nearly every decision is made on an origin the worker already knows:
  CPU per page and Redis commands per page in redis mode against memory mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from measure import WebProcess

HERE = Path(__file__).resolve().parent


TOKEN = "BenchBot"
ROBOTS_DELAY = 0.1


def host(index: int) -> str:
    return f"w{index}.bench"


def build_web(web: Any, origins: int, pages: int) -> None:
    """The web (served by measure.WebProcess): every page links to the next page of its origin and to the same page
    of three other origins, so the workers' shared queue mixes origins and an origin's pages
    reach different workers, as in a broad crawl."""
    from scrapy_policyguard.demo.web import Reply

    for i in range(origins):
        name = host(i)
        others = [host((i + step) % origins) for step in (1, 7, 31)]
        robots = "User-agent: *\nDisallow: /private/\n"
        web.add(name, "/robots.txt", Reply(body=robots, content_type="text/plain", delay=ROBOTS_DELAY))
        web.add(name, "/.well-known/tdmrep.json", Reply(body="[]", content_type="application/json"))
        for n in range(pages):
            links = f'<a href="/p/{n + 1}">next</a>'
            links += "".join(f'<a href="http://{other}/p/{n}">other</a>' for other in others)
            web.add(name, f"/p/{n}", f"<html><body>{links}</body></html>")


class Redis:
    """A redis-server for one measurement, on a free port, without persistence."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (apt-get install -y redis-server)")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = tempfile.mkdtemp()
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self._folder],
            stdout=subprocess.DEVNULL,
        )
        import redis

        self.client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise SystemExit("redis-server did not start")

    def commands(self) -> int:
        return sum(int(v["calls"]) for v in self.client.info("commandstats").values())

    def close(self) -> None:
        self._process.kill()
        self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


def worker(args: argparse.Namespace) -> None:
    """One worker process: a crawl with the add-on until its queue stays empty. ``--queue redis``
    shares scrapy-redis's scheduler and dupefilter with the other workers; ``--queue own`` keeps
    Scrapy's, so that every Redis command counted is ours. Every worker starts crawling once all are
    ready (``--ready``), and its CPU time counts from there. ``--arrival``: its first request also
    waits until every worker's first request has reached policyguard's middleware, so that all are
    decided at one moment. ``--no-follow``: the worker crawls its start pages only."""
    os.environ["http_proxy"] = args.proxy
    os.environ.pop("no_proxy", None)
    import scrapy
    from scrapy.crawler import CrawlerProcess

    arrived: list[float] = []
    ready: list[resource.struct_rusage] = []

    class Arrival:
        """Just before policyguard's middleware: the moment the worker's first request reaches it."""

        async def process_request(self, request: scrapy.Request) -> None:
            if not arrived:
                arrived.append(0.0)
                if args.arrival:
                    await wait_for_all(Path(args.arrival), args.name, args.together)
                arrived[0] = time.time()

    class Shared(scrapy.Spider):
        name = "shared"

        async def start(self):  # type: ignore[no-untyped-def]
            await wait_for_all(Path(args.ready), args.name, args.together)
            ready.append(resource.getrusage(resource.RUSAGE_SELF))
            for url in args.start:
                yield scrapy.Request(url)

        def parse(self, response):  # type: ignore[no-untyped-def]
            yield {"url": response.url}
            if args.no_follow:
                return
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href)

    settings: dict[str, Any] = {
        "ADDONS": {"scrapy_policyguard.Addon": 0},
        "POLICYGUARD_USER_AGENT": TOKEN,
        "POLICYGUARD_CACHE": args.cache,
        "POLICYGUARD_AUDIT_LOG": args.audit,
        "POLICYGUARD_AUDIT_ALL": True,
        "POLICYGUARD_WORKER_ID": args.name,
        "REDIS_URL": args.redis,
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
        "RETRY_ENABLED": False,
        "CONCURRENT_REQUESTS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOADER_MIDDLEWARES": {Arrival: 99},
    }
    if args.queue == "redis":
        settings["SCHEDULER"] = "scrapy_redis.scheduler.Scheduler"
        settings["DUPEFILTER_CLASS"] = "scrapy_redis.dupefilter.RFPDupeFilter"
        settings["SCHEDULER_PERSIST"] = True
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(Shared)
    process.crawl(crawler)
    process.start()
    after = resource.getrusage(resource.RUSAGE_SELF)
    stats = crawler.stats.get_stats()
    pages = stats.get("policyguard/requests/allowed", 0)
    used = (after.ru_utime - ready[0].ru_utime) + (after.ru_stime - ready[0].ru_stime)
    print(json.dumps({"pages": pages, "cpu_s": used, "started": arrived[0] if arrived else None}))


async def wait_for_all(folder: Path, name: str, count: int) -> None:
    """A barrier across processes: each worker leaves a file and waits for ``count`` of them (at
    most 30 s: a worker that found nothing to crawl never arrives)."""
    (folder / name).touch()
    give_up = time.monotonic() + 30
    while len(list(folder.iterdir())) < count and time.monotonic() < give_up:
        await asyncio.sleep(0.005)


def run_workers(
    proxy: str,
    redis: Redis,
    *,
    count: int,
    cache: str,
    start: list[list[str]],
    folder: Path,
    queue: str = "redis",
    follow: bool = True,
) -> list[dict[str, Any]]:
    """``count`` workers started at once; each one's figures and audit records. Their first
    requests reach policyguard at the same moment; without ``follow``, each crawls its start
    pages only."""
    redis.client.flushall()
    ready, arrival = Path(tempfile.mkdtemp(dir=folder)), Path(tempfile.mkdtemp(dir=folder))
    processes = []
    for n in range(count):
        audit = folder / f"{cache}-{count}-{n}.jsonl"
        audit.unlink(missing_ok=True)
        command = [
            sys.executable,
            __file__,
            "--worker",
            "--proxy",
            proxy,
            "--redis",
            redis.url,
            "--queue",
            queue,
        ]
        command += ["--cache", cache, "--audit", str(audit), "--name", f"w{n}", "--together", str(count)]
        command += ["--ready", str(ready)] + ([] if follow else ["--arrival", str(arrival), "--no-follow"])
        command += start[n % len(start)]
        processes.append((subprocess.Popen(command, stdout=subprocess.PIPE, text=True), audit))
    results = []
    for process, audit in processes:
        output, _ = process.communicate(timeout=600)
        if process.returncode:
            raise SystemExit(f"a worker failed ({process.returncode})")
        figures = json.loads(output.strip().splitlines()[-1])
        figures["records"] = [json.loads(line) for line in audit.read_text("utf-8").splitlines()]
        results.append(figures)
    shutil.rmtree(ready)
    shutil.rmtree(arrival)
    return results


def fetches(results: list[dict[str, Any]]) -> dict[str, int]:
    counted: Counter[str] = Counter()
    for result in results:
        for record in result["records"]:
            if record["record"] in ("robots", "document") and record.get("copy") == "fetched":
                counted["robots.txt" if record["record"] == "robots" else record["kind"]] += 1
    return dict(counted)


def first_decisions(results: list[dict[str, Any]], origin: str) -> list[dict[str, Any]]:
    """Per worker: milliseconds from its first request reaching policyguard's middleware to its
    first decision on ``origin``, and whether it fetched the documents or read them from the
    shared cache."""
    from datetime import datetime

    def at(record: dict[str, Any]) -> float:
        return datetime.fromisoformat(record["time"].replace("Z", "+00:00")).timestamp()

    rows = []
    for result in results:
        records = result["records"]
        start = result["started"]
        decided = [at(r) for r in records if r["record"] == "request" and r["url"].startswith(origin)]
        robots = next((r for r in records if r["record"] == "robots" and r["origin"] == origin), None)
        if decided and robots is not None and start is not None:
            rows.append({"copy": robots["copy"], "ms": round((min(decided) - start) * 1000, 1)})
    return rows


def warm_decisions(redis: Redis, folder: Path, origins: int, pages: int) -> dict[str, Any]:
    """One worker, few origins, many pages each, run alternately in both modes (two rounds each)."""
    figures: dict[str, list[tuple[float, float, int]]] = {"redis": [], "memory": []}
    with WebProcess(build_web, origins, pages) as proxy:
        starts = [[f"http://{host(i)}/p/0" for i in range(origins)]]
        for _ in range(2):
            for cache in ("memory", "redis"):
                before = redis.commands()
                (result,) = run_workers(
                    proxy, redis, count=1, cache=cache, start=starts, folder=folder, queue="own"
                )
                figures[cache].append((result["cpu_s"], redis.commands() - before, result["pages"]))
    summary: dict[str, Any] = {"origins": origins, "pages_per_origin": pages}
    for cache, rows in figures.items():
        pages_done = sum(r[2] for r in rows)
        summary[cache] = {
            "cpu_ms_per_page": 1000 * sum(r[0] for r in rows) / max(1, pages_done),
            "redis_commands_per_page": sum(r[1] for r in rows) / max(1, pages_done),
        }
    summary["cpu_redis_vs_memory"] = (
        summary["redis"]["cpu_ms_per_page"] / summary["memory"]["cpu_ms_per_page"]
    )
    summary["extra_redis_commands_per_page"] = (
        summary["redis"]["redis_commands_per_page"] - summary["memory"]["redis_commands_per_page"]
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--origins", type=int, default=200)
    parser.add_argument("--pages", type=int, default=5, help="pages per origin")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--proxy", help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--audit", help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    parser.add_argument("--queue", choices=("redis", "own"), default="redis", help=argparse.SUPPRESS)
    parser.add_argument("--ready", help=argparse.SUPPRESS)
    parser.add_argument("--arrival", help=argparse.SUPPRESS)
    parser.add_argument("--together", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--no-follow", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("start", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if args.quick:
        args.origins, args.pages = 6, 3
    counts = (1, 2) if args.quick else (1, 2, 4)
    report: dict[str, Any] = {"origins": args.origins, "pages_per_origin": args.pages, "runs": []}
    redis = Redis()
    folder = Path(tempfile.mkdtemp())
    try:
        with WebProcess(build_web, args.origins, args.pages) as proxy:
            starts = [[f"http://{host(i)}/p/0" for i in range(args.origins)]]  # deduplicated in Redis
            for count in counts:
                for cache in ("redis", "memory"):
                    before = redis.commands()
                    results = run_workers(proxy, redis, count=count, cache=cache, start=starts, folder=folder)
                    per_origin = {k: v / args.origins for k, v in fetches(results).items()}
                    row = {
                        "workers": count,
                        "cache": cache,
                        "fetches_per_origin": per_origin,
                        "redis_commands_per_origin": (redis.commands() - before) / args.origins,
                        "pages": sum(r["pages"] for r in results),
                        "cpu_ms_per_page": 1000
                        * sum(r["cpu_s"] for r in results)
                        / max(1, sum(r["pages"] for r in results)),
                    }
                    report["runs"].append(row)
                    print(f"  {row}", file=sys.stderr)
            # Time to the first decision: workers requesting one new origin at the same moment, each
            # its own page, so that one fetches the documents while the others wait for its copy;
            # memory mode, where each fetches for itself, for comparison. A new origin each time.
            report["first_decision"] = []
            for repeat in range(1 if args.quick else 3):
                for count in counts[1:]:
                    for cache in ("redis", "memory"):
                        origin = f"http://{host(repeat)}"
                        one = [[f"{origin}/p/{n}"] for n in range(count)]
                        results = run_workers(
                            proxy,
                            redis,
                            count=count,
                            cache=cache,
                            start=one,
                            folder=folder,
                            queue="own",
                            follow=False,
                        )
                        rows = first_decisions(results, origin)
                        report["first_decision"].append({"workers": count, "cache": cache, "decisions": rows})
        report["warm"] = warm_decisions(redis, folder, 2 if args.quick else 5, 20 if args.quick else 300)
    finally:
        redis.close()
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{args.origins} origins x {args.pages} pages, robots.txt answering after {ROBOTS_DELAY * 1000:.0f} ms"
    )
    print(
        f"{'workers':>7} {'cache':<7} {'robots.txt':>11} {'tdmrep.json':>12} {'Redis cmds':>11} {'CPU ms/page':>12}"
    )
    for row in report["runs"]:
        fetched = row["fetches_per_origin"]
        print(
            f"{row['workers']:>7} {row['cache']:<7} {fetched.get('robots.txt', 0):>11.2f} "
            f"{fetched.get('tdmrep.json', 0):>12.2f} {row['redis_commands_per_origin']:>11.1f} "
            f"{row['cpu_ms_per_page']:>12.2f}"
        )
    print("\nfirst decision on a new origin, workers started together")
    print(
        "(ms from the request reaching policyguard; fetched: this worker fetched robots.txt, shared: it waited):"
    )
    for run in report["first_decision"]:
        rows = ", ".join(
            f"{r['copy']} {r['ms']:.0f}" for r in sorted(run["decisions"], key=lambda r: r["ms"])
        )
        print(f"  {run['workers']} workers, {run['cache']:<6}: {rows}")
    warm = report["warm"]
    print(f"\nwarm decisions, one worker, {warm['origins']} origins x {warm['pages_per_origin']} pages:")
    for cache in ("memory", "redis"):
        row = warm[cache]
        print(
            f"  {cache:<7} {row['cpu_ms_per_page']:.2f} CPU ms/page, {row['redis_commands_per_page']:.2f} Redis cmds/page"
        )
    print(
        f"  redis / memory CPU: {warm['cpu_redis_vs_memory']:.3f}; "
        f"Redis commands per page added: {warm['extra_redis_commands_per_page']:.3f}"
    )


if __name__ == "__main__":
    main()
