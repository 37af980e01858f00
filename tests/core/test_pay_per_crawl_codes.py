from __future__ import annotations

from scrapy_policyguard.core.decision import EvidenceKind, Outcome, Source
from scrapy_policyguard.core.pay_per_crawl import CrawlerError, error_evidence, error_meaning, price_evidence
from scrapy_policyguard.core.purposes import PURPOSES


def test_every_documented_code_has_its_status_and_meaning() -> None:
    # Cloudflare's error-codes page (2026-04-23): eleven codes.
    assert len(CrawlerError) == 11
    assert CrawlerError("PaymentFailed").status == 403
    assert CrawlerError("MissingCrawlerPrice").status == 402
    assert CrawlerError("InvalidContentPrice").status == 502
    assert all(code.meaning for code in CrawlerError)
    assert error_meaning("SomethingElse") == "not a documented pay-per-crawl error code"


def test_a_page_not_paid_for_is_denied_for_every_purpose() -> None:
    for evidence in (
        price_evidence("http://a.test/x", "USD 0.05", "above the limit", {"refusal": "above-max-price"}),
        error_evidence("http://a.test/x", 403, "CrawlerForbidden", {}),
    ):
        assert evidence.source is Source.PAY_PER_CRAWL
        assert evidence.kind is EvidenceKind.CRAWL
        assert evidence.effects == dict.fromkeys(PURPOSES, Outcome.DENY)
    assert error_evidence("http://a.test/x", 403, "CrawlerForbidden", {}).refs == {"code": "CrawlerForbidden"}
