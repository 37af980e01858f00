"""Fault injection: every way a site document can fail ends in its RFC 9309 outcome, is audited,
and leaves the rest of the crawl alone.

Each test crawls the faulty origin together with ``ok.test``, a healthy origin whose robots.txt
disallows ``/private``: its pages must be fetched or denied exactly as if nothing had gone wrong.
The audit trail is written with ``POLICYGUARD_AUDIT_ALL`` so that allowed requests have records too.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
import scrapy
from crawling import ListSpider, coroutine_test, guard_stats, read_audit

from scrapy_policyguard.adapters.fetch import DOCUMENT_MAXSIZE
from scrapy_policyguard.core.robots import PARSE_LIMIT
from scrapy_policyguard.demo.web import Reply

OK = "ok.test"
OK_ROBOTS = "User-agent: *\nDisallow: /private\n"
PAGES = ["/a", "/private/x"]


def serve_pages(web, host: str, paths=PAGES) -> list[str]:  # type: ignore[no-untyped-def]
    for path in paths:
        web.add(host, path, f"<html><body>{path}</body></html>")
    return [web.url(host, p) for p in paths]


def page_hits(web, host: str) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for s in web.seen if s.host == host and s.path != "/robots.txt")


def robots_records(records: list[dict[str, Any]], host: str) -> list[dict[str, Any]]:
    return [r for r in records if r["record"] == "robots" and r["origin"] == f"http://{host}"]


def request_records(records: list[dict[str, Any]], host: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record["record"] == "request" and record["url"].startswith(f"http://{host}/"):
            found.setdefault(record["url"], []).append(record)
    return found


async def fault_crawl(  # type: ignore[no-untyped-def]
    web,
    crawl,
    tmp_path: Path,
    urls: list[str],
    settings: dict[str, Any] | None = None,
    *,
    spidercls: type[ListSpider] = ListSpider,
):
    """Crawl ``urls`` and the healthy origin; check the healthy origin came through untouched."""
    web.add(OK, "/robots.txt", OK_ROBOTS)
    ok_urls = serve_pages(web, OK)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        spidercls,
        settings={"POLICYGUARD_AUDIT_LOG": str(audit), "POLICYGUARD_AUDIT_ALL": True, **(settings or {})},
        urls=[*urls, *ok_urls],
    )
    records = read_audit(audit)
    spider = crawler.spider
    # The crawl went on: the healthy origin is decided on its own robots.txt, fetched once.
    assert not spider.errors, spider.errors
    assert ok_urls[0] in spider.fetched, (spider.fetched, sorted(spider.denied))
    assert ok_urls[1] not in spider.fetched
    assert spider.denied[ok_urls[1]].evidence[0].rule == "Disallow: /private"
    assert web.count(OK, "/robots.txt") == 1
    assert web.count(OK, "/private/x") == 0
    [ok_robots] = robots_records(records, OK)
    assert ok_robots["state"] == "parsed"
    ok_requests = request_records(records, OK)
    assert [r["action"] for r in ok_requests[ok_urls[0]]] == ["allowed"]
    assert [r["action"] for r in ok_requests[ok_urls[1]]] == ["blocked"]
    # ... and ended normally, with totals equal to the crawler's stats.
    assert records[0]["record"] == "crawl"
    assert records[-1]["record"] == "totals"
    assert records[-1]["finish_reason"] == "finished"
    assert records[-1]["stats"] == guard_stats(crawler)
    return crawler, records


def assert_all_blocked_as_unreachable(web, crawler, records, host: str, urls: list[str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """RFC 9309 §2.3.1.4: complete disallow, no page of the origin requested, one audit record each."""
    assert page_hits(web, host) == 0
    assert sorted(u for u in crawler.spider.denied if u in urls) == sorted(urls)
    for url in urls:
        evidence = crawler.spider.denied[url].evidence[0]
        assert evidence.rule.startswith("unreachable ("), evidence.rule
        assert evidence.source == "robots.txt"
    [robots] = robots_records(records, host)
    assert robots["state"] == "unreachable"
    assert robots["status"] is None
    assert robots["bytes"] is None and robots["sha256"] is None
    requests = request_records(records, host)
    assert sorted(requests) == sorted(urls)
    for url in urls:
        [record] = requests[url]
        assert record["action"] == "blocked"
        assert record["denied_by"] == ["robots.txt"]
        assert record["evidence"][0]["rule"] == f"unreachable ({robots['detail']})"
    stats = guard_stats(crawler)
    assert stats["policyguard/robots/unreachable"] == 1
    assert stats["policyguard/robots/status/error"] == 1
    return robots


# -- broken transfers ---------------------------------------------------------------------------


@pytest.mark.parametrize("fail_on_dataloss", [True, False])
@coroutine_test
async def test_connection_reset_mid_body_of_robots_txt_is_unreachable(
    web, crawl, tmp_path: Path, fail_on_dataloss: bool
) -> None:
    # What arrived allows everything; the Disallow that matters is in the part that never came.
    body = "User-agent: *\nAllow: /a\n" + "# padding\n" * 2000 + "Disallow: /\n"
    web.add("reset.test", "/robots.txt", Reply(body=body, reset_after=1000))
    urls = serve_pages(web, "reset.test")
    crawler, records = await fault_crawl(
        web, crawl, tmp_path, urls, {"DOWNLOAD_FAIL_ON_DATALOSS": fail_on_dataloss}
    )
    robots = assert_all_blocked_as_unreachable(web, crawler, records, "reset.test", urls)
    # Either way (an error, or a response flagged "dataloss"), the partial body is never parsed.
    assert "ResponseDataLoss" in robots["detail"] or "cut short" in robots["detail"], robots["detail"]
    assert 0 < robots["next_fetch_in"] <= 300


@pytest.mark.parametrize(
    "fail_on_dataloss",
    [
        True,
        False,
    ],
)
@coroutine_test
async def test_a_reset_mid_body_is_retried_like_any_network_failure(
    web, crawl, tmp_path: Path, fail_on_dataloss: bool
) -> None:
    # The same fault must not be retried or not depending on how Scrapy reports it.
    rules = "User-agent: *\nDisallow: /private\n" + "# padding\n" * 500
    replies = iter([Reply(body=rules, reset_after=100)])
    web.add("flaky.test", "/robots.txt", lambda seen: next(replies, Reply(body=rules)))
    urls = serve_pages(web, "flaky.test")
    settings = {"RETRY_ENABLED": True, "RETRY_TIMES": 2, "DOWNLOAD_FAIL_ON_DATALOSS": fail_on_dataloss}
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls, settings)
    assert web.count("flaky.test", "/robots.txt") == 2
    assert urls[0] in crawler.spider.fetched
    assert crawler.spider.denied[urls[1]].evidence[0].rule == "Disallow: /private"
    [robots] = robots_records(records, "flaky.test")
    assert robots["state"] == "parsed"


@coroutine_test
async def test_robots_txt_that_never_finishes_is_unreachable(web, crawl, tmp_path: Path) -> None:
    # Headers, a full Content-Length and half the body, then nothing: the download times out.
    web.add("stall.test", "/robots.txt", Reply(body="User-agent: *\nAllow: /\n" * 100, stall=True))
    urls = serve_pages(web, "stall.test")
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls, {"DOWNLOAD_TIMEOUT": 1})
    robots = assert_all_blocked_as_unreachable(web, crawler, records, "stall.test", urls)
    assert "TimeoutError" in robots["detail"], robots["detail"]
    assert web.count("stall.test", "/robots.txt") == 1


# -- size limits --------------------------------------------------------------------------------


@coroutine_test
async def test_robots_txt_larger_than_download_maxsize_is_still_read(web, crawl, tmp_path: Path) -> None:
    # DOWNLOAD_MAXSIZE is 100 kB, but the plugin raises the ceiling of its own fetch to twice the
    # 500 KiB parse limit (RFC 9309 §2.5): the whole 300 kB file is read, its last line included.
    body = "User-agent: *\nDisallow: /early\n" + "# padding\n" * 30_000 + "Disallow: /late\n"
    assert 100_000 < len(body) < 2 * PARSE_LIMIT
    web.add("large.test", "/robots.txt", body)
    urls = serve_pages(web, "large.test", ["/a", "/early/x", "/late/x"])
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls, {"DOWNLOAD_MAXSIZE": 100_000})
    spider = crawler.spider
    assert urls[0] in spider.fetched
    assert spider.denied[urls[1]].evidence[0].rule == "Disallow: /early"
    assert spider.denied[urls[2]].evidence[0].rule == "Disallow: /late"
    [robots] = robots_records(records, "large.test")
    assert robots["state"] == "parsed"
    assert robots["detail"] == "HTTP 200"  # neither stopped nor truncated
    assert robots["bytes"] == len(body)
    requests = request_records(records, "large.test")
    assert [r["action"] for r in requests[urls[1]]] == ["blocked"]
    assert requests[urls[2]][0]["evidence"][0]["location"] == "http://large.test/robots.txt line 30003"


@pytest.mark.parametrize("maxsize", [None, 0], ids=["default-maxsize", "maxsize-0-unlimited"])
@coroutine_test
async def test_content_length_beyond_the_document_ceiling_is_unreachable(
    web, crawl, tmp_path: Path, maxsize: int | None
) -> None:
    # The server announces 40 MiB (and lies: it sends a few bytes). Whatever DOWNLOAD_MAXSIZE says
    # (1 GiB by default, 0 for "no limit"), a site document never exceeds the 32 MiB ceiling; a
    # robots.txt that cannot be read counts as unreachable, so the origin is not crawled.
    size = 40 * 1024 * 1024
    web.add(
        "huge.test",
        "/robots.txt",
        Reply(body="User-agent: *\nAllow: /\n", headers=[("Content-Length", str(size))]),
    )
    urls = serve_pages(web, "huge.test")
    settings = {} if maxsize is None else {"DOWNLOAD_MAXSIZE": maxsize}
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls, settings)
    robots = assert_all_blocked_as_unreachable(web, crawler, records, "huge.test", urls)
    assert f"Expected to receive {size} bytes" in robots["detail"], robots["detail"]
    assert f"max size ({DOCUMENT_MAXSIZE})" in robots["detail"]


@pytest.mark.parametrize(
    ("zeros", "settings"),
    [
        (4 * 1024 * 1024, {"DOWNLOAD_MAXSIZE": 100_000}),  # ceiling 2 x 512000 = 1024000 bytes
        (40 * 1024 * 1024, {}),  # default DOWNLOAD_MAXSIZE: the 32 MiB ceiling
    ],
    ids=["4MiB-past-1MB-ceiling", "40MiB-past-32MiB-ceiling"],
)
@coroutine_test
async def test_gzip_bomb_robots_txt_is_unreachable(
    web, crawl, tmp_path: Path, zeros: int, settings: dict[str, Any]
) -> None:
    # The fetch asks for "Accept-Encoding: identity"; this server compresses anyway. A few kB on
    # the wire inflate past the document ceiling. Outcome: UNREACHABLE, not parsed-truncated.
    # Why: Scrapy's HttpCompressionMiddleware inflates in chunks and stops at the request's
    # download_maxsize (the plugin's ceiling), raising IgnoreRequest instead of handing back the
    # first bytes; the fetcher takes any exception as a failed fetch. That is the fail-closed side
    # (complete disallow), and memory stays bounded by the ceiling: the crawl just finishes.
    body = b"User-agent: *\nAllow: /\n" + b"\0" * zeros
    web.add("bomb.test", "/robots.txt", Reply(body=body, gzip=True, content_type="text/plain"))
    urls = serve_pages(web, "bomb.test")
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls, settings)
    robots = assert_all_blocked_as_unreachable(web, crawler, records, "bomb.test", urls)
    assert robots["detail"].startswith("IgnoreRequest: Ignored response <200"), robots["detail"]


@coroutine_test
async def test_gzip_robots_txt_that_inflates_under_the_ceiling_is_parsed_truncated(
    web, crawl, tmp_path: Path
) -> None:
    # The contrast: 700 kB inflated fits under the 1 MB ceiling, so the file is parsed, up to the
    # 500 KiB parse limit only (RFC 9309 §2.5); the rule at its start applies.
    body = b"User-agent: *\nDisallow: /private\n" + b"\0" * 700_000
    web.add("zip.test", "/robots.txt", Reply(body=body, gzip=True, content_type="text/plain"))
    urls = serve_pages(web, "zip.test")
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls, {"DOWNLOAD_MAXSIZE": 100_000})
    assert urls[0] in crawler.spider.fetched
    assert crawler.spider.denied[urls[1]].evidence[0].rule == "Disallow: /private"
    [robots] = robots_records(records, "zip.test")
    assert robots["state"] == "parsed"
    assert f"only the first {PARSE_LIMIT} parsed" in robots["detail"]


# -- redirects ----------------------------------------------------------------------------------


@coroutine_test
async def test_redirect_loop_makes_robots_txt_unavailable_after_five_hops(web, crawl, tmp_path: Path) -> None:
    web.redirect("loop-a.test", "/robots.txt", "http://loop-b.test/robots.txt")
    web.redirect("loop-b.test", "/robots.txt", "http://loop-a.test/robots.txt")
    urls = serve_pages(web, "loop-a.test")
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls)
    # RFC 9309 §2.3.1.2 / §2.3.1.3: five redirects followed, then "unavailable": crawl allowed.
    assert web.count("loop-a.test", "/robots.txt") == 3
    assert web.count("loop-b.test", "/robots.txt") == 3
    assert sorted(u for u in crawler.spider.fetched if "loop-a" in u) == sorted(urls)
    evidence = crawler.spider.decisions[urls[1]].evidence[0]
    assert evidence.rule == "unavailable (more than 5 redirects (RFC 9309 §2.3.1.2))"
    [robots] = robots_records(records, "loop-a.test")
    assert robots["state"] == "unavailable"
    assert robots["status"] == 301
    assert len(robots["redirects"]) == 5
    assert robots["redirects"][0] == "301 http://loop-a.test/robots.txt -> http://loop-b.test/robots.txt"
    requests = request_records(records, "loop-a.test")
    assert {url: [r["action"] for r in rs] for url, rs in requests.items()} == {
        url: ["allowed"] for url in urls
    }
    assert guard_stats(crawler)["policyguard/robots/unavailable"] == 1


@coroutine_test
async def test_redirect_to_another_host_is_followed(web, crawl, tmp_path: Path) -> None:
    web.redirect("moved.test", "/robots.txt", "http://rules.test/robots.txt", status=302)
    web.add("rules.test", "/robots.txt", "User-agent: *\nDisallow: /private\n")
    urls = serve_pages(web, "moved.test")
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls)
    assert urls[0] in crawler.spider.fetched
    evidence = crawler.spider.denied[urls[1]].evidence[0]
    # The rules of the file reached apply to the origin that redirected (RFC 9309 §2.3.1.2).
    assert evidence.rule == "Disallow: /private"
    assert evidence.location == "http://moved.test/robots.txt line 2"
    [robots] = robots_records(records, "moved.test")
    assert robots["state"] == "parsed"
    assert robots["status"] == 200
    assert robots["redirects"] == ["302 http://moved.test/robots.txt -> http://rules.test/robots.txt"]
    assert robots_records(records, "rules.test") == []  # fetched for moved.test, not as an origin
    blocked = request_records(records, "moved.test")[urls[1]]
    assert blocked[0]["evidence"][0]["refs"]["redirects"] == robots["redirects"][0]


# -- answers that are not what they seem --------------------------------------------------------


@coroutine_test
async def test_html_soft_404_at_robots_txt_is_parsed_with_no_rules(web, crawl, tmp_path: Path) -> None:
    page = (
        "<!DOCTYPE html>\n<html>\n<head><title>Page not found</title></head>\n"
        "<body>\n<h1>Sorry, we could not find that page</h1>\n"
        '<p>Go back to the <a href="/">home page</a>.</p>\n</body>\n</html>\n'
    )
    web.add("soft.test", "/robots.txt", Reply(body=page, content_type="text/html; charset=utf-8"))
    urls = serve_pages(web, "soft.test")
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls)
    # A 200 is a robots.txt (RFC 9309 §2.3.1.1) however it looks; HTML lines are not records.
    assert sorted(u for u in crawler.spider.fetched if "soft.test" in u) == sorted(urls)
    evidence = crawler.spider.decisions[urls[1]].evidence[0]
    assert evidence.rule == "no matching rule"
    assert evidence.detail == "no group names TestBot and there is no '*' group"
    [robots] = robots_records(records, "soft.test")
    assert robots["state"] == "parsed"
    assert robots["status"] == 200
    assert robots["group"] is None
    assert robots["bytes"] == len(page.encode())
    requests = request_records(records, "soft.test")
    assert {r["action"] for rs in requests.values() for r in rs} == {"allowed"}


@coroutine_test
async def test_429_is_unreachable_until_retry_after_has_passed(web, crawl, tmp_path: Path) -> None:
    # The back-off alone would ask again after 1 s (POLICYGUARD_UNREACHABLE_RETRY); Retry-After
    # asks for 2 s, and wins.
    replies = iter([Reply(status=429, headers=[("Retry-After", "2")], body="slow down")])
    web.add("busy.test", "/robots.txt", lambda seen: next(replies, Reply(body="User-agent: *\nAllow: /\n")))
    urls = serve_pages(web, "busy.test", ["/a", "/b", "/c"])

    class Later(ListSpider):
        async def start(self):  # type: ignore[no-untyped-def]
            async for request in super().start():
                yield request
            while not web.count("busy.test", "/robots.txt"):
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.0)  # past the back-off, before Retry-After
            yield scrapy.Request(urls[1], callback=self.parse, errback=self.failed)
            await asyncio.sleep(1.5)  # past Retry-After
            yield scrapy.Request(urls[2], callback=self.parse, errback=self.failed)

    crawler, records = await fault_crawl(
        web, crawl, tmp_path, urls[:1], {"POLICYGUARD_UNREACHABLE_RETRY": 1}, spidercls=Later
    )
    spider = crawler.spider
    assert urls[0] in spider.denied and urls[1] in spider.denied
    assert spider.denied[urls[1]].evidence[0].rule == "unreachable (HTTP 429)"
    assert urls[2] in spider.fetched
    fetches = [s.time for s in web.seen if s.host == "busy.test" and s.path == "/robots.txt"]
    assert len(fetches) == 2
    assert fetches[1] - fetches[0] >= 2.0
    first, second = robots_records(records, "busy.test")
    assert (first["state"], first["status"]) == ("unreachable", 429)
    assert 1.9 < first["next_fetch_in"] <= 2.0
    assert (second["state"], second["status"]) == ("parsed", 200)
    requests = request_records(records, "busy.test")
    assert [requests[u][0]["action"] for u in urls] == ["blocked", "blocked", "allowed"]


@coroutine_test
async def test_robots_txt_that_changes_after_the_ttl_is_used_in_its_new_form(
    web, crawl, tmp_path: Path
) -> None:
    state = {"rules": "User-agent: *\nDisallow: /second\n"}
    web.add("change.test", "/robots.txt", lambda seen: Reply(body=state["rules"]))
    first, _ = serve_pages(web, "change.test", ["/first", "/second"])

    class TwoRounds(ListSpider):
        async def start(self):  # type: ignore[no-untyped-def]
            async for request in super().start():
                yield request
            yield scrapy.Request(first, callback=self.parse, errback=self.failed, dont_filter=True)
            await asyncio.sleep(1.6)
            state["rules"] = "User-agent: *\nAllow: /second\nDisallow: /first\n"
            yield scrapy.Request(first, callback=self.parse, errback=self.failed, dont_filter=True)

    crawler, records = await fault_crawl(
        web, crawl, tmp_path, [], {"POLICYGUARD_ROBOTS_TTL": 1}, spidercls=TwoRounds
    )
    assert web.count("change.test", "/robots.txt") == 2
    assert crawler.spider.fetched.count(first) == 1
    evidence = crawler.spider.denied[first].evidence[0]
    assert evidence.rule == "Disallow: /first"
    assert evidence.location == "http://change.test/robots.txt line 3"
    old, new = robots_records(records, "change.test")
    assert old["state"] == new["state"] == "parsed"
    assert old["sha256"] != new["sha256"]
    assert [r["action"] for r in request_records(records, "change.test")[first]] == ["allowed", "blocked"]


# -- TDMRep and RSL documents -------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        (b'[{"location": "/", "tdm-reservation": 1}', "not JSON"),
        (b"\xff\xfe<html>", "not JSON"),
        (b'{"location": "/", "tdm-reservation": 1}', "must be a JSON array of rules, not dict"),
    ],
    ids=["truncated", "not-utf8", "object"],
)
@coroutine_test
async def test_tdmrep_json_that_is_not_usable_json_gives_no_statement(
    web, crawl, tmp_path: Path, caplog, case: tuple[bytes, str]
) -> None:
    body, problem = case
    web.add("tdm.test", "/robots.txt", "User-agent: *\nAllow: /\n")
    tdm_url = web.url("tdm.test", "/.well-known/tdmrep.json")
    web.add("tdm.test", "/.well-known/tdmrep.json", Reply(body=body, content_type="application/json"))
    urls = serve_pages(web, "tdm.test")
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls)
    # Had it been read, the file would reserve TDM rights everywhere; unread, nothing reserves.
    assert sorted(u for u in crawler.spider.fetched if "tdm.test" in u) == sorted(urls)
    decision = crawler.spider.decisions[urls[0]]
    tdm = [e for e in decision.evidence if e.source == "tdmrep"]
    assert [(e.rule, dict(e.effects)) for e in tdm] == [("tdmrep.json not used", {})]
    assert problem in tdm[0].detail
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "tdmrep.json" in r.getMessage()]
    assert len(warnings) == 1
    assert f"tdmrep.json {tdm_url} not used" in warnings[0].getMessage()
    [document] = [r for r in records if r["record"] == "document" and r["origin"] == "http://tdm.test"]
    assert document["kind"] == "tdmrep.json"
    assert document["status"] == 200
    assert problem in document["note"]
    assert guard_stats(crawler)["policyguard/tdmrep/unusable"] == 1


BILLION_LAUGHS = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE rsl [
  <!ENTITY use "ai-train">
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rsl xmlns="https://rslstandard.org/rsl">
  <content url="/">
    <license><prohibits type="usage">&use;</prohibits><payment type="free"/></license>
    <license><permits type="usage">search &lol3;</permits></license>
  </content>
</rsl>
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@coroutine_test
async def test_rsl_licence_with_doctype_or_entities_is_not_used(
    web, crawl, tmp_path: Path, caplog, encoding: str
) -> None:
    # In UTF-16 the declaration is not visible to a byte search; expat must refuse it all the same.
    licence = BILLION_LAUGHS.format(encoding=encoding.upper()).encode(encoding)
    web.add("lic.test", "/robots.txt", "License: http://lic.test/license.xml\nUser-agent: *\nAllow: /\n")
    web.add("lic.test", "/license.xml", Reply(body=licence, content_type="application/rsl+xml"))
    urls = serve_pages(web, "lic.test")
    crawler, records = await fault_crawl(web, crawl, tmp_path, urls)
    # Expanded, &use; would prohibit ai-train; refused, the licence says nothing and all is allowed.
    assert sorted(u for u in crawler.spider.fetched if "lic.test" in u) == sorted(urls)
    assert web.count("lic.test", "/license.xml") == 1
    decision = crawler.spider.decisions[urls[0]]
    assert decision.allowed
    [note] = [e for e in decision.evidence if e.source == "rsl"]
    assert note.rule == "licence http://lic.test/license.xml"
    assert not note.effects
    assert note.detail.startswith("not used: ")
    assert "doctype" in note.detail.lower(), note.detail
    [document] = [r for r in records if r["record"] == "document" and r["kind"] == "rsl"]
    assert document["url"] == "http://lic.test/license.xml"
    assert "doctype" in document["note"].lower()
    [allowed] = request_records(records, "lic.test")[urls[0]]
    assert any(e["source"] == "rsl" and e["detail"] == note.detail for e in allowed["evidence"])
    assert any(
        r.levelno == logging.WARNING and "license.xml not used" in r.getMessage() for r in caplog.records
    )
    assert guard_stats(crawler)["policyguard/rsl/unusable"] == 1
