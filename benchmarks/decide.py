"""What one decision costs on a warm cache, what a cached origin holds, and how parsing scales.

    python benchmarks/decide.py            # full run (about a minute)
    python benchmarks/decide.py --quick    # a few seconds, for the test suite
    python benchmarks/decide.py --json

Every figure is printed with the machine's CPU and Python version. Decisions are timed one call at
a time (``perf_counter_ns``, median and 99th percentile) and, for whole batches, as process CPU
time (``resource.getrusage``), which is steadier on a shared machine. The baseline is Protego's
``can_fetch`` on the same file and URLs (robots.txt for one token, nothing else), run
alternately with ours in the same invocation.

The broad-crawl section holds origins the way the crawl does, in the downloader middleware's
site registry (adapters/documents.py), each origin serving Wikipedia's robots.txt or a 704-line
file built like en.wikipedia.org's, in a copy of its own: what one origin holds (``tracemalloc``)
and what a new origin costs (its documents read, parsed and compiled, two pages decided), against
Scrapy's Protego parser (as its RobotsTxtMiddleware uses it) parsing the same file and answering
for the same two pages.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (
    big_robots,
    enwiki_robots,
    real_robots,
    realistic_robots,
    urls_for,
    wikipedia_robots,
    wildcard_robots,
)
from measure import cpu_seconds, machine
from protego import Protego
from scrapy import Request
from scrapy.robotstxt import ProtegoRobotParser

from scrapy_policyguard.adapters.documents import SiteRegistry
from scrapy_policyguard.adapters.fetch import DocumentFetcher, DocumentKind, FetchResult
from scrapy_policyguard.adapters.settings import DEFAULTS
from scrapy_policyguard.core.access import RobotsAccess
from scrapy_policyguard.core.bundled import bundled_agents, bundled_packs
from scrapy_policyguard.core.engine import Policy, SiteDocuments, SitePolicy
from scrapy_policyguard.core.paths import origin_of, path_of
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.robots import RobotsTxt
from scrapy_policyguard.core.terms import TermsIndex

TOKEN = "BenchBot"
TARGETS = {"median_us": 20.0, "kib_per_origin": 64.0, "parse_500k_ms": 200.0, "held_kib_700_lines": 40.0}
#: Two pages per origin, as in a broad crawl: outside /wiki/, or under it (whose match index holds
#: the most rules of these files).
BROAD_PAGES = {
    "outside /wiki/": ("/articles/0", "/articles/1"),
    "under /wiki/": ("/wiki/Web_crawler", "/wiki/Robots_exclusion_standard"),
}


def policy() -> Policy:
    return Policy(TOKEN, agents=bundled_agents(), terms=TermsIndex(bundled_packs()))


def compile_site(pol: Policy, origin: str, body: str) -> SitePolicy:
    access = RobotsAccess.from_result(origin + "/robots.txt", 200, body)
    return SitePolicy(pol, SiteDocuments(origin, access))


def time_calls(fn: Any, args: list[str]) -> tuple[list[int], float]:
    """Per-call wall times (ns) and the batch's CPU seconds."""
    times = []
    clock = time.perf_counter_ns
    gc.disable()
    cpu = cpu_seconds()
    for arg in args:
        start = clock()
        fn(arg)
        times.append(clock() - start)
    cpu = cpu_seconds() - cpu
    gc.enable()
    return times, cpu


def decisions(pol: Policy, rounds: int, count: int) -> list[dict[str, Any]]:
    files = dict(real_robots())
    for seed, rules in ((1, 250), (2, 400), (3, 400)):
        files[f"generated-{seed}"] = realistic_robots(seed, rules=rules)
    rows = []
    for name, body in files.items():
        origin = f"https://{name.replace('generated-', 'site')}"
        site = compile_site(pol, origin, body)
        urls = urls_for(origin, body, seed=len(name), count=count)
        protego = Protego.parse(body)
        ours_times: list[int] = []
        base_times: list[int] = []
        ours_cpu = base_cpu = 0.0
        for url in urls:  # warm: evidence built for every rule these URLs reach
            site.decide(url, Purpose.AI_TRAIN)
            protego.can_fetch(url, TOKEN)
        for _ in range(rounds):  # alternate, so machine noise hits both alike
            t, c = time_calls(lambda u, site=site: site.decide(u, Purpose.AI_TRAIN), urls)
            ours_times += t
            ours_cpu += c
            t, c = time_calls(lambda u, protego=protego: protego.can_fetch(u, TOKEN), urls)
            base_times += t
            base_cpu += c
        calls = rounds * len(urls)
        rows.append(
            {
                "file": name,
                "lines": body.count("\n"),
                "median_us": statistics.median(ours_times) / 1000,
                "p99_us": sorted(ours_times)[int(0.99 * len(ours_times))] / 1000,
                "cpu_us": ours_cpu / calls * 1e6,
                "protego_median_us": statistics.median(base_times) / 1000,
                "protego_cpu_us": base_cpu / calls * 1e6,
                "ratio_median": statistics.median(ours_times) / statistics.median(base_times),
            }
        )
    return rows


