"""Pay-per-crawl spending in ``policyguard report``: from the totals record, or, when a crawl was
killed before writing it, added up from its ``charge`` records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy_policyguard.cli.report.html import render_html
from scrapy_policyguard.cli.report.model import load_report
from scrapy_policyguard.cli.report.text import render_text


def write(path: Path, *records: dict[str, Any]) -> Path:
    lines = [json.dumps({"crawl": "c1", "time": "2026-12-02T00:00:00Z", **r}) for r in records]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def charge(url: str, origin: str, action: str, price: str, charged: str | None) -> dict[str, Any]:
    return {
        "record": "charge",
        "url": url,
        "origin": origin,
        "action": action,
        "price": price,
        "currency": "USD",
        "charged": charged,
    }


CRAWL = {"record": "crawl", "spider": "s", "purpose": "ai-train", "mode": "enforce"}


def test_a_killed_crawl_adds_up_its_charge_records(tmp_path: Path) -> None:
    log = write(
        tmp_path / "audit.jsonl",
        CRAWL,
        charge("http://a.test/1", "http://a.test", "paid", "0.01", "0.01"),
        charge("http://a.test/2", "http://a.test", "paid", "0.01", "0.02"),
        charge("http://b.test/1", "http://b.test", "paid", "0.05", "0.05"),
        charge("http://b.test/2", "http://b.test", "unconfirmed", "0.05", None),
    )
    pay = load_report(log).to_dict()["pay"]
    assert pay["source"] == "charge records"
    assert pay["pages"] == 3
    assert pay["charged"] == {"USD": "0.08"}
    assert pay["origins"] == {
        "http://a.test": {"charged": {"USD": "0.03"}, "pages": 2},
        "http://b.test": {"charged": {"USD": "0.05"}, "pages": 1},
    }


def test_totals_are_the_source_when_present_and_rendered(tmp_path: Path) -> None:
    totals = {
        "record": "totals",
        "finish_reason": "finished",
        "stats": {"policyguard/pay/declined": 2},
        "origins": {},
        "pay": {
            "currency": "USD",
            "spent": "0.02",
            "pages": 2,
            "charged": {"USD": "0.02"},
            "unsettled": "0.01",
            "simulated": False,
            "origins": {"http://a.test": {"charged": {"USD": "0.02"}, "pages": 2, "spent": "0.02"}},
        },
    }
    log = write(tmp_path / "audit.jsonl", CRAWL, totals)
    report = load_report(log)
    text = render_text(report, 5)
    assert "pay-per-crawl: 2 page(s) paid, USD 0.02; 2 declined; 0.01 unsettled" in text
    assert "  http://a.test  USD 0.02 (2 page(s))" in text
    html = render_html(report)
    assert "<h2>Pay-per-crawl spending</h2>" in html
    assert "<b>USD 0.02</b>" in html
    assert "A further 0.01 was offered for pages sent with a price whose billing is unknown." in html


def test_a_crawl_without_prices_shows_no_spending(tmp_path: Path) -> None:
    log = write(tmp_path / "audit.jsonl", CRAWL)
    report = load_report(log)
    assert "pay-per-crawl" not in render_text(report, 5)
    assert "Pay-per-crawl spending" not in render_html(report)
