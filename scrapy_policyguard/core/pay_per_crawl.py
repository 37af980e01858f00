"""Cloudflare pay-per-crawl as a crawler meets it: the headers, the error codes, and the evidence.

The protocol (read 2026-12-02):
https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/use-pay-per-crawl-as-ai-owner/crawl-pages/
(last updated 2026-04-23): an unpaid request to a priced page is answered ``402 Payment Required``
with ``crawler-price: USD 0.01``; the crawler may retry with ``crawler-exact-price`` (which "should
exactly match the price set in the response header crawler-price") or send ``crawler-max-price``;
a success is ``200`` with ``crawler-charged``, "the exact amount that will be billed"; a wrong price
header gets another 402. The error codes and what to do about each:
https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/use-pay-per-crawl-as-ai-owner/error-codes/
(last updated 2026-04-23). Only successful responses are billed, every re-crawl is billed again:
https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/faq/.

We only ever send ``crawler-exact-price``, and only after a 402 named the price: sending
``crawler-max-price`` up front would let any page of any site charge up to it without the crawl
seeing the price first.
"""

from __future__ import annotations

from .decision import DENY_ALL, Evidence, EvidenceKind, Source
from .text_enum import TextEnum

__all__ = [
    "CHARGED_HEADER",
    "ERROR_HEADER",
    "EXACT_PRICE_HEADER",
    "MAX_PRICE_HEADER",
    "PAYMENT_REQUIRED",
    "PRICE_HEADER",
    "CrawlerError",
    "error_evidence",
    "error_meaning",
    "price_evidence",
]

PAYMENT_REQUIRED = 402
PRICE_HEADER = "crawler-price"
EXACT_PRICE_HEADER = "crawler-exact-price"
MAX_PRICE_HEADER = "crawler-max-price"
CHARGED_HEADER = "crawler-charged"
ERROR_HEADER = "crawler-error"


class CrawlerError(TextEnum):
    """The ``crawler-error`` codes Cloudflare documents, with their HTTP status and meaning."""

    CRAWLER_FORBIDDEN = "CrawlerForbidden"
    STRONG_AUTH_REQUIRED = "StrongAuthRequired"
    INVALID_SIGNATURE = "InvalidSignature"
    INVALID_CRAWLER_PRICE_VALUE = "InvalidCrawlerPriceValue"
    MISSING_CRAWLER_PRICE = "MissingCrawlerPrice"
    PAYMENT_FAILED = "PaymentFailed"
    INVALID_CRAWLER_EXACT_PRICE = "InvalidCrawlerExactPrice"
    INVALID_CRAWLER_MAX_PRICE = "InvalidCrawlerMaxPrice"
    CONFLICTING_PRICE_HEADERS = "ConflictingPriceHeaders"
    INVALID_CONTENT_PRICE = "InvalidContentPrice"
    INTERNAL_ERROR = "InternalError"

    @property
    def status(self) -> int:
        return _ERRORS[self][0]

    @property
    def meaning(self) -> str:
        return _ERRORS[self][1]


# Our summaries of the documented "what to do" column.
_ERRORS: dict[CrawlerError, tuple[int, str]] = {
    CrawlerError.CRAWLER_FORBIDDEN: (403, "the site owner blocks this crawler; the content cannot be had"),
    CrawlerError.STRONG_AUTH_REQUIRED: (400, "valid Web Bot Auth headers with strong authentication needed"),
    CrawlerError.INVALID_SIGNATURE: (400, "the request lacked signature-input and signature headers"),
    CrawlerError.INVALID_CRAWLER_PRICE_VALUE: (400, "the price header was not formatted like 'USD 0.01'"),
    CrawlerError.MISSING_CRAWLER_PRICE: (402, "neither crawler-exact-price nor crawler-max-price was sent"),
    CrawlerError.PAYMENT_FAILED: (403, "payment processing failed; check the pay-per-crawl account"),
    CrawlerError.INVALID_CRAWLER_EXACT_PRICE: (402, "crawler-exact-price did not match crawler-price"),
    CrawlerError.INVALID_CRAWLER_MAX_PRICE: (402, "crawler-max-price was below crawler-price"),
    CrawlerError.CONFLICTING_PRICE_HEADERS: (400, "both crawler-exact-price and crawler-max-price were sent"),
    CrawlerError.INVALID_CONTENT_PRICE: (502, "the origin returned an invalid price (site configuration)"),
    CrawlerError.INTERNAL_ERROR: (500, "a server error; retry later with exponential backoff"),
}


def error_meaning(code: str) -> str:
    try:
        return CrawlerError(code).meaning
    except ValueError:
        return "not a documented pay-per-crawl error code"


def price_evidence(url: str, asked: str, detail: str, refs: dict[str, str]) -> Evidence:
    """A priced page not paid for: it cannot be fetched, whatever the purpose."""
    return Evidence(
        Source.PAY_PER_CRAWL,
        f"{PRICE_HEADER}: {asked}",
        f"{url} (HTTP {PAYMENT_REQUIRED})",
        detail,
        DENY_ALL,
        EvidenceKind.CRAWL,
        refs=refs,
    )


def error_evidence(url: str, status: int, code: str, refs: dict[str, str]) -> Evidence:
    """A pay-per-crawl refusal the server gave (``crawler-error``), with the code's meaning."""
    return Evidence(
        Source.PAY_PER_CRAWL,
        f"{ERROR_HEADER}: {code}",
        f"{url} (HTTP {status})",
        error_meaning(code),
        DENY_ALL,
        EvidenceKind.CRAWL,
        refs={"code": code, **refs},
    )
