"""Lot-bundle discounts (docs/lots.md#bundle-discounts): the notice term's rule, a bid's
discounts, the cheapest combination (an exact search over the sets of lots), and the awards
made on it. No I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors
from domain.bid import BidContents, BundleDiscount, EnvelopeName, LotPrice, read_sealed_bid
from domain.evaluation import (
    Candidate,
    CombinationPart,
    Evaluation,
    award_id_for,
    cheapest_combination,
)
from domain.evaluation.combination import discounted
from domain.values import Method
from tests.support import officer, terms
from tests.unit.test_evaluation import (
    ENTITY,
    LEAST_COST,
    NOW,
    QCBS,
    VALIDITY,
    Case,
    bid,
    members,
    money,
)

LOTS3 = ("1", "2", "3")
A, B, C, D = (UUID(int=n) for n in range(1, 5))


def bundle(percent: str, *lots: str) -> BundleDiscount:
    return BundleDiscount(lots=lots, percent=Decimal(percent))


def combo(
    ranked: dict[str, list[tuple[UUID, str]]],
    discounts: dict[UUID, list[BundleDiscount]] | None = None,
    lots: tuple[str, ...] = LOTS3,
) -> list[tuple[UUID, tuple[str, ...], Decimal | None, Decimal]]:
    parts = cheapest_combination(
        lots,
        {lot: [(b, Decimal(p)) for b, p in bids] for lot, bids in ranked.items()},
        discounts or {},
        "PKR",
    )
    return [(p.bid_id, p.lots, p.discount_percent, p.price.amount) for p in parts]


# The search ----------------------------------------------------------------------------


def test_a_bundle_wins_when_it_is_cheaper_than_the_split() -> None:
    ranked = {"1": [(A, "100.00"), (B, "105.00")], "2": [(B, "200.00"), (A, "210.00")]}
    # A: 100 + 210 = 310 less 10% = 279 < 100 + 200 = 300.
    assert combo(ranked, {A: [bundle("10", "1", "2")]}) == [
        (A, ("1", "2"), Decimal(10), Decimal("279.00"))
    ]


def test_a_bundle_loses_to_the_split_when_it_is_dearer() -> None:
    ranked = {"1": [(A, "100.00"), (B, "105.00")], "2": [(B, "200.00"), (A, "260.00")]}
    # A: 360 less 10% = 324 > 300.
    assert combo(ranked, {A: [bundle("10", "1", "2")]}) == [
        (A, ("1",), None, Decimal("100.00")),
        (B, ("2",), None, Decimal("200.00")),
    ]


def test_one_bid_may_use_two_disjoint_bundles() -> None:
    lots = ("1", "2", "3", "4")
    ranked = {lot: [(B, "100.00"), (A, "104.00")] for lot in lots}
    discounts = {A: [bundle("5", "1", "2"), bundle("5", "3", "4")]}
    assert combo(ranked, discounts, lots) == [
        (A, ("1", "2"), Decimal(5), Decimal("197.60")),
        (A, ("3", "4"), Decimal(5), Decimal("197.60")),
    ]


def test_of_one_bids_overlapping_bundles_the_cheaper_whole_is_chosen() -> None:
    ranked = {lot: [(B, "100.00"), (A, "110.00")] for lot in LOTS3}
    # A's 1+2 at 20% (176) with B's 3 (100) = 276; A's 1+2+3 at 15% = 280.50; split 300.
    discounts = {A: [bundle("15", "1", "2", "3"), bundle("20", "1", "2")]}
    assert combo(ranked, discounts) == [
        (A, ("1", "2"), Decimal(20), Decimal("176.00")),
        (B, ("3",), None, Decimal("100.00")),
    ]
    # At 12% for 1+2 (193.60 + 100 = 293.60) the three-lot bundle (280.50) wins.
    discounts = {A: [bundle("15", "1", "2", "3"), bundle("12", "1", "2")]}
    assert combo(ranked, discounts) == [(A, LOTS3, Decimal(15), Decimal("280.50"))]


def test_bundles_of_two_bids_compete_and_lots_left_over_go_singly() -> None:
    ranked = {lot: [(C, "100.00"), (A, "105.00"), (B, "106.00")] for lot in LOTS3}
    # A: 1+2 at 10% = 189; B: 2+3 at 12% = 186.56. A's + C's 3 = 289, C's 1 + B's = 286.56.
    discounts = {A: [bundle("10", "1", "2")], B: [bundle("12", "2", "3")]}
    assert combo(ranked, discounts) == [
        (C, ("1",), None, Decimal("100.00")),
        (B, ("2", "3"), Decimal(12), Decimal("186.56")),
    ]


def test_a_tie_keeps_the_per_lot_ranking() -> None:
    ranked = {"1": [(A, "100.00"), (B, "120.00")], "2": [(B, "170.00"), (A, "200.00")]}
    # split: 100 + 170 = 270; A's bundle: 300 less 10% = 270: a tie, the ranking stays.
    assert combo(ranked, {A: [bundle("10", "1", "2")]}) == [
        (A, ("1",), None, Decimal("100.00")),
        (B, ("2",), None, Decimal("170.00")),
    ]
    # Equal prices on a lot: the better-ranked bid, as the per-lot ranking says.
    assert combo({"1": [(B, "100.00"), (A, "100.00")]}, lots=("1",)) == [
        (B, ("1",), None, Decimal("100.00"))
    ]


def test_a_lot_with_no_ranked_bid_is_left_out_and_a_bundle_over_it_counts_for_nothing() -> None:
    ranked = {"1": [(B, "100.00"), (A, "105.00")], "3": [(A, "50.00")]}
    # A's bundle names lot 2, on which it is not ranked: not an offer.
    assert combo(ranked, {A: [bundle("30", "1", "2")]}) == [
        (B, ("1",), None, Decimal("100.00")),
        (A, ("3",), None, Decimal("50.00")),
    ]
    assert combo({}, {A: [bundle("30", "1", "2")]}) == []


def test_each_discounted_line_is_rounded_half_even_to_the_cent() -> None:
    assert discounted(Decimal("100.05"), Decimal(10)) == Decimal("90.04")  # 90.045
    assert discounted(Decimal("100.15"), Decimal(10)) == Decimal("90.14")  # 90.135
    assert discounted(Decimal("100.00"), None) == Decimal("100.00")
    ranked = {"1": [(A, "100.05")], "2": [(A, "100.15")]}
    assert combo(ranked, {A: [bundle("10", "1", "2")]}, ("1", "2"))[0][3] == Decimal("180.18")


# The notice term ------------------------------------------------------------------------


def test_the_notice_allows_bundles_only_by_lot_at_the_lowest_price_with_2_to_12_lots() -> None:
    base = terms(NOW)
    two = tuple(base.lots[0].model_copy(update={"id": str(n)}) for n in (1, 2))
    ok = base.model_copy(update={"lots": two, "award_by_lot": True, "bundle_discounts": True})
    ok.check_bundle_discounts()
    base.check_bundle_discounts()  # not asked: nothing to check
    refused = [
        ok.model_copy(update={"award_by_lot": False}),
        ok.model_copy(update={"lots": two[:1]}),
        ok.model_copy(
            update={
                "lots": tuple(two[0].model_copy(update={"id": str(n)}) for n in range(13)),
            }
        ),
        ok.model_copy(
            update={
                "method": Method.SINGLE_STAGE_TWO_ENVELOPE,
                "evaluation": QCBS,
            }
        ),
    ]
    for notice in refused:
        with pytest.raises(errors.BundleDiscountsNotAllowedError) as refusal:
            notice.check_bundle_discounts()
        assert refusal.value.code == "bundle_discounts_not_allowed"
        assert refusal.value.field == "bundle_discounts"


# A bid's discounts ---------------------------------------------------------------------


def priced(*lots: str, discounts: tuple[BundleDiscount, ...] = ()) -> BidContents:
    return BidContents(
        prices=tuple(LotPrice(lot_id=lot, price=money("100.00")) for lot in lots),
        discounts=discounts,
    )


def test_a_discount_is_of_two_distinct_lots_or_more_within_the_cap() -> None:
    for lots, percent in [
        (("1",), "5"),
        (("1", "1"), "5"),
        (("1", "2"), "0"),
        (("1", "2"), "50.01"),
    ]:
        with pytest.raises(ValueError):
            BundleDiscount(lots=lots, percent=Decimal(percent))
    with pytest.raises(ValueError):
        BidContents(discounts=tuple(bundle("5", "1", "2") for _ in range(4)))
    assert bundle("50", "1", "2").percent == Decimal(50)


def test_discounts_are_prices_they_go_in_the_financial_envelope() -> None:
    contents = priced("1", "2", discounts=(bundle("10", "1", "2"),))
    split = contents.split(Method.SINGLE_STAGE_TWO_ENVELOPE)
    assert split[EnvelopeName.TECHNICAL].discounts == ()
    assert split[EnvelopeName.FINANCIAL].discounts == contents.discounts
    assert contents.split(Method.SINGLE_STAGE_ONE_ENVELOPE)[EnvelopeName.BID] == contents


def test_a_discount_on_a_lot_the_bid_does_not_price_is_refused_and_unreadable_sealed() -> None:
    contents = priced("1", "2", discounts=(bundle("10", "1", "3"),))
    with pytest.raises(errors.InvalidDiscountError, match="does not price: 3"):
        contents.check_prices(LOTS3)
    with pytest.raises(errors.UnreadableBidError, match="prices break the tender's rules"):
        read_sealed_bid(contents.model_dump_json().encode(), LOTS3)
    unknown = priced("1", "2", discounts=(bundle("10", "1", "9"),))
    with pytest.raises(errors.UnreadableBidError):
        read_sealed_bid(unknown.model_dump_json().encode(), LOTS3)
    fine = priced("1", "2", discounts=(bundle("10", "1", "2"),))
    assert read_sealed_bid(fine.model_dump_json().encode(), LOTS3) == fine


# The report and the awards ---------------------------------------------------------------


def on(prices: dict[str, str], *discounts: BundleDiscount, **changes: Any) -> Candidate:
    lines = tuple(LotPrice(lot_id=lot, price=money(amount)) for lot, amount in prices.items())
    return bid(**changes).model_copy(update={"prices": lines, "discounts": discounts})


def evaluation(*candidates: Candidate, allowed: bool = True) -> Case:
    board = [officer(ENTITY) for _ in range(3)]
    tender_id = uuid4()
    started = Evaluation(
        tender_id=tender_id,
        entity=ENTITY,
        terms=LEAST_COST,
        currency="PKR",
        lot_ids=list(LOTS3),
        bid_validity_days=VALIDITY,
        two_envelopes=False,
        min_committee_size=3,
        committee=members(board),
        candidates=list(candidates),
        actor=officer(ENTITY),
        timestamp=NOW,
        award_by_lot=True,
        bundle_discounts=allowed,
    )
    case = Case(evaluation=started, board=board, bids=candidates, tender_id=tender_id)
    case.events()
    return case.declare_all()


def award(case: Case, candidate: Candidate, lot_id: str, reason: str = "") -> UUID:
    award_id = award_id_for(case.tender_id, case.evaluation.awards_made + 1)
    case.evaluation.record_award(
        award_id=award_id,
        bid_id=candidate.bid_id,
        reason=reason,
        actor=case.chair,
        timestamp=NOW,
        lot_id=lot_id,
    )
    case.events()
    return award_id


def three_vendors() -> tuple[Candidate, Candidate, Candidate]:
    """A is cheapest on lot 1, B on lot 2 and C on lot 3; A's 10% for 1 + 2 makes A the
    cheapest for both: 1000 + 2100 = 3100 less 10% = 2790 < 1000 + 2000 = 3000."""
    a = on({"1": "1000.00", "2": "2100.00"}, bundle("10", "1", "2"), minutes=1)
    b = on({"1": "1100.00", "2": "2000.00", "3": "3100.00"}, minutes=2)
    c = on({"2": "2200.00", "3": "3000.00"}, minutes=3)
    return a, b, c


def test_the_report_recommends_each_lot_to_the_cheapest_combinations_bid() -> None:
    a, b, c = three_vendors()
    report = evaluation(a, b, c).finalise()
    assert report.combination == (
        CombinationPart(
            bid_id=a.bid_id, lots=("1", "2"), discount_percent=Decimal(10), price=money("2790.00")
        ),
        CombinationPart(bid_id=c.bid_id, lots=("3",), price=money("3000.00")),
    )
    assert report.combination_total == money("5790.00")
    assert [(r.lot_id, r.recommended_bid) for r in report.lots] == [
        ("1", a.bid_id),
        ("2", a.bid_id),
        ("3", c.bid_id),
    ]
    standing = report.entry(b.bid_id).standing("2")
    assert standing is not None
    assert standing.rank == 1
    assert report.entry(a.bid_id).discounts == (bundle("10", "1", "2"),)


def test_a_correction_moves_the_bundles_price() -> None:
    a, b, c = three_vendors()
    case = evaluation(a, b, c)
    case.evaluation.correct_price(
        bid_id=a.bid_id,
        lot_id="2",
        corrected_price=money("2400.00"),
        reason="The quantities times the rates make 2400.",
        actor=case.chair,
        timestamp=NOW,
    )
    case.events()
    report = case.finalise()  # A: 3400 less 10% = 3060 > 3000: the split wins
    assert [(p.bid_id, p.lots) for p in report.combination] == [
        (a.bid_id, ("1",)),
        (b.bid_id, ("2",)),
        (c.bid_id, ("3",)),
    ]


def test_discounts_are_ignored_when_the_notice_does_not_allow_them() -> None:
    a, b, c = three_vendors()
    report = evaluation(a, b, c, allowed=False).finalise()
    assert report.combination == ()
    assert report.combination_total is None
    assert report.entry(a.bid_id).discounts == ()
    assert [r.recommended_bid for r in report.lots] == [a.bid_id, b.bid_id, c.bid_id]


def test_the_combinations_bid_is_awarded_without_a_reason_at_the_discounted_value() -> None:
    a, b, c = three_vendors()
    case = evaluation(a, b, c)
    report = case.finalise()
    ev = case.evaluation
    assert ev.award_value(report, a.bid_id, "2") == money("1890.00")
    award(case, a, "1")
    award(case, a, "2")  # rank 2 on lot 2, but the combination's: no reason needed
    award(case, c, "3")
    assert [live.discount_percent for live in ev.live_awards.values()] == [
        Decimal(10),
        Decimal(10),
        None,
    ]
    # Another bid than the combination's is a departure: with a reason.
    case2 = evaluation(*three_vendors())
    b2 = case2.bids[1]
    case2.finalise()
    with pytest.raises(errors.ReasonRequiredError):
        award(case2, b2, "2")  # rank 1 on lot 2, but not the combination's bid


def test_a_bundle_lot_goes_elsewhere_only_once_its_discounted_award_is_cancelled() -> None:
    a, b, c = three_vendors()
    case = evaluation(a, b, c)
    report = case.finalise()
    ev = case.evaluation
    first = award(case, a, "1")
    with pytest.raises(errors.BundleAwardedError) as refusal:
        award(case, b, "2", reason="A's bid lapsed on lot 2.")
    assert refusal.value.code == "bundle_awarded"
    assert case.events() == []
    ev.release_award(
        award_id=first, reason="Cancelled on a complaint.", actor=case.chair, timestamp=NOW
    )
    case.events()
    award(case, b, "2", reason="A's bid lapsed on lot 2.")
    # The bundle is broken: A's lot 1 is now at its undiscounted price.
    assert ev.award_value(report, a.bid_id, "1") == money("1000.00")
    award(case, a, "1")
    assert [live.discount_percent for live in ev.live_awards.values()] == [None, None]
