"""Real crawls for the Code of Practice measures the plugin enforces: blocklisted websites are never
contacted, paywalled pages are withheld from AI use, and every response counts its body bytes as
kept for the purpose or withheld from it, per origin."""

from __future__ import annotations

import json
from pathlib import Path

import scrapy
from crawling import coroutine_test, guard_stats, read_audit

from scrapy_policyguard import policy_feeds
from scrapy_policyguard.cli.report.model import load_report
from scrapy_policyguard.demo.web import Reply

OPEN = "User-agent: *\nAllow: /\n"
PAYWALLED = (
    "<html><head><title>Metered</title><script type='application/ld+json'>"
    '{"@context": "https://schema.org", "@type": "NewsArticle", "isAccessibleForFree": false,'
    ' "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": false, "cssSelector": ".paywall"}}'
    "</script></head><body><article><h1>Metered</h1><p class='paywall'>For subscribers.</p></article>"
    "</body></html>"
)
FREE = "<html><head><title>Free</title></head><body><article><h1>Free</h1><p>Hi.</p></article></body></html>"


class ItemSpider(scrapy.Spider):
    """Yields one item per page it fetches; records what was blocked."""

    name = "items"

    def __init__(self, urls: list[str], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.urls = urls
        self.blocked: list[str] = []

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            meta = {"dont_obey_robotstxt": True} if "override" in url else {}
            yield scrapy.Request(url, meta=meta, errback=self.failed, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        yield {"url": response.url, "title": response.css("title::text").get()}

    def failed(self, failure) -> None:  # type: ignore[no-untyped-def]
        self.blocked.append(failure.request.url)


def blocklist(tmp_path: Path) -> Path:
    path = tmp_path / "infringing.txt"
    path.write_text("# Court of Example, case 2026/114\npirate.test\n", "utf-8")
    return path


@coroutine_test
async def test_a_blocklisted_website_gets_no_request_at_all(web, crawl, tmp_path: Path) -> None:
    web.add("news.test", "/robots.txt", OPEN)
    web.add("news.test", "/a", FREE)
    # The licence of news.test's page lives on a listed host: not fetched either.
    web.add(
        "news.test",
        "/licensed",
        Reply(
            body=FREE,
            headers=[("Link", '<http://cdn.pirate.test/l.xml>; rel="license"; type="application/rsl+xml"')],
        ),
    )
    for path in ("/robots.txt", "/", "/book", "/override", "/l.xml"):
        web.add("pirate.test", path, OPEN if path == "/robots.txt" else FREE)
        web.add("www.pirate.test", path, FREE)
    audit = tmp_path / "audit.jsonl"
    listed = blocklist(tmp_path)
    urls = [
        "http://pirate.test/",
        "http://www.pirate.test/book",
        "http://pirate.test/override",
        "http://news.test/a",
        "http://news.test/licensed",
    ]
    settings = {
        "POLICYGUARD_BLOCKLISTS": [str(listed)],
        "POLICYGUARD_AUDIT_LOG": str(audit),
        "POLICYGUARD_AUDIT_ALL": True,
    }
    crawler = await crawl(ItemSpider, settings, urls=urls)

    assert web.count("pirate.test") == 0 and web.count("www.pirate.test") == 0  # not even robots.txt
    assert web.count("cdn.pirate.test") == 0
    assert sorted(crawler.spider.blocked) == sorted(urls[:3])
    records = read_audit(audit)
    blocked = [r for r in records if r["record"] == "request" and r["action"] == "blocked"]
    assert {r["url"] for r in blocked} == set(urls[:3])
    for record in blocked:
        assert record["denied_by"] == ["blocklist"]
        [evidence] = record["evidence"]
        assert evidence["source"] == "blocklist" and evidence["location"] == f"{listed} line 2"
        assert evidence["rule"] == "pirate.test" and evidence["kind"] == "crawl"
    licensed = next(r for r in records if r["record"] == "response" and r["url"].endswith("/licensed"))
    [note] = [e for e in licensed["evidence"] if e["source"] == "rsl"]
    assert note["detail"].startswith("not used: not fetched, blocklist: pirate.test")
    stats = guard_stats(crawler)
    assert stats["policyguard/requests/denied/blocklist"] == 3
    crawl_record = records[0]
    assert crawl_record["settings"]["POLICYGUARD_BLOCKLISTS"] == [str(listed)]
    [listed_file] = [r for r in crawl_record["rules"] if r["kind"] == "blocklist"]
    assert (
        listed_file["file"] == str(listed)
        and listed_file["entries"] == 1
        and len(listed_file["sha256"]) == 64
    )


@coroutine_test
async def test_audit_mode_fetches_a_blocklisted_website_and_records_would_block(
    web, crawl, tmp_path: Path
) -> None:
    web.add("pirate.test", "/robots.txt", OPEN)
    web.add("pirate.test", "/", FREE)
    audit = tmp_path / "audit.jsonl"
    settings = {
        "POLICYGUARD_BLOCKLISTS": [str(blocklist(tmp_path))],
        "POLICYGUARD_MODE": "audit",
        "POLICYGUARD_AUDIT_LOG": str(audit),
    }
    crawler = await crawl(ItemSpider, settings, urls=["http://pirate.test/"])
    assert web.count("pirate.test", "/") == 1
    [record] = [r for r in read_audit(audit) if r["record"] == "request"]
    assert record["action"] == "would-block" and "blocklist" in record["denied_by"]
    stats = guard_stats(crawler)
    assert stats["policyguard/requests/would_deny/blocklist"] == 1
    # Fetched, but still denied at the response stage: withheld from the purpose, not kept.
    assert stats["policyguard/responses/withheld"] == 1 and "policyguard/responses/kept" not in stats
    [item] = [r for r in read_audit(audit) if r["record"] == "item"]
    assert item["action"] == "would-drop" and "blocklist" in item["denied_by"]


@coroutine_test
async def test_a_paywalled_page_is_quarantined_with_source_paywall(web, crawl, tmp_path: Path) -> None:
    web.add("news.test", "/robots.txt", OPEN)
    web.add("news.test", "/metered", PAYWALLED)
    web.add("news.test", "/free", FREE)
    audit = tmp_path / "audit.jsonl"
    settings = {
        "POLICYGUARD_AUDIT_LOG": str(audit),
        "POLICYGUARD_ITEM_ACTION": "tag",
        "FEEDS": policy_feeds(str(tmp_path / "train.jsonl"), str(tmp_path / "quarantine.jsonl")),
    }
    crawler = await crawl(ItemSpider, settings, urls=["http://news.test/metered", "http://news.test/free"])
    quarantined = [
        json.loads(line) for line in (tmp_path / "quarantine.jsonl").read_text("utf-8").splitlines()
    ]
    kept = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text("utf-8").splitlines()]
    assert [i["url"] for i in quarantined] == ["http://news.test/metered"]
    assert [i["url"] for i in kept] == ["http://news.test/free"]
    tag = quarantined[0]["policyguard"]
    assert tag["outcome"] == "deny" and tag["reasons"][0].startswith("paywall: NewsArticle")
    records = read_audit(audit)
    [response] = [r for r in records if r["record"] == "response"]
    assert response["action"] == "marked" and response["denied_by"] == ["paywall"]
    [item] = [r for r in records if r["record"] == "item"]
    assert item["denied_by"] == ["paywall"] and item["action"] == "tagged-denied"
    stats = guard_stats(crawler)
    assert stats["policyguard/responses/denied/paywall"] == 1
    assert stats["policyguard/items/denied/paywall"] == 1


@coroutine_test
async def test_paywall_tag_mode_keeps_the_page_with_a_condition(web, crawl, tmp_path: Path) -> None:
    web.add("news.test", "/robots.txt", OPEN)
    web.add("news.test", "/metered", PAYWALLED)
    settings = {
        "POLICYGUARD_PAYWALL": "tag",
        "FEEDS": policy_feeds(str(tmp_path / "train.jsonl"), str(tmp_path / "q.jsonl")),
    }
    await crawl(ItemSpider, settings, urls=["http://news.test/metered"])
    [item] = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text("utf-8").splitlines()]
    assert item["policyguard"]["allowed"] is True
    assert any("paywalled" in c for c in item["policyguard"]["conditions"])