def memory_per_origin(pol: Policy, copies: int) -> list[dict[str, Any]]:
    """Bytes held per cached origin (parsed robots.txt, compiled site, evidence built by 50
    decisions), for the real files and for generated ones of growing size."""
    sets = {f"real ({', '.join(real_robots())})": list(real_robots().values())}
    for rules in (100, 250, 400):
        sets[f"generated, {rules} rules"] = [realistic_robots(seed, rules=rules) for seed in range(copies)]
    rows = []
    for name, bodies in sets.items():
        tracemalloc.start()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        sites = []
        for seed, body in enumerate(bodies):
            origin = f"https://mem{seed}.example"
            site = compile_site(pol, origin, body)
            for url in urls_for(origin, body, seed, count=50):
                site.decide(url, Purpose.AI_TRAIN)
            sites.append(site)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        rows.append(
            {
                "files": name,
                "robots_txt_kib": statistics.mean(len(b) for b in bodies) / 1024,
                "kib_per_origin": (after - before) / len(sites) / 1024,
            }
        )
    return rows


_ORIGIN_NUMBERS = itertools.count()


def new_origins(count: int) -> list[str]:
    """Origins not met before in this process, so that no URL cache knows them."""
    return [f"https://site{next(_ORIGIN_NUMBERS)}.bench" for _ in range(count)]


def served_copy(robots: bytes, origin: str) -> bytes:
    """The origin's own copy of ``robots``: one Sitemap line differs, so no two origins share it."""
    return robots + f"\nSitemap: {origin}/sitemap.xml\n".encode()


class ServedDocuments(DocumentFetcher):
    """Answers the registry's fetches from memory: each origin's copy of one robots.txt, and 404
    for anything else (tdmrep.json), so the registry's own path runs without a network."""

    def __init__(self, robots: bytes) -> None:  # no crawler: nothing goes through an engine
        self.robots = robots

    async def fetch(
        self, url: str, kind: DocumentKind, *, limit: int, trigger: Request | None = None
    ) -> FetchResult:
        if kind is DocumentKind.ROBOTS:
            body = served_copy(self.robots, url.removesuffix("/robots.txt"))
            return FetchResult(url, 200, body, "HTTP 200", (), 0.0, content_type="text/plain")
        return FetchResult(url, 404, b"", "HTTP 404", (), 0.0, content_type="text/html")


async def _robots_parsed(access: RobotsAccess, trigger: Request | None) -> None:
    return None


def site_registry(pol: Policy, robots: bytes) -> SiteRegistry:
    """The downloader middleware's registry with the default settings, serving ``robots``."""
    return SiteRegistry(
        ServedDocuments(robots),
        pol,
        robots_limit=DEFAULTS["POLICYGUARD_ROBOTS_MAX_BYTES"],
        ttl=DEFAULTS["POLICYGUARD_ROBOTS_TTL"],
        unreachable_retry=DEFAULTS["POLICYGUARD_UNREACHABLE_RETRY"],
        on_fetched=lambda event: None,
        on_robots=_robots_parsed,
        max_origins=DEFAULTS["POLICYGUARD_MAX_ORIGINS"],
    )


async def crawl_origins(registry: SiteRegistry, origins: list[str], paths: tuple[str, ...]) -> None:
    """What the downloader middleware does for each request: the origin's site from the registry
    (robots.txt and tdmrep.json fetched and the site compiled for the first page), then the
    decision."""
    for origin in origins:
        for path in paths:
            url = origin + path
            site = await registry.site(url, Purpose.AI_TRAIN)
            site.decide(url, Purpose.AI_TRAIN, path_of(url))


