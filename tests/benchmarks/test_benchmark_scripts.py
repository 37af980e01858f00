"""The benchmark scripts run (in their tiny configuration) and print the figures they promise.

Speed is measured by the scripts themselves, never asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run(script: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--json"],
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
    assert [r["file"] for r in result["parse_500k"]] == ["realistic, many groups", "wildcard-heavy"]
    assert all(r["kib"] >= 499 for r in result["parse_500k"])
    assert [r["stars"] for r in result["bounded"]] == [2, 4]
    # The pathological file still decides (its last rule never matches this URL of 'a's).
    assert all(r["allowed"] for r in result["bounded"])


def test_crawl_benchmark_crawls_the_same_pages_three_ways() -> None:
    result = run("crawl.py")
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
    assert set(result["ratios"]) == {
        "throughput_policyguard_vs_scrapy",
        "throughput_policyguard_vs_none",
        "cpu_per_page_policyguard_vs_scrapy",
        "cpu_per_page_policyguard_vs_none",
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
