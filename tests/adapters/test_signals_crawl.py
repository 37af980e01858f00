"""Real crawls against local origins serving each AI-usage signal and platform terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from crawling import ListSpider, coroutine_test, guard_stats, read_audit

from scrapy_policyguard import check
from scrapy_policyguard.demo.web import Reply

GPTBOT_ONLY = "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
SIGNAL = "User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n"
RSL = """<rsl xmlns="https://rslstandard.org/rsl">
  <content url="/">
    <license><permits type="usage">search</permits><payment type="free"/></license>
    <license>
      <permits type="usage">ai-train</permits>
      <payment type="training"><amount currency="USD">10</amount></payment>
    </license>
  </content>
</rsl>"""


def signal_web(web) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """One origin per signal, two pages each."""
    sites = {
        "gptbot.test": {"/robots.txt": GPTBOT_ONLY},
        "signal.test": {"/robots.txt": SIGNAL},
        "tdm.test": {
            "/robots.txt": "User-agent: *\nAllow: /\n",
            "/.well-known/tdmrep.json": Reply(
                body='[{"location": "/", "tdm-reservation": 1}]', content_type="application/json"
            ),
        },
        "noai.test": {"/robots.txt": "User-agent: *\nAllow: /\n"},
        "licensed.test": {
            "/robots.txt": "License: http://licensed.test/license.xml\nUser-agent: *\nAllow: /\n",
            "/license.xml": Reply(body=RSL, content_type="application/rsl+xml"),
        },
    }
    urls: dict[str, list[str]] = {}
    for host, routes in sites.items():
        for path, reply in routes.items():
            web.add(host, path, reply)
        for page in ("/a", "/b"):
            headers = [("X-Robots-Tag", "noai")] if host == "noai.test" else []
            web.add(host, page, Reply(body=f"<html><body>{page}</body></html>", headers=headers))
        urls[host] = [web.url(host, "/a"), web.url(host, "/b")]
    return urls


def pages_fetched(web, host: str) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for s in web.seen if s.host == host and s.path in ("/a", "/b"))


@coroutine_test
async def test_ai_train_enforce_blocks_site_wide_signals_before_fetching(web, crawl, tmp_path: Path) -> None:
    urls = signal_web(web)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        urls=[u for group in urls.values() for u in group], settings={"POLICYGUARD_AUDIT_LOG": str(audit)}
    )
    spider = crawler.spider
    for host, source in (
        ("gptbot.test", "robots-ai-groups"),
        ("signal.test", "content-signal"),
        ("tdm.test", "tdmrep"),
        ("licensed.test", "rsl"),
    ):
        assert pages_fetched(web, host) == 0, host
        for url in urls[host]:
            assert source in spider.denied[url].denied_by, (host, spider.denied[url].reason)
    evidence = next(
        e for e in spider.denied[urls["gptbot.test"][0]].evidence if e.source == "robots-ai-groups"
    )
    assert evidence.refs["tokens"] == "GPTBot"
    assert evidence.location == "http://gptbot.test/robots.txt line 2"
    # X-Robots-Tag: noai is only known from the response: fetched, then marked denied.
    assert pages_fetched(web, "noai.test") == 2
    decision = spider.decisions[urls["noai.test"][0]]
    assert decision.stage == "response" and not decision.allowed
    assert decision.denied_by == ("x-robots-tag",)
    stats = guard_stats(crawler)
    assert stats["policyguard/requests/denied"] == 8
    for source in ("robots-ai-groups", "content-signal", "tdmrep", "rsl"):
        assert stats[f"policyguard/requests/denied/{source}"] == 2
    assert stats["policyguard/responses/denied/x-robots-tag"] == 2
    assert web.count("tdm.test", "/.well-known/tdmrep.json") == 1
    assert web.count("licensed.test", "/license.xml") == 1
    records = read_audit(audit)
    assert len([r for r in records if r["record"] == "request"]) == 8
    responses = [r for r in records if r["record"] == "response"]
    assert sorted(r["url"] for r in responses) == urls["noai.test"]
    assert {r["action"] for r in responses} == {"marked"}
    documents = {r["kind"] for r in records if r["record"] == "document"}
    assert documents == {"tdmrep.json", "rsl"}


@coroutine_test
async def test_block_before_fetch_false_fetches_and_marks(web, crawl, tmp_path: Path) -> None:
    urls = signal_web(web)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        urls=[u for group in urls.values() for u in group],
        settings={"POLICYGUARD_BLOCK_BEFORE_FETCH": False, "POLICYGUARD_AUDIT_LOG": str(audit)},
    )
    for host in ("gptbot.test", "signal.test", "tdm.test", "licensed.test"):
        assert pages_fetched(web, host) == 2, host
        assert not crawler.spider.decisions[urls[host][0]].allowed
    stats = guard_stats(crawler)
    assert stats["policyguard/requests/marked"] == 8
    assert "policyguard/requests/denied" not in stats
    marked = [r for r in read_audit(audit) if r["record"] == "request"]
    assert len(marked) == 8 and {r["action"] for r in marked} == {"marked"}


@coroutine_test
async def test_search_purpose_fetches_what_only_ai_training_reserves(web, crawl) -> None:
    urls = signal_web(web)
    crawler = await crawl(
        urls=[u for group in urls.values() for u in group], settings={"POLICYGUARD_PURPOSE": "search"}
    )
    for host in ("gptbot.test", "signal.test", "tdm.test", "noai.test", "licensed.test"):
        assert pages_fetched(web, host) == 2, host
    assert crawler.spider.decisions[urls["signal.test"][0]].outcome.value == "allow"
    # tdmrep.json is only fetched for AI purposes.
    assert web.count("tdm.test", "/.well-known/tdmrep.json") == 0


@coroutine_test
async def test_an_agreement_for_a_licence_lifts_the_rsl_denial(web, crawl) -> None:
    urls = signal_web(web)
    crawler = await crawl(
        urls=urls["licensed.test"],
        settings={"POLICYGUARD_AGREEMENTS": {"http://licensed.test/license.xml": "RSL licence L-42"}},
    )
    assert sorted(crawler.spider.fetched) == sorted(urls["licensed.test"])
    rsl = next(e for e in crawler.spider.decisions[urls["licensed.test"][0]].evidence if e.source == "rsl")
    assert rsl.refs["agreement"] == "RSL licence L-42"


@coroutine_test
async def test_check_and_the_middleware_reach_the_same_decision(web, crawl) -> None:
    headers = [("X-Robots-Tag", "noai"), ("Content-Usage", "train-ai=n, search=y"), ("tdm-reservation", "0")]
    html = '<html><head><meta name="robots" content="noimageai"></head><body><p>x</p></body></html>'
    robots = "User-agent: CCBot\nDisallow: /private\n\nUser-agent: *\nContent-Signal: search=yes\nAllow: /\n"
    web.add("same.test", "/robots.txt", robots)
    web.add("same.test", "/page", Reply(body=html, headers=headers))
    url = web.url("same.test", "/page")
    crawler = await crawl(urls=[url])
    online = crawler.spider.decisions[url]
    offline = check(
        url,
        user_agent="TestBot",
        robots_txt=robots,
        headers=[*headers, ("Content-Type", "text/html; charset=utf-8")],
        html=html,
    )
    assert online.to_dict() == offline.to_dict()


class TermsSpider(ListSpider):
    allowed_domains = ["x.com", "twitter.com", "reddit.com", "en.wikipedia.org"]


def platform_web(web) -> list[str]:  # type: ignore[no-untyped-def]
    web.add("x.com", "/robots.txt", "User-agent: Googlebot\nAllow: /\n\nUser-agent: *\nDisallow: /\n")
    web.add(
        "www.reddit.com", "/robots.txt", "# Reddit believes in an open internet\nUser-agent: *\nDisallow: /\n"
    )
    web.add("old.reddit.com", "/robots.txt", "User-agent: *\nAllow: /\n")
    web.add("en.wikipedia.org", "/robots.txt", "User-agent: *\nAllow: /\n")
    urls = []
    for host, path in (
        ("x.com", "/someone/status/1"),
        ("www.reddit.com", "/r/python/"),
        ("old.reddit.com", "/r/python/"),
        ("en.wikipedia.org", "/wiki/Scrapy"),
    ):
        web.add(host, path, "<html><body>page</body></html>")
        urls.append(web.url(host, path))
    return urls


@coroutine_test
async def test_platform_terms_block_x_and_reddit_before_fetching(web, crawl, tmp_path: Path) -> None:
    urls = platform_web(web)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(TermsSpider, urls=urls, settings={"POLICYGUARD_AUDIT_LOG": str(audit)})
    spider = crawler.spider
    assert spider.fetched == [urls[3]]
    for url in urls[:3]:
        assert "terms" in spider.denied[url].denied_by
    assert web.count("old.reddit.com", "/r/python/") == 0
    blocked = {r["url"]: r for r in read_audit(audit) if r["record"] == "request"}
    terms = [e for e in blocked[urls[2]]["evidence"] if e["source"] == "terms"]
    assert {e["refs"]["pack"] for e in terms} == {"reddit"}
    for evidence in terms:
        assert evidence["refs"]["confidence"] in ("confirmed", "unconfirmed")
        assert evidence["refs"]["sources"].startswith("https://")
        assert len(evidence["refs"]["sha256"]) == 64
        assert evidence["location"].startswith("rules/terms/reddit.yaml:")
    assert guard_stats(crawler)["policyguard/requests/denied/terms"] == 3
    assert spider.decisions[urls[3]].conditions == ("attribution", "share-alike (CC BY-SA 4.0)")


@coroutine_test
async def test_an_agreement_lifts_terms_but_robots_txt_still_applies(web, crawl, tmp_path: Path) -> None:
    urls = platform_web(web)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        TermsSpider,
        urls=urls[1:3],
        settings={
            "POLICYGUARD_AGREEMENTS": {"reddit": "Data API licence 2026-114"},
            "POLICYGUARD_AUDIT_LOG": str(audit),
        },
    )
    spider = crawler.spider
    # old.reddit.com's robots.txt lets us in: fetched under the agreement.
    assert spider.fetched == [urls[2]]
    assert spider.decisions[urls[2]].allowed
    # www.reddit.com's robots.txt disallows everyone: still blocked, by robots.txt only.
    assert spider.denied[urls[1]].denied_by == ("robots.txt",)
    [record] = [r for r in read_audit(audit) if r["record"] == "request"]
    lifted = [e for e in record["evidence"] if e["source"] == "terms" and "ai-train" in e["effects"]]
    assert lifted and all(e["refs"]["agreement"] == "Data API licence 2026-114" for e in lifted)
    assert all(e["effects"]["ai-train"] == "allow" for e in lifted)


@coroutine_test
async def test_search_purpose_packs_that_allow_search_do_not_block(web, crawl) -> None:
    urls = platform_web(web)
    crawler = await crawl(TermsSpider, urls=urls, settings={"POLICYGUARD_PURPOSE": "search"})
    spider = crawler.spider
    assert sorted(spider.fetched) == sorted(urls[2:])
    assert "terms" in spider.denied[urls[0]].denied_by  # X forbids crawling for any purpose
    assert spider.denied[urls[1]].denied_by == ("robots.txt",)


@coroutine_test
async def test_a_broken_user_pack_stops_the_crawl_with_file_and_line(web, crawl, tmp_path: Path) -> None:
    pack = tmp_path / "broken.yaml"
    pack.write_text(
        "schema: 1\nid: broken\nname: Broken\nreviewed: 2026-11-25\nhosts: {domains: [broken.test]}\n"
        "rules:\n  - purposes: [ai-train]\n    outcome: forbid\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"broken.yaml:8: rules\[0\].outcome: must be one of"):
        await crawl(urls=[web.url("broken.test", "/")], settings={"POLICYGUARD_RULES": [str(pack)]})
    assert web.seen == []


@coroutine_test
async def test_an_agreement_for_an_unknown_pack_stops_the_crawl(web, crawl) -> None:
    with pytest.raises(ValueError, match="POLICYGUARD_AGREEMENTS names 'redit'"):
        await crawl(urls=[web.url("a.test", "/")], settings={"POLICYGUARD_AGREEMENTS": {"redit": "x"}})


@coroutine_test
async def test_user_packs_override_and_disable_bundled_ones_per_spider(web, crawl, tmp_path: Path) -> None:
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "reddit.yaml").write_text(
        "schema: 1\nid: reddit\nname: Reddit (our legal review)\nreviewed: 2026-11-01\n"
        "hosts: {domains: [reddit.com]}\nrules:\n  - purposes: [ai-train]\n    outcome: allow\n"
        "    clause: Our counsel's reading.\n    effective: 2026-11-01\n    confidence: confirmed\n"
        "    sources: [{url: 'https://example.org/memo', title: memo, date: 2026-11-01}]\n",
        encoding="utf-8",
    )

    class Custom(TermsSpider):
        custom_settings = {"POLICYGUARD_RULES": [str(folder)], "POLICYGUARD_RULES_DISABLED": ["x"]}

    urls = platform_web(web)
    crawler = await crawl(Custom, urls=[urls[0], urls[2]])
    spider = crawler.spider
    assert spider.fetched == [urls[2]]
    terms = [e for e in spider.decisions[urls[2]].evidence if e.source == "terms"]
    assert [e.refs["version"] for e in terms] == ["2026-11-01"]
    # X's pack is off: only robots.txt (User-agent: * Disallow: /) blocks it now.
    assert spider.denied[urls[0]].denied_by == ("robots.txt",)


@coroutine_test
async def test_site_documents_are_not_fetched_where_robots_txt_forbids(web, crawl) -> None:
    # tdmrep.json and licences are fetched like pages: never from a disallowed path or an
    # origin whose robots.txt is unreachable.
    web.add(
        "closed.test", "/robots.txt", "License: http://closed.test/license.xml\nUser-agent: *\nDisallow: /\n"
    )
    web.add("down.test", "/robots.txt", Reply(status=503, body="down"))
    web.add(
        "open.test",
        "/robots.txt",
        "License: http://closed.test/license.xml\nUser-agent: *\nDisallow: /.well-known/\nAllow: /\n",
    )
    web.add("open.test", "/a", "<html><body>a</body></html>")
    urls = [web.url("closed.test", "/a"), web.url("down.test", "/a"), web.url("open.test", "/a")]
    crawler = await crawl(urls=urls)
    for host in ("closed.test", "down.test", "open.test"):
        assert web.count(host, "/.well-known/tdmrep.json") == 0, host
    assert web.count("closed.test", "/license.xml") == 0
    decision = crawler.spider.decisions[urls[2]]
    notes = {e.source: e.detail for e in decision.evidence if not e.effects}
    assert "robots.txt of http://open.test disallows it" in notes["tdmrep"]
    assert "robots.txt of http://closed.test disallows it" in notes["rsl"]
