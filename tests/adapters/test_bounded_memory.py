"""Broad crawls hold a bounded number of origins: what is dropped is fetched again, never assumed.

Real crawls with POLICYGUARD_MAX_ORIGINS set low visit origins one after another (a spider that
requests the next URL from the callback of the previous one), so that which origin is dropped,
and when, is known.
"""

from __future__ import annotations

from pathlib import Path

from crawling import ChainSpider, coroutine_test, guard_stats, read_audit

from scrapy_policyguard.adapters.runtime import GuardRuntime
from scrapy_policyguard.cli.report.model import load_report
from scrapy_policyguard.demo.web import LocalWeb, Reply

OPEN = "User-agent: *\nDisallow: /private/\n"


def sites(web: LocalWeb, count: int) -> list[str]:
    hosts = [f"o{i}.test" for i in range(count)]
    for host in hosts:
        web.add(host, "/robots.txt", OPEN)
        for path in ("/a", "/b", "/private/x"):
            web.add(host, path, f"<html><body>{host}{path}</body></html>")
    return hosts


@coroutine_test
async def test_a_dropped_origin_is_fetched_again_and_obeys_its_new_robots_txt(web, crawl, tmp_path: Path):
    hosts = sites(web, 4)
    urls = [f"http://{h}/a" for h in hosts] + [f"http://{hosts[0]}/b", f"http://{hosts[1]}/private/x"]

    def close_o0() -> None:  # o0 was dropped by now; its robots.txt changes while it is gone
        web.add(hosts[0], "/robots.txt", "User-agent: *\nDisallow: /\n")

    audit = tmp_path / "audit.jsonl"
    settings = {"POLICYGUARD_MAX_ORIGINS": 2, "POLICYGUARD_AUDIT_LOG": str(audit)}
    crawler = await crawl(ChainSpider, settings, urls=urls, before={4: close_o0})
    spider = crawler.spider
    assert spider.fetched == [f"http://{h}/a" for h in hosts]
    # Seen again after it was dropped: decided on the robots.txt it serves now, not on memory.
    assert spider.denied == [f"http://{hosts[0]}/b", f"http://{hosts[1]}/private/x"]
    assert web.count(hosts[0], "/b") == 0
    assert web.count(hosts[0], "/robots.txt") == 2
    assert web.count(hosts[1], "/robots.txt") == 2
    assert web.count(hosts[1], "/private/x") == 0
    stats = guard_stats(crawler)
    assert stats["policyguard/cache/evicted"] == 4  # o0, o1, then o2 and o3 for the second visits
    assert stats["policyguard/cache/refetched"] == 2
    assert stats["policyguard/robots/fetched"] == 6
    # The per-origin counts are bounded too: dropped ones are written as "origin" records.
    records = read_audit(audit)
    dropped = [r for r in records if r["record"] == "origin"]
    assert dropped and len(records[-1]["origins"]) <= 2
    report = load_report(audit)
    counts = {o.origin: dict(o.counts) for o in report.origins.values()}
    page_bytes = len(f"<html><body>{hosts[0]}/a</body></html>")  # each host's /a is as long
    fetched_one = {"requests_allowed": 1, "items_allowed": 1, "responses_kept": 1, "bytes_kept": page_bytes}
    assert counts[f"http://{hosts[0]}"] == {**fetched_one, "requests_denied": 1}
    assert counts[f"http://{hosts[1]}"] == {**fetched_one, "requests_denied": 1}
    assert counts[f"http://{hosts[2]}"] == fetched_one
    assert counts[f"http://{hosts[3]}"] == fetched_one


@coroutine_test
async def test_a_response_is_judged_even_when_its_origin_was_dropped_in_flight(web, crawl):
    # One slot, two origins, a bound of one: o1's robots.txt drops o0 while o0's page downloads.
    hosts = sites(web, 2)
    noai = Reply(body="<html><body>slow</body></html>", headers=[("X-Robots-Tag", "noai")], delay=0.5)
    web.add(hosts[0], "/noai", noai)
    settings = {"POLICYGUARD_MAX_ORIGINS": 1, "CONCURRENT_REQUESTS": 2}
    crawler = await crawl(settings=settings, urls=[f"http://{hosts[0]}/noai", f"http://{hosts[1]}/a"])
    decision = crawler.spider.decisions[f"http://{hosts[0]}/noai"]
    assert decision.stage == "response"
    assert [str(s) for s in decision.denied_by] == ["x-robots-tag"]
    assert web.count(hosts[0], "/robots.txt") == 2  # dropped while the page downloaded


@coroutine_test
async def test_origins_serving_the_same_robots_txt_share_one_parsed_copy(web, crawl):
    hosts = sites(web, 5)
    crawler = await crawl(urls=[f"http://{h}/a" for h in hosts])
    assert len(crawler.spider.fetched) == 5
    documents = GuardRuntime.of(crawler).documents
    assert len(documents.parsed_robots) == 1
    assert documents.parsed_robots.hits == 4


@coroutine_test
async def test_parsed_robots_files_are_bounded_by_max_origins(web, crawl):
    hosts = sites(web, 4)
    for host in hosts:  # four distinct files: none is shared
        web.add(host, "/robots.txt", f"User-agent: *\nDisallow: /private/{host}/\n")
    settings = {"POLICYGUARD_MAX_ORIGINS": 2}
    crawler = await crawl(ChainSpider, settings, urls=[f"http://{h}/a" for h in hosts])
    assert len(crawler.spider.fetched) == 4
    assert len(GuardRuntime.of(crawler).documents.parsed_robots) == 2
