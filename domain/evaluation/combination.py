"""The cheapest combination of a tender's lots when bids offer lot-bundle discounts
(docs/lots.md#bundle-discounts): which bid to recommend for each lot so that the total is
least, a bundle's discount counting only when its bid is given every lot of the bundle.

An exact search: dynamic programming over the sets of lots (a bitmask each), which is why a
notice allowing bundle discounts has at most ``MAX_BUNDLE_LOTS`` lots. Pure and
deterministic: the same ranking and discounts give the same combination on every replay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from domain.bid import BundleDiscount
from domain.evaluation.values import CENT
from domain.values import Money, ValueObject


class CombinationPart(ValueObject):
    """One part of the recommended combination: a bid given one lot at its evaluated price
    (``discount_percent`` None), or every lot of one of its bundles at the bundle's
    discount; ``price`` the part's total (each lot's discounted price rounded to the cent)."""

    bid_id: UUID
    lots: tuple[str, ...]  # in the notice's order
    discount_percent: Decimal | None = None
    price: Money


def discounted(price: Decimal, percent: Decimal | None) -> Decimal:
    """A lot's price less ``percent``, rounded half-even to the cent as the evaluation
    rounds (the award's value, and its contract's)."""
    if percent is None:
        return price
    return (price * (100 - percent) / 100).quantize(CENT, ROUND_HALF_EVEN)


Key = tuple[Decimal, int, int]
"""How good a combination is, best least: its total, then the sum of its bids' ranks on
their lots (the per-lot ranking's own choice is the least), then the number of bundles."""


@dataclass(frozen=True)
class _Offer:
    """A way to cover some lots: one bid's single lot, or one of its bundles."""

    bid_id: UUID
    lots: tuple[str, ...]
    mask: int
    percent: Decimal | None
    price: Decimal
    key: Key


def cheapest_combination(
    lot_ids: Sequence[str],
    ranked: Mapping[str, Sequence[tuple[UUID, Decimal]]],
    discounts: Mapping[UUID, Sequence[BundleDiscount]],
    currency: str,
) -> tuple[CombinationPart, ...]:
    """The combination of least total over the lots that have a ranked bid: ``ranked``
    gives each lot's bids with their evaluated prices, best rank first; ``discounts`` each
    bid's bundles (a bundle counts only if the bid is ranked on each of its lots). A tie
    goes to the per-lot ranking: the lesser sum of ranks, then fewer bundles, then the
    first found (singles before bundles, better rank first)."""
    lots = [lot for lot in lot_ids if ranked.get(lot)]
    bit = {lot: 1 << i for i, lot in enumerate(lots)}
    offers = _offers(lots, bit, ranked, discounts)
    full = (1 << len(lots)) - 1
    best: dict[int, tuple[Key, int, _Offer | None]] = {0: ((Decimal(0), 0, 0), 0, None)}
    for mask in range(full):
        if mask not in best:
            continue
        key = best[mask][0]
        low = next(i for i in range(len(lots)) if not mask >> i & 1)
        for offer in offers[low]:
            if offer.mask & mask:
                continue
            reached = mask | offer.mask
            total = (key[0] + offer.key[0], key[1] + offer.key[1], key[2] + offer.key[2])
            if reached not in best or total < best[reached][0]:
                best[reached] = (total, mask, offer)
    parts: list[CombinationPart] = []
    mask = full
    while mask:
        _, before, last = best[mask]
        if last is None:  # pragma: no cover (only the empty set is reached by none)
            break
        parts.append(
            CombinationPart(
                bid_id=last.bid_id,
                lots=last.lots,
                discount_percent=last.percent,
                price=Money(amount=last.price, currency=currency),
            )
        )
        mask = before
    return tuple(reversed(parts))


def _offers(
    lots: list[str],
    bit: Mapping[str, int],
    ranked: Mapping[str, Sequence[tuple[UUID, Decimal]]],
    discounts: Mapping[UUID, Sequence[BundleDiscount]],
) -> list[list[_Offer]]:
    """The offers by the first of their lots (the notice's order): each lot's best-ranked
    single, then the bundles of the ranked bids, in the bids' order on their first lot
    and each bid's order of discounts."""
    rank = {(lot, bid): n for lot in lots for n, (bid, _) in enumerate(ranked[lot], start=1)}
    price = {(lot, bid): amount for lot in lots for bid, amount in ranked[lot]}
    by_first: list[list[_Offer]] = [[] for _ in lots]
    for i, lot in enumerate(lots):
        # Only the lot's first: a lower rank's single is dearer (or as dear, ranked after),
        # so no least combination uses it; leaving them out keeps the search small.
        bid, amount = ranked[lot][0]
        by_first[i].append(_Offer(bid, (lot,), bit[lot], None, amount, (amount, 1, 0)))
    for i, lot in enumerate(lots):
        for bid, _ in ranked[lot]:
            for discount in discounts.get(bid, ()):
                covered = [other for other in lots if other in discount.lots]
                if covered[:1] != [lot] or any((other, bid) not in rank for other in discount.lots):
                    continue  # listed under its first lot; only if ranked on all its lots
                lines = [discounted(price[other, bid], discount.percent) for other in covered]
                if min(lines) < CENT:
                    continue  # a lot discounted to nothing could never be contracted
                total = sum(lines, Decimal(0))
                by_first[i].append(
                    _Offer(
                        bid,
                        tuple(covered),
                        sum(bit[other] for other in covered),
                        discount.percent,
                        total,
                        (total, sum(rank[other, bid] for other in covered), 1),
                    )
                )
    return by_first