@coroutine_test
async def test_response_bytes_are_counted_kept_or_withheld_per_origin(web, crawl, tmp_path: Path) -> None:
    web.add("a.test", "/robots.txt", OPEN)
    web.add("a.test", "/one", FREE)
    web.add("a.test", "/two", Reply(body=FREE * 3, gzip=True))  # the content counts, not the wire
    web.add("a.test", "/noai", Reply(body=FREE + " ", headers=[("X-Robots-Tag", "noai")]))
    web.add("a.test", "/metered", PAYWALLED)
    web.add("b.test", "/robots.txt", "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    web.add("b.test", "/x", FREE * 2)  # fetched for its links only: its use is denied before fetching
    audit = tmp_path / "audit.jsonl"
    urls = [f"http://a.test/{p}" for p in ("one", "two", "noai", "metered")] + ["http://b.test/x"]
    settings = {"POLICYGUARD_AUDIT_LOG": str(audit), "POLICYGUARD_BLOCK_BEFORE_FETCH": False}
    crawler = await crawl(ItemSpider, settings, urls=urls)

    size = len(FREE.encode())
    origins = read_audit(audit)[-1]["origins"]
    assert origins["http://a.test"]["responses_kept"] == 2
    assert origins["http://a.test"]["bytes_kept"] == size + 3 * size
    assert origins["http://a.test"]["responses_withheld"] == 2
    assert origins["http://a.test"]["bytes_withheld"] == size + 1 + len(PAYWALLED.encode())
    assert origins["http://b.test"]["responses_withheld"] == 1
    assert origins["http://b.test"]["bytes_withheld"] == 2 * size
    assert "bytes_kept" not in origins["http://b.test"]
    stats = guard_stats(crawler)
    assert (
        stats["policyguard/responses/checked"]
        == stats["policyguard/responses/kept"] + stats["policyguard/responses/withheld"]
    )
    assert stats["policyguard/responses/bytes_kept"] == 4 * size
    report = load_report(audit)
    assert report.origins["http://a.test"].counts["bytes_kept"] == 4 * size
