"""The benchmark scripts run (in their tiny configuration) and print the figures they promise.

Speed is measured by the scripts themselves, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from redis_server import redis_binary

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run(script: str, *options: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--json", *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_decide_benchmark_reports_every_figure() -> None:
    result = run("decide.py")
    assert {r["file"] for r in result["decisions"]} >= {"amazon.com", "bbc.com"}
    for row in result["decisions"]:
        assert row["median_us"] > 0 and row["p99_us"] >= row["median_us"] and row["protego_median_us"] > 0
    assert all(r["kib_per_origin"] > 0 for r in result["memory"])
    broad = result["broad_origins"]
    assert [(r["lines"], r["pages"]) for r in broad] == [
        (lines, pages) for lines in (421, 704) for pages in ("outside /wiki/", "under /wiki/")
    ]
    for row in broad:
        # What is held counts the fetched robots.txt itself, which the registry keeps.
        assert row["kib_held"] > row["robots_txt_kib"] > 10
        assert row["cpu_ms"] > 0 and row["protego_cpu_ms"] > 0
    assert [r["file"] for r in result["parse_500k"]] == ["realistic, many groups", "wildcard-heavy"]
    assert all(r["kib"] >= 499 for r in result["parse_500k"])
    assert [r["stars"] for r in result["bounded"]] == [2, 4]
    # The pathological file still decides (its last rule never matches this URL of 'a's).
    assert all(r["allowed"] for r in result["bounded"])


@pytest.mark.parametrize("profile", ["narrow", "broad"])
def test_crawl_benchmark_crawls_the_same_pages_three_ways(profile: str) -> None:
    result = run("crawl.py", "--profile", profile)
    summary = result["summary"]
    pages = result["origins"] * result["pages_per_origin"]
    assert {mode: row["pages"] for mode, row in summary.items()} == {
        "none": pages,
        "scrapy": pages,
        "policyguard": pages,
    }
    assert summary["scrapy"]["documents"]["robots.txt"] == result["origins"]
    # One robots.txt per origin whatever the concurrency, and tdmrep.json at most once per origin.
    assert summary["policyguard"]["documents"]["robots.txt"] == result["origins"]
    assert summary["policyguard"]["documents"]["tdmrep.json"] <= result["origins"]
    assert {"rss_per_origin_kib", "rss_over_none_mib"} <= set(summary["policyguard"])
    assert set(result["ratios"]) == {
        "throughput_policyguard_vs_scrapy",
        "throughput_policyguard_vs_none",
        "cpu_per_page_scrapy_vs_policyguard",
        "cpu_per_page_policyguard_vs_none",
        "rss_over_none_policyguard_vs_scrapy",
    }


def test_crawl_benchmark_memory_curve_runs_with_and_without_the_bound() -> None:
    result = run("crawl.py", "--profile", "broad", "--curve")
    assert [row["origins"] for row in result["curve"]] == [10]
    (row,) = result["curve"]
    # 10 origins under a bound of 4: origins are dropped, met again on their second page and
    # decided on documents fetched again; the broad profile's pages are all allowed.
    assert row["bound"] == 4 and row["bounded_evicted"] > 0 and row["bounded_denied"] == 0


def test_signing_benchmark_reports_every_figure() -> None:
    result = run("signing.py")
    assert set(result["rows"]) == {"sign", "ed25519", "budget"}
    for row in result["rows"].values():
        assert row["median_us"] > 0 and row["p99_us"] >= row["median_us"] and row["cpu_us_per_call"] > 0
    assert result["ratio_sign_vs_ed25519_cpu"] > 0


def test_pages_benchmark_reads_each_page_both_ways() -> None:
    result = run("pages.py")
    rows = {r["page"]: r for r in result["pages"]}
    assert len(rows) == 4
    assert [r["paywalled"] for r in result["pages"]] == [False, True, True, True]
    assert all(r["median_us_without"] > 0 and r["median_us_with"] > 0 for r in rows.values())


def test_media_benchmark_reads_every_kind_of_file_and_crawls_three_ways() -> None:
    result = run("media.py")
    files = {row["file"]: row for row in result["per_image"]}
    assert {"jpeg, no metadata", "avif + XMP", "gif + XMP", "jpeg + C2PA"} <= set(files)
    assert all(row["median_us"] > 0 and row["p99_us"] >= row["median_us"] for row in files.values())
    summary = result["summary"]
    images = result["pages"] * result["images_per_page"]
    # Every image stored in every mode (tag): the modes differ by the reading alone.
    assert {mode: row["images_stored"] for mode, row in summary.items()} == dict.fromkeys(
        ("scrapy", "media-off", "media-on"), images
    )
    assert summary["media-off"]["media_read"] == 0 and summary["media-on"]["media_read"] == images
    assert summary["media-on"]["files_denied"] > 0
    assert summary["media-off"]["files_denied"] == 0
    assert set(result["ratios"]) == {
        "throughput_media_on_vs_scrapy",
        "throughput_media_on_vs_off",
        "cpu_per_page_media_on_vs_scrapy",
        "cpu_per_page_media_on_vs_off",
    }


def test_protego_comparison_explains_every_disagreement() -> None:
    result = run("protego_compare.py")
    assert result["files"] == 5 and result["checks"] > 1000
    assert result["disagreements"] > 0  # the quick files include known differences
    assert sum(result["by_reason"].values()) == result["disagreements"]
    assert "unexplained" not in result["by_reason"]


@pytest.mark.slow
def test_protego_comparison_on_every_real_file_explains_every_disagreement() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "protego_compare.py"), "--json"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["files"] >= 50
    assert "unexplained" not in result["by_reason"], result["examples"].get("unexplained")


def test_recheck_benchmark_reports_speed_and_memory_of_a_full_and_a_quarter_warc() -> None:
    result = run("recheck.py")
    summary = result["summary"]
    assert [summary[mode]["records"] for mode in ("read", "recheck", "recheck-1/4")] == [401, 401, 101]
    for mode in ("recheck", "recheck-1/4"):
        row = summary[mode]
        assert row["kept"] + row["removed"] == row["records"] - 1  # all but the warcinfo record
        assert row["robots_fetched"] == result["origins"]  # once per origin
        assert row["records_per_s"] > 0 and row["cpu_us_per_record"] > 0 and row["max_rss_mib"] > 0
    assert set(summary["recheck"]["removed_by"]) >= {"robots.txt", "x-robots-tag", "html-meta", "tdmrep"}


def test_workers_benchmark_counts_fetches_per_origin_with_and_without_the_shared_cache() -> None:
    redis_binary()  # skips without a server (a failure in CI: POLICYGUARD_NO_SKIPS)
    result = run("workers.py")
    runs = {(row["workers"], row["cache"]): row for row in result["runs"]}
    assert set(runs) == {(1, "redis"), (1, "memory"), (2, "redis"), (2, "memory")}
    # One fetch per origin in total with the shared cache; never more than one per worker without it.
    for count in (1, 2):
        assert runs[count, "redis"]["fetches_per_origin"]["robots.txt"] == 1
        assert 1 <= runs[count, "memory"]["fetches_per_origin"]["robots.txt"] <= count
    assert runs[2, "redis"]["redis_commands_per_origin"] > runs[2, "memory"]["redis_commands_per_origin"]
    first = {run["cache"]: run["decisions"] for run in result["first_decision"]}
    assert sorted(row["copy"] for row in first["redis"]) == ["fetched", "shared"]
    assert [row["copy"] for row in first["memory"]] == ["fetched", "fetched"]
    assert result["warm"]["redis"]["cpu_ms_per_page"] > 0
    assert result["warm"]["cpu_redis_vs_memory"] > 0
