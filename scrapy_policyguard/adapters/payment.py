"""The downloader middleware for pay-per-crawl: a ``402`` with a price is paid within the limits, or the
page is denied with the price as evidence.

A ``402 Payment Required`` carrying ``crawler-price`` (core/pay_per_crawl.py) is checked against
POLICYGUARD_MAX_PRICE, POLICYGUARD_BUDGET and POLICYGUARD_BUDGET_PER_ORIGIN (core/budget.py). Within
them the price is reserved and the page requested once more with ``crawler-exact-price`` (the
retry goes through every downloader middleware again, so it is signed with the price covered);
its answer settles the reservation from ``crawler-charged`` and writes a ``charge`` audit record.
The retry skips the policy check its page already passed, for its own URL only (DECIDED_META): a
redirect of it, or a re-send by RetryMiddleware, is checked again and carries the reservation on
within the origin that asked the price; a redirect to another origin goes without price or
reservation.
Above them, or when the server refuses (``crawler-error``), the request fails with
:class:`PolicyDenied` and a ``response`` record whose evidence holds the price or the error code
and its meaning. In audit mode nothing is paid: each price that would have been paid is a
``charge`` record with ``action`` ``would-pay``, and the 402 goes on to the spider.

Priority 540: Scrapy calls ``process_response`` from the highest number down, so this runs after
RetryMiddleware (550), which may retry a pay-per-crawl ``InternalError`` (500) first, and after
RedirectMiddleware (600), and before the policy middleware (100) reads a page's own signals.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest, NotConfigured

from ..core.budget import Refusal, Reservation
from ..core.decision import Decision, Evidence, Stage
from ..core.money import Money, PriceError
from ..core.paths import origin_of
from ..core.pay_per_crawl import (
    CHARGED_HEADER,
    ERROR_HEADER,
    EXACT_PRICE_HEADER,
    PAYMENT_REQUIRED,
    PRICE_HEADER,
    CrawlerError,
    error_evidence,
    price_evidence,
)
from ..core.text_enum import TextEnum
from .accounting import ResponseAction
from .audit import Record
from .downloader import DECIDED_META, DECISION_META, PolicyDenied
from .fetch import FETCH_META
from .runtime import GuardRuntime
from .settings import is_enabled

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["PAYMENT_PRIORITY", "PAY_META", "PayAction", "PaymentMiddleware"]

logger = logging.getLogger("scrapy_policyguard")

PAYMENT_PRIORITY = 540
#: request.meta key of a paid retry: the Reservation its answer settles.
PAY_META = "policyguard_payment"


class PayAction(TextEnum):
    """The ``action`` of a ``charge`` record."""

    PAID = "paid"
    WOULD_PAY = "would-pay"  # audit mode
    UNCONFIRMED = "unconfirmed"  # sent with a price, billing unknown (no answer, no crawler-charged)


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value is not None else None


class PaymentMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        if not is_enabled(crawler.settings):
            raise NotConfigured("POLICYGUARD_ENABLED is False")
        self.runtime = runtime = GuardRuntime.of(crawler)
        self.budget = runtime.budget
        self.ledger = runtime.ledger
        self.audit = runtime.audit
        self.enforce = runtime.settings.enforce
        self._log_extra = {"spider": crawler.spider}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PaymentMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        """A price is offered to one origin: a redirect of the paid retry to another origin goes
        without it (its reservation released), and ``crawler-exact-price`` travels only with a
        reservation, never copied along with a request's headers."""
        reservation = request.meta.get(PAY_META)
        if isinstance(reservation, Reservation) and origin_of(request.url) != reservation.origin:
            logger.debug(
                "Not offering %s to %s: the price was asked by %s",
                reservation.asked,
                request.url,
                reservation.origin,
                extra=self._log_extra,
            )
            request.meta[PAY_META] = None
            self.budget.release(reservation)
            reservation = None
        if not isinstance(reservation, Reservation) and EXACT_PRICE_HEADER in request.headers:
            del request.headers[EXACT_PRICE_HEADER]

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get(FETCH_META):  # robots.txt and policy documents are never paid for
            return response
        reservation = request.meta.get(PAY_META)
        if isinstance(reservation, Reservation):
            request.meta[PAY_META] = None  # settled once, whatever follows
            return self._settle(request, response, reservation)
        if response.status == PAYMENT_REQUIRED and PRICE_HEADER.encode() in response.headers:
            return self._priced(request, response)
        code = _header(response, ERROR_HEADER)
        if code:
            return self._refused(request, response, code)
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        reservation = request.meta.get(PAY_META)
        if not isinstance(reservation, Reservation):
            return
        request.meta[PAY_META] = None
        if isinstance(exception, IgnoreRequest):  # dropped before it was sent: nothing billed
            self.budget.release(reservation)
            return
        # Sent with a price and no answer: it may have been billed, so its price stays counted.
        self.budget.hold(reservation)
        self.ledger.inc("pay/unconfirmed")
        self._charge(
            request, reservation, PayAction.UNCONFIRMED, None, status=None, note=f"no answer: {exception!r}"
        )
        logger.warning(
            "Paid request %s got no answer (%r): %s stays counted against the budget",
            request,
            exception,
            reservation.price,
            extra=self._log_extra,
        )

    # -- a 402 with a price ------------------------------------------------------------------------

    def _priced(self, request: Request, response: Response) -> Request | Response:
        asked = _header(response, PRICE_HEADER) or ""
        origin = origin_of(request.url)
        try:
            price = Money.parse(asked)
        except PriceError:
            return self._decline(request, response, asked, Refusal.UNREADABLE, None)
        result = self.budget.reserve(origin, price, asked)
        if isinstance(result, Refusal):
            return self._decline(request, response, asked, result, price)
        if not self.enforce:
            self.budget.settle(result, price)
            self.ledger.inc("pay/would_pay")
            self.ledger.set("pay/would_spend", self._total())
            self._charge(request, result, PayAction.WOULD_PAY, None, status=response.status)
            return response
        self.ledger.inc("pay/retries")
        # Ahead of the queue: the reservation holds budget until its answer settles it.
        retry = request.replace(dont_filter=True, priority=request.priority + 1)
        retry.headers[EXACT_PRICE_HEADER] = asked
        # Decided for this URL only: a redirect of the retry, or a request given its meta, is checked.
        retry.meta.update({PAY_META: result, DECIDED_META: retry.url, "dont_cache": True})
        logger.debug("Paying %s for %s", asked, request.url, extra=self._log_extra)
        return retry

    def _explain(self, refusal: Refusal, asked: str, price: Money | None, origin: str) -> str:
        limits = self.budget.limits
        spent = self.budget.total
        if refusal is Refusal.NOT_PAYING:
            return f"priced at {asked}; POLICYGUARD_MAX_PRICE is not set, so the crawl pays nothing"
        if refusal is Refusal.UNREADABLE:
            return f"{asked!r} is not a price the crawl can read (like 'USD 0.01'): not paid"
        if refusal is Refusal.CURRENCY and price is not None:
            return f"priced in {price.currency}; the limits are in {limits.currency} and never converted"
        if refusal is Refusal.ABOVE_MAX_PRICE:
            return f"{asked} is above POLICYGUARD_MAX_PRICE {limits.max_price}: not paid"
        if refusal is Refusal.BUDGET:
            return (
                f"{asked} would exceed POLICYGUARD_BUDGET {limits.budget} ({spent.committed} of it "
                f"spent or reserved): not paid"
            )
        if refusal is Refusal.ORIGIN_BUDGET:
            return (
                f"{asked} would exceed {origin}'s POLICYGUARD_BUDGET_PER_ORIGIN {limits.origin_cap(origin)}"
            )
        if refusal is Refusal.DISTRUSTED:
            return f"{origin} billed more than, or other than, the price asked earlier: not paid again"
        return f"the paid retry was answered with a price again ({asked}): not retried twice"

    def _decline(
        self, request: Request, response: Response, asked: str, refusal: Refusal, price: Money | None
    ) -> Response:
        origin = origin_of(request.url)
        refs = {"refusal": str(refusal)}
        if price is not None:
            refs.update(price=price.text_amount, currency=price.currency)
        if self.budget.limits.max_price is not None:
            refs["max_price"] = str(self.budget.limits.max_price)
        evidence = price_evidence(request.url, asked, self._explain(refusal, asked, price, origin), refs)
        self.ledger.inc("pay/declined")
        self.ledger.inc(f"pay/declined/{refusal}")
        return self._deny(request, response, evidence)

    # -- the answer to a paid retry ----------------------------------------------------------------

    def _settle(self, request: Request, response: Response, reservation: Reservation) -> Request | Response:
        status = response.status
        if not 200 <= status < 300:
            # Error responses are not billed.
            self.budget.release(reservation)
            code = _header(response, ERROR_HEADER)
            if code:
                return self._refused(request, response, code)
            if status == PAYMENT_REQUIRED and PRICE_HEADER.encode() in response.headers:
                asked = _header(response, PRICE_HEADER) or ""
                return self._decline(request, response, asked, Refusal.ALREADY_RETRIED, None)
            return response
        text = _header(response, CHARGED_HEADER)
        try:
            charged = Money.parse(text) if text is not None else None
        except PriceError:
            charged = None
        if charged is None:
            self.budget.hold(reservation)
            self.ledger.inc("pay/unconfirmed")
            problem = f"{CHARGED_HEADER} {'missing' if text is None else f'unreadable: {text!r}'}"
            self._charge(request, reservation, PayAction.UNCONFIRMED, None, status=status, note=problem)
            logger.warning(
                "Paid page %s: %s; its price %s stays counted against the budget",
                request.url,
                problem,
                reservation.price,
                extra=self._log_extra,
            )
            return response
        matches = self.budget.settle(reservation, charged)
        self.ledger.inc("pay/pages")
        self.ledger.set("pay/charged", self._total())
        note: str | None = None
        if not matches:
            self.ledger.inc("pay/mismatched")
            note = f"charged {charged}, asked {reservation.price}"
            logger.warning(
                "Paid page %s was charged %s for a price of %s%s",
                request.url,
                charged,
                reservation.price,
                f"; {reservation.origin} is not paid again this crawl"
                if reservation.origin in self.budget.distrusted
                else "",
                extra=self._log_extra,
            )
        self._charge(request, reservation, PayAction.PAID, charged, status=status, note=note)
        return response

    # -- refusals and records ----------------------------------------------------------------------

    def _refused(self, request: Request, response: Response, code: str) -> Response:
        """The server refused (``crawler-error``): the code and its meaning are the evidence."""
        known = code in CrawlerError._value2member_map_
        self.ledger.inc(f"pay/errors/{code if known else 'unknown'}")
        refs = {"status": str(response.status)}
        asked = _header(response, PRICE_HEADER)
        if asked:
            refs["price"] = asked
        return self._deny(request, response, error_evidence(request.url, response.status, code, refs))

    def _deny(self, request: Request, response: Response, evidence: Evidence) -> Response:
        previous = request.meta.get(DECISION_META)
        settings = self.runtime.settings
        decision = (
            previous.extend([evidence], stage=Stage.RESPONSE)
            if isinstance(previous, Decision)
            else Decision.build(
                request.url,
                settings.purpose,
                [evidence],
                unknown_allows=settings.unknown_allows,
                stage=Stage.RESPONSE,
            )
        )
        request.meta[DECISION_META] = decision
        outcomes = self.runtime.outcomes
        if not self.enforce:
            outcomes.response_refused(request, decision, ResponseAction.WOULD_BLOCK, response.status)
            return response
        outcomes.response_refused(request, decision, ResponseAction.BLOCKED, response.status)
        logger.info("Not fetched: %s: %s", request.url, evidence.detail, extra=self._log_extra)
        raise PolicyDenied(decision)

    def _total(self) -> str:
        charged = self.budget.total.charged
        return ", ".join(f"{currency} {format(amount, 'f')}" for currency, amount in sorted(charged.items()))

    def _charge(
        self,
        request: Request,
        reservation: Reservation,
        action: PayAction,
        charged: Money | None,
        *,
        status: int | None,
        note: str | None = None,
    ) -> None:
        price = reservation.price
        fields: dict[str, Any] = {
            "url": request.url,
            "origin": reservation.origin,
            "action": str(action),
            "price": price.text_amount,
            "currency": price.currency,
            "charged": charged.text_amount if charged is not None else None,
            "matches_price": charged == price if charged is not None else None,
            "status": status,
        }
        if charged is not None and charged.currency != price.currency:
            fields["charged_currency"] = charged.currency
        if note:
            fields["note"] = note
        self.audit.write(Record.CHARGE, **fields)