def protego_origins(robots: bytes, origins: list[str], paths: tuple[str, ...]) -> None:
    """What Scrapy's RobotsTxtMiddleware does with its Protego parser: each origin's copy decoded
    and parsed, then each page asked about."""
    for origin in origins:
        parser = ProtegoRobotParser(served_copy(robots, origin), None)
        for path in paths:
            parser.allowed(origin + path, TOKEN)


def held_per_origin(pol: Policy, robots: bytes, paths: tuple[str, ...], copies: int) -> float:
    """Bytes the registry holds per origin after its two pages, over ``copies`` origins.

    The URL caches that all origins share (``origin_of``'s, and urllib's behind it) are filled
    first, as they are after the first thousand origins of a crawl, so that what they hold does
    not count as per-origin memory; so is a first origin (one-time allocations).
    """
    tracemalloc.start()  # before the filling: what the caches then evict is subtracted
    for number in range(origin_of.cache_info().maxsize or 0):
        origin_of(f"https://filler{number}.bench/")
    registry = site_registry(pol, robots)
    asyncio.run(crawl_origins(registry, new_origins(1), paths))
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    asyncio.run(crawl_origins(registry, new_origins(copies), paths))
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(registry) == copies + 1, "every origin is held"
    return (after - before) / copies


def broad_origins(pol: Policy, copies: int, origins: int, rounds: int) -> list[dict[str, Any]]:
    """Per origin of a broad crawl, held in the site registry: bytes held (``copies`` origins
    under tracemalloc) and CPU per new origin (``origins`` origins a round, Protego alternated)."""
    files = {"wikipedia.org": wikipedia_robots(), "enwiki-style": enwiki_robots()}
    rows = []
    for file, robots in files.items():
        for pages, paths in BROAD_PAGES.items():
            held = held_per_origin(pol, robots, paths, copies)
            ours = base = 0.0
            for _ in range(rounds):  # alternate, so machine noise hits both alike
                registry = site_registry(pol, robots)
                names = new_origins(origins)
                gc.collect()
                cpu = cpu_seconds()
                asyncio.run(crawl_origins(registry, names, paths))
                ours += cpu_seconds() - cpu
                del registry
                names = new_origins(origins)
                gc.collect()
                cpu = cpu_seconds()
                protego_origins(robots, names, paths)
                base += cpu_seconds() - cpu
            count = rounds * origins
            rows.append(
                {
                    "file": file,
                    "lines": robots.count(b"\n"),
                    "robots_txt_kib": len(robots) / 1024,
                    "pages": pages,
                    "origins_held": copies,
                    "origins_timed": count,
                    "kib_held": held / 1024,
                    "cpu_ms": ours / count * 1000,
                    "protego_cpu_ms": base / count * 1000,
                    "ratio_cpu": ours / base,
                }
            )
    return rows


def parse_times(repeats: int) -> list[dict[str, Any]]:
    """Parsing alone, then the match index a site compile builds for our token, with Protego's
    parse (which also prepares its rules) alternated with ours."""
    rows = []
    for name, body in (("realistic, many groups", big_robots()), ("wildcard-heavy", wildcard_robots(6))):
        raw = body.encode()
        parses, indexes, cpus, base = [], [], [], []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), cpu_seconds()
            robots = RobotsTxt.parse(raw)
            parsed = time.perf_counter()
            robots.group_for(TOKEN)
            indexes.append(time.perf_counter() - parsed)
            parses.append(parsed - wall)
            cpus.append(cpu_seconds() - cpu)
            wall = time.perf_counter()
            Protego.parse(body)
            base.append(time.perf_counter() - wall)
        rows.append(
            {
                "file": name,
                "kib": len(raw) / 1024,
                "parse_ms": statistics.median(parses) * 1000,
                "index_ms": statistics.median(indexes) * 1000,
                "parse_and_index_cpu_ms": statistics.median(cpus) * 1000,
                "protego_parse_ms": statistics.median(base) * 1000,
            }
        )
    return rows


