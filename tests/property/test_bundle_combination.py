"""The cheapest combination of lots with bundle discounts (docs/lots.md#bundle-discounts)
against a brute force: every assignment of the lots to their ranked bids, each with the best
set of disjoint bundles it fully covers. Small instances, drawn without uuid4 or set order."""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations, product
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.bid import BundleDiscount
from domain.evaluation import cheapest_combination
from domain.evaluation.combination import discounted

LOTS = ("1", "2", "3", "4")
BIDS = tuple(UUID(int=n) for n in range(1, 4))

Ranked = dict[str, list[tuple[UUID, Decimal]]]
Discounts = dict[UUID, list[BundleDiscount]]


@st.composite
def instances(draw: st.DrawFn) -> tuple[Ranked, Discounts]:
    prices = st.integers(min_value=1, max_value=500).map(lambda n: Decimal(n) * 10)
    ranked: Ranked = {}
    for lot in LOTS:
        bidders = draw(st.lists(st.sampled_from(BIDS), unique=True, max_size=len(BIDS)))
        priced = [(bid, draw(prices, label=f"price {lot}")) for bid in bidders]
        # In rank order: by price, then the order drawn (a stand-in for the tie-breaks).
        ranked[lot] = [pair for _, pair in sorted(enumerate(priced), key=lambda p: p[1][1])]
    bundles = st.builds(
        BundleDiscount,
        lots=st.lists(st.sampled_from(LOTS), min_size=2, max_size=4, unique=True).map(tuple),
        percent=st.integers(min_value=1, max_value=50).map(Decimal),
    )
    discounts = {bid: draw(st.lists(bundles, max_size=3), label=f"bundles {bid}") for bid in BIDS}
    return ranked, discounts


def brute_force(ranked: Ranked, discounts: Discounts) -> Decimal:
    """The least total over every assignment and every set of disjoint bundles it covers."""
    lots = [lot for lot in LOTS if ranked[lot]]
    price = {(lot, bid): amount for lot in lots for bid, amount in ranked[lot]}
    best: Decimal | None = None
    for choice in product(*[[bid for bid, _ in ranked[lot]] for lot in lots]):
        given_to = dict(zip(lots, choice, strict=True))
        usable = [
            (bid, d)
            for bid in BIDS
            for d in discounts[bid]
            if all(given_to.get(lot) == bid for lot in d.lots)
        ]
        for size in range(len(usable) + 1):
            for chosen in combinations(usable, size):
                covered = [lot for _, d in chosen for lot in d.lots]
                if len(covered) != len(set(covered)):
                    continue
                percent = {lot: d.percent for _, d in chosen for lot in d.lots}
                total = sum(
                    (discounted(price[lot, given_to[lot]], percent.get(lot)) for lot in lots),
                    Decimal(0),
                )
                best = total if best is None or total < best else best
    return best if best is not None else Decimal(0)


@settings(max_examples=300, deadline=None)
@given(instances())
def test_the_search_finds_the_least_total_and_a_sound_combination(
    instance: tuple[Ranked, Discounts],
) -> None:
    ranked, discounts = instance
    parts = cheapest_combination(LOTS, ranked, discounts, "PKR")
    covered = [lot for part in parts for lot in part.lots]
    assert sorted(covered) == [lot for lot in LOTS if ranked[lot]], "each ranked lot once"
    prices = {(lot, bid): amount for lot in LOTS for bid, amount in ranked[lot]}
    for part in parts:
        assert all((lot, part.bid_id) in prices for lot in part.lots), "a lot to an unranked bid"
        expected = sum(
            (discounted(prices[lot, part.bid_id], part.discount_percent) for lot in part.lots),
            Decimal(0),
        )
        assert part.price.amount == expected
        if part.discount_percent is None:
            assert len(part.lots) == 1
        else:
            offered = [d for d in discounts[part.bid_id] if set(d.lots) == set(part.lots)]
            assert any(d.percent == part.discount_percent for d in offered)
    total = sum((part.price.amount for part in parts), Decimal(0))
    assert total == brute_force(ranked, discounts)


@settings(max_examples=100, deadline=None)
@given(instances())
def test_without_discounts_each_lot_goes_to_its_first_ranked_bid(
    instance: tuple[Ranked, Discounts],
) -> None:
    ranked, _ = instance
    parts = cheapest_combination(LOTS, ranked, {}, "PKR")
    assert [(part.lots, part.bid_id) for part in parts] == [
        ((lot,), ranked[lot][0][0]) for lot in LOTS if ranked[lot]
    ]
