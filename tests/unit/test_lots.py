"""A tender awarded by lot (docs/lots.md): each lot ranked on its own among the responsive
bids that price it, ties to the earlier sealed submission, one live award a lot. No I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors
from domain.bid import LotPrice
from domain.evaluation import (
    Candidate,
    Evaluation,
    EvaluationReport,
    EvaluationStatus,
    award_id_for,
)
from domain.values import EvaluationMethod, EvaluationTerms, TieBreak
from tests.support import officer
from tests.unit.test_evaluation import (
    CRITERIA,
    ENTITY,
    LEAST_COST,
    LOTS,
    NOW,
    VALIDITY,
    Case,
    bid,
    given,
    members,
    money,
    total,
)


def on(prices: dict[str, str], **changes: Any) -> Candidate:
    """An opened bid pricing only the lots in ``prices`` (lot id: amount)."""
    priced = tuple(LotPrice(lot_id=lot, price=money(amount)) for lot, amount in prices.items())
    return bid(**changes).model_copy(update={"prices": priced})


def by_lot(*candidates: Candidate, terms: EvaluationTerms = LEAST_COST) -> Case:
    """A declared committee's evaluation of ``candidates``, the tender awarded by lot (one
    envelope: the prices are known)."""
    board = [officer(ENTITY) for _ in range(3)]
    tender_id = uuid4()
    evaluation = Evaluation(
        tender_id=tender_id,
        entity=ENTITY,
        terms=terms,
        currency="PKR",
        lot_ids=list(LOTS),
        bid_validity_days=VALIDITY,
        two_envelopes=False,
        min_committee_size=3,
        committee=members(board),
        candidates=list(candidates),
        actor=officer(ENTITY),
        timestamp=NOW,
        award_by_lot=True,
    )
    case = Case(evaluation=evaluation, board=board, bids=candidates, tender_id=tender_id)
    case.events()
    return case.declare_all()


def lot_ranking(report: EvaluationReport, lot_id: str) -> list[UUID]:
    """The bids ranked on ``lot_id``, best first."""
    ranked = [(s.rank, e.bid_id) for e in report.entries if (s := e.standing(lot_id))]
    return [bid_id for _, bid_id in sorted(ranked)]


def award(case: Case, candidate: Candidate, lot_id: str | None, reason: str = "") -> UUID:
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


def test_each_lot_ranks_the_responsive_bids_that_price_it_by_their_price_for_it() -> None:
    both = on({"1": "500.00", "2": "700.00"})
    first_only = on({"1": "400.00"})
    second_only = on({"2": "600.00"})
    insecure = on({"1": "300.00", "2": "300.00"}, security=False)
    report = by_lot(both, first_only, second_only, insecure).finalise()

    assert lot_ranking(report, "1") == [first_only.bid_id, both.bid_id]
    assert lot_ranking(report, "2") == [second_only.bid_id, both.bid_id]
    assert [(r.lot_id, r.recommended_bid) for r in report.lots] == [
        ("1", first_only.bid_id),
        ("2", second_only.bid_id),
    ]
    assert report.recommended_bid == first_only.bid_id  # the first lot's: not unsuccessful
    assert report.award_by_lot
    entry = report.entry(both.bid_id)
    assert entry.responsive  # pricing some of the lots is enough
    assert entry.rank is None  # its ranks are each lot's
    standing = entry.standing("2")
    assert standing is not None
    assert standing.evaluated_price == money("700.00")
    assert report.entry(insecure.bid_id).lots == ()


def test_a_lot_no_responsive_bid_priced_has_no_recommendation() -> None:
    report = by_lot(on({"1": "400.00"}), on({"2": "600.00"}, security=False)).finalise()
    assert [r.recommended_bid is None for r in report.lots] == [False, True]
    assert not report.unsuccessful


def test_a_bid_pricing_no_lot_is_not_responsive() -> None:
    empty = on({})
    report = by_lot(empty).finalise()
    assert report.entry(empty.bid_id).reasons == ("no price for any lot",)
    assert report.unsuccessful


def test_a_correction_moves_only_its_lots_ranking() -> None:
    cheap, dear = on({"1": "400.00", "2": "600.00"}), on({"1": "450.00", "2": "650.00"})
    case = by_lot(cheap, dear)
    case.evaluation.correct_price(
        bid_id=cheap.bid_id,
        lot_id="1",
        corrected_price=money("480.00"),
        reason="The quantities times the rates make 480.",
        actor=case.chair,
        timestamp=NOW,
    )
    case.events()
    report = case.finalise()
    assert lot_ranking(report, "1") == [dear.bid_id, cheap.bid_id]
    assert lot_ranking(report, "2") == [cheap.bid_id, dear.bid_id]


def test_a_tie_on_a_lot_goes_to_the_earlier_sealed_submission_whatever_order_or_ids() -> None:
    for _ in range(10):
        later = on({"1": "400.00", "2": "500.00"}, minutes=5)
        earlier = on({"1": "400.00", "2": "600.00"}, minutes=1)
        for order in ((later, earlier), (earlier, later)):
            report = by_lot(*order).evaluation.compute_report()
            assert lot_ranking(report, "1") == [earlier.bid_id, later.bid_id]
            assert lot_ranking(report, "2") == [later.bid_id, earlier.bid_id]


def test_quality_and_cost_rank_each_lot_on_the_bids_technical_and_the_lots_price() -> None:
    terms = EvaluationTerms(
        method=EvaluationMethod.QCBS,
        criteria=CRITERIA,
        pass_mark=Decimal(50),
        technical_weight=Decimal(50),
        financial_weight=Decimal(50),
        tie_break=TieBreak.HIGHEST_TECHNICAL_SCORE,
    )
    strong = on({"1": "500.00", "2": "1000.00"}, documents=())
    weak = on({"1": "500.00", "2": "500.00"}, documents=())
    case = by_lot(strong, weak, terms=terms)
    case.score(strong, 150, 150, 150)  # 100%
    case.score(weak, 90, 90, 90)  # 60%
    report = case.finalise()
    # Lot 1: equal prices (financial 100 each): the technical score decides.
    assert lot_ranking(report, "1") == [strong.bid_id, weak.bid_id]
    # Lot 2: strong 50*100% + 50*50 = 75; weak 50*60% + 50*100 = 80.
    weak_2 = report.entry(weak.bid_id).standing("2")
    strong_2 = report.entry(strong.bid_id).standing("2")
    assert weak_2 is not None
    assert strong_2 is not None
    assert (strong_2.financial_score, strong_2.combined_score) == (Decimal(50), Decimal(75))
    assert weak_2.combined_score == Decimal(80)
    assert lot_ranking(report, "2") == [weak.bid_id, strong.bid_id]


@pytest.mark.parametrize(
    ("lot_id", "which", "error"),
    [
        (None, "best", errors.LotRequiredError),
        ("3", "best", errors.UnknownLotError),
        ("2", "first_only", errors.BidNotRankedOnLotError),
        ("2", "insecure", errors.BidNotRankedOnLotError),
        ("1", "second", errors.ReasonRequiredError),
    ],
)
def test_an_award_names_a_lot_the_bid_is_ranked_on(
    lot_id: str | None, which: str, error: type[Exception]
) -> None:
    bids = {
        "best": on({"1": "300.00", "2": "300.00"}),
        "second": on({"1": "400.00", "2": "400.00"}),
        "first_only": on({"1": "500.00"}),
        "insecure": on({"2": "100.00"}, security=False),
    }
    case = by_lot(*bids.values())
    case.finalise()
    with pytest.raises(error):
        award(case, bids[which], lot_id)
    assert case.events() == []


def test_a_bidder_may_win_several_lots_each_awarded_once_at_a_time() -> None:
    best, second = on({"1": "300.00", "2": "300.00"}), on({"1": "400.00", "2": "400.00"})
    case = by_lot(best, second)
    case.finalise()
    one, two = award(case, best, "1"), award(case, best, "2")
    assert case.evaluation.awards_by_lot == {"1": one, "2": two}
    assert case.evaluation.status is EvaluationStatus.AWARDED
    with pytest.raises(errors.LotAwardedError):
        award(case, second, "2", reason="second on lot 2")

    # Releasing lot 2's award leaves lot 1's; the evaluation is awarded while one stands.
    case.evaluation.release_award(award_id=two, reason="refused", actor=case.chair, timestamp=NOW)
    assert case.evaluation.awards_by_lot == {"1": one}
    assert case.evaluation.status is EvaluationStatus.AWARDED
    assert case.evaluation.current_award is None  # the whole tender's: none
    three = award(case, second, "2", reason="the best refused to sign")
    assert three == award_id_for(case.tender_id, 3)  # the evaluation's running number

    # A complaint upheld on one lot does not reopen the report under the other's award.
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.reopen(award_id=three, reason="upheld", actor=case.chair, timestamp=NOW)
    for live in (one, three):
        case.evaluation.release_award(
            award_id=live, reason="cancelled", actor=case.chair, timestamp=NOW
        )
    assert case.evaluation.live_awards == {}
    assert case.evaluation.status.value == "finalised"  # the report stands for new awards


def test_a_tender_awarded_whole_names_no_lot() -> None:
    best = bid(*total("900.00"))
    case = given(best)
    case.finalise()
    with pytest.raises(errors.UnknownLotError):
        award(case, best, "1")
    award(case, best, None)
    assert case.evaluation.current_award == award_id_for(case.tender_id, 1)


def test_replaying_a_by_lot_evaluation_rebuilds_it() -> None:
    best, second = on({"1": "300.00", "2": "300.00"}), on({"1": "400.00"})
    case = by_lot(best, second)
    report = case.finalise()
    award(case, second, "1", reason="the best holds enough work")
    award(case, best, "2")
    replayed: Any = None
    for recorded in case.history:
        replayed = recorded.mutate(replayed)
    assert isinstance(replayed, Evaluation)
    assert replayed.award_by_lot
    assert replayed.latest_report == report
    assert replayed.live_awards == case.evaluation.live_awards


def test_quotations_are_counted_on_each_lot() -> None:
    """A request for quotations awarded by lot needs its minimum on the lot awarded: three
    bids on lot 1 do not make up for one on lot 2. The quotations counted are those the
    final report ranks: a disqualified one is not (docs/methods.md)."""
    lot1, lot2 = LOTS[0], LOTS[1]
    disqualified = on({lot1: "120.00"})
    case = by_lot(
        on({lot1: "100.00", lot2: "90.00"}),
        on({lot1: "110.00"}),
        disqualified,
    )
    assert case.evaluation.quotations_for(lot1) == 0  # no report yet
    case.evaluation.disqualify(
        bid_id=disqualified.bid_id, reason="forged licence", actor=case.chair, timestamp=NOW
    )
    case.events()
    case.finalise()
    assert case.evaluation.quotations_for(lot1) == 2
    assert case.evaluation.quotations_for(lot2) == 1


def test_quotations_of_a_whole_tender_are_the_ranked_bids() -> None:
    first, second, third = bid(), bid(), bid()
    case = given(first, second, third)
    case.evaluation.disqualify(
        bid_id=third.bid_id, reason="forged licence", actor=case.chair, timestamp=NOW
    )
    case.events()
    case.finalise()
    assert case.evaluation.quotations_for(None) == 2