def bounded_matching(pol: Policy, stars: list[int]) -> list[dict[str, Any]]:
    """500 KiB of /*a*a*...*b$ patterns against a 4 KiB path of 'a's: time grows with the number
    of stars linearly, not exponentially (the matcher finds each literal piece with str.find)."""
    url = "https://bounded.example/" + "a" * 4096
    rows = []
    for k in stars:
        body = wildcard_robots(k)
        site = compile_site(pol, "https://bounded.example", body)
        rules = len(site.group.rules) if site.group else 0
        cpu = cpu_seconds()
        wall = time.perf_counter()
        decision = site.decide(url, Purpose.AI_TRAIN)
        wall = time.perf_counter() - wall
        cpu = cpu_seconds() - cpu
        rows.append(
            {
                "stars": k,
                "rules": rules,
                "decision_ms": wall * 1000,
                "cpu_ms": cpu * 1000,
                "us_per_rule": wall * 1e6 / max(rules, 1),
                "allowed": decision.allowed,
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
    pol = policy()
    rounds, count = (1, 50) if args.quick else (5, 2000)
    result = {
        "machine": machine(),
        "decisions": decisions(pol, rounds, count),
        "memory": memory_per_origin(pol, 3 if args.quick else 50),
        "broad_origins": broad_origins(pol, *((3, 3, 1) if args.quick else (20, 40, 2))),
        "parse_500k": parse_times(1 if args.quick else 5),
        "bounded": bounded_matching(pol, [2, 4] if args.quick else [2, 4, 8, 16, 32]),
        "targets": TARGETS,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    m = result["machine"]
    print(f"machine: {m['cpu']}, Python {m['python']}")
    print("\nwarm-cache decision, purpose ai-train, bundled agents and rule packs (Protego: robots.txt only)")
    print(f"{'file':<16}{'lines':>6}{'median':>9}{'p99':>9}{'cpu/call':>10}{'protego':>9}{'ratio':>7}")
    for r in result["decisions"]:
        print(
            f"{r['file']:<16}{r['lines']:>6}{r['median_us']:>8.1f}u{r['p99_us']:>8.1f}u{r['cpu_us']:>9.1f}u"
            f"{r['protego_median_us']:>8.1f}u{r['ratio_median']:>7.2f}"
        )
    worst = max(r["median_us"] for r in result["decisions"])
    print(f"target: median <= {TARGETS['median_us']:.0f} us: worst median {worst:.1f} us")
    print(f"\nmemory per cached origin (target <= {TARGETS['kib_per_origin']:.0f} KiB for realistic files)")
    for r in result["memory"]:
        print(
            f"  {r['files']:<36} robots.txt {r['robots_txt_kib']:>5.1f} KiB -> {r['kib_per_origin']:>6.1f} KiB"
        )
    print(
        "\nper origin of a broad crawl, held in the site registry (each origin its own copy, two pages,"
        " purpose ai-train; Protego: parse and can_fetch)"
    )
    print(
        f"  {'file':<15}{'lines':>6}  {'pages':<16}{'held':>11}{'cpu/origin':>12}{'Protego':>10}{'ratio':>7}"
    )
    for r in result["broad_origins"]:
        print(
            f"  {r['file']:<15}{r['lines']:>6}  {r['pages']:<16}{r['kib_held']:>7.1f} KiB{r['cpu_ms']:>10.2f}ms"
            f"{r['protego_cpu_ms']:>8.2f}ms{r['ratio_cpu']:>7.2f}"
        )
    held = ", ".join(
        f"{r['kib_held']:.1f} KiB {r['pages']}" for r in result["broad_origins"] if r["lines"] >= 700
    )
    print(f"target: <= {TARGETS['held_kib_700_lines']:.0f} KiB held for a 700-line file: {held}")
    print(f"\nparse of a 500 KiB robots.txt (median; target < {TARGETS['parse_500k_ms']:.0f} ms)")
    print(f"  {'file':<24}{'size':>8}{'parse':>10}{'+ index':>10}{'both cpu':>10}{'Protego':>10}")
    for r in result["parse_500k"]:
        print(
            f"  {r['file']:<24}{r['kib']:>4.0f} KiB{r['parse_ms']:>8.1f}ms{r['index_ms']:>8.1f}ms"
            f"{r['parse_and_index_cpu_ms']:>8.1f}ms{r['protego_parse_ms']:>8.1f}ms"
        )
    print("\nbounded matching: 500 KiB of /*a*...*b$ patterns, one 4 KiB URL")
    print(f"  {'stars':>5}{'rules':>8}{'decision':>12}{'cpu':>10}{'per rule':>11}")
    for r in result["bounded"]:
        print(
            f"  {r['stars']:>5}{r['rules']:>8}{r['decision_ms']:>10.1f}ms{r['cpu_ms']:>8.1f}ms"
            f"{r['us_per_rule']:>9.2f}us"
        )


if __name__ == "__main__":
    main()
