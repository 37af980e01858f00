"""What one decision costs on a warm cache, what a cached origin holds, and how parsing scales.

    python benchmarks/decide.py            # full run (about a minute)
    python benchmarks/decide.py --quick    # a few seconds, for the test suite
    python benchmarks/decide.py --json

Every figure is printed with the machine's CPU and Python version. Decisions are timed one call at
a time (``perf_counter_ns``, median and 99th percentile) and, for whole batches, as process CPU
time (``resource.getrusage``), which is steadier on a shared machine. The baseline is Protego's
``can_fetch`` on the same file and URLs (robots.txt for one token, nothing else), run
alternately with ours in the same invocation.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import big_robots, real_robots, realistic_robots, urls_for, wildcard_robots
from protego import Protego

from scrapy_policyguard.core.access import RobotsAccess
from scrapy_policyguard.core.bundled import bundled_agents, bundled_packs
from scrapy_policyguard.core.engine import Policy, SiteDocuments, SitePolicy
from scrapy_policyguard.core.purposes import Purpose
from scrapy_policyguard.core.robots import RobotsTxt
from scrapy_policyguard.core.terms import TermsIndex

TOKEN = "BenchBot"
TARGETS = {"median_us": 20.0, "kib_per_origin": 64.0, "parse_500k_ms": 200.0}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "python": platform.python_version(), "platform": platform.platform()}


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
