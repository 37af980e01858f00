from __future__ import annotations

from decimal import Decimal

import pytest

from scrapy_policyguard.core.money import CurrencyMismatch, Money, PriceError


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [
        ("USD 0.01", "USD", "0.01"),
        ("  EUR\t1  ", "EUR", "1"),
        ("usd 0.010", "USD", "0.010"),
        ("GBP 12345.6789", "GBP", "12345.6789"),
    ],
)
def test_prices_parse_exactly(text: str, currency: str, amount: str) -> None:
    money = Money.parse(text)
    assert money == Money(currency, Decimal(amount))
    assert money.text_amount == amount
    assert str(money) == f"{currency} {amount}"


@pytest.mark.parametrize(
    "text",
    ["", "0.01", "USD", "USD0.01", "US 0.01", "USD -0.01", "USD 1e3", "USD .5", "USD 0,01", "USD 0.01 x"],
)
def test_anything_else_is_not_a_price(text: str) -> None:
    with pytest.raises(PriceError, match="not a price"):
        Money.parse(text)


def test_a_hundred_cents_make_exactly_one_dollar() -> None:
    total = Money.zero("USD")
    for _ in range(100):
        total = total + Money.parse("USD 0.01")
    assert total == Money.parse("USD 1.00")
    assert total - Money.parse("USD 1") == Money.zero("USD")


def test_currencies_never_mix() -> None:
    usd, eur = Money.parse("USD 1"), Money.parse("EUR 1")
    with pytest.raises(CurrencyMismatch):
        usd + eur
    with pytest.raises(CurrencyMismatch):
        _ = usd <= eur
    assert Money.parse("USD 0.01") < usd
