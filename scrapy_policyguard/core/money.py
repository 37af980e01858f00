"""Prices as pay-per-crawl writes them: a currency code and a decimal amount, ``USD 0.01``.

Money is ``decimal.Decimal``, never float: a budget of ``USD 1.00`` spent a cent at a time must come
out at exactly zero, and a float sum of a hundred ``0.01`` does not. Amounts of different currencies
are never added or compared (:class:`CurrencyMismatch`): a price in a currency other than the limit's
is not converted, it is not paid.

The text form follows Cloudflare's pay-per-crawl headers (``crawler-price: USD 0.01``; "properly
formatted (for example, USD 0.01)", https://developers.cloudflare.com/ai-crawl-control/features/
pay-per-crawl/use-pay-per-crawl-as-ai-owner/error-codes/, read 2026-12-02): a three-letter ISO 4217
code, one space, a non-negative decimal without exponent. We accept any run of spaces or tabs
between the two and lower-case codes (written upper case), and nothing looser: a price we cannot
read exactly is not a price we pay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["CurrencyMismatch", "Money", "PriceError"]

_PRICE = re.compile(r"([A-Za-z]{3})[ \t]+([0-9]+(?:\.[0-9]+)?)")


class PriceError(ValueError):
    """Text that is not a price of the form ``USD 0.01``."""


class CurrencyMismatch(ValueError):
    """Arithmetic or comparison between amounts of two currencies."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. ``str()`` gives the header form, ``USD 0.01``."""

    currency: str
    amount: Decimal

    @classmethod
    def parse(cls, text: str) -> Money:
        match = _PRICE.fullmatch(text.strip())
        if match is None:
            raise PriceError(
                f"{text!r} is not a price like 'USD 0.01' (currency code, space, decimal amount)"
            )
        try:
            amount = Decimal(match[2])
        except InvalidOperation:  # the pattern admits only digits; kept for safety
            raise PriceError(f"{text!r}: {match[2]!r} is not a decimal amount") from None
        return cls(match[1].upper(), amount)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(currency, Decimal(0))

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self} and {other} are in different currencies")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.amount - other.amount)

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    @property
    def text_amount(self) -> str:
        """The amount as a decimal string, as the audit trail holds money (``"0.01"``)."""
        return format(self.amount, "f")

    def __str__(self) -> str:
        return f"{self.currency} {self.text_amount}"
