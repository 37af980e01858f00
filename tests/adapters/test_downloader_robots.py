"""Real crawls against local origins: robots.txt fetched, classified (RFC 9309 §2.3) and obeyed."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import scrapy
from crawling import ListSpider, coroutine_test, guard_stats, read_audit

from scrapy_policyguard import PolicyGuardConfigError
from scrapy_policyguard.demo.web import Reply

PAGES = ["/", "/a", "/b", "/private/1", "/private/2", "/c", "/d", "/e"]


def serve_pages(web, host: str, paths=PAGES) -> list[str]:  # type: ignore[no-untyped-def]
    for path in paths:
        web.add(host, path, f"<html><body>{path}</body></html>")
    return [web.url(host, p) for p in paths]


def page_hits(web, host: str) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for s in web.seen if s.host == host and s.path in PAGES)


@coroutine_test
async def test_disallowed_pages_are_blocked_each_with_one_audit_record(web, crawl, tmp_path: Path) -> None:
    urls = serve_pages(web, "site.test")
    web.add("site.test", "/robots.txt", "User-agent: *\nDisallow: /private\n")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(settings={"POLICYGUARD_AUDIT_LOG": str(audit)}, urls=urls)
    spider = crawler.spider
    assert sorted(spider.denied) == [web.url("site.test", "/private/1"), web.url("site.test", "/private/2")]
    assert len(spider.fetched) == 6
    assert web.count("site.test", "/robots.txt") == 1
    assert web.count("site.test", "/private/1") == 0
    records = read_audit(audit)
    assert records[0]["record"] == "crawl" and records[-1]["record"] == "totals"
    blocked = [r for r in records if r["record"] == "request"]
    assert sorted(r["url"] for r in blocked) == sorted(spider.denied)
    for record in blocked:
        assert record["action"] == "blocked"
        assert record["denied_by"] == ["robots.txt"]
        evidence = record["evidence"][0]
        assert evidence["rule"] == "Disallow: /private"
        assert evidence["location"] == "http://site.test/robots.txt line 2"
        assert evidence["refs"]["group"] == "User-agent: * (line 1)"
    stats = guard_stats(crawler)
    assert stats["policyguard/requests/denied"] == 2
    assert stats["policyguard/requests/denied/robots.txt"] == 2
    assert stats["policyguard/requests/allowed"] == 6
    assert stats["policyguard/robots/status/200"] == 1
    assert records[-1]["stats"] == stats
    robots = [r for r in records if r["record"] == "robots"]
    assert robots[0]["state"] == "parsed" and robots[0]["group"] == "User-agent: * (line 1)"


@coroutine_test
async def test_many_requests_in_flight_to_a_new_origin_all_wait_for_its_robots_txt(web, crawl) -> None:
    # Scrapy 2.19's own middleware lets waiters 2..n through while robots.txt downloads.
    paths = [f"/p{i}" for i in range(24)]
    urls = serve_pages(web, "slow.test", paths)
    web.add("slow.test", "/robots.txt", Reply(body="User-agent: *\nDisallow: /\n", delay=0.5))
    crawler = await crawl(urls=urls)
    assert len(crawler.spider.denied) == 24
    assert crawler.spider.fetched == []
    assert web.count("slow.test", "/robots.txt") == 1
    assert sum(1 for s in web.seen if s.host == "slow.test" and s.path in paths) == 0


@pytest.mark.parametrize("status", [500, 503])
@coroutine_test
async def test_5xx_robots_txt_means_complete_disallow(web, crawl, tmp_path: Path, status: int) -> None:
    urls = serve_pages(web, "down.test")
    web.add("down.test", "/robots.txt", Reply(status=status, body="<html>Service Unavailable</html>"))
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(settings={"POLICYGUARD_AUDIT_LOG": str(audit)}, urls=urls)
    assert page_hits(web, "down.test") == 0
    assert len(crawler.spider.denied) == len(PAGES)
    decision = next(iter(crawler.spider.denied.values()))
    assert decision.evidence[0].rule == f"unreachable (HTTP {status})"
    stats = guard_stats(crawler)
    assert stats["policyguard/robots/unreachable"] == 1
    assert stats[f"policyguard/robots/status/{status}"] == 1
    robots = next(r for r in read_audit(audit) if r["record"] == "robots")
    assert robots["state"] == "unreachable"
    assert 0 < robots["next_fetch_in"] <= 300


@coroutine_test
async def test_scrapy_own_middleware_would_fetch_every_page_of_a_503_origin(web, crawl) -> None:
    # The contrast the add-on exists for: same site, Scrapy's RobotsTxtMiddleware alone.
    urls = serve_pages(web, "down.test")
    web.add("down.test", "/robots.txt", Reply(status=503, body="down"))
    crawler = await crawl(settings={"ADDONS": {}, "ROBOTSTXT_OBEY": True}, urls=urls)
    assert page_hits(web, "down.test") == len(PAGES)
    assert len(crawler.spider.fetched) == len(PAGES)


@coroutine_test
async def test_an_http_error_is_an_answer_and_is_not_retried_at_once(web, crawl, caplog) -> None:
    urls = serve_pages(web, "flaky.test", ["/a"])
    web.add("flaky.test", "/robots.txt", Reply(status=503, body="down"))
    crawler = await crawl(settings={"RETRY_ENABLED": True, "RETRY_TIMES": 2}, urls=urls)
    assert web.count("flaky.test", "/robots.txt") == 1  # the back-off decides when to ask again
    assert list(crawler.spider.denied) == urls
    assert "Gave up retrying" not in caplog.text


@coroutine_test
async def test_a_network_failure_is_retried_as_retry_times_says(web, crawl) -> None:
    urls = serve_pages(web, "reset.test", ["/private/x", "/a"])
    replies = iter([Reply(body="User-agent: *\nDisallow: /private\n", reset_after=0)])
    web.add(
        "reset.test",
        "/robots.txt",
        lambda seen: next(replies, Reply(body="User-agent: *\nDisallow: /private\n")),
    )
    crawler = await crawl(settings={"RETRY_ENABLED": True, "RETRY_TIMES": 2}, urls=urls)
    assert web.count("reset.test", "/robots.txt") == 2
    assert list(crawler.spider.denied) == [urls[0]]
    assert crawler.spider.fetched == [urls[1]]


@pytest.mark.parametrize("status", [404, 401, 403, 410])
@coroutine_test
async def test_4xx_robots_txt_is_unavailable_and_allows_everything(web, crawl, status: int) -> None:
    urls = serve_pages(web, "gone.test")
    # A 4xx body with rules in it is not obeyed (Scrapy would parse it).
    web.add("gone.test", "/robots.txt", Reply(status=status, body="User-agent: *\nDisallow: /\n"))
    crawler = await crawl(urls=urls)
    assert len(crawler.spider.fetched) == len(PAGES)
    decision = next(iter(crawler.spider.decisions.values()))
    assert decision.evidence[0].rule == f"unavailable (HTTP {status})"
    assert guard_stats(crawler)["policyguard/robots/unavailable"] == 1


@coroutine_test
async def test_429_is_unreachable_and_retry_after_sets_the_next_attempt(web, crawl, tmp_path: Path) -> None:
    urls = serve_pages(web, "busy.test", ["/a"])
    web.add(
        "busy.test", "/robots.txt", Reply(status=429, headers=[("Retry-After", "1200")], body="slow down")
    )
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(settings={"POLICYGUARD_AUDIT_LOG": str(audit)}, urls=urls)
    assert list(crawler.spider.denied) == urls
    robots = next(r for r in read_audit(audit) if r["record"] == "robots")
    assert robots["state"] == "unreachable"
    assert 1190 < robots["next_fetch_in"] <= 1200


@coroutine_test
async def test_robots_txt_timeout_is_unreachable(web, crawl) -> None:
    urls = serve_pages(web, "hang.test", ["/a", "/b"])
    web.add("hang.test", "/robots.txt", Reply(body="User-agent: *\nAllow: /\n", delay=3))
    crawler = await crawl(settings={"DOWNLOAD_TIMEOUT": 1}, urls=urls)
    assert sorted(crawler.spider.denied) == sorted(urls)
    decision = crawler.spider.denied[urls[0]]
    assert "unreachable" in decision.evidence[0].rule
    assert "Timeout" in decision.evidence[0].rule


@coroutine_test
async def test_connection_refused_is_unreachable(crawl) -> None:
    # Nothing listens on this port: a network error, not an HTTP answer.
    url = "http://127.0.0.1:9/page"
    crawler = await crawl(urls=[url])
    assert list(crawler.spider.denied) == [url]
    assert crawler.spider.denied[url].evidence[0].rule.startswith("unreachable (")


@pytest.mark.parametrize("hops", [1, 2, 5])
@coroutine_test
async def test_up_to_five_redirects_are_followed_and_recorded(web, crawl, hops: int) -> None:
    urls = serve_pages(web, "moved.test", ["/a", "/private/x"])
    for i in range(hops):
        target = "/robots.txt" if i == hops - 1 else f"/r{i + 1}"
        host = "rules.test" if i == hops - 1 else "moved.test"
        web.redirect("moved.test", "/robots.txt" if i == 0 else f"/r{i}", f"http://{host}{target}")
    web.add("rules.test", "/robots.txt", "User-agent: *\nDisallow: /private\n")
    crawler = await crawl(urls=urls, settings={})
    assert crawler.spider.fetched == [urls[0]]
    decision = crawler.spider.denied[urls[1]]
    assert decision.evidence[0].location == "http://moved.test/robots.txt line 2"
    assert len(decision.evidence[0].refs["redirects"].split(" -> http")) == hops + 1


@coroutine_test
async def test_six_redirects_make_robots_txt_unavailable(web, crawl) -> None:
    urls = serve_pages(web, "loop.test", ["/a", "/private/x"])
    web.redirect("loop.test", "/robots.txt", "/r1")
    for i in range(1, 7):
        web.redirect("loop.test", f"/r{i}", f"/r{i + 1}")
    web.add("loop.test", "/r7", "User-agent: *\nDisallow: /\n")
    crawler = await crawl(urls=urls)
    assert sorted(crawler.spider.fetched) == sorted(urls)
    decision = crawler.spider.decisions[urls[0]]
    assert decision.evidence[0].rule.startswith("unavailable (more than 5 redirects")
    # Five redirects were followed (robots.txt -> r1 ... r4 -> r5); the sixth, to r6, was not.
    assert web.count("loop.test", "/r5") == 1 and web.count("loop.test", "/r6") == 0


@coroutine_test
async def test_redirect_to_a_host_outside_allowed_domains_is_still_followed(web, crawl) -> None:
    class Scoped(ListSpider):
        allowed_domains = ["scoped.test"]

    urls = serve_pages(web, "scoped.test", ["/a", "/private/x"])
    web.redirect("scoped.test", "/robots.txt", "http://cdn.test/robots.txt")
    web.add("cdn.test", "/robots.txt", "User-agent: *\nDisallow: /private\n")
    crawler = await crawl(Scoped, urls=urls)
    assert list(crawler.spider.denied) == [urls[1]]


@coroutine_test
async def test_huge_robots_txt_is_read_up_to_the_limit_only(web, crawl) -> None:
    urls = serve_pages(web, "big.test", ["/early/x", "/late/x", "/a"])
    body = (
        "User-agent: *\nDisallow: /early\n" + "# padding\n" * 70_000 + "Disallow: /late\n" + "#\n" * 500_000
    )
    web.add("big.test", "/robots.txt", body)
    crawler = await crawl(urls=urls)
    assert list(crawler.spider.denied) == [urls[0]]
    assert sorted(crawler.spider.fetched) == sorted(urls[1:])
    fetch = crawler.spider.decisions[urls[1]].evidence[0].refs["fetch"]
    assert "download stopped after 512000 bytes" in fetch
    assert "only the first 512000 parsed" in fetch


@coroutine_test
async def test_binary_robots_txt_has_no_records_and_allows(web, crawl) -> None:
    urls = serve_pages(web, "bin.test", ["/a"])
    web.add("bin.test", "/robots.txt", Reply(body=bytes(range(256)) * 8, content_type="image/png"))
    crawler = await crawl(urls=urls)
    assert crawler.spider.fetched == urls
    assert crawler.spider.decisions[urls[0]].evidence[0].rule == "no matching rule"


@coroutine_test
async def test_http_and_https_and_ports_are_separate_origins(web, crawl) -> None:
    urls = serve_pages(web, "one.test", ["/x"]) + serve_pages(web, "one.test:8080", ["/x"])
    web.add("one.test", "/robots.txt", "User-agent: *\nDisallow: /\n")
    web.add("one.test:8080", "/robots.txt", "User-agent: *\nAllow: /\n")
    crawler = await crawl(urls=urls)
    assert list(crawler.spider.denied) == [urls[0]]
    assert crawler.spider.fetched == [urls[1]]


@coroutine_test
async def test_audit_mode_blocks_nothing_and_records_what_it_would_block(web, crawl, tmp_path: Path) -> None:
    urls = serve_pages(web, "site.test")
    web.add("site.test", "/robots.txt", "User-agent: *\nDisallow: /private\n")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings={"POLICYGUARD_MODE": "audit", "POLICYGUARD_AUDIT_LOG": str(audit)}, urls=urls
    )
    assert len(crawler.spider.fetched) == len(PAGES)
    records = [r for r in read_audit(audit) if r["record"] == "request"]
    assert sorted(r["url"] for r in records) == [urls[3], urls[4]]
    assert {r["action"] for r in records} == {"would-block"}
    stats = guard_stats(crawler)
    assert stats["policyguard/requests/would_deny"] == 2
    assert stats["policyguard/requests/allowed"] == len(PAGES)
    assert "policyguard/requests/denied" not in stats


@coroutine_test
async def test_settings_in_custom_settings_and_the_purpose_attribute_apply_per_spider(
    web, crawl, tmp_path
) -> None:
    class AuditingSpider(ListSpider):
        policyguard_purpose = "search"
        custom_settings = {"POLICYGUARD_MODE": "audit", "POLICYGUARD_USER_AGENT": "OtherBot"}

    urls = serve_pages(web, "site.test", ["/a"])
    web.add("site.test", "/robots.txt", "User-agent: OtherBot\nDisallow: /\n")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(AuditingSpider, settings={"POLICYGUARD_AUDIT_LOG": str(audit)}, urls=urls)
    assert crawler.spider.fetched == urls
    crawl_record = read_audit(audit)[0]
    assert crawl_record["mode"] == "audit"
    assert crawl_record["purpose"] == "search"
    assert crawl_record["user_agent"]["token"] == "OtherBot"
    assert crawl_record["settings"]["purpose_source"] == "AuditingSpider.policyguard_purpose"


@coroutine_test
async def test_robots_txt_is_fetched_again_after_the_ttl(web, crawl) -> None:
    state = {"rules": "User-agent: *\nDisallow: /second\n"}
    web.add("change.test", "/robots.txt", lambda seen: Reply(body=state["rules"]))
    serve_pages(web, "change.test", ["/first", "/second"])

    class TwoRounds(ListSpider):
        async def start(self):  # type: ignore[no-untyped-def]
            yield scrapy.Request(web.url("change.test", "/second"), errback=self.failed, dont_filter=True)
            await asyncio.sleep(1.6)
            state["rules"] = "User-agent: *\nDisallow: /first\n"
            for path in ("/first", "/second"):
                yield scrapy.Request(web.url("change.test", path), errback=self.failed, dont_filter=True)

    crawler = await crawl(TwoRounds, settings={"POLICYGUARD_ROBOTS_TTL": 1})
    assert web.count("change.test", "/robots.txt") == 2
    assert crawler.spider.fetched == [web.url("change.test", "/second")]
    assert list(crawler.spider.denied) == [
        web.url("change.test", "/second"),
        web.url("change.test", "/first"),
    ]


@coroutine_test
async def test_unreachable_refresh_keeps_the_earlier_good_copy(web, crawl) -> None:
    state = {"reply": Reply(body="User-agent: *\nDisallow: /private\n")}
    web.add("flap.test", "/robots.txt", lambda seen: state["reply"])
    serve_pages(web, "flap.test", ["/a", "/private/x"])

    class TwoRounds(ListSpider):
        async def start(self):  # type: ignore[no-untyped-def]
            yield scrapy.Request(web.url("flap.test", "/a"), errback=self.failed, dont_filter=True)
            await asyncio.sleep(1.6)
            state["reply"] = Reply(status=503, body="down")
            for path in ("/a", "/private/x"):
                yield scrapy.Request(web.url("flap.test", path), errback=self.failed, dont_filter=True)

    crawler = await crawl(TwoRounds, settings={"POLICYGUARD_ROBOTS_TTL": 1})
    assert web.count("flap.test", "/robots.txt") == 2
    assert crawler.spider.fetched == [web.url("flap.test", "/a")] * 2
    evidence = crawler.spider.denied[web.url("flap.test", "/private/x")].evidence[0]
    assert evidence.rule == "Disallow: /private"
    assert "refresh failed: HTTP 503" in evidence.refs["fetch"]
    assert "RFC 9309 §2.4" in evidence.refs["stale"]
    assert guard_stats(crawler)["policyguard/robots/stale"] == 1


@coroutine_test
async def test_dont_obey_robotstxt_is_respected_and_recorded_as_override(web, crawl, tmp_path: Path) -> None:
    class Override(ListSpider):
        async def start(self):  # type: ignore[no-untyped-def]
            yield scrapy.Request(web.url("site.test", "/a"), dont_filter=True)
            yield scrapy.Request(
                web.url("site.test", "/private/1"),
                meta={"dont_obey_robotstxt": True},
                dont_filter=True,
                priority=-1,
            )

    serve_pages(web, "site.test")
    web.add("site.test", "/robots.txt", "User-agent: *\nDisallow: /private\n")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(Override, settings={"POLICYGUARD_AUDIT_LOG": str(audit), "CONCURRENT_REQUESTS": 1})
    assert web.url("site.test", "/private/1") in crawler.spider.fetched
    overrides = [r for r in read_audit(audit) if r["record"] == "request"]
    assert [(r["url"], r["action"]) for r in overrides] == [(web.url("site.test", "/private/1"), "override")]
    assert overrides[0]["override"] == "dont_obey_robotstxt"
    assert guard_stats(crawler)["policyguard/requests/overridden"] == 1


@coroutine_test
async def test_request_meta_declares_the_purpose_of_one_request(web, crawl, tmp_path: Path) -> None:
    class PerRequest(ListSpider):
        async def start(self):  # type: ignore[no-untyped-def]
            yield scrapy.Request(web.url("news.test", "/a"), errback=self.failed, dont_filter=True)
            yield scrapy.Request(
                web.url("news.test", "/b"), meta={"policyguard_purpose": "search"}, errback=self.failed
            )
            yield scrapy.Request(
                web.url("news.test", "/c"), meta={"policyguard_purpose": "scraping"}, errback=self.failed
            )

    serve_pages(web, "news.test")
    web.add("news.test", "/robots.txt", "User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(PerRequest, settings={"POLICYGUARD_AUDIT_LOG": str(audit)})
    assert crawler.spider.fetched == [web.url("news.test", "/b")]
    bad = crawler.spider.denied[web.url("news.test", "/c")]
    assert bad.denied_by == ("policyguard",)
    assert "unknown purpose 'scraping'" in bad.evidence[0].detail
    assert crawler.spider.denied[web.url("news.test", "/a")].denied_by == ("content-signal",)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"POLICYGUARD_PURPOSE": "training"}, "POLICYGUARD_PURPOSE='training': unknown purpose"),
        ({"POLICYGUARD_MODE": "strict"}, "POLICYGUARD_MODE='strict': not a known value"),
        (
            {"POLICYGUARD_USER_AGENT": "Test Bot/1.0"},
            "POLICYGUARD_USER_AGENT='Test Bot/1.0': not a robots.txt",
        ),
        ({"POLICYGUARD_UNKNOWN": "maybe"}, "POLICYGUARD_UNKNOWN='maybe'"),
        ({"POLICYGUARD_ROBOTS_TTL": "soon"}, "POLICYGUARD_ROBOTS_TTL='soon'"),
        ({"POLICYGUARD_ROBOTS_MAX_BYTES": 1000}, "requires parsing at least 512000 bytes"),
    ],
)
@coroutine_test
async def test_bad_configuration_stops_the_crawl_before_any_request(web, crawl, settings, message) -> None:
    urls = serve_pages(web, "site.test", ["/a"])
    with pytest.raises(PolicyGuardConfigError, match=message.replace("(", r"\(").replace("?", r"\?")):
        await crawl(settings=settings, urls=urls)
    assert web.seen == []


@coroutine_test
async def test_a_bad_purpose_attribute_stops_the_crawl(web, crawl) -> None:
    class Bad(ListSpider):
        policyguard_purpose = "everything"

    with pytest.raises(PolicyGuardConfigError, match=r"Bad.policyguard_purpose='everything'"):
        await crawl(Bad, urls=[web.url("site.test", "/")])


@coroutine_test
async def test_scrapys_default_product_token_is_warned_about(web, crawl, caplog) -> None:
    caplog.set_level(logging.INFO, logger="scrapy_policyguard")
    urls = serve_pages(web, "site.test", ["/a"])
    web.add("site.test", "/robots.txt", "User-agent: Scrapy\nDisallow: /\n")
    crawler = await crawl(settings={"POLICYGUARD_USER_AGENT": None}, urls=urls)
    assert list(crawler.spider.denied) == urls
    assert "The product token is Scrapy's default 'Scrapy'" in caplog.text
    assert "product token 'Scrapy' (from USER_AGENT)" in caplog.text


@coroutine_test
async def test_the_add_on_replaces_scrapys_robots_middleware_and_says_so(web, crawl, caplog) -> None:
    caplog.set_level(logging.INFO, logger="scrapy_policyguard")
    urls = serve_pages(web, "site.test", ["/a"])
    web.add("site.test", "/robots.txt", "User-agent: *\nAllow: /\n")
    crawler = await crawl(urls=urls)
    assert web.count("site.test", "/robots.txt") == 1  # not twice
    assert "robotstxt/request_count" not in crawler.stats.get_stats()
    assert "in place of Scrapy's RobotsTxtMiddleware" in caplog.text


@coroutine_test
async def test_disabled_guard_builds_nothing_and_writes_nothing(web, crawl, tmp_path: Path) -> None:
    # Settings that would stop an enabled crawl: none of them is even read when the switch is off.
    urls = serve_pages(web, "off.test")
    web.add("off.test", "/robots.txt", "User-agent: *\nDisallow: /\n")
    audit = tmp_path / "audit" / "off.jsonl"
    settings = {
        "POLICYGUARD_ENABLED": False,
        "POLICYGUARD_AUDIT_LOG": str(audit),
        "POLICYGUARD_MODE": "not-a-mode",
        "POLICYGUARD_RULES": [str(tmp_path / "missing-pack.yaml")],
        "ROBOTSTXT_OBEY": False,
    }
    crawler = await crawl(settings=settings, urls=urls)
    assert len(crawler.spider.fetched) == len(PAGES)
    assert web.count("off.test", "/robots.txt") == 0
    assert not audit.parent.exists()
    assert guard_stats(crawler) == {}
    middlewares = crawler.engine.downloader.middleware.middlewares
    assert all("policyguard" not in type(m).__module__ for m in middlewares)


@coroutine_test
async def test_disabled_guard_leaves_scrapys_robots_txt_middleware_in_place(web, crawl) -> None:
    # Switching the guard off must not switch robots.txt off: the add-on retires Scrapy's
    # middleware only when it takes over.
    urls = serve_pages(web, "off.test")
    web.add("off.test", "/robots.txt", "User-agent: *\nDisallow: /\n")
    # One at a time: Scrapy 2.19's middleware lets requests through while robots.txt downloads.
    settings = {"POLICYGUARD_ENABLED": False, "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 1}
    crawler = await crawl(settings=settings, urls=urls)
    assert crawler.spider.fetched == []
    assert page_hits(web, "off.test") == 0 and web.count("off.test", "/robots.txt") == 1
    assert crawler.stats.get_value("robotstxt/forbidden") == len(PAGES)
