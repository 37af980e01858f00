"""``policyguard report A.jsonl B.jsonl``: the audit files of one run's workers, merged.

Two real crawls share a run id (POLICYGUARD_RUN_ID, what the shared cache hands every worker);
the second worker's file is cut before its totals record, as a SIGKILL leaves it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from crawling import coroutine_test

from scrapy_policyguard.cli.main import main
from scrapy_policyguard.demo.web import LocalWeb

ROBOTS = "User-agent: *\nDisallow: /private\n"


def worker_settings(audit: Path, worker: str) -> dict[str, Any]:
    return {
        "POLICYGUARD_AUDIT_LOG": str(audit),
        "POLICYGUARD_RUN_ID": "run-1",
        "POLICYGUARD_WORKER_ID": worker,
        "POLICYGUARD_PURPOSE": "search",
    }


@coroutine_test
async def test_two_workers_files_merge_and_the_cut_short_one_is_named(
    web: LocalWeb, crawl: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    web.add("a.test", "/robots.txt", ROBOTS)
    for path in ("/1", "/2", "/private/3"):
        web.add("a.test", path, "<html><body>page</body></html>")
    first, second = tmp_path / "w1.jsonl", tmp_path / "w2.jsonl"
    for audit, worker, page in ((first, "w1", "/1"), (second, "w2", "/2")):
        urls = [web.url("a.test", page), web.url("a.test", "/private/3")]
        await crawl(settings=worker_settings(audit, worker), urls=urls)
    lines = second.read_text("utf-8").splitlines()
    assert json.loads(lines[-1])["record"] == "totals"
    second.write_text("\n".join(lines[:-1]) + "\n", "utf-8")

    assert main(["report", str(first), str(second), "--json"]) == 3  # incomplete: a worker was cut short
    merged = json.loads(capsys.readouterr().out)
    assert [(w["worker"], w["complete"]) for w in merged["workers"]] == [("w1", True), ("w2", False)]
    (origin,) = merged["origins"]
    # w1's counts from its totals, w2's from the records it wrote: one page refused by each.
    assert origin["counts"]["requests_denied"] == 2
    assert merged["documents"]["robots.txt"]["fetched"] == 2  # memory mode: each worker fetched it

    page = tmp_path / "report.html"
    assert main(["report", str(first), str(second), "--html", str(page)]) == 3
    html = page.read_text("utf-8")
    assert "<h2>Workers</h2>" in html and "One run of 2 workers, 1 of them finished" in html
    assert f"<code>{second}</code></td><td><b>cut short</b>" in html
