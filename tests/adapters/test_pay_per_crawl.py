"""Real crawls against a pay-per-crawl origin that verifies every signature with its own RFC 9421 code.

The key is made by ``policyguard keys new``; the server (tests/paywall.py) knows the crawler only
through the directory that command writes, as a verifier knows a published directory.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import scrapy
from crawling import ListSpider, coroutine_test, guard_stats, read_audit
from paywall import PayWall, WebBotAuthVerifier, directory_of

from scrapy_policyguard.cli.keys import DIRECTORY_FILE, KEY_FILE
from scrapy_policyguard.cli.main import main
from scrapy_policyguard.cli.report.model import load_report
from scrapy_policyguard.cli.report.text import render_text
from scrapy_policyguard.demo.web import LocalWeb

AGENT = "https://crawler.example"


@pytest.fixture
def keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "keys"
    assert main(["keys", "new", str(folder)]) == 0
    capsys.readouterr()
    return folder


@pytest.fixture
def paywall(web: LocalWeb, keys: Path) -> PayWall:
    return PayWall(web, WebBotAuthVerifier({AGENT: directory_of(keys / DIRECTORY_FILE)}))


def settings(keys: Path | None, audit: Path, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"POLICYGUARD_AUDIT_LOG": str(audit), **extra}
    if keys is not None:
        values |= {"POLICYGUARD_SIGNING_KEY": str(keys / KEY_FILE), "POLICYGUARD_SIGNATURE_AGENT": AGENT}
    return values


def records(audit: Path, kind: str) -> list[dict[str, Any]]:
    return [r for r in read_audit(audit) if r["record"] == kind]


def charged_total(audit: Path) -> Decimal:
    return sum((Decimal(r["charged"]) for r in records(audit, "charge") if r["action"] == "paid"), Decimal(0))


@coroutine_test
async def test_a_signed_crawl_pays_within_the_limit_and_audits_the_rest(
    web: LocalWeb, paywall: PayWall, keys: Path, crawl: Any, tmp_path: Path
) -> None:
    web.add("shop.test", "/robots.txt", "User-agent: *\nAllow: /\nLicense: http://shop.test/license.xml\n")
    web.add("shop.test", "/.well-known/tdmrep.json", '[{"location": "/*", "tdm-reservation": 0}]')
    web.add("shop.test", "/license.xml", "<rsl xmlns='https://rslstandard.org/rsl'></rsl>")
    web.add("shop.test", "/free", "<html><body>free</body></html>")
    cheap = [paywall.page("shop.test", f"/p{i}", "USD 0.01") for i in range(3)]
    dear = paywall.page("shop.test", "/dear", "USD 0.05")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings=settings(keys, audit, POLICYGUARD_MAX_PRICE="USD 0.01", POLICYGUARD_BUDGET="USD 1.00"),
        urls=[*cheap, dear, "http://shop.test/free"],
    )
    spider = crawler.spider

    # Every request the server received carries a valid signature: pages, 402s, paid retries,
    # and the plugin's own robots.txt, tdmrep.json and licence fetches.
    seen = web.seen
    paths = {s.path for s in seen}
    assert {"/robots.txt", "/.well-known/tdmrep.json", "/license.xml"} <= paths
    verdicts = [(s.path, paywall.verifier.verify(s)) for s in seen]
    assert all(v.ok for _, v in verdicts), [(p, v.reason) for p, v in verdicts if not v.ok]
    assert guard_stats(crawler)["policyguard/signing/signed"] == len(seen)

    # Pages within the limit: fetched once, paid once, with the price covered by the signature.
    assert sorted(spider.fetched) == sorted([*cheap, "http://shop.test/free"])
    assert sorted(b.url for b in paywall.billed) == sorted(cheap)
    paid_requests = [s for s in seen if "Crawler-Exact-Price" in s.headers]
    assert sorted(s.path for s in paid_requests) == ["/p0", "/p1", "/p2"]
    assert all("crawler-exact-price" in paywall.verifier.verify(s).covered for s in paid_requests)

    # The page above the limit: never offered a price, denied with the price as evidence.
    assert dear in spider.denied
    assert web.count("shop.test", "/dear") == 1
    refused = [r for r in records(audit, "response") if r["url"] == dear]
    assert len(refused) == 1
    assert refused[0]["action"] == "blocked"
    assert refused[0]["denied_by"] == ["pay-per-crawl"]
    evidence = refused[0]["evidence"][-1]
    assert evidence["rule"] == "crawler-price: USD 0.05"
    assert evidence["refs"] == {
        "refusal": "above-max-price",
        "price": "0.05",
        "currency": "USD",
        "max_price": "USD 0.01",
    }

    # The charge records add up to what the server billed, money as decimal strings.
    charges = records(audit, "charge")
    assert {(r["url"], r["price"], r["charged"], r["currency"], r["matches_price"]) for r in charges} == {
        (url, "0.01", "0.01", "USD", True) for url in cheap
    }
    assert charged_total(audit) == paywall.total() == Decimal("0.03")
    stats = guard_stats(crawler)
    assert stats["policyguard/pay/pages"] == 3
    assert stats["policyguard/pay/charged"] == "USD 0.03"
    assert stats["policyguard/pay/declined"] == 1
    assert stats["policyguard/pay/declined/above-max-price"] == 1
    # A paid retry is the same page, decided and counted once.
    assert stats["policyguard/requests/allowed"] == 5
    assert stats["policyguard/responses/denied/pay-per-crawl"] == 1
    totals = records(audit, "totals")[0]
    assert totals["pay"]["spent"] == "0.03"
    assert totals["pay"]["origins"]["http://shop.test"]["charged"] == {"USD": "0.03"}
    assert totals["stats"] == stats

    report = load_report(audit)
    assert report.to_dict()["pay"]["charged"] == {"USD": "0.03"}
    text = render_text(report, 5)
    assert "pay-per-crawl: 3 page(s) paid, USD 0.03" in text
    assert "crawler-price: USD 0.05" in text


@pytest.mark.parametrize(
    "case",
    [
        # One budget for the crawl: 13 of 40 pages, whichever origin answers first.
        (
            {"POLICYGUARD_BUDGET": "USD 0.13"},
            {"one.test": None, "two.test": None, "total": 13},
            "budget-exhausted",
        ),
        # A cap per origin, the crawl budget ample: 4 from one.test, 6 from the other.
        (
            {
                "POLICYGUARD_BUDGET": "USD 1.00",
                "POLICYGUARD_BUDGET_PER_ORIGIN": {"http://one.test": "USD 0.04", "*": "USD 0.06"},
            },
            {"one.test": 4, "two.test": 6, "total": 10},
            "origin-budget-exhausted",
        ),
    ],
)
@coroutine_test
async def test_concurrent_pages_never_overspend_the_budget(
    paywall: PayWall,
    keys: Path,
    crawl: Any,
    tmp_path: Path,
    case: tuple[dict[str, Any], dict[str, int | None], str],
) -> None:
    limits, expected, refusal = case
    # 40 priced pages over two origins, answered slowly so that many reservations are in flight
    # at once: only the reservation made before each paid retry keeps the budget.
    urls = [
        paywall.page(host, f"/a{i}", "USD 0.01", delay=0.3)
        for host in ("one.test", "two.test")
        for i in range(20)
    ]
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings=settings(
            keys,
            audit,
            POLICYGUARD_MAX_PRICE="USD 0.01",
            CONCURRENT_REQUESTS=40,
            CONCURRENT_REQUESTS_PER_DOMAIN=40,
            **limits,
        ),
        urls=urls,
    )
    total = expected["total"]
    assert total is not None
    billed = paywall.billed
    assert len(billed) == total
    for host in ("one.test", "two.test"):
        if expected[host] is not None:
            assert sum(1 for b in billed if host in b.url) == expected[host]
    assert paywall.total() == Decimal(total) / 100 == charged_total(audit)
    stats = guard_stats(crawler)
    assert stats["policyguard/pay/pages"] == total
    assert stats["policyguard/pay/declined"] == stats[f"policyguard/pay/declined/{refusal}"] == 40 - total
    assert len(crawler.spider.fetched) == total
    pay = records(audit, "totals")[0]["pay"]
    assert Decimal(pay["spent"]) == Decimal(total) / 100
    assert Decimal(pay["reserved"]) == 0
    # One paid retry per page paid: a reservation refused never sent a price.
    assert stats["policyguard/pay/retries"] == total


@coroutine_test
async def test_crawler_errors_are_audited_with_their_meaning(
    web: LocalWeb, paywall: PayWall, keys: Path, crawl: Any, tmp_path: Path
) -> None:
    blocked = paywall.page("err.test", "/blocked", "USD 0.01", forbidden=True)
    failing = paywall.page("err.test", "/failing", "USD 0.01", fail_payment=True)
    bad_url = "http://err.test/a%zz"  # a malformed escape the signature base cannot represent
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings=settings(keys, audit, POLICYGUARD_MAX_PRICE="USD 0.01"), urls=[blocked, failing, bad_url]
    )
    assert paywall.billed == []
    by_url = {r["url"]: r for r in records(audit, "response")}
    forbidden = by_url[blocked]["evidence"][-1]
    assert forbidden["rule"] == "crawler-error: CrawlerForbidden"
    assert "blocks this crawler" in forbidden["detail"]
    payment = by_url[failing]["evidence"][-1]
    assert payment["rule"] == "crawler-error: PaymentFailed"
    assert "payment processing failed" in payment["detail"]
    assert records(audit, "charge") == []  # an error response is not billed: the reservation is released
    assert records(audit, "totals")[0]["pay"]["reserved"] == "0.00"
    stats = guard_stats(crawler)
    assert stats["policyguard/pay/errors/CrawlerForbidden"] == 1
    assert stats["policyguard/pay/errors/PaymentFailed"] == 1
    assert set(crawler.spider.denied) == {blocked, failing}
    # Never sent unsigned: refused, recorded.
    assert web.count("err.test", "/a%zz") == 0
    unsigned = [r for r in records(audit, "request") if r["action"] == "unsigned"]
    assert [r["url"] for r in unsigned] == [bad_url]
    assert stats["policyguard/signing/failed"] == 1


@coroutine_test
async def test_an_unsigned_crawl_is_refused_and_pays_nothing(
    web: LocalWeb, paywall: PayWall, crawl: Any, tmp_path: Path
) -> None:
    # A crawl without a key cannot set a price limit (test_settings_errors.py), and a pay-per-crawl
    # site does not even name its price to it.
    url = paywall.page("sig.test", "/page", "USD 0.01")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(settings=settings(None, audit), urls=[url])
    assert paywall.answers == [("/page", 400, "InvalidSignature")]
    (record,) = records(audit, "response")
    assert record["evidence"][-1]["rule"] == "crawler-error: InvalidSignature"
    assert guard_stats(crawler)["policyguard/pay/errors/InvalidSignature"] == 1
    assert all("Signature" not in s.headers for s in web.seen)


@coroutine_test
async def test_a_signature_by_a_key_not_in_the_directory_is_refused_and_pays_nothing(
    web: LocalWeb, paywall: PayWall, crawl: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A well-formed signature by a key the agent never published (the server knows only the one
    # the keys fixture made): it cannot be verified.
    other = tmp_path / "other-keys"
    assert main(["keys", "new", str(other)]) == 0
    capsys.readouterr()
    url = paywall.page("sig.test", "/page", "USD 0.01")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(settings=settings(other, audit, POLICYGUARD_MAX_PRICE="USD 0.01"), urls=[url])
    (page,) = [s for s in web.seen if s.path == "/page"]
    verdict = paywall.verifier.verify(page)
    assert not verdict.ok and not verdict.missing
    assert verdict.reason.startswith("no key ")
    assert paywall.answers == [("/page", 400, "StrongAuthRequired")]
    (record,) = records(audit, "response")
    assert record["url"] == url
    assert record["action"] == "blocked"
    assert record["denied_by"] == ["pay-per-crawl"]
    evidence = record["evidence"][-1]
    assert evidence["rule"] == "crawler-error: StrongAuthRequired"
    assert "Web Bot Auth" in evidence["detail"]
    assert url in crawler.spider.denied
    assert paywall.billed == []
    assert records(audit, "charge") == []
    stats = guard_stats(crawler)
    assert stats["policyguard/pay/errors/StrongAuthRequired"] == 1
    assert "policyguard/pay/retries" not in stats
    assert not any("Crawler-Exact-Price" in s.headers for s in web.seen)


@coroutine_test
async def test_a_paid_answer_that_redirects_to_a_disallowed_page_is_checked_again(
    web: LocalWeb, paywall: PayWall, keys: Path, crawl: Any, tmp_path: Path
) -> None:
    web.add("shop.test", "/robots.txt", "User-agent: *\nDisallow: /private\n")
    web.add("shop.test", "/private/page", "<html><body>private</body></html>")
    paid = paywall.page("shop.test", "/paid", "USD 0.01", redirect="/private/page")
    target = web.url("shop.test", "/private/page")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(settings=settings(keys, audit, POLICYGUARD_MAX_PRICE="USD 0.01"), urls=[paid])
    # The paid retry was sent and redirected; its redirect is decided like any request.
    assert [a[:2] for a in paywall.answers] == [("/paid", 402), ("/paid", 302)]
    assert web.count("shop.test", "/private/page") == 0
    assert target in crawler.spider.denied
    blocked = [r for r in records(audit, "request") if r["url"] == target]
    assert [(r["action"], r["denied_by"]) for r in blocked] == [("blocked", ["robots.txt"])]
    # The retry's reservation is freed: nothing was billed.
    assert paywall.billed == []
    assert records(audit, "totals")[0]["pay"]["reserved"] == "0.00"


@coroutine_test
async def test_a_paid_retry_sent_again_by_retry_middleware_is_checked_and_paid_once(
    web: LocalWeb, paywall: PayWall, keys: Path, crawl: Any, tmp_path: Path
) -> None:
    body = '<html><head><meta name="robots" content="noai"></head><body>paid</body></html>'
    paid = paywall.page("shop.test", "/paid", "USD 0.01", internal_errors=1, body=body)
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings=settings(keys, audit, POLICYGUARD_MAX_PRICE="USD 0.01", RETRY_ENABLED=True, RETRY_TIMES=1),
        urls=[paid],
    )
    assert [a[1:] for a in paywall.answers] == [(402, None), (500, "InternalError"), (200, None)]
    # The re-send keeps its reservation and its price: billed once, one charge record.
    assert [b.url for b in paywall.billed] == [paid]
    assert [(r["action"], r["charged"]) for r in records(audit, "charge")] == [("paid", "0.01")]
    assert records(audit, "totals")[0]["pay"]["reserved"] == "0.00"
    stats = guard_stats(crawler)
    # The page, then the re-send (decided again, as any retried request); the paid retry is not.
    assert stats["policyguard/requests/allowed"] == 2
    # The paid answer is still judged at the response stage: its noai meta tag marks the page.
    (marked,) = records(audit, "response")
    assert (marked["url"], marked["action"], marked["denied_by"]) == (paid, "marked", ["html-meta"])
    assert crawler.spider.fetched == [paid]


@coroutine_test
async def test_a_paid_answer_redirecting_to_another_origin_takes_no_price_along(
    web: LocalWeb, paywall: PayWall, keys: Path, crawl: Any, tmp_path: Path
) -> None:
    # The price was offered to shop.test: the redirect to other.test goes without it, so other.test
    # asks its own price and is paid (or not) within its own limits, never on shop.test's consent.
    other = paywall.page("other.test", "/paid", "USD 0.01")
    paid = paywall.page("shop.test", "/paid", "USD 0.01", redirect=other)
    audit = tmp_path / "audit.jsonl"
    await crawl(settings=settings(keys, audit, POLICYGUARD_MAX_PRICE="USD 0.01"), urls=[paid])
    answers = [("/paid", 402), ("/paid", 302), ("/paid", 402), ("/paid", 200)]
    assert [a[:2] for a in paywall.answers] == answers
    assert [b.url for b in paywall.billed] == [other]
    assert [(r["origin"], r["action"]) for r in records(audit, "charge")] == [("http://other.test", "paid")]
    assert records(audit, "totals")[0]["pay"]["reserved"] == "0.00"


class MetaFollowingSpider(ListSpider):
    """Follows every link with ``meta=response.meta``, a common way to carry state along."""

    def parse(self, response: scrapy.http.Response):  # type: ignore[no-untyped-def]
        self.fetched.append(response.url)
        for href in response.css("a::attr(href)").getall():
            yield scrapy.Request(
                response.urljoin(href), callback=self.parse, errback=self.failed, meta=response.meta
            )


@coroutine_test
async def test_a_link_followed_from_a_paid_page_with_its_meta_is_checked(
    web: LocalWeb, paywall: PayWall, keys: Path, crawl: Any, tmp_path: Path
) -> None:
    web.add("shop.test", "/robots.txt", "User-agent: *\nDisallow: /private\n")
    web.add("shop.test", "/private/page", "<html><body>private</body></html>")
    body = '<html><body><a href="/private/page">more</a></body></html>'
    paid = paywall.page("shop.test", "/paid", "USD 0.01", body=body)
    target = web.url("shop.test", "/private/page")
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        MetaFollowingSpider, settings=settings(keys, audit, POLICYGUARD_MAX_PRICE="USD 0.01"), urls=[paid]
    )
    assert crawler.spider.fetched == [paid]
    assert [b.url for b in paywall.billed] == [paid]
    assert web.count("shop.test", "/private/page") == 0
    assert target in crawler.spider.denied
    blocked = [r for r in records(audit, "request") if r["url"] == target]
    assert [(r["action"], r["denied_by"]) for r in blocked] == [("blocked", ["robots.txt"])]


@coroutine_test
async def test_a_charge_other_than_the_price_is_recorded_as_billed(
    web: LocalWeb, paywall: PayWall, keys: Path, crawl: Any, tmp_path: Path
) -> None:
    over = [paywall.page("over.test", f"/o{i}", "USD 0.01", charge="USD 0.02") for i in range(2)]
    under = [paywall.page("under.test", f"/u{i}", "USD 0.01", charge="USD 0.005") for i in range(2)]
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings=settings(
            keys,
            audit,
            POLICYGUARD_MAX_PRICE="USD 0.01",
            CONCURRENT_REQUESTS_PER_DOMAIN=1,
            CONCURRENT_REQUESTS=1,
        ),
        urls=[*over, *under],
    )
    charges = records(audit, "charge")
    # The overcharging origin is paid once, then not again; the undercharging one every time.
    assert sorted((r["origin"], r["charged"], r["matches_price"]) for r in charges) == [
        ("http://over.test", "0.02", False),
        ("http://under.test", "0.005", False),
        ("http://under.test", "0.005", False),
    ]
    assert charged_total(audit) == paywall.total() == Decimal("0.03")
    stats = guard_stats(crawler)
    assert stats["policyguard/pay/declined/origin-overcharged"] == 1
    assert stats["policyguard/pay/mismatched"] == 3
    pay = records(audit, "totals")[0]["pay"]
    assert pay["distrusted"] == ["http://over.test"]
    assert pay["charged"] == {"USD": "0.030"}


@coroutine_test
async def test_audit_mode_never_pays_and_records_what_it_would_have_paid(
    web: LocalWeb, paywall: PayWall, keys: Path, crawl: Any, tmp_path: Path
) -> None:
    urls = [paywall.page("audit.test", f"/p{i}", "USD 0.01") for i in range(3)]
    audit = tmp_path / "audit.jsonl"
    crawler = await crawl(
        settings=settings(
            keys,
            audit,
            POLICYGUARD_MODE="audit",
            POLICYGUARD_MAX_PRICE="USD 0.01",
            POLICYGUARD_BUDGET="USD 0.02",
        ),
        urls=urls,
    )
    assert paywall.billed == []
    assert not any("Crawler-Exact-Price" in s.headers for s in web.seen)
    charges = records(audit, "charge")
    assert [(r["action"], r["price"], r["charged"]) for r in charges] == [("would-pay", "0.01", None)] * 2
    would = [r for r in records(audit, "response") if r["action"] == "would-block"]
    assert [r["evidence"][-1]["refs"]["refusal"] for r in would] == ["budget-exhausted"]
    stats = guard_stats(crawler)
    assert stats["policyguard/pay/would_pay"] == 2
    assert "policyguard/pay/pages" not in stats
    pay = records(audit, "totals")[0]["pay"]
    assert pay["simulated"] is True
    assert pay["spent"] == "0.02"
    assert "would have been paid" in render_text(load_report(audit), 5)
