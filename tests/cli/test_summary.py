"""``policyguard summary``: real crawls of a local web whose pages have known sizes, summarised as
the AI Act training-content template and the Code of Practice ask, from one audit file or from
several files of one run (one per worker), merged."""

from __future__ import annotations

import json
import math
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import scrapy
from archiving import CAPTURED
from crawling import ListSpider, PageStructure, coroutine_test, read_audit
from scrapy.crawler import Crawler

from scrapy_policyguard.cli.main import main
from scrapy_policyguard.cli.report.model import build_origins, load_report
from scrapy_policyguard.cli.report.model import read_audit as read_trail
from scrapy_policyguard.cli.summary.domains import registrable_domain, top_count
from scrapy_policyguard.cli.summary.model import build_summary
from scrapy_policyguard.demo.web import Reply

OPEN = "User-agent: *\nAllow: /\n"
#: host -> page sizes in bytes. en./de. share a registrable domain, as do news./www. under co.uk.
SITES: dict[str, list[int]] = {
    "en.wiki-example.org": [9000, 1000],
    "de.wiki-example.org": [5000],
    "news.paper-example.co.uk": [3000],
    "www.paper-example.co.uk": [4500],
    **{f"site{i}.example": [1000 + 100 * i] for i in range(9)},
}
#: Fetched, but their use is denied (X-Robots-Tag: noai): withheld, not kept.
WITHHELD = {"site0.example": 777}
#: Never fetched: robots.txt disallows everything.
CLOSED = "closed.example"


def page(size: int) -> str:
    head = "<html><body><article><h1>t</h1><p>"
    tail = "</p></article></body></html>"
    return head + "x" * (size - len(head) - len(tail)) + tail


def build_web(web) -> list[str]:  # type: ignore[no-untyped-def]
    urls = []
    for host, sizes in SITES.items():
        web.add(host, "/robots.txt", OPEN)
        for index, size in enumerate(sizes):
            web.add(host, f"/p{index}", page(size))
            urls.append(web.url(host, f"/p{index}"))
    for host, size in WITHHELD.items():
        web.add(host, "/noai", Reply(body=page(size), headers=[("X-Robots-Tag", "noai")]))
        urls.append(web.url(host, "/noai"))
    web.add(CLOSED, "/robots.txt", "User-agent: *\nDisallow: /\n")
    web.add(CLOSED, "/a", page(2000))
    urls.append(web.url(CLOSED, "/a"))
    return urls


def expected_domains() -> dict[str, int]:
    sizes: Counter[str] = Counter()
    for host, pages in SITES.items():
        sizes[registrable_domain(host)] += sum(pages)
    return dict(sizes)


async def crawl_to(crawl, audit: Path, urls: list[str], **settings: Any):  # type: ignore[no-untyped-def]
    return await crawl(ListSpider, {"POLICYGUARD_AUDIT_LOG": str(audit), **settings}, urls=urls)


