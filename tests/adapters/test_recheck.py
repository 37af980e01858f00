"""``policyguard recheck``'s crawl (adapters/recheck.py), run in-process with the real engine.

Pages of a LocalWeb are archived first (tests/archiving.py); then the sites change their
robots.txt, tdmrep.json and headers, and the archive is re-checked against them. What the server
receives during the re-check shows that each origin's documents are fetched once and no page is.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from archiving import CAPTURED, warc_records, write_jsonl, write_warc
from crawling import coroutine_test, read_audit
from scrapy.crawler import Crawler

from scrapy_policyguard.adapters.recheck import RecheckJob, RecheckResult, RecheckSpider, recheck_settings
from scrapy_policyguard.cli.report.model import load_report
from scrapy_policyguard.demo.web import LocalWeb, Reply

TOKEN = "TestBot"
OPEN = "User-agent: *\nAllow: /\n"
NOAI_PAGE = '<html><head><meta name="robots" content="noai"></head><body>Text</body></html>'
PAGE = "<html><head><title>Page</title></head><body>Text</body></html>"

#: URL -> (output, sources that deny it): the WARC's expected outcome after the sites changed.
EXPECTED = {
    "http://open.test/plain": ("kept", []),
    "http://open.test/noai-header": ("removed", ["x-robots-tag"]),  # said so when captured
    "http://open.test/noai-meta": ("removed", ["html-meta"]),  # said so when captured
    "http://open.test/later-noai": ("kept", []),  # says so only now: the capture is what was taken
    "http://changed.test/public/a": ("kept", []),
    "http://changed.test/private/b": ("removed", ["robots.txt"]),
    "http://tdm.test/free/a": ("kept", []),
    "http://tdm.test/reserved/b": ("removed", ["tdmrep"]),
    "http://down.test/a": ("removed", ["robots.txt"]),  # robots.txt answers 503 now
    "http://gone.test/a": ("kept", []),  # robots.txt answers 404 now: no restriction
}
HOSTS = sorted({url.split("/")[2] for url in EXPECTED})


def serve_then(web: LocalWeb) -> None:
    """The sites when the pages were archived."""
    for host in HOSTS:
        web.add(host, "/robots.txt", Reply(body=OPEN, content_type="text/plain"))
    for url in EXPECTED:
        host, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
        web.add(host, path, PAGE)
    web.add("open.test", "/noai-header", Reply(body=PAGE, headers=[("X-Robots-Tag", "noai")]))
    web.add("open.test", "/noai-meta", NOAI_PAGE)


def serve_now(web: LocalWeb) -> None:
    """The sites today: changed robots.txt, a tdmrep.json, changed headers."""
    web.add("changed.test", "/robots.txt", Reply(body="User-agent: *\nDisallow: /private/\n"))
    web.add(
        "tdm.test",
        "/.well-known/tdmrep.json",
        Reply(body='[{"location": "/reserved/", "tdm-reservation": 1}]', content_type="application/json"),
    )
    web.add("down.test", "/robots.txt", Reply(status=503, body="busy"))
    web.add("gone.test", "/robots.txt", Reply(status=404, body="none"))
    web.add("open.test", "/noai-header", PAGE)
    web.add("open.test", "/later-noai", Reply(body=PAGE, headers=[("X-Robots-Tag", "noai")]))
    web.clear_log()


async def recheck(inputs: list[Path], out: Path, window: int = 2000, **options: Any) -> RecheckResult:
    options.setdefault("user_agent", TOKEN)
    settings = recheck_settings(out=out, audit_all=True, **options)
    settings.set("RETRY_ENABLED", False)
    settings.set("DOWNLOAD_TIMEOUT", 5)
    result = RecheckResult()
    job = RecheckJob(tuple(inputs), out, window=window)
    await Crawler(RecheckSpider, settings).crawl_async(job=job, result=result)
    return result


def by_url(records: list[dict[str, Any]], kind: str = "recheck") -> dict[str, dict[str, Any]]:
    return {r["url"]: r for r in records if r["record"] == kind}


@pytest.mark.parametrize(("name", "window"), [("pages.warc.gz", 3), ("pages.warc", 2000)])
@coroutine_test
async def test_warc_captures_land_where_todays_documents_and_their_own_headers_put_them(
    web: LocalWeb, tmp_path: Path, name: str, window: int
) -> None:
    serve_then(web)
    source = tmp_path / name
    write_warc(source, web, list(EXPECTED))
    serve_now(web)
    out = tmp_path / "out"

    result = await recheck([source], out, window=window)

    assert result.error is None
    # Each origin's documents once, no page: robots.txt everywhere, tdmrep.json where robots.txt
    # is reachable (down.test's 503 means complete disallow, tdmrep.json included).
    assert sorted((s.host, s.path) for s in web.seen) == sorted(
        [(host, "/robots.txt") for host in HOSTS]
        + [(host, "/.well-known/tdmrep.json") for host in HOSTS if host != "down.test"]
    )
    records = warc_records(source)
    kept, removed = warc_records(out / "kept" / name), warc_records(out / "removed" / name)
    # warcinfo goes to both; every other record goes, byte for byte and in input order, where its
    # capture was decided, with the request and metadata records of the same fetch.
    assert kept[0] == removed[0] == records[0]
    for output, part in ((kept, "kept"), (removed, "removed")):
        expected = [r for r in records[1:] if EXPECTED[r["uri"]][0] == part]
        assert output[1:] == expected
    assert {r["type"] for r in removed[1:]} == {"request", "response", "metadata"}
    summary = result.inputs[0]
    assert (summary.kept, summary.removed, summary.passed, summary.records) == (5, 5, 1, 31)

    audit = read_audit(out / "audit.jsonl")
    decided = by_url(audit)
    assert set(decided) == set(EXPECTED)
    for url, (part, sources) in EXPECTED.items():
        entry = decided[url]
        assert (entry["action"], entry["denied_by"]) == (part, sources), url
        assert entry["captured"] == CAPTURED
        assert entry["records"] == ["request", "response", "metadata"]
    # Which statements came from the capture (with its date) and which from today's documents.
    header = decided["http://open.test/noai-header"]
    assert [(e["source"], e.get("captured")) for e in header["evidence"] if e["effects"]] == [
        ("robots.txt", None),
        ("x-robots-tag", CAPTURED),
    ]
    assert decided["http://open.test/noai-meta"]["evidence"][-1]["captured"] == CAPTURED
    private = decided["http://changed.test/private/b"]["evidence"][0]
    assert (private["rule"], "captured" in private) == ("Disallow: /private/", False)
    down = decided["http://down.test/a"]["evidence"][0]
    assert down["rule"] == "unreachable (HTTP 503)" and "RFC 9309" in down["detail"]
    reserved = next(e for e in decided["http://tdm.test/reserved/b"]["evidence"] if e["source"] == "tdmrep")
    assert (
        reserved["location"].startswith("http://tdm.test/.well-known/tdmrep.json")
        and "captured" not in reserved
    )

    totals = next(r for r in audit if r["record"] == "totals")
    stats = totals["stats"]
    assert (stats["policyguard/recheck/kept"], stats["policyguard/recheck/removed"]) == (5, 5)
    assert stats["policyguard/recheck/records/passed"] == 1
    assert stats["policyguard/recheck/removed/x-robots-tag"] == 1
    assert stats["policyguard/robots/fetched"] == len(HOSTS)
    # The crawl's report reads it: per origin, what was kept and removed, and why.
    report = load_report(out / "audit.jsonl")
    assert report.complete
    assert dict(report.origins["http://changed.test"].counts) == {"captures_kept": 1, "captures_removed": 1}
    assert report.origins["http://down.test"].robots["state"] == "unreachable"
    assert report.origins["http://open.test"].sources == {"x-robots-tag": 1, "html-meta": 1}


@coroutine_test
async def test_json_lines_are_split_by_todays_documents_alone_and_an_unreadable_line_is_removed(
    web: LocalWeb, tmp_path: Path
) -> None:
    serve_then(web)
    serve_now(web)
    source = tmp_path / "docs.jsonl"
    write_jsonl(source, list(EXPECTED))
    with source.open("a", encoding="utf-8") as handle:
        handle.write('{"text": "no url"}\n\n')
    out = tmp_path / "out"

    result = await recheck([source], out)

    assert result.error is None
    lines = source.read_bytes().splitlines(keepends=True)
    # A line has no captured headers: only today's documents count.
    kept_urls = [
        u
        for u, (part, sources) in EXPECTED.items()
        if part == "kept" or sources[0] in ("x-robots-tag", "html-meta")
    ]
    assert (out / "kept" / source.name).read_bytes() == b"".join(
        line for line in lines if line.strip() and json.loads(line).get("url") in kept_urls
    )
    removed = (out / "removed" / source.name).read_bytes().splitlines(keepends=True)
    assert removed[-1] == b'{"text": "no url"}\n'
    assert len(removed) == 4
    audit = read_audit(out / "audit.jsonl")
    refused = next(r for r in audit if r["record"] == "recheck" and r["url"] == "")
    assert (refused["origin"], refused["input"], refused["denied_by"]) == (
        "(no URL)",
        "docs.jsonl:11",
        ["policyguard"],
    )
    assert refused["evidence"][0]["detail"] == "no URL in field 'url'"
    assert all("captured" not in e for r in audit if r["record"] == "recheck" for e in r["evidence"])
    assert not any(s.path not in ("/robots.txt", "/.well-known/tdmrep.json") for s in web.seen)


@coroutine_test
async def test_two_inputs_share_one_fetch_per_origin(web: LocalWeb, tmp_path: Path) -> None:
    serve_then(web)
    warc = tmp_path / "pages.warc.gz"
    write_warc(warc, web, list(EXPECTED))
    serve_now(web)
    lines = tmp_path / "docs.jsonl"
    write_jsonl(lines, list(EXPECTED))

    result = await recheck([warc, lines], tmp_path / "out")

    assert [s.captures for s in result.inputs] == [10, 10]
    assert all(web.count(host, "/robots.txt") == 1 for host in HOSTS)


@coroutine_test
async def test_a_broken_warc_stops_with_where_and_why(web: LocalWeb, tmp_path: Path) -> None:
    serve_then(web)
    source = tmp_path / "pages.warc"
    write_warc(source, web, list(EXPECTED)[:2])
    data = source.read_bytes()
    source.write_bytes(data + b"this is not a WARC record\r\n\r\n")
    web.clear_log()

    result = await recheck([source], tmp_path / "out")

    assert result.error is not None
    assert result.error.startswith(f"{source}: cannot read past the WARC record at byte ")
    assert result.error.endswith("the records after it are in neither output")
    # Both fetches before the break were decided and written (warcinfo + 3 records in each output).
    out = tmp_path / "out"
    assert [len(warc_records(out / part / source.name)) for part in ("kept", "removed")] == [4, 4]


@coroutine_test
async def test_a_recheck_stopped_midway_says_what_is_in_neither_output(web: LocalWeb, tmp_path: Path) -> None:
    web.add("fast.test", "/robots.txt", OPEN)
    web.add("slow.test", "/robots.txt", Reply(body=OPEN, stall=True))
    source = tmp_path / "docs.jsonl"
    write_jsonl(source, ["http://fast.test/a", "http://slow.test/b", "http://fast.test/c"])
    settings = recheck_settings(out=tmp_path / "out", user_agent=TOKEN)
    settings.set("RETRY_ENABLED", False)
    result = RecheckResult()
    crawler = Crawler(RecheckSpider, settings)
    running = asyncio.ensure_future(
        crawler.crawl_async(job=RecheckJob((source,), tmp_path / "out"), result=result)
    )
    while not web.count("slow.test", "/robots.txt"):
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    await crawler.stop_async()
    await running

    assert result.error == (
        f"the re-check was stopped: {source} from docs.jsonl:2 on, "
        "and any input after it, is in neither output"
    )
    assert (tmp_path / "out" / "kept" / source.name).read_bytes() == source.read_bytes().splitlines(True)[0]
    assert (tmp_path / "out" / "removed" / source.name).read_bytes() == b""


@coroutine_test
async def test_an_output_that_cannot_be_written_fails_the_run(web: LocalWeb, tmp_path: Path) -> None:
    source = tmp_path / "docs.jsonl"
    write_jsonl(source, ["http://open.test/plain"])
    (tmp_path / "out" / "kept" / source.name).mkdir(parents=True)

    result = await recheck([source], tmp_path / "out")

    assert result.error is not None
    assert result.error.startswith("the re-check failed: IsADirectoryError")
    assert web.seen == []


@coroutine_test
async def test_a_listed_website_is_removed_as_listed_and_never_contacted(
    web: LocalWeb, tmp_path: Path
) -> None:
    web.add("open.test", "/robots.txt", Reply(body=OPEN, content_type="text/plain"))
    web.add("listed.test", "/robots.txt", Reply(body=OPEN, content_type="text/plain"))
    blocklist = tmp_path / "infringing.txt"
    blocklist.write_text("# test list\nlisted.test\n", "utf-8")
    source = tmp_path / "docs.jsonl"
    write_jsonl(source, ["http://open.test/a", "http://listed.test/a"])
    out = tmp_path / "out"

    result = await recheck([source], out, blocklists=[str(blocklist)])

    assert result.error is None
    records = by_url(read_audit(out / "audit.jsonl"))
    listed = records["http://listed.test/a"]
    assert (listed["action"], listed["denied_by"]) == ("removed", ["blocklist"])
    assert listed["evidence"][0]["location"].endswith("infringing.txt line 2")
    assert records["http://open.test/a"]["action"] == "kept"
    assert not any(s.host == "listed.test" for s in web.seen)


RSL = """<rsl xmlns="https://rslstandard.org/rsl">
  <content url="/">
    <license><permits type="usage">search</permits><payment type="free"/></license>
  </content>
