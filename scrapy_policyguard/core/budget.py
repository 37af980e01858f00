"""What the crawl may spend on pay-per-crawl pages, and what it has spent: limits, reservations, settlement.

Cloudflare leaves spending limits to the crawler's operator ("You should implement mechanisms within
your crawler to track expenditure and enforce any spending limits you want to set",
https://developers.cloudflare.com/ai-crawl-control/features/pay-per-crawl/faq/, read 2026-12-02), so
the limits are ours: a price per page, a budget for the whole crawl and one per origin.

A page is paid in two steps, and concurrent pages must never overspend between them: before the
paid retry is sent its price is **reserved** (counted against every limit at once), and when the
answer arrives the reservation is **settled** from ``crawler-charged`` (the amount billed),
**released** (an error response, which is not billed) or **held** (no answer, or a success without
``crawler-charged``: whether it was billed is unknown, so it stays counted). Every check and update
is synchronous, so on Scrapy's single reactor thread no two requests interleave inside one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .money import Money
from .text_enum import TextEnum

__all__ = ["ANY_ORIGIN", "Budget", "Limits", "Refusal", "Reservation"]

#: The POLICYGUARD_BUDGET_PER_ORIGIN key that caps every origin not named.
ANY_ORIGIN = "*"


class Refusal(TextEnum):
    """Why a price is not paid (``pay/declined/<refusal>`` stats, evidence ``refs``)."""

    NOT_PAYING = "no-max-price"  # POLICYGUARD_MAX_PRICE is not set: the crawl never pays
    UNREADABLE = "unreadable-price"
    CURRENCY = "other-currency"
    ABOVE_MAX_PRICE = "above-max-price"
    BUDGET = "budget-exhausted"
    ORIGIN_BUDGET = "origin-budget-exhausted"
    DISTRUSTED = "origin-overcharged"  # the origin billed more than, or other than, the price asked
    ALREADY_RETRIED = "already-retried"  # the paid retry itself was answered with a price


@dataclass(frozen=True)
class Limits:
    """The spending limits of one crawl, all in one currency. ``max_price`` None: never pay."""

    max_price: Money | None = None
    budget: Money | None = None
    per_origin: Mapping[str, Money] = field(default_factory=dict)

    @property
    def currency(self) -> str | None:
        return self.max_price.currency if self.max_price is not None else None

    def origin_cap(self, origin: str) -> Money | None:
        return self.per_origin.get(origin) or self.per_origin.get(ANY_ORIGIN)

    def describe(self) -> dict[str, Any]:
        """The limits as the audit trail records them (money as text)."""
        return {
            "POLICYGUARD_MAX_PRICE": str(self.max_price) if self.max_price else None,
            "POLICYGUARD_BUDGET": str(self.budget) if self.budget else None,
            "POLICYGUARD_BUDGET_PER_ORIGIN": {k: str(v) for k, v in self.per_origin.items()},
        }


@dataclass(frozen=True)
class Reservation:
    """A price set aside for one paid retry; ``asked`` is the ``crawler-price`` text to echo exactly."""

    origin: str
    price: Money
    asked: str


@dataclass
class _Account:
    spent: Decimal = Decimal(0)  # settled, in the limits' currency
    reserved: Decimal = Decimal(0)  # paid retries under way
    held: Decimal = Decimal(0)  # retries whose billing is unknown
    pages: int = 0
    charged: dict[str, Decimal] = field(default_factory=dict)  # what was billed, per currency

    @property
    def committed(self) -> Decimal:
        return self.spent + self.reserved + self.held

    def to_dict(self) -> dict[str, Any]:
        return {
            "spent": format(self.spent, "f"),
            "reserved": format(self.reserved, "f"),
            "unsettled": format(self.held, "f"),
            "pages": self.pages,
            "charged": {c: format(a, "f") for c, a in sorted(self.charged.items())},
        }


class Budget:
    """The crawl's spending: checked and reserved before paying, settled from what was billed."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.total = _Account()
        self.origins: dict[str, _Account] = {}
        self.distrusted: set[str] = set()

    def _refusal(self, origin: str, price: Money) -> Refusal | None:
        limits = self.limits
        if limits.max_price is None:
            return Refusal.NOT_PAYING
        if price.currency != limits.max_price.currency:
            return Refusal.CURRENCY
        if origin in self.distrusted:
            return Refusal.DISTRUSTED
        if limits.max_price < price:
            return Refusal.ABOVE_MAX_PRICE
        if limits.budget is not None and self.total.committed + price.amount > limits.budget.amount:
            return Refusal.BUDGET
        cap = limits.origin_cap(origin)
        account = self.origins.get(origin)
        committed = account.committed if account is not None else Decimal(0)
        if cap is not None and committed + price.amount > cap.amount:
            return Refusal.ORIGIN_BUDGET
        return None

    def reserve(self, origin: str, price: Money, asked: str) -> Reservation | Refusal:
        """Set ``price`` aside for ``origin`` if every limit allows it, else say which does not."""
        refusal = self._refusal(origin, price)
        if refusal is not None:
            return refusal
        account = self.origins.setdefault(origin, _Account())
        for acc in (self.total, account):
            acc.reserved += price.amount
        return Reservation(origin, price, asked)

    def _accounts(self, reservation: Reservation) -> tuple[_Account, _Account]:
        return self.total, self.origins[reservation.origin]

    def settle(self, reservation: Reservation, charged: Money) -> bool:
        """The page was billed ``charged``; False when that is not the price reserved.

        A charge above the price, or in another currency, is recorded as billed and the origin is
        not paid again this crawl (``origin-overcharged``). Against the limits a charge in another
        currency counts at the price agreed, which is the most it can be compared with.
        """
        same_currency = charged.currency == reservation.price.currency
        counted = charged.amount if same_currency else reservation.price.amount
        for acc in self._accounts(reservation):
            acc.reserved -= reservation.price.amount
            acc.spent += counted
            acc.pages += 1
            acc.charged[charged.currency] = acc.charged.get(charged.currency, Decimal(0)) + charged.amount
        if not same_currency or reservation.price < charged:
            self.distrusted.add(reservation.origin)
        return same_currency and charged.amount == reservation.price.amount

    def release(self, reservation: Reservation) -> None:
        """Nothing was billed (an error response): the reservation is given back."""
        for acc in self._accounts(reservation):
            acc.reserved -= reservation.price.amount

    def hold(self, reservation: Reservation) -> None:
        """Whether the page was billed is unknown: its price stays counted, as unsettled."""
        for acc in self._accounts(reservation):
            acc.reserved -= reservation.price.amount
            acc.held += reservation.price.amount

    def snapshot(self) -> dict[str, Any]:
        """Spending in total and per origin, money as decimal strings (the ``totals`` record)."""
        return {
            "currency": self.limits.currency,
            **self.total.to_dict(),
            "origins": {origin: acc.to_dict() for origin, acc in sorted(self.origins.items())},
            "distrusted": sorted(self.distrusted),
        }
