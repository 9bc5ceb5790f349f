"""A bid priced from the bill of quantities: unit rates, line and lot totals, the checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import errors
from domain.bid import BidContents, EnvelopeName, ItemRate, LotPrice, read_sealed_bid
from domain.values import Item, Lot, Method, Money

LOTS = (
    Lot(
        id="1",
        title="Earthworks",
        items=(
            Item(id="1-1", description="Excavation", quantity=Decimal(100), unit="m3"),
            Item(id="1-2", description="Fill", quantity=Decimal("2.5"), unit="m3"),
        ),
    ),
    Lot(
        id="2",
        title="Paving",
        items=(Item(id="2-1", description="Asphalt", quantity=Decimal(3), unit="t"),),
    ),
)


def rate(item: str, amount: str, currency: str = "PKR") -> ItemRate:
    return ItemRate(item_id=item, rate=Money(amount=Decimal(amount), currency=currency))


def price(lot: str, amount: str) -> LotPrice:
    return LotPrice(lot_id=lot, price=Money(amount=Decimal(amount)))


def test_lot_totals_are_quantity_times_rate_each_line_rounded_half_even() -> None:
    bid = BidContents(rates=(rate("1-1", "10.00"), rate("1-2", "0.01"), rate("2-1", "7")))
    # 100 x 10.00 = 1000.00; 2.5 x 0.01 = 0.025 -> 0.02 (half-even); 3 x 7 = 21.00
    assert bid.rate_totals(LOTS) == (price("1", "1000.02"), price("2", "21.00"))


def test_a_lot_with_an_item_unrated_or_two_currencies_has_no_total() -> None:
    partial = BidContents(rates=(rate("1-1", "10"),))
    assert partial.rate_totals(LOTS) == ()
    mixed = BidContents(rates=(rate("1-1", "10"), rate("1-2", "1", "USD")))
    assert mixed.rate_totals(LOTS) == ()


def test_a_plain_bid_is_priced_from_its_rates_and_must_agree_with_them() -> None:
    bid = BidContents(rates=(rate("2-1", "7"),), prices=(price("1", "500.00"),))
    priced = bid.priced(LOTS)
    assert priced.prices == (price("1", "500.00"), price("2", "21.00"))
    priced.check_rates(LOTS)
    wrong = BidContents(rates=(rate("2-1", "7"),), prices=(price("2", "20.00"),))
    with pytest.raises(errors.InvalidTermsError, match=r"not its rates' total 21\.00"):
        wrong.priced(LOTS).check_rates(LOTS)


@pytest.mark.parametrize(
    ("rates", "words"),
    [
        ((rate("9-9", "1"),), "no such item on this tender: 9-9"),
        ((rate("2-1", "1"), rate("2-1", "2")), "each item's rate once"),
        ((rate("1-1", "1"),), "lot 1: rate every item"),
    ],
)
def test_rates_that_break_the_rules_are_refused_on_arrival(
    rates: tuple[ItemRate, ...], words: str
) -> None:
    with pytest.raises(errors.InvalidTermsError, match=words):
        BidContents(rates=rates).priced(LOTS).check_rates(LOTS)


def test_the_rates_travel_in_the_financial_envelope_with_the_prices() -> None:
    bid = BidContents(rates=(rate("2-1", "7"),), prices=(price("2", "21.00"),), technical_offer="x")
    parts = bid.split(Method.SINGLE_STAGE_TWO_ENVELOPE)
    assert parts[EnvelopeName.TECHNICAL].rates == ()
    assert parts[EnvelopeName.TECHNICAL].prices == ()
    assert parts[EnvelopeName.FINANCIAL].rates == bid.rates


def test_a_sealed_bid_whose_total_disagrees_still_opens() -> None:
    """The opening records the rates' totals beside the prices; correcting is the
    committee's (an arithmetic correction), not a reason to call the bid unreadable."""
    sealed = BidContents(rates=(rate("2-1", "7"),), prices=(price("2", "20.00"),))
    opened = read_sealed_bid(sealed.model_dump_json().encode(), ["1", "2"])
    assert opened.rate_totals(LOTS) == (price("2", "21.00"),)


def test_rates_too_large_for_money_are_refused_in_words_and_never_raise_elsewhere() -> None:
    """A vendor's largest rate times an officer's largest quantity has 34 digits: more than
    Python's decimals hold by default (28). It must be a refusal, not a fault."""
    lots = (
        Lot(
            id="1",
            title="Earthworks",
            items=(Item(id="1-1", description="Dig", quantity=Decimal(9999999999999), unit="m3"),),
        ),
    )
    huge = BidContents(rates=(rate("1-1", "999999999999999.99"),))
    assert huge.rate_totals(lots) == ()
    assert huge.priced(lots).prices == ()
    with pytest.raises(errors.InvalidTermsError, match="over the largest amount"):
        huge.priced(lots).check_rates(lots)
