"""The audit trail survives a crash: a crawl killed with SIGKILL leaves only whole records and is
reported as incomplete, and a crawl that stops normally ends with totals equal to its stats."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from crawling import coroutine_test, guard_stats, read_audit

from scrapy_policyguard.cli.main import main
from scrapy_policyguard.demo.web import Reply

KILLABLE = Path(__file__).parent / "data" / "killable_crawl.py"
#: Generous: on a loaded two-core machine Scrapy alone can take seconds to start.
START_TIMEOUT = 60.0
LINES_BEFORE_KILL = 20


def _load_killable():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("killable_crawl", KILLABLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _report(capsys: pytest.CaptureFixture[str], audit: Path) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["report", str(audit)])
    return code, capsys.readouterr().out


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_a_crawl_killed_mid_way_leaves_whole_records_and_reports_incomplete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = tmp_path / "audit.jsonl"
    output = tmp_path / "crawl.log"
    # 200 pages, 0.1 s each, two at a time: the crawl takes 10 s or more, it is killed long before.
    command = [sys.executable, str(KILLABLE), str(audit), "--pages", "200", "--delay", "0.1"]
    with output.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env=dict(os.environ)
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while _lines(audit) < LINES_BEFORE_KILL:
                if process.poll() is not None:
                    pytest.fail(f"the crawl ended before it was killed:\n{output.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"fewer than {LINES_BEFORE_KILL} audit lines after {START_TIMEOUT} s")
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=START_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == -signal.SIGKILL

    data = audit.read_bytes()
    assert data.endswith(b"\n")  # the last record is whole: no torn line
    lines = data.decode("utf-8").split("\n")[:-1]
    assert len(lines) >= LINES_BEFORE_KILL
    records = [json.loads(line) for line in lines]  # every line is whole JSON
    assert records[0]["record"] == "crawl"
    assert "totals" not in {r["record"] for r in records}
    assert {r["crawl"] for r in records} == {records[0]["crawl"]}
    assert {"robots", "request"} <= {r["record"] for r in records}
    assert sum(1 for r in records if r["record"] == "request") < 200  # killed mid-way

    code, out = _report(capsys, audit)
    assert code == 3
    assert "INCOMPLETE" in out


@pytest.mark.parametrize(
    "stop",
    [({}, "finished"), ({"CLOSESPIDER_PAGECOUNT": 10}, "closespider_pagecount")],
    ids=["finished", "closespider-pagecount"],
)
@coroutine_test
async def test_a_crawl_that_stops_normally_ends_with_totals_equal_to_its_stats(
    web, crawl, tmp_path: Path, capsys: pytest.CaptureFixture[str], stop: tuple[dict[str, int], str]
) -> None:
    settings, reason = stop
    killable = _load_killable()
    urls = killable.serve(web, 40, 0.05)
    # An origin whose robots.txt is still on its way when CLOSESPIDER_PAGECOUNT closes the spider:
    # the engine waits for what is in flight, and those decisions are in the totals too. (The
    # plugin's own document fetches are responses, so they count towards CLOSESPIDER_PAGECOUNT,
    # as Scrapy's RobotsTxtMiddleware fetches do.)
    web.add("late.test", "/robots.txt", Reply(body="User-agent: *\nAllow: /\n", delay=0.5))
    late = [web.url("late.test", f"/page/{i}") for i in range(4)]
    for url in late:
        web.add("late.test", url.removeprefix("http://late.test"), "<html><body>late</body></html>")

    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings={
            "POLICYGUARD_AUDIT_LOG": str(audit),
            "POLICYGUARD_AUDIT_ALL": True,
            "CONCURRENT_REQUESTS": 8,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
            **settings,
        },
        urls=[*urls[:8], *late, *urls[8:]],
    )
    assert crawler.stats is not None
    assert crawler.stats.get_value("finish_reason") == reason
    records = read_audit(audit)
    assert records[0]["record"] == "crawl"
    assert [r["record"] for r in records].count("totals") == 1
    totals = records[-1]
    assert totals["record"] == "totals"  # nothing written after it
    assert totals["finish_reason"] == reason
    stats = guard_stats(crawler)
    robots = [r for r in records if r["record"] == "robots"]
    assert stats["policyguard/robots/fetched"] == len(robots) == len({s.host for s in web.seen})
    assert stats["policyguard/requests/allowed"] > 0
    assert stats["policyguard/requests/denied"] > 0
    assert totals["stats"] == stats
    code, out = _report(capsys, audit)
    assert code == 0, out
    assert "INCOMPLETE" not in out
