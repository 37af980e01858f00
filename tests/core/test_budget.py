from __future__ import annotations

from decimal import Decimal

from scrapy_policyguard.core.budget import Budget, Limits, Refusal, Reservation
from scrapy_policyguard.core.money import Money

USD = Money.parse
ONE = "https://one.example"
TWO = "https://two.example"


def budget(max_price: str | None = "USD 0.05", total: str | None = None, **per_origin: str) -> Budget:
    caps = {k.replace("_", "."): USD(v) for k, v in per_origin.items()}
    return Budget(Limits(USD(max_price) if max_price else None, USD(total) if total else None, caps))


def reserve(b: Budget, origin: str, price: str) -> Reservation | Refusal:
    return b.reserve(origin, USD(price), price)


def test_without_a_max_price_nothing_is_paid() -> None:
    assert reserve(budget(None), ONE, "USD 0.01") is Refusal.NOT_PAYING


def test_price_above_the_limit_or_in_another_currency_is_refused() -> None:
    b = budget("USD 0.05")
    assert reserve(b, ONE, "USD 0.06") is Refusal.ABOVE_MAX_PRICE
    assert reserve(b, ONE, "EUR 0.01") is Refusal.CURRENCY
    assert isinstance(reserve(b, ONE, "USD 0.05"), Reservation)


def test_reservations_count_before_anything_is_settled() -> None:
    # Ten concurrent 402s against a budget of three pages: the fourth is refused although nothing
    # has been settled yet.
    b = budget("USD 0.01", "USD 0.03")
    results = [reserve(b, ONE, "USD 0.01") for _ in range(10)]
    held = [r for r in results if isinstance(r, Reservation)]
    assert len(held) == 3
    assert results[3:] == [Refusal.BUDGET] * 7
    for r in held:
        assert b.settle(r, USD("USD 0.01"))
    assert b.total.spent == Decimal("0.03")
    assert b.total.reserved == 0
    assert reserve(b, ONE, "USD 0.01") is Refusal.BUDGET


def test_a_released_reservation_frees_its_budget_and_a_held_one_does_not() -> None:
    b = budget("USD 0.01", "USD 0.02")
    first, second = reserve(b, ONE, "USD 0.01"), reserve(b, ONE, "USD 0.01")
    assert isinstance(first, Reservation) and isinstance(second, Reservation)
    b.release(first)  # an error response: not billed
    b.hold(second)  # no answer: maybe billed
    assert isinstance(reserve(b, ONE, "USD 0.01"), Reservation)
    assert reserve(b, ONE, "USD 0.01") is Refusal.BUDGET
    snapshot = b.snapshot()
    assert snapshot["unsettled"] == "0.01"
    assert snapshot["pages"] == 0


def test_per_origin_caps_and_the_default_cap() -> None:
    b = budget("USD 0.01", None, **{"https://one_example": "USD 0.01", "*": "USD 0.02"})
    assert isinstance(reserve(b, ONE, "USD 0.01"), Reservation)
    assert reserve(b, ONE, "USD 0.01") is Refusal.ORIGIN_BUDGET
    assert isinstance(reserve(b, TWO, "USD 0.01"), Reservation)
    assert isinstance(reserve(b, TWO, "USD 0.01"), Reservation)
    assert reserve(b, TWO, "USD 0.01") is Refusal.ORIGIN_BUDGET


def test_an_overcharging_origin_is_not_paid_again() -> None:
    b = budget("USD 0.01")
    r = reserve(b, ONE, "USD 0.01")
    assert isinstance(r, Reservation)
    assert not b.settle(r, USD("USD 0.03"))
    assert b.total.spent == Decimal("0.03")  # recorded as billed
    assert reserve(b, ONE, "USD 0.01") is Refusal.DISTRUSTED
    assert isinstance(reserve(b, TWO, "USD 0.01"), Reservation)


def test_a_charge_in_another_currency_counts_at_the_price_agreed() -> None:
    b = budget("USD 0.01", "USD 1")
    r = reserve(b, ONE, "USD 0.01")
    assert isinstance(r, Reservation)
    assert not b.settle(r, USD("EUR 0.01"))
    assert b.total.spent == Decimal("0.01")
    assert b.snapshot()["charged"] == {"EUR": "0.01"}
    assert ONE in b.distrusted


def test_an_undercharge_is_recorded_and_the_origin_still_paid() -> None:
    b = budget("USD 0.01")
    r = reserve(b, ONE, "USD 0.01")
    assert isinstance(r, Reservation)
    assert not b.settle(r, USD("USD 0.005"))
    assert ONE not in b.distrusted
    assert b.snapshot()["origins"][ONE]["charged"] == {"USD": "0.005"}
