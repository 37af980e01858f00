"""The demo crawl (smaller, in-process) against its expected outcomes, and the audit report on it."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from crawling import PageStructure, coroutine_test, guard_stats, read_audit
from scrapy.utils.test import get_crawler

from scrapy_policyguard import policy_feeds
from scrapy_policyguard.cli.demo import find_project
from scrapy_policyguard.cli.main import main
from scrapy_policyguard.cli.report.model import load_report
from scrapy_policyguard.demo.web import LocalWeb

PROJECT = find_project()  # the copy installed with the package, which `policyguard demo` crawls
EXPECTED = yaml.safe_load((PROJECT / "demoweb" / "expected.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def demo_spiders():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(PROJECT))
    try:
        from example_project.spiders.demo import DemoSpider

        from example_project import settings as project_settings
    finally:
        sys.path.remove(str(PROJECT))
    return project_settings, DemoSpider


async def run_demo(demo_spiders, tmp_path: Path, monkeypatch) -> tuple[Any, Path]:  # type: ignore[no-untyped-def]
    project_settings, spider = demo_spiders
    settings = {k: getattr(project_settings, k) for k in dir(project_settings) if k.isupper()}
    settings.update(
        DOWNLOAD_DELAY=0,
        LOG_LEVEL="WARNING",
        POLICYGUARD_AUDIT_LOG=str(tmp_path / "audit.jsonl"),
        FILES_STORE=str(tmp_path / "files"),
        FEEDS=policy_feeds(str(tmp_path / "train.jsonl"), str(tmp_path / "quarantine.jsonl")),
    )
    with LocalWeb(sites_dir=PROJECT / "demoweb" / "sites") as web:
        monkeypatch.setenv("http_proxy", web.proxy_url)
        crawler = get_crawler(spider, settings)
        await crawler.crawl_async()
    return crawler, tmp_path / "audit.jsonl"


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


@coroutine_test
async def test_demo_crawl_matches_its_expected_outcome_per_origin(
    demo_spiders, tmp_path, monkeypatch
) -> None:
    crawler, audit = await run_demo(demo_spiders, tmp_path, monkeypatch)
    expected = EXPECTED["demo"]
    records = read_audit(audit)
    blocked_by: dict[str, set[str]] = {}
    blocked: Counter[str] = Counter()
    for record in records:
        if record["record"] == "request" and record["action"] == "blocked":
            host = urlsplit(record["url"]).hostname
            blocked[host] += 1
            blocked_by.setdefault(host, set()).update(record["denied_by"])
    kept = Counter(urlsplit(i["url"]).hostname for i in jsonl(tmp_path / "train.jsonl"))
    quarantined = jsonl(tmp_path / "quarantine.jsonl")
    held = Counter(urlsplit(i["url"]).hostname for i in quarantined)
    files_denied = Counter()
    for item in [*jsonl(tmp_path / "train.jsonl"), *quarantined]:
        files_denied[urlsplit(item["url"]).hostname] += len(item["policyguard"]["files_denied"])
    for host, outcome in expected["hosts"].items():
        assert set(outcome["requests_blocked_by"]) == blocked_by.get(host, set()), host
        assert outcome["requests_blocked"] == blocked[host], host
        assert outcome["items_kept"] == kept[host], host
        assert outcome["items_quarantined"] == held[host], host
        assert outcome["files_denied"] == files_denied[host], host
        for item in quarantined:
            if urlsplit(item["url"]).hostname == host:
                sources = {reason.split(":")[0] for reason in item["policyguard"]["reasons"]}
                assert sources <= set(outcome["quarantined_by"]), host
    totals = expected["totals"]
    stats = guard_stats(crawler)
    assert stats["policyguard/requests/denied"] == totals["requests_blocked"]
    assert stats["policyguard/items/allowed"] == totals["items_kept"]
    assert stats["policyguard/items/denied"] == totals["items_quarantined"]
    assert stats["policyguard/items/files_denied"] == totals["files_denied"]
    # No page the guard blocked ever reached the demo web.
    assert records[-1]["stats"] == stats


@coroutine_test
async def test_report_on_the_demo_audit_log(demo_spiders, tmp_path, monkeypatch, capsys) -> None:
    crawler, audit = await run_demo(demo_spiders, tmp_path, monkeypatch)
    stats = guard_stats(crawler)
    report_html = tmp_path / "report.html"

    assert main(["report", str(audit), "--html", str(report_html)]) == 0
    text = capsys.readouterr().out
    assert "status: complete" in text
    assert "purpose ai-train" in text and "token ExampleDataBot" in text
    row = next(line for line in text.splitlines() if line.startswith("http://dailyherald.example"))
    assert re.search(r"parsed 200\s+0\s+4\b", row), row
    assert "[robots-ai-groups] Disallow: /" in text
    assert "[robots.txt] unreachable (HTTP 503)" in text

    assert main(["report", str(audit), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["complete"] is True and data["problems"] == []
    assert data["stats"] == stats
    origins = {o["origin"]: o for o in data["origins"]}
    assert origins["http://dailyherald.example"]["counts"]["requests_denied"] == 4
    assert origins["http://dailyherald.example"]["denials_by_source"] == {"robots-ai-groups": 4}
    assert origins["http://flaky.example"]["robots"]["state"] == "unreachable"
    assert origins["http://opencommons.example"]["counts"]["items_allowed"] == 3
    assert origins["http://artfolio.example"]["counts"]["items_denied"] == 2
    assert (
        sum(o["counts"].get("requests_denied", 0) for o in data["origins"])
        == stats["policyguard/requests/denied"]
    )

    page = report_html.read_text("utf-8")
    parser = PageStructure(page)
    assert parser.external == [], "the page must load nothing from outside"
    assert parser.tags["svg"] >= 3 and parser.tags["table"] >= 4
    assert "http://dailyherald.example" in page and "robots-ai-groups" in page
    assert "This audit log is complete" in page


@coroutine_test
async def test_report_on_a_truncated_log_says_it_is_incomplete(
    demo_spiders, tmp_path, monkeypatch, capsys
) -> None:
    _, audit = await run_demo(demo_spiders, tmp_path, monkeypatch)
    lines = audit.read_bytes().splitlines(keepends=True)
    cut = tmp_path / "killed.jsonl"
    # A killed crawl: no totals record, and half of the last line written.
    cut.write_bytes(b"".join(lines[: len(lines) // 2]) + lines[len(lines) // 2][:25])
    assert main(["report", str(cut)]) == 3
    text = capsys.readouterr().out
    assert "status: INCOMPLETE" in text
    assert "no totals record" in text and "1 line(s) could not be read" in text
    report = load_report(cut)
    assert not report.complete
    blocked_before = sum(
        1
        for r in read_audit(audit)[: len(lines) // 2]
        if r["record"] == "request" and r["action"] == "blocked"
    )
    counted = sum(o.counts.get("requests_denied", 0) for o in report.origins.values())
    assert counted == blocked_before
    html = tmp_path / "killed.html"
    assert main(["report", str(cut), "--html", str(html)]) == 3
    assert "Incomplete audit log" in html.read_text("utf-8")