</rsl>"""


@coroutine_test
async def test_captured_content_usage_tdm_and_licence_headers_count(web: LocalWeb, tmp_path: Path) -> None:
    # Each statement as the capture's own response header said it; the licence a Link header
    # names is fetched today, once, like the crawl fetches it.
    licence = "http://hdr.test/license.xml"
    link = f'<{licence}>; rel="license"; type="application/rsl+xml"'
    web.add("hdr.test", "/robots.txt", Reply(body=OPEN, content_type="text/plain"))
    web.add("hdr.test", "/usage", Reply(body=PAGE, headers=[("Content-Usage", "train-ai=n")]))
    web.add("hdr.test", "/tdm", Reply(body=PAGE, headers=[("tdm-reservation", "1")]))
    web.add("hdr.test", "/licensed", Reply(body=PAGE, headers=[("Link", link)]))
    web.add("hdr.test", "/plain", PAGE)
    urls = [f"http://hdr.test/{p}" for p in ("usage", "tdm", "licensed", "plain")]
    source = tmp_path / "pages.warc.gz"
    write_warc(source, web, urls)
    web.add("hdr.test", "/license.xml", Reply(body=RSL, content_type="application/rsl+xml"))
    web.clear_log()
    out = tmp_path / "out"

    result = await recheck([source], out)

    assert result.error is None
    decided = by_url(read_audit(out / "audit.jsonl"))
    assert {url: (r["action"], r["denied_by"]) for url, r in decided.items()} == {
        "http://hdr.test/usage": ("removed", ["content-usage"]),
        "http://hdr.test/tdm": ("removed", ["tdmrep"]),
        "http://hdr.test/licensed": ("removed", ["rsl"]),
        "http://hdr.test/plain": ("kept", []),
    }
    usage = next(e for e in decided["http://hdr.test/usage"]["evidence"] if e["source"] == "content-usage")
    assert usage["captured"] == CAPTURED
    assert web.count("hdr.test", "/license.xml") == 1
    assert not any(s.path in ("/usage", "/tdm", "/licensed", "/plain") for s in web.seen)
