"""What Web Bot Auth signing and pay-per-crawl bookkeeping cost per request.

    python benchmarks/signing.py            # full run (about 20 s)
    python benchmarks/signing.py --quick    # a second, for the test suite
    python benchmarks/signing.py --json

Three things are timed one call at a time (``perf_counter_ns``, median and 99th percentile) and per
batch as process CPU time (``resource.getrusage``):

- ``sign``: ``RequestSigner.headers()`` for a page URL, as the signing middleware calls it;
- ``ed25519`` (the baseline): one bare Ed25519 signature over a signature base of the same size, the
  cost no RFC 9421 signer avoids, so ``sign`` / ``ed25519`` is what building the base and the
  structured fields adds;
- ``budget``: ``Budget.reserve`` + ``settle`` for one paid page.

The three run alternately, round after round, in one invocation, so a noisy machine slows them alike.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from measure import cpu_seconds, machine

from scrapy_policyguard.core.budget import Budget, Limits, Reservation
from scrapy_policyguard.core.money import Money
from scrapy_policyguard.core.webbotauth import BotKey, RequestSigner


def timed(fn: Callable[[int], object], count: int) -> tuple[list[int], float]:
    """Per-call wall times (ns) and the batch's CPU seconds."""
    times = []
    clock = time.perf_counter_ns
    gc.disable()
    cpu = cpu_seconds()
    for i in range(count):
        start = clock()
        fn(i)
        times.append(clock() - start)
    cpu = cpu_seconds() - cpu
    gc.enable()
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run, for the test suite")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rounds, count = (2, 200) if args.quick else (5, 4000)

    key = BotKey.generate()
    signer = RequestSigner(key, "https://crawler.example", lifetime=300)
    urls = [f"http://shop{i % 50}.example/catalogue/item-{i}?page={i % 7}" for i in range(count)]
    price = {"crawler-exact-price": "USD 0.01"}
    base = signer.headers("GET", urls[0], price)["Signature-Input"].encode() * 2  # a base-sized message
    budget = Budget(Limits(Money.parse("USD 0.01"), Money.parse("USD 1000000")))
    one_cent = Money.parse("USD 0.01")

    def sign(i: int) -> object:
        return signer.headers("GET", urls[i], price)

    def ed25519(i: int) -> object:
        return key.private_key.sign(base)

    def book(i: int) -> object:
        reservation = budget.reserve(f"http://shop{i % 50}.example", one_cent, "USD 0.01")
        assert isinstance(reservation, Reservation)
        return budget.settle(reservation, one_cent)

    runs: dict[str, list[tuple[list[int], float]]] = {"sign": [], "ed25519": [], "budget": []}
    for _ in range(rounds):
        for name, fn in (("sign", sign), ("ed25519", ed25519), ("budget", book)):
            runs[name].append(timed(fn, count))

    rows = {}
    for name, batches in runs.items():
        walls = sorted(t for times, _ in batches for t in times)
        rows[name] = {
            "median_us": round(statistics.median(walls) / 1000, 2),
            "p99_us": round(walls[int(len(walls) * 0.99) - 1] / 1000, 2),
            "cpu_us_per_call": round(sum(cpu for _, cpu in batches) / (rounds * count) * 1e6, 2),
        }
    result: dict[str, Any] = {
        "machine": machine(),
        "rounds": rounds,
        "calls_per_round": count,
        "rows": rows,
        "ratio_sign_vs_ed25519_cpu": round(
            rows["sign"]["cpu_us_per_call"] / rows["ed25519"]["cpu_us_per_call"], 2
        ),
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    print(
        f"{result['machine']['cpu']}, Python {result['machine']['python']}; {rounds} rounds x {count} calls, alternated"
    )
    print(f"{'':10} {'median µs':>10} {'p99 µs':>10} {'CPU µs/call':>12}")
    for name, row in rows.items():
        print(f"{name:10} {row['median_us']:>10} {row['p99_us']:>10} {row['cpu_us_per_call']:>12}")
    print(f"signing / bare Ed25519 (CPU): {result['ratio_sign_vs_ed25519_cpu']}")


if __name__ == "__main__":
    main()