def summary_json(capsys, *args: str) -> tuple[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    code = main(["summary", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_registrable_domains_and_the_top_share() -> None:
    assert registrable_domain("en.wikipedia.org") == registrable_domain("de.wikipedia.org") == "wikipedia.org"
    assert registrable_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registrable_domain("a.b.portal.example") == "portal.example"  # unlisted TLD: the default rule
    assert registrable_domain("user.github.io") == "github.io"  # registries' suffixes, not platforms'
    assert registrable_domain("127.0.0.1") == "127.0.0.1" and registrable_domain("[::1]") == "::1"
    assert registrable_domain("localhost") == "localhost"
    assert [top_count(n, 0.10) for n in (0, 1, 10, 11, 20, 21)] == [0, 1, 1, 2, 2, 3]
    assert top_count(100_000, 0.05, 1000) == 1000 and top_count(100, 0.05, 1000) == 5


@coroutine_test
async def test_summary_sizes_every_domain_by_the_bytes_the_server_sent(
    web, crawl, tmp_path: Path, capsys
) -> None:
    urls = build_web(web)
    audit = tmp_path / "audit.jsonl"
    await crawl_to(crawl, audit, urls)
    code, data = summary_json(capsys, str(audit))
    assert code == 0
    assert list(data) == ["run", "crawlers", "period", "totals", "domains", "top_domains", "measures"]

    expected = expected_domains()
    kept = {d["domain"]: d["bytes"] for d in data["domains"] if d["bytes"]}
    assert kept == expected
    assert [d["bytes"] for d in data["domains"]] == sorted(
        (d["bytes"] for d in data["domains"]), reverse=True
    )
    by_domain = {d["domain"]: d for d in data["domains"]}
    assert by_domain["wiki-example.org"]["responses"] == 3 and by_domain["wiki-example.org"]["items"] == 0
    assert by_domain["wiki-example.org"]["origins"] == [
        "http://de.wiki-example.org",
        "http://en.wiki-example.org",
    ]
    assert by_domain["site0.example"]["bytes_withheld"] == WITHHELD["site0.example"]
    assert by_domain[CLOSED]["bytes"] == 0 and by_domain[CLOSED]["requests_denied"] == 1

    # The template's rule: the top 10% of the 11 domains that gave content, rounded up: 2.
    ranked = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))
    assert [d["domain"] for d in data["top_domains"]] == [name for name, _ in ranked[: math.ceil(0.1 * 11)]]
    assert [d["domain"] for d in data["top_domains"]] == ["wiki-example.org", "paper-example.co.uk"]
    rule = data["run"]["top_domains_rule"]
    assert rule["domains_with_content"] == 11 and rule["listed"] == 2
    assert rule["bytes_kept"] == sum(expected.values()) == data["totals"]["bytes_kept"]

    # The SME variant: the top 5% or at most N, whichever is lower.
    code, sme = summary_json(capsys, str(audit), "--share", "0.05", "--max-domains", "1")
    assert [d["domain"] for d in sme["top_domains"]] == ["wiki-example.org"]

    records = read_audit(audit)
    assert data["period"] == {"start": records[0]["time"], "end": records[-1]["time"]}
    assert data["crawlers"][0]["token"] == "TestBot" and data["crawlers"][0]["purposes"] == ["ai-train"]
    measures = {m["measure"]: m for m in data["measures"]}
    assert list(measures) == ["1.3 (1)(a)", "1.3 (1)(b)", "1.2 (b)", "1.2 (a)", "1.3 (4)"]
    robots = measures["1.3 (1)(a)"]["evidence"]
    assert robots["fetches"] == len(SITES) + 1 and robots["requests_not_sent"] == 1
    protocols = {p["source"]: p for p in measures["1.3 (1)(b)"]["evidence"]["protocols"]}
    assert protocols["x-robots-tag"]["responses_denied"] == 1
    assert measures["1.2 (b)"]["status"] == "not configured"


@coroutine_test
async def test_several_audit_files_of_one_run_merge(web, crawl, tmp_path: Path, capsys) -> None:
    urls = build_web(web)
    first, second = tmp_path / "worker-1.jsonl", tmp_path / "worker-2.jsonl"
    half = len(urls) // 2
    # Two workers of one run (in memory mode, the run id is set; with the Redis cache it is shared).
    await crawl_to(crawl, first, urls[:half], POLICYGUARD_RUN_ID="run-1")
    await crawl_to(
        crawl, second, urls[half:], POLICYGUARD_CONTACT="crawler@example.org", POLICYGUARD_RUN_ID="run-1"
    )

    code, merged = summary_json(capsys, str(first), str(second))
    assert code == 0
    assert {d["domain"]: d["bytes"] for d in merged["domains"] if d["bytes"]} == expected_domains()
    assert len(merged["run"]["crawls"]) == 2 and merged["run"]["files"] == [str(first), str(second)]
    assert len(merged["crawlers"]) == 1 and len(merged["crawlers"][0]["crawls"]) == 2
    assert merged["period"]["start"] == read_audit(first)[0]["time"]
    assert merged["period"]["end"] == read_audit(second)[-1]["time"]
    # Each file alone holds part of the run; together they hold all of it.
    parts = [summary_json(capsys, str(path))[1] for path in (first, second)]
    for key in ("bytes_kept", "responses_kept", "requests_allowed", "requests_denied", "bytes_withheld"):
        assert merged["totals"][key] == sum(part["totals"][key] for part in parts), key
    information = next(m for m in merged["measures"] if m["measure"] == "1.3 (4)")
    assert information["evidence"]["contact"] == ["crawler@example.org"]

    # One crawl of the run, by its id.
    crawl_id = read_audit(second)[0]["crawl"]
    code, one = summary_json(capsys, str(first), str(second), "--crawl", crawl_id)
    assert [c["id"] for c in one["run"]["crawls"]] == [crawl_id]
    assert one["totals"] == parts[1]["totals"]
    assert main(["summary", str(first), "--crawl", "nope"]) == 2
    assert "no run or crawl 'nope'" in capsys.readouterr().err

    # A worker killed mid-crawl: its records still count, and the summary says it is incomplete.
    lines = second.read_bytes().splitlines(keepends=True)
    killed = tmp_path / "worker-2-killed.jsonl"
    killed.write_bytes(b"".join(lines[:-1]) + lines[-1][:20])
    code, partial = summary_json(capsys, str(first), str(killed))
    assert code == 3 and not partial["run"]["complete"]
    assert any("no totals record" in p for p in partial["run"]["problems"])

    page_html = tmp_path / "summary.html"
    assert main(["summary", str(first), str(second), "--html", str(page_html)]) == 0
    text = capsys.readouterr().out
    assert "Main domain names by size of content scraped (template 2.3 (vii))" in text
    assert "wiki-example.org" in text and "[1.2 (b)]" in text
    html = page_html.read_text("utf-8")
    structure = PageStructure(html)
    assert structure.external == [] and structure.tags["script"] == 0
    assert structure.tags["svg"] == 1 and "wiki-example.org" in html
    assert "Measure 1.3 (1)(a)" in html and "section 2.3 (vii)" in html


def test_per_origin_counts_merge_across_crawls_with_and_without_totals(tmp_path: Path) -> None:
    """A finished crawl counts from its totals record; a killed one from its records; both add."""

    def record(crawl: str, kind: str, **fields: Any) -> str:
        return json.dumps({"record": kind, "crawl": crawl, "time": "2026-12-01T00:00:00.000Z", **fields})

    finished = tmp_path / "a.jsonl"
    finished.write_text(
        "\n".join(
            [
                record("a", "crawl", purpose="ai-train"),
                record("a", "request", url="http://x.test/1", action="blocked", denied_by=["robots.txt"]),
                record(
                    "a", "origin", origin="http://x.test", counts={"requests_allowed": 5, "bytes_kept": 500}
                ),
                record(
                    "a",
                    "totals",
                    stats={},
                    origins={"http://x.test": {"requests_allowed": 1, "bytes_kept": 70}},
                ),
            ]
        )
        + "\n"
    )
    killed = tmp_path / "b.jsonl"
    killed.write_text(
        "\n".join(
            [
                record("b", "crawl", purpose="ai-train"),
                record("b", "request", url="http://x.test/2", action="blocked", denied_by=["robots.txt"]),
                record("b", "response", url="http://x.test/3", action="allowed", bytes=30),
            ]
        )
        + "\n"
    )
    trail = read_trail([finished, killed])
    assert trail.crawls == ["a", "b"]
    counts = build_origins(trail.records)["http://x.test"].counts
    assert counts["requests_allowed"] == 6  # a: its origin record and its totals
    assert counts["requests_denied"] == 1  # b's blocked request; a's is in its totals already (none)
    assert counts["bytes_kept"] == 500 + 70 + 30 and counts["responses_kept"] == 1  # b: its response record
    summary = build_summary(trail, every=True)  # crawls a and b are separate runs: all of them
    assert summary.totals["bytes_kept"] == 600 and not summary.complete
    assert build_summary(trail).totals["bytes_kept"] == 30  # by default the run started last
    # The report still reads one file, its last crawl.
    assert load_report(finished).origins["http://x.test"].counts["bytes_kept"] == 570


@pytest.mark.parametrize(
    ("args", "problem"), [(["--share", "0"], "between 0 and 1"), (["--max-domains", "0"], "at least 1")]
)
def test_bad_options_are_refused(tmp_path: Path, capsys, args: list[str], problem: str) -> None:  # type: ignore[no-untyped-def]
    audit = tmp_path / "a.jsonl"
    audit.write_text("")
    with pytest.raises(SystemExit):
        main(["summary", str(audit), *args])
    assert problem in capsys.readouterr().err


# Later features: rights inside media files, pay-per-crawl spending, re-checks of collected data.


class FileSpider(scrapy.Spider):
    """One item per page, listing ``files`` for Scrapy's FilesPipeline to download."""

    name = "files"

    def __init__(self, urls: list[str], files: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls, self.files = urls, files

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        yield {"url": response.url, "file_urls": self.files}


@coroutine_test
async def test_media_statements_count_under_the_protocols_honoured(
    web, crawl, tmp_path: Path, capsys
) -> None:
    pytest.importorskip("c2pa")
    from mediafiles import VOCAB, image_with_xmp, plain_image, signer, xmp_packet

    jpeg = plain_image("JPEG")
    images = {
        "/plain.jpg": jpeg,
        "/xmp.jpg": image_with_xmp("JPEG", xmp_packet(VOCAB + "DMI-PROHIBITED-AIMLTRAINING")),
        "/c2pa.jpg": signer().sign(jpeg, "image/jpeg", {"cawg.ai_training": "notAllowed"}),
    }
    web.add("gallery.test", "/robots.txt", OPEN)
    web.add("gallery.test", "/", page(500))
    for path, body in images.items():
        web.add("gallery.test", path, Reply(body=body, content_type="image/jpeg"))
    files = [web.url("gallery.test", path) for path in images]

    async def crawl_with(audit: Path, **settings: Any) -> dict[str, Any]:
        await crawl(
            FileSpider,
            {
                "POLICYGUARD_AUDIT_LOG": str(audit),
                "ITEM_PIPELINES": {"scrapy.pipelines.files.FilesPipeline": 1},
                "FILES_STORE": str(tmp_path / "files"),
                **settings,
            },
            urls=[web.url("gallery.test", "/")],
            files=files,
        )
        code, data = summary_json(capsys, str(audit))
        assert code == 0
        return next(m for m in data["measures"] if m["measure"] == "1.3 (1)(b)")

    reading = await crawl_with(tmp_path / "media.jsonl")
    protocols = {p["source"]: p for p in reading["evidence"]["protocols"]}
    assert (protocols["xmp"]["files_dropped"], protocols["c2pa"]["files_dropped"]) == (1, 1)
    assert protocols["xmp"]["read"] and protocols["c2pa"]["read"]
    assert sum(p["files_dropped"] for p in protocols.values()) == 2
    assert "2 more (xmp, c2pa) were read inside any media files the crawl downloaded" in reading["summary"]
    assert "xmp (1), c2pa (1)" in reading["summary"]
    main(["summary", str(tmp_path / "media.jsonl"), "--html", str(tmp_path / "media.html")])
    text = capsys.readouterr().out
    assert "    xmp: files dropped 1" in text and "    c2pa: files dropped 1" in text
    html = (tmp_path / "media.html").read_text("utf-8")
    assert "IPTC Data Mining, plus:DataMining" in html and "<th>files dropped</th>" in html

    # With the media readers off, the files are stored and the summary says they were not read.
    blind = await crawl_with(tmp_path / "blind.jsonl", POLICYGUARD_MEDIA_READERS=[])
    protocols = {p["source"]: p for p in blind["evidence"]["protocols"]}
    assert not protocols["xmp"]["read"] and not protocols["c2pa"]["read"]
    assert protocols["xmp"]["files_dropped"] == protocols["c2pa"]["files_dropped"] == 0
    assert "inside media files (XMP, C2PA) were not read (POLICYGUARD_MEDIA_READERS)" in blind["summary"]
    main(["summary", str(tmp_path / "blind.jsonl"), "--html", str(tmp_path / "blind.html")])
    capsys.readouterr()
    assert "(not read in this run)" in (tmp_path / "blind.html").read_text("utf-8")


@coroutine_test
async def test_pay_per_crawl_spending_is_in_the_summary(web, crawl, tmp_path: Path, capsys) -> None:
    from paywall import PayWall, WebBotAuthVerifier, directory_of

    from scrapy_policyguard.cli.keys import DIRECTORY_FILE, KEY_FILE

    agent = "https://crawler.example"
    assert main(["keys", "new", str(tmp_path / "keys")]) == 0
    capsys.readouterr()
    paywall = PayWall(web, WebBotAuthVerifier({agent: directory_of(tmp_path / "keys" / DIRECTORY_FILE)}))
    web.add("shop.test", "/robots.txt", OPEN)
    web.add("shop.test", "/free", page(800))
    cheap = [paywall.page("shop.test", f"/p{i}", "USD 0.01") for i in range(2)]
    dear = paywall.page("shop.test", "/dear", "USD 0.05")
    audit = tmp_path / "audit.jsonl"
    await crawl_to(
        crawl,
        audit,
        [*cheap, dear, web.url("shop.test", "/free")],
        POLICYGUARD_SIGNING_KEY=str(tmp_path / "keys" / KEY_FILE),
        POLICYGUARD_SIGNATURE_AGENT=agent,
        POLICYGUARD_MAX_PRICE="USD 0.01",
        POLICYGUARD_BUDGET="USD 1.00",
    )
    assert paywall.total() == Decimal("0.02")

    code, data = summary_json(capsys, str(audit))
    assert code == 0
    assert list(data) == ["run", "crawlers", "period", "totals", "pay", "domains", "top_domains", "measures"]
    pay = data["pay"]
    assert (pay["source"], pay["pages"], pay["charged"], pay["declined"]) == ("totals", 2, {"USD": "0.02"}, 1)
    assert pay["origins"] == {"http://shop.test": {"charged": {"USD": "0.02"}, "pages": 2}}
    # The same figures as policyguard report's, from the same code.
    assert pay == load_report(audit).to_dict()["pay"]

    main(["summary", str(audit), "--html", str(tmp_path / "summary.html")])
    text = capsys.readouterr().out
    assert "pay-per-crawl: 2 page(s) paid, USD 0.02; 1 declined" in text
    assert "  http://shop.test  USD 0.02 (2 page(s))" in text
    html = (tmp_path / "summary.html").read_text("utf-8")
    assert "<h2>Pay-per-crawl spending</h2>" in html and "<b>USD 0.02</b>" in html


#: The pages of the re-check test, as collected: a.test and b.test open, c.test's page said noai.
COLLECTED = ["http://a.test/open", "http://a.test/private/x", "http://b.test/page", "http://c.test/noai"]


@coroutine_test
async def test_a_recheck_trail_is_summarised_as_a_recheck(web, crawl, tmp_path: Path, capsys) -> None:
    from archiving import write_warc

    from scrapy_policyguard.adapters.recheck import (
        RecheckJob,
        RecheckResult,
        RecheckSpider,
        recheck_settings,
    )

    for host in ("a.test", "b.test", "c.test"):
        web.add(host, "/robots.txt", OPEN)
    for url in COLLECTED[:3]:
        web.add(url.split("/")[2], "/" + url.split("/", 3)[3], page(600))
    web.add("c.test", "/noai", Reply(body=page(600), headers=[("X-Robots-Tag", "noai")]))
    # Our own older crawl, then its pages archived.
    crawled = tmp_path / "crawl.jsonl"
    await crawl_to(crawl, crawled, COLLECTED)
    warc = tmp_path / "pages.warc.gz"
    write_warc(warc, web, COLLECTED)
    # Today a.test reserves /private/ and b.test's robots.txt answers 503.
    web.add("a.test", "/robots.txt", "User-agent: *\nDisallow: /private/\n")
    web.add("b.test", "/robots.txt", Reply(status=503, body="busy"))
    out = tmp_path / "out"
    settings = recheck_settings(out=out, user_agent="TestBot")
    settings.set("RETRY_ENABLED", False)
    result = RecheckResult()
    await Crawler(RecheckSpider, settings).crawl_async(job=RecheckJob((warc,), out), result=result)
    assert result.error is None and (result.inputs[0].kept, result.inputs[0].removed) == (1, 3)

    code, data = summary_json(capsys, str(out / "audit.jsonl"))
    assert code == 0
    recheck = data["recheck"]
    assert (recheck["captures"], recheck["kept"], recheck["removed"]) == (4, 1, 3)
    assert recheck["removed_by"] == {"robots.txt": 2, "x-robots-tag": 1}
    assert recheck["domains"] == [
        {"domain": "a.test", "captures_kept": 1, "captures_removed": 1},
        {"domain": "b.test", "captures_kept": 0, "captures_removed": 1},
        {"domain": "c.test", "captures_kept": 0, "captures_removed": 1},
    ]
    assert recheck["captured"] == {"start": CAPTURED, "end": CAPTURED}
    # Nothing was collected: no collection period, no zero-byte domains.
    assert not data["run"]["collected"] and [c["kind"] for c in data["run"]["crawls"]] == ["recheck"]
    assert data["period"] == {"start": None, "end": None} and data["domains"] == []
    measures = {m["measure"]: m for m in data["measures"]}
    robots = measures["1.3 (1)(a)"]
    assert robots["evidence"]["captures_removed"] == 2
    assert robots["evidence"]["unreachable_origins"][0]["captures_removed"] == 1
    assert "2 re-checked captures of collected data were removed because robots.txt" in robots["summary"]
    assert "requests were not sent" not in robots["summary"]
    assert "before any of their pages" not in robots["summary"]
    protocols = {p["source"]: p for p in measures["1.3 (1)(b)"]["evidence"]["protocols"]}
    assert protocols["x-robots-tag"]["captures_removed"] == 1
    assert "read for every re-checked capture" in measures["1.3 (1)(b)"]["summary"]

    main(["summary", str(out / "audit.jsonl"), "--html", str(tmp_path / "recheck.html")])
    text = capsys.readouterr().out
    assert "Nothing was collected in this run: it re-checked data collected before" in text
    assert "4 captures of data collected before checked against today's opt-outs: 1 kept, 3 removed" in text
    assert "(robots.txt 2, x-robots-tag 1)" in text
    assert "    unreachable: http://b.test (HTTP 503): 1 captures removed\n" in text
    assert "Period of data collection" not in text and "0 requests were not sent" not in text
    html = (tmp_path / "recheck.html").read_text("utf-8")
    assert "<h2>Re-checked data</h2>" in html and "<h2>Every domain</h2>" not in html

    # The older crawl and its re-check together: what was collected comes from the crawl alone.
    code, both = summary_json(capsys, str(crawled), str(out / "audit.jsonl"), "--all")
    assert code == 0 and both["run"]["collected"]
    assert [c["kind"] for c in both["run"]["crawls"]] == ["crawl", "recheck"]
    assert {d["domain"]: d["bytes"] for d in both["domains"]} == {"a.test": 1200, "b.test": 600, "c.test": 0}
    assert both["period"]["end"] == read_audit(crawled)[-1]["time"]
    assert both["recheck"]["removed"] == 3
    robots_summary = both["measures"][0]["summary"]
    assert "0 requests were not sent" in robots_summary and "2 re-checked captures" in robots_summary
    assert "for every request and response and every re-checked capture" in both["measures"][1]["summary"]
