"""Evaluation: given events, when a command, then new events or an error. No I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors
from domain.bid import LotPrice
from domain.evaluation import (
    Candidate,
    CriterionScore,
    Evaluation,
    EvaluationReport,
    EvaluationStatus,
    FinancialBid,
    Member,
    ReportEntry,
    award_id_for,
    evaluation_id_for,
)
from domain.opening import OpenedStatus
from domain.public_status import PublicTenderStatus
from domain.values import (
    Actor,
    Criterion,
    EvaluationMethod,
    EvaluationTerms,
    Money,
    TieBreak,
)
from tests.support import START, officer, vendor

NOW = START
ENTITY = "wsd"
LOTS = ("1", "2")
VALIDITY = 90
LEAST_COST = EvaluationTerms(required_documents=("licence",))
CRITERIA = (
    Criterion(id="experience", name="Experience of similar works", max_score=90),
    Criterion(id="method", name="Methodology and work plan", max_score=60),
)  # out of 150 in all
QCBS = EvaluationTerms(
    method=EvaluationMethod.QCBS,
    criteria=CRITERIA,
    pass_mark=Decimal(70),
    technical_weight=Decimal(80),
    financial_weight=Decimal(20),
    required_documents=("licence",),
)


# Builders --------------------------------------------------------------------------------


def money(amount: str, currency: str = "PKR") -> Money:
    return Money(amount=Decimal(amount), currency=currency)


def lot_prices(amounts: tuple[str, ...], currency: str = "PKR") -> tuple[LotPrice, ...]:
    return tuple(
        LotPrice(lot_id=lot, price=money(amount, currency))
        for lot, amount in zip(LOTS, amounts, strict=False)
    )


def bid(
    *amounts: str,
    minutes: int = 0,
    status: OpenedStatus = OpenedStatus.OPENED,
    currency: str = "PKR",
    security: bool | None = True,
    validity: int | None = VALIDITY,
    documents: tuple[str, ...] = ("licence",),
    problem: str | None = None,
) -> Candidate:
    """An opened bid, its prices one per lot (400 + 600 unless given), received `minutes`
    after the first bid."""
    bidder = vendor()
    return Candidate(
        bid_id=uuid4(),
        vendor_id=bidder.account_id,
        vendor_name=f"Vendor {bidder.account_id.hex[:6]}",
        received_at=NOW - timedelta(days=1) + timedelta(minutes=minutes),
        status=status,
        problem=problem,
        prices=lot_prices(amounts or ("400.00", "600.00"), currency),
        security_sufficient=security,
        validity_days=validity,
        documents=documents,
    )


def total(amount: str) -> tuple[str, str]:
    """Lot prices adding up to `amount`: 100 for lot 1, the rest for lot 2."""
    return ("100.00", str(Decimal(amount) - 100))


def marks(
    total: int, justification: str = "as documented in the technical offer"
) -> list[CriterionScore]:
    """One member's scores, adding up to `total` out of 150."""
    experience = min(total, 90)
    return [
        CriterionScore(criterion_id="experience", score=experience, justification=justification),
        CriterionScore(
            criterion_id="method", score=total - experience, justification=justification
        ),
    ]


@dataclass
class Case:
    """A started evaluation, its committee (the chair first) and the bids as opened."""

    evaluation: Evaluation
    board: list[Actor]
    bids: tuple[Candidate, ...]
    tender_id: UUID
    history: list[Any] = field(default_factory=list)

    @property
    def chair(self) -> Actor:
        return self.board[0]

    @property
    def member(self) -> Actor:
        return self.board[1]

    def events(self) -> list[Any]:
        events = list(self.evaluation.collect_events())
        self.history.extend(events)
        return events

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events()]

    def declare_all(self) -> Case:
        for actor in self.board:
            self.evaluation.declare(conflict=False, statement="", actor=actor, timestamp=NOW)
        self.events()
        return self

    def score(self, candidate: Candidate, *totals: int) -> None:
        """Every member scores the bid, each with their total out of 150."""
        for actor, points in zip(self.board, totals, strict=True):
            self.evaluation.score(
                bid_id=candidate.bid_id, scores=marks(points), actor=actor, timestamp=NOW
            )
        self.events()

    def open_financial(self) -> list[UUID]:
        """The second opening: the financial envelopes the evaluation asks for."""
        wanted = self.evaluation.to_open_financially()
        prices = {c.bid_id: c.prices for c in self.bids}
        self.evaluation.open_financial(
            bids=[
                FinancialBid(bid_id=b, commitment="c0ffee", prices=prices[b] or ()) for b in wanted
            ],
            actor=self.chair,
            timestamp=NOW,
        )
        self.events()
        return wanted

    def finalise(self) -> EvaluationReport:
        self.evaluation.finalise(
            report=self.evaluation.compute_report(), actor=self.chair, timestamp=NOW
        )
        [finalised] = self.events()
        assert isinstance(finalised, Evaluation.EvaluationFinalised)
        return finalised.report

    def award(self, candidate: Candidate, number: int = 1, reason: str = "") -> UUID:
        award_id = award_id_for(self.tender_id, number)
        self.evaluation.record_award(
            award_id=award_id,
            bid_id=candidate.bid_id,
            reason=reason,
            actor=self.chair,
            timestamp=NOW,
        )
        self.events()
        return award_id


def members(board: list[Actor], chairs: tuple[int, ...] = (0,)) -> list[Member]:
    return [
        Member(account_id=actor.account_id, name=f"officer-{n}", chair=n in chairs)
        for n, actor in enumerate(board)
    ]


def start(
    committee: list[Member],
    candidates: tuple[Candidate, ...] = (),
    *,
    terms: EvaluationTerms = LEAST_COST,
    two_envelopes: bool = False,
    min_size: int = 3,
    tender_id: UUID | None = None,
) -> Evaluation:
    return Evaluation(
        tender_id=tender_id or uuid4(),
        entity=ENTITY,
        terms=terms,
        currency="PKR",
        lot_ids=list(LOTS),
        bid_validity_days=VALIDITY,
        two_envelopes=two_envelopes,
        min_committee_size=min_size,
        committee=committee,
        candidates=list(candidates),
        actor=officer(ENTITY),
        timestamp=NOW,
    )


def given(
    *candidates: Candidate,
    terms: EvaluationTerms = LEAST_COST,
    size: int = 3,
    declared: bool = True,
) -> Case:
    """An evaluation of `candidates`; under QCBS, with two envelopes whose prices are sealed."""
    two_envelopes = terms.method is EvaluationMethod.QCBS
    opened = tuple(
        c.model_copy(update={"prices": None}) if two_envelopes else c for c in candidates
    )
    board = [officer(ENTITY) for _ in range(size)]
    tender_id = uuid4()
    evaluation = start(
        members(board), opened, terms=terms, two_envelopes=two_envelopes, tender_id=tender_id
    )
    case = Case(evaluation=evaluation, board=board, bids=candidates, tender_id=tender_id)
    case.events()
    return case.declare_all() if declared else case


def entry(report: EvaluationReport, candidate: Candidate) -> ReportEntry:
    return report.entry(candidate.bid_id)


def ranking(report: EvaluationReport) -> list[UUID]:
    ranked = sorted((e for e in report.entries if e.rank is not None), key=lambda e: e.rank or 0)
    return [e.bid_id for e in ranked]


# Starting and the committee --------------------------------------------------------------


def test_starting_records_the_committee_and_the_candidates() -> None:
    board = [officer(ENTITY) for _ in range(3)]
    tender_id = uuid4()
    candidates = (bid(), bid())
    evaluation = start(members(board), candidates, tender_id=tender_id)
    [started] = evaluation.collect_events()
    assert isinstance(started, Evaluation.EvaluationStarted)
    assert started.committee == members(board)
    assert started.candidates == list(candidates)
    assert evaluation.id == evaluation_id_for(tender_id)
    assert evaluation.status is EvaluationStatus.IN_PROGRESS
    assert evaluation.latest_report is None


@pytest.mark.parametrize(
    ("size", "min_size", "chairs"),
    [
        (4, 3, (0,)),  # even
        (2, 1, (0,)),  # even, though above the minimum
        (3, 5, (0,)),  # odd, but below the minimum
        (1, 3, (0,)),
        (3, 3, ()),  # no chair
        (3, 3, (0, 1)),  # two chairs
    ],
)
def test_the_committee_is_odd_large_enough_and_has_one_chair(
    size: int, min_size: int, chairs: tuple[int, ...]
) -> None:
    board = [officer(ENTITY) for _ in range(size)]
    with pytest.raises(errors.InvalidCommitteeError):
        start(members(board, chairs), min_size=min_size)


def test_a_member_is_named_once() -> None:
    board = [officer(ENTITY) for _ in range(2)]
    committee = [*members(board), members(board, chairs=())[1]]
    with pytest.raises(errors.InvalidCommitteeError, match="twice"):
        start(committee, min_size=3)


@pytest.mark.parametrize(("size", "min_size"), [(3, 3), (5, 3), (5, 5), (1, 1)])
def test_an_odd_committee_at_or_above_the_minimum_is_formed(size: int, min_size: int) -> None:
    board = [officer(ENTITY) for _ in range(size)]
    evaluation = start(members(board), min_size=min_size)
    assert len(evaluation.committee) == size


# Declarations ----------------------------------------------------------------------------


def test_a_member_declares_before_acting() -> None:
    first = bid()
    case = given(first, declared=False)
    with pytest.raises(errors.DeclarationRequiredError):
        case.evaluation.disqualify(
            bid_id=first.bid_id, reason="forged licence", actor=case.chair, timestamp=NOW
        )
    with pytest.raises(errors.DeclarationRequiredError):
        case.evaluation.correct_price(
            bid_id=first.bid_id,
            lot_id="1",
            corrected_price=money("300.00"),
            reason="sum",
            actor=case.chair,
            timestamp=NOW,
        )
    with pytest.raises(errors.DeclarationRequiredError):
        case.evaluation.finalise(
            report=case.evaluation.compute_report(), actor=case.chair, timestamp=NOW
        )
    assert case.names() == []
    case.evaluation.declare(conflict=False, statement="", actor=case.chair, timestamp=NOW)
    assert case.names() == ["ConflictDeclared"]
    case.evaluation.disqualify(
        bid_id=first.bid_id, reason="forged licence", actor=case.chair, timestamp=NOW
    )
    assert case.names() == ["BidDisqualified"]


def test_a_member_declares_before_scoring() -> None:
    first = bid()
    case = given(first, terms=QCBS, declared=False)
    with pytest.raises(errors.DeclarationRequiredError):
        case.evaluation.score(
            bid_id=first.bid_id, scores=marks(120), actor=case.member, timestamp=NOW
        )
    assert case.names() == []


def test_someone_off_the_committee_is_refused() -> None:
    first = bid()
    case = given(first, terms=QCBS)
    stranger = officer(ENTITY)
    with pytest.raises(errors.NotCommitteeMemberError):
        case.evaluation.declare(conflict=False, statement="", actor=stranger, timestamp=NOW)
    with pytest.raises(errors.NotCommitteeMemberError):
        case.evaluation.score(bid_id=first.bid_id, scores=marks(120), actor=stranger, timestamp=NOW)
    with pytest.raises(errors.NotCommitteeMemberError):
        case.evaluation.disqualify(bid_id=first.bid_id, reason="x", actor=stranger, timestamp=NOW)
    with pytest.raises(errors.NotCommitteeMemberError):
        case.evaluation.finalise(
            report=case.evaluation.compute_report(), actor=stranger, timestamp=NOW
        )
    assert case.names() == []


def test_a_member_declares_once() -> None:
    case = given(bid(), declared=False)
    case.evaluation.declare(conflict=False, statement="", actor=case.member, timestamp=NOW)
    [declared] = case.events()
    assert isinstance(declared, Evaluation.ConflictDeclared)
    assert declared.actor == case.member
    with pytest.raises(errors.EvaluationStateError, match="already declared"):
        case.evaluation.declare(conflict=True, statement="cousin", actor=case.member, timestamp=NOW)
    assert case.names() == []
    assert case.evaluation.declarations[case.member.account_id].conflict is False


def test_a_conflict_needs_a_statement_and_recuses_the_member() -> None:
    first = bid()
    case = given(first, terms=QCBS, declared=False)
    with pytest.raises(errors.ReasonRequiredError):
        case.evaluation.declare(conflict=True, statement="  ", actor=case.member, timestamp=NOW)
    assert case.member.account_id not in case.evaluation.declarations
    case.evaluation.declare(
        conflict=True, statement="My brother owns a bidder", actor=case.member, timestamp=NOW
    )
    assert case.names() == ["ConflictDeclared"]
    declaration = case.evaluation.declarations[case.member.account_id]
    assert declaration.conflict is True
    assert declaration.statement == "My brother owns a bidder"
    with pytest.raises(errors.NotCommitteeMemberError, match="recused"):
        case.evaluation.score(
            bid_id=first.bid_id, scores=marks(120), actor=case.member, timestamp=NOW
        )
    for actor in (case.chair, case.board[2]):
        case.evaluation.declare(conflict=False, statement="", actor=actor, timestamp=NOW)
    assert [m.account_id for m in case.evaluation.unrecused()] == [
        case.chair.account_id,
        case.board[2].account_id,
    ]


def test_a_recused_member_is_not_waited_for() -> None:
    first = bid()
    case = given(first, terms=QCBS, declared=False)
    case.evaluation.declare(conflict=True, statement="cousin", actor=case.member, timestamp=NOW)
    for actor in (case.chair, case.board[2]):
        case.evaluation.declare(conflict=False, statement="", actor=actor, timestamp=NOW)
    for actor, points in ((case.chair, 120), (case.board[2], 130)):
        case.evaluation.score(bid_id=first.bid_id, scores=marks(points), actor=actor, timestamp=NOW)
    case.events()
    assert case.evaluation.technical_score(first.bid_id) == Decimal("83.33")  # 250 of 300
    assert case.open_financial() == [first.bid_id]
    report = case.finalise()
    assert report.recommended_bid == first.bid_id
    assert len(entry(report, first).member_scores) == 2


def test_without_a_majority_unrecused_the_committee_cannot_finalise() -> None:
    case = given(bid(), declared=False)
    case.evaluation.declare(conflict=False, statement="", actor=case.chair, timestamp=NOW)
    for actor in case.board[1:]:
        case.evaluation.declare(conflict=True, statement="related", actor=actor, timestamp=NOW)
    case.events()
    with pytest.raises(errors.ScoringIncompleteError, match="quorum"):
        case.evaluation.finalise(
            report=case.evaluation.compute_report(), actor=case.chair, timestamp=NOW
        )


def test_a_recused_chair_records_no_decision() -> None:
    first = bid()
    case = given(first, declared=False)
    case.evaluation.declare(conflict=True, statement="related", actor=case.chair, timestamp=NOW)
    case.events()
    with pytest.raises(errors.NotCommitteeMemberError):
        case.evaluation.disqualify(bid_id=first.bid_id, reason="x", actor=case.chair, timestamp=NOW)


# The chair's decisions -------------------------------------------------------------------


def chair_acts(case: Case, candidate: Candidate) -> list[Callable[[Actor], None]]:
    evaluation = case.evaluation

    def disqualify(actor: Actor) -> None:
        evaluation.disqualify(bid_id=candidate.bid_id, reason="forged", actor=actor, timestamp=NOW)

    def reinstate(actor: Actor) -> None:
        evaluation.reinstate(bid_id=candidate.bid_id, reason="genuine", actor=actor, timestamp=NOW)

    def correct(actor: Actor) -> None:
        evaluation.correct_price(
            bid_id=candidate.bid_id,
            lot_id="1",
            corrected_price=money("300.00"),
            reason="arithmetic",
            actor=actor,
            timestamp=NOW,
        )

    def finalise(actor: Actor) -> None:
        evaluation.finalise(report=evaluation.compute_report(), actor=actor, timestamp=NOW)

    return [disqualify, reinstate, correct, finalise]


@pytest.mark.parametrize("act", range(4), ids=["disqualify", "reinstate", "correct", "finalise"])
def test_only_the_chair_records_the_committees_decisions(act: int) -> None:
    first = bid()
    case = given(first)
    if act == 1:  # something to reinstate
        chair_acts(case, first)[0](case.chair)
        case.events()
    with pytest.raises(errors.NotChairError):
        chair_acts(case, first)[act](case.member)
    assert case.names() == []
    chair_acts(case, first)[act](case.chair)
    assert len(case.names()) == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_disqualification_and_a_reinstatement_need_a_reason(reason: str) -> None:
    first = bid()
    case = given(first)
    with pytest.raises(errors.ReasonRequiredError):
        case.evaluation.disqualify(
            bid_id=first.bid_id, reason=reason, actor=case.chair, timestamp=NOW
        )
    case.evaluation.disqualify(
        bid_id=first.bid_id, reason="forged", actor=case.chair, timestamp=NOW
    )
    with pytest.raises(errors.ReasonRequiredError):
        case.evaluation.reinstate(
            bid_id=first.bid_id, reason=reason, actor=case.chair, timestamp=NOW
        )
    assert case.names() == ["BidDisqualified"]


def test_a_disqualified_bid_is_not_responsive_until_reinstated() -> None:
    first, second = bid(*total("1000.00")), bid(*total("1100.00"))
    case = given(first, second)
    case.evaluation.disqualify(
        bid_id=first.bid_id, reason="forged licence", actor=case.chair, timestamp=NOW
    )
    [disqualified] = case.events()
    assert isinstance(disqualified, Evaluation.BidDisqualified)
    assert disqualified.reason == "forged licence"
    report = case.evaluation.compute_report()
    assert entry(report, first).responsive is False
    assert entry(report, first).reasons == ("disqualified by the committee: forged licence",)
    assert entry(report, first).rank is None
    assert report.recommended_bid == second.bid_id
    with pytest.raises(errors.EvaluationStateError, match="already disqualified"):
        case.evaluation.disqualify(bid_id=first.bid_id, reason="x", actor=case.chair, timestamp=NOW)
    case.evaluation.reinstate(
        bid_id=first.bid_id, reason="the licence was verified", actor=case.chair, timestamp=NOW
    )
    assert case.names() == ["BidReinstated"]
    assert case.evaluation.compute_report().recommended_bid == first.bid_id
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.reinstate(bid_id=first.bid_id, reason="x", actor=case.chair, timestamp=NOW)


def test_only_an_opened_bid_of_the_tender_is_disqualified() -> None:
    withdrawn = bid(status=OpenedStatus.WITHDRAWN)
    case = given(withdrawn, bid())
    with pytest.raises(errors.EvaluationStateError, match="opened"):
        case.evaluation.disqualify(
            bid_id=withdrawn.bid_id, reason="x", actor=case.chair, timestamp=NOW
        )
    with pytest.raises(errors.BidNotFoundError):
        case.evaluation.disqualify(bid_id=uuid4(), reason="x", actor=case.chair, timestamp=NOW)
    assert case.names() == []


# Responsiveness --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("defective", "reason", "status"),
    [
        (bid(security=False), "bid security missing or below the required amount", "evaluated"),
        (bid(validity=60), "bid valid for 60 days; 90 required", "evaluated"),
        (bid(documents=("tax",)), "required document missing: licence", "evaluated"),
        (bid("400.00"), "no price for lot 2", "evaluated"),
        (bid(currency="USD"), "a price is not in PKR", "evaluated"),
        (bid(status=OpenedStatus.WITHDRAWN), "withdrawn before the deadline", "withdrawn"),
        (
            bid(status=OpenedStatus.UNREADABLE, problem="commitment mismatch"),
            "the envelope could not be opened: commitment mismatch",
            "unreadable",
        ),
        (
            bid(status=OpenedStatus.UNREADABLE),
            "the envelope could not be opened: unreadable",
            "unreadable",
        ),
    ],
    ids=[
        "security",
        "validity",
        "document",
        "unpriced-lot",
        "currency",
        "withdrawn",
        "unreadable",
        "unreadable-no-problem",
    ],
)
def test_a_defective_bid_is_not_responsive_and_says_why(
    defective: Candidate, reason: str, status: str
) -> None:
    sound = bid(*total("5000.00"))
    case = given(defective, sound)
    report = case.evaluation.compute_report()
    found = entry(report, defective)
    assert found.responsive is False
    assert found.reasons == (reason,)
    assert found.status == status
    assert found.rank is None
    assert found.evaluated_price is None
    assert report.recommended_bid == sound.bid_id  # though it is dearer


def test_a_bid_without_the_optional_checks_is_responsive() -> None:
    sound = bid(security=None, validity=None, documents=("licence", "tax"))
    longer = bid(validity=120, minutes=1)
    report = given(sound, longer).evaluation.compute_report()
    assert entry(report, sound).responsive is True
    assert entry(report, sound).reasons == ()
    assert entry(report, longer).responsive is True


def test_every_defect_is_listed() -> None:
    defective = bid("400.00", security=False, validity=30, documents=())
    report = given(defective).evaluation.compute_report()
    assert entry(report, defective).reasons == (
        "bid security missing or below the required amount",
        "bid valid for 30 days; 90 required",
        "required document missing: licence",
        "no price for lot 2",
    )


# Least cost ------------------------------------------------------------------------------


def test_least_cost_ranks_the_responsive_bids_by_evaluated_price() -> None:
    dear, cheap, middle = bid(*total("1200.00")), bid(*total("900.00")), bid(*total("1000.00"))
    case = given(dear, cheap, middle, bid(security=False))
    report = case.finalise()
    assert ranking(report) == [cheap.bid_id, middle.bid_id, dear.bid_id]
    assert report.recommended_bid == cheap.bid_id
    assert entry(report, cheap).rank == 1
    assert entry(report, cheap).read_price == money("900.00")
    assert entry(report, cheap).evaluated_price == money("900.00")
    assert entry(report, cheap).technical_score is None
    assert entry(report, cheap).financial_envelope is None  # one envelope
    assert report.number == 1
    assert report.method is EvaluationMethod.LEAST_COST
    assert not report.unsuccessful
    assert report.public_status is PublicTenderStatus.EVALUATED
    assert case.evaluation.status is EvaluationStatus.FINALISED
    assert case.evaluation.latest_report == report


def test_an_arithmetic_correction_changes_the_evaluated_price_and_the_ranking() -> None:
    first = bid("400.00", "600.00")  # 1000
    second = bid("500.00", "550.00", minutes=1)  # 1050 read, 850 once lot 1 is corrected
    case = given(first, second)
    case.evaluation.correct_price(
        bid_id=second.bid_id,
        lot_id="1",
        corrected_price=money("300.00"),
        reason="quantity times rate is 300, not 500",
        actor=case.chair,
        timestamp=NOW,
    )
    [corrected] = case.events()
    assert isinstance(corrected, Evaluation.PriceCorrected)
    assert corrected.corrected_price == money("300.00")
    report = case.finalise()
    found = entry(report, second)
    assert found.read_price == money("1050.00")
    assert found.evaluated_price == money("850.00")
    [correction] = found.corrections
    assert correction.lot_id == "1"
    assert correction.read_price == money("500.00")
    assert correction.corrected_price == money("300.00")
    assert correction.reason == "quantity times rate is 300, not 500"
    assert ranking(report) == [second.bid_id, first.bid_id]


def test_a_later_correction_of_a_lot_replaces_the_earlier() -> None:
    first = bid("400.00", "600.00")
    case = given(first)
    for amount in ("350.00", "380.00"):
        case.evaluation.correct_price(
            bid_id=first.bid_id,
            lot_id="1",
            corrected_price=money(amount),
            reason="arithmetic",
            actor=case.chair,
            timestamp=NOW,
        )
    report = case.evaluation.compute_report()
    assert entry(report, first).evaluated_price == money("980.00")
    assert len(entry(report, first).corrections) == 1


@pytest.mark.parametrize(
    ("lot_id", "corrected", "reason", "error"),
    [
        ("9", money("1.00"), "arithmetic", errors.InvalidScoresError),  # no such lot
        ("1", money("1.00", "USD"), "arithmetic", errors.InvalidScoresError),
        ("1", money("1.00"), " ", errors.ReasonRequiredError),
    ],
)
def test_a_correction_is_of_a_priced_lot_in_its_currency_with_a_reason(
    lot_id: str, corrected: Money, reason: str, error: type[Exception]
) -> None:
    first = bid()
    case = given(first)
    with pytest.raises(error):
        case.evaluation.correct_price(
            bid_id=first.bid_id,
            lot_id=lot_id,
            corrected_price=corrected,
            reason=reason,
            actor=case.chair,
            timestamp=NOW,
        )
    assert case.names() == []
    assert case.evaluation.corrections == {}


def test_a_sealed_price_cannot_be_corrected() -> None:
    first = bid()
    case = given(first, terms=QCBS)
    with pytest.raises(errors.FinancialOpeningRequiredError):
        case.evaluation.correct_price(
            bid_id=first.bid_id,
            lot_id="1",
            corrected_price=money("1.00"),
            reason="arithmetic",
            actor=case.chair,
            timestamp=NOW,
        )


def test_equal_prices_go_to_the_earliest_submission() -> None:
    later = bid(*total("1000.00"), minutes=5)
    earlier = bid(*total("1000.00"), minutes=1)
    case = given(later, earlier)
    assert ranking(case.finalise()) == [earlier.bid_id, later.bid_id]


def test_the_earliest_submission_wins_a_tie_whatever_the_ids() -> None:
    """Not the order of the bids nor their ids: the time each was received."""
    for _ in range(10):
        later = bid(*total("1000.00"), minutes=5)
        earlier = bid(*total("1000.00"), minutes=1)
        assert given(later, earlier).evaluation.compute_report().recommended_bid == earlier.bid_id
        assert given(earlier, later).evaluation.compute_report().recommended_bid == earlier.bid_id


# Quality and cost based selection --------------------------------------------------------


def score(case: Case, candidate: Candidate, scores: list[CriterionScore]) -> None:
    case.evaluation.score(bid_id=candidate.bid_id, scores=scores, actor=case.member, timestamp=NOW)


def criterion(criterion_id: str, points: int, justification: str = "why") -> CriterionScore:
    return CriterionScore(criterion_id=criterion_id, score=points, justification=justification)


@pytest.mark.parametrize(
    "scores",
    [
        [criterion("experience", 80)],  # a criterion left out
        [criterion("experience", 80), criterion("method", 50), criterion("method", 50)],
        [criterion("experience", 40), criterion("experience", 40)],
        [criterion("experience", 80), criterion("price", 50)],  # not a criterion
        [criterion("experience", 91), criterion("method", 50)],  # above its maximum
        [criterion("experience", 80), criterion("method", 61)],
        [criterion("experience", 80), criterion("method", 50, justification="  ")],
        [],
    ],
    ids=["missing", "twice", "twice-not-other", "unknown", "max", "max-2", "blank", "none"],
)
def test_scores_cover_every_criterion_once_within_its_maximum_with_a_justification(
    scores: list[CriterionScore],
) -> None:
    first = bid()
    case = given(first, terms=QCBS)
    with pytest.raises(errors.InvalidScoresError):
        score(case, first, scores)
    assert case.names() == []
    assert case.evaluation.scores == {}


def test_a_score_at_the_maxima_is_taken_in_any_order() -> None:
    first = bid()
    case = given(first, terms=QCBS)
    score(case, first, [criterion("method", 60), criterion("experience", 90)])
    [scored] = case.events()
    assert isinstance(scored, Evaluation.BidScored)
    assert scored.bid_id == first.bid_id
    assert case.evaluation.scores[first.bid_id, case.member.account_id].total == 150


def test_a_member_scores_a_bid_once() -> None:
    first = bid()
    case = given(first, terms=QCBS)
    score(case, first, marks(100))
    case.events()
    with pytest.raises(errors.AlreadyScoredError):
        score(case, first, marks(120))
    assert case.names() == []
    assert case.evaluation.scores[first.bid_id, case.member.account_id].total == 100


@pytest.mark.parametrize(
    "rejected",
    [bid(documents=()), bid(status=OpenedStatus.WITHDRAWN), bid(status=OpenedStatus.UNREADABLE)],
    ids=["document", "withdrawn", "unreadable"],
)
def test_a_non_responsive_bid_is_not_scored(rejected: Candidate) -> None:
    case = given(rejected, bid(), terms=QCBS)
    with pytest.raises(errors.BidNotResponsiveError):
        score(case, rejected, marks(120))
    assert case.names() == []


def test_a_disqualified_bid_is_not_scored_and_not_waited_for() -> None:
    first, second = bid(), bid()
    case = given(first, second, terms=QCBS)
    case.evaluation.disqualify(
        bid_id=second.bid_id, reason="forged", actor=case.chair, timestamp=NOW
    )
    with pytest.raises(errors.BidNotResponsiveError):
        score(case, second, marks(120))
    case.score(first, 120, 120, 120)
    assert case.open_financial() == [first.bid_id]
    report = case.finalise()
    assert entry(report, second).technical_score is None
    assert entry(report, second).financial_envelope == "sealed"


def test_bids_are_scored_only_under_quality_and_cost_based_selection() -> None:
    first = bid()
    case = given(first)
    with pytest.raises(errors.EvaluationStateError):
        score(case, first, marks(120))


def test_an_unknown_bid_is_not_scored() -> None:
    case = given(bid(), terms=QCBS)
    with pytest.raises(errors.BidNotFoundError):
        case.evaluation.score(bid_id=uuid4(), scores=marks(1), actor=case.member, timestamp=NOW)


def test_the_technical_score_is_the_members_mean_in_percent_to_two_decimals() -> None:
    first = bid()
    case = given(first, terms=QCBS)
    case.evaluation.score(bid_id=first.bid_id, scores=marks(100), actor=case.chair, timestamp=NOW)
    case.evaluation.score(bid_id=first.bid_id, scores=marks(110), actor=case.member, timestamp=NOW)
    assert case.evaluation.technical_score(first.bid_id) is None  # one member still to score
    case.evaluation.score(
        bid_id=first.bid_id, scores=marks(120), actor=case.board[2], timestamp=NOW
    )
    assert case.evaluation.technical_score(first.bid_id) == Decimal("73.33")  # 330 of 450
    assert str(case.evaluation.technical_score(first.bid_id)) == "73.33"


def test_a_bid_below_the_pass_mark_is_not_opened_financially() -> None:
    passing, failing, at_mark = bid(), bid(), bid()
    case = given(passing, failing, at_mark, terms=QCBS)
    case.score(passing, 120, 120, 120)  # 80%
    case.score(failing, 105, 104, 105)  # 314 of 450: 69.78%
    case.score(at_mark, 105, 105, 105)  # 70%, the pass mark itself
    assert case.evaluation.technically_qualified(failing.bid_id) is False
    assert case.evaluation.to_open_financially() == [passing.bid_id, at_mark.bid_id]
    opened = case.open_financial()
    assert failing.bid_id not in opened
    assert case.evaluation.to_open_financially() == []
    assert failing.bid_id not in case.evaluation.financial
    assert case.evaluation.candidates[failing.bid_id].prices is None
    report = case.finalise()
    found = entry(report, failing)
    assert found.technical_score == Decimal("69.78")
    assert found.technically_qualified is False
    assert found.responsive is False
    assert found.reasons == ("technical score below the pass mark of 70%",)
    assert found.financial_envelope == "sealed"
    assert found.read_price is None
    assert found.rank is None
    assert entry(report, at_mark).technically_qualified is True
    assert entry(report, at_mark).financial_envelope == "opened"


def test_the_financial_opening_follows_the_technical_work() -> None:
    first, second = bid(), bid()
    case = given(first, second, terms=QCBS)
    case.score(first, 120, 120, 120)
    with pytest.raises(errors.ScoringIncompleteError):
        case.open_financial()
    case.score(second, 120, 120, 120)
    with pytest.raises(errors.EvaluationStateError, match="only the qualified"):
        case.evaluation.open_financial(
            bids=[
                FinancialBid(bid_id=first.bid_id, commitment="c0ffee", prices=first.prices or ())
            ],
            actor=case.chair,
            timestamp=NOW,
        )
    assert case.names() == []
    case.open_financial()
    with pytest.raises(errors.EvaluationStateError, match="no technically qualified"):
        case.open_financial()
    with pytest.raises(errors.EvaluationStateError, match="final"):
        score(case, first, marks(1))  # the price is seen: no more scoring (and member scored)


def test_a_one_envelope_tender_has_no_financial_opening() -> None:
    case = given(bid())
    with pytest.raises(errors.EvaluationStateError, match="one envelope"):
        case.evaluation.open_financial(bids=[], actor=case.chair, timestamp=NOW)


def test_a_financial_envelope_that_does_not_open_makes_the_bid_non_responsive() -> None:
    first, second = bid(*total("1000.00")), bid(*total("2000.00"))
    case = given(first, second, terms=QCBS)
    case.score(first, 120, 120, 120)
    case.score(second, 120, 120, 120)
    case.evaluation.open_financial(
        bids=[
            FinancialBid(bid_id=first.bid_id, commitment="c0ffee", problem="holds no prices"),
            FinancialBid(bid_id=second.bid_id, commitment="c0ffee", prices=second.prices or ()),
        ],
        actor=case.chair,
        timestamp=NOW,
    )
    assert case.names() == ["FinancialEnvelopesOpened"]
    report = case.finalise()
    assert entry(report, first).responsive is False
    assert entry(report, first).reasons == (
        "the financial envelope could not be opened: holds no prices",
    )
    assert report.recommended_bid == second.bid_id


def test_quality_and_cost_combine_the_technical_and_financial_scores_with_their_weights() -> None:
    cheap = bid(*total("1000.00"))  # technical 74%: the lowest price
    middle = bid(*total("1200.00"), minutes=1)  # technical 80%
    dear = bid(*total("1500.00"), minutes=2)  # technical 90%
    failing = bid(*total("500.00"), minutes=3)  # below the pass mark: its price never counts
    case = given(cheap, middle, dear, failing, terms=QCBS)
    case.score(cheap, 111, 111, 111)
    case.score(middle, 120, 120, 120)
    case.score(dear, 135, 135, 135)
    case.score(failing, 90, 90, 90)
    case.open_financial()
    report = case.finalise()

    assert entry(report, cheap).technical_score == Decimal("74.00")
    assert entry(report, cheap).financial_score == Decimal("100.00")
    assert entry(report, cheap).combined_score == Decimal("79.20")  # (74*80 + 100*20) / 100

    assert entry(report, middle).financial_score == Decimal("83.33")  # 100 * 1000 / 1200
    assert entry(report, middle).combined_score == Decimal("80.67")  # (6400 + 1666.6) / 100

    assert entry(report, dear).financial_score == Decimal("66.67")  # 100 * 1000 / 1500
    assert entry(report, dear).combined_score == Decimal("85.33")  # (7200 + 1333.4) / 100

    assert entry(report, failing).financial_score is None
    assert ranking(report) == [dear.bid_id, middle.bid_id, cheap.bid_id]
    assert report.recommended_bid == dear.bid_id
    assert [s.total for s in entry(report, dear).member_scores] == [135, 135, 135]


@pytest.mark.parametrize(
    ("tie_break", "winner"),
    [(TieBreak.EARLIEST_SUBMISSION, 0), (TieBreak.HIGHEST_TECHNICAL_SCORE, 1)],
)
def test_equal_combined_scores_follow_the_published_tie_break(
    tie_break: TieBreak, winner: int
) -> None:
    cheap = bid(*total("1200.00"))  # technical 80, financial 100: combined 84
    better = bid(*total("2000.00"), minutes=1)  # technical 90, financial 60: combined 84
    case = given(cheap, better, terms=QCBS.model_copy(update={"tie_break": tie_break}))
    case.score(cheap, 120, 120, 120)
    case.score(better, 135, 135, 135)
    case.open_financial()
    report = case.finalise()
    assert entry(report, cheap).combined_score == entry(report, better).combined_score == 84
    assert report.tie_break is tie_break
    assert report.recommended_bid == (cheap, better)[winner].bid_id


# Finalising ------------------------------------------------------------------------------


def test_finalising_waits_for_every_declaration() -> None:
    case = given(bid(), declared=False)
    for actor in case.board[:2]:
        case.evaluation.declare(conflict=False, statement="", actor=actor, timestamp=NOW)
    case.events()
    with pytest.raises(errors.ScoringIncompleteError, match="declare"):
        case.evaluation.finalise(
            report=case.evaluation.compute_report(), actor=case.chair, timestamp=NOW
        )
    assert case.names() == []
    assert case.evaluation.status is EvaluationStatus.IN_PROGRESS


def test_finalising_waits_for_every_members_scores() -> None:
    first = bid()
    case = given(first, terms=QCBS)
    for actor in case.board[:2]:
        case.evaluation.score(bid_id=first.bid_id, scores=marks(120), actor=actor, timestamp=NOW)
    case.events()
    with pytest.raises(errors.ScoringIncompleteError, match="officer-2"):
        case.evaluation.finalise(
            report=case.evaluation.compute_report(), actor=case.chair, timestamp=NOW
        )
    assert case.names() == []


def test_finalising_two_envelopes_waits_for_the_financial_opening() -> None:
    first = bid()
    case = given(first, terms=QCBS)
    case.score(first, 120, 120, 120)
    with pytest.raises(errors.FinancialOpeningRequiredError):
        case.evaluation.finalise(
            report=case.evaluation.compute_report(), actor=case.chair, timestamp=NOW
        )
    assert case.names() == []
    case.open_financial()
    assert case.finalise().recommended_bid == first.bid_id


def test_a_two_envelope_tender_where_every_bid_fails_technically_finalises_unsuccessful() -> None:
    first = bid()
    case = given(first, terms=QCBS)
    case.score(first, 30, 30, 30)
    assert case.evaluation.to_open_financially() == []
    report = case.finalise()
    assert report.unsuccessful


@pytest.mark.parametrize(
    "tamper",
    [
        {"recommended_bid": None},
        {"number": 2},
        {"entries": ()},
        {"tie_break": TieBreak.HIGHEST_TECHNICAL_SCORE},
    ],
    ids=["recommendation", "number", "entries", "tie-break"],
)
def test_only_the_computed_report_is_published(tamper: dict[str, Any]) -> None:
    case = given(bid(), bid())
    forged = case.evaluation.compute_report().model_copy(update=tamper)
    with pytest.raises(errors.EvaluationStateError, match="computes"):
        case.evaluation.finalise(report=forged, actor=case.chair, timestamp=NOW)
    assert case.names() == []
    assert case.evaluation.status is EvaluationStatus.IN_PROGRESS


def test_a_finalised_evaluation_takes_no_more_work() -> None:
    first = bid()
    case = given(first)
    case.finalise()
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.disqualify(bid_id=first.bid_id, reason="x", actor=case.chair, timestamp=NOW)
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.finalise(
            report=case.evaluation.compute_report(), actor=case.chair, timestamp=NOW
        )
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.correct_price(
            bid_id=first.bid_id,
            lot_id="1",
            corrected_price=money("1.00"),
            reason="x",
            actor=case.chair,
            timestamp=NOW,
        )
    assert case.names() == []


def test_a_report_without_a_responsive_bid_is_unsuccessful_and_awards_nothing() -> None:
    only = bid(security=False)
    case = given(only, bid(status=OpenedStatus.WITHDRAWN))
    report = case.finalise()
    assert report.unsuccessful
    assert report.public_status is PublicTenderStatus.UNSUCCESSFUL
    assert report.recommended_bid is None
    assert all(e.rank is None for e in report.entries)
    with pytest.raises(errors.NoResponsiveBidError):
        case.award(only)
    assert case.names() == []


def test_replaying_the_events_rebuilds_the_same_evaluation() -> None:
    first, second = bid(*total("1000.00")), bid(*total("1200.00"))
    case = given(first, second, terms=QCBS)
    case.score(first, 110, 110, 110)
    case.score(second, 130, 130, 130)
    case.open_financial()
    report = case.finalise()
    case.award(second)
    replayed: Any = None
    for recorded in case.history:
        replayed = recorded.mutate(replayed)
    assert isinstance(replayed, Evaluation)
    assert replayed.latest_report == report
    assert replayed.compute_report().model_copy(update={"number": 1}) == report
    assert replayed.status is EvaluationStatus.AWARDED
    assert replayed.version == case.evaluation.version


# Awarding --------------------------------------------------------------------------------


def test_an_award_goes_to_the_best_ranked_bid_without_a_reason() -> None:
    best, second = bid(*total("900.00")), bid(*total("1000.00"))
    case = given(best, second)
    case.finalise()
    award_id = award_id_for(case.tender_id, 1)
    case.evaluation.record_award(
        award_id=award_id, bid_id=best.bid_id, reason="", actor=case.chair, timestamp=NOW
    )
    [recorded] = case.events()
    assert isinstance(recorded, Evaluation.AwardRecorded)
    assert recorded.bid_id == best.bid_id
    assert case.evaluation.status is EvaluationStatus.AWARDED
    assert case.evaluation.current_award == award_id
    assert case.evaluation.awards_made == 1


def test_an_award_waits_for_the_report() -> None:
    first = bid()
    case = given(first)
    with pytest.raises(errors.EvaluationStateError, match="not finalised"):
        case.award(first)


def test_an_award_to_another_than_the_best_needs_a_reason() -> None:
    best, second = bid(*total("900.00")), bid(*total("1000.00"))
    case = given(best, second)
    case.finalise()
    with pytest.raises(errors.ReasonRequiredError):
        case.award(second, reason=" ")
    assert case.evaluation.current_award is None
    assert case.names() == []
    case.award(second, reason="the first-ranked bidder declined in writing")
    assert case.evaluation.status is EvaluationStatus.AWARDED


@pytest.mark.parametrize(
    "rejected",
    [bid(security=False), bid(status=OpenedStatus.WITHDRAWN)],
    ids=["non-responsive", "withdrawn"],
)
def test_only_a_ranked_bid_is_awarded(rejected: Candidate) -> None:
    case = given(rejected, bid())
    case.finalise()
    with pytest.raises(errors.BidNotResponsiveError):
        case.award(rejected, reason="whatever the reason")
    with pytest.raises(errors.BidNotFoundError):
        case.evaluation.record_award(
            award_id=award_id_for(case.tender_id, 1),
            bid_id=uuid4(),
            reason="x",
            actor=case.chair,
            timestamp=NOW,
        )
    assert case.names() == []


@pytest.mark.parametrize("number", [0, 2])
def test_awards_are_numbered_in_order(number: int) -> None:
    best = bid()
    case = given(best)
    case.finalise()
    with pytest.raises(errors.EvaluationStateError, match="in order"):
        case.award(best, number=number)
    with pytest.raises(errors.EvaluationStateError, match="in order"):
        case.evaluation.record_award(
            award_id=award_id_for(uuid4(), 1),  # another tender's first award
            bid_id=best.bid_id,
            reason="",
            actor=case.chair,
            timestamp=NOW,
        )
    assert case.names() == []
    assert case.evaluation.awards_made == 0


def test_a_tender_has_one_live_award() -> None:
    best, second = bid(*total("900.00")), bid(*total("1000.00"))
    case = given(best, second)
    case.finalise()
    case.award(best)
    with pytest.raises(errors.EvaluationStateError, match="already awarded"):
        case.award(second, number=2, reason="second thoughts")


def test_a_released_award_lets_another_follow_on_the_same_report() -> None:
    best, second = bid(*total("900.00")), bid(*total("1000.00"))
    case = given(best, second)
    case.finalise()
    first_award = case.award(best)
    with pytest.raises(errors.EvaluationStateError, match="live award"):
        case.evaluation.release_award(
            award_id=award_id_for(case.tender_id, 2), reason="x", actor=case.chair, timestamp=NOW
        )
    case.evaluation.release_award(
        award_id=first_award, reason="the bidder failed to sign", actor=case.chair, timestamp=NOW
    )
    assert case.names() == ["AwardReleased"]
    assert case.evaluation.status is EvaluationStatus.FINALISED
    assert case.evaluation.current_award is None
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.release_award(
            award_id=first_award, reason="again", actor=case.chair, timestamp=NOW
        )
    with pytest.raises(errors.EvaluationStateError, match="in order"):
        case.award(second, number=1, reason="next in rank")
    second_award = case.award(second, number=2, reason="next in rank")
    assert second_award == case.evaluation.current_award
    assert case.evaluation.latest_report is not None
    assert case.evaluation.latest_report.number == 1


def test_reopening_is_for_the_live_award_with_a_reason() -> None:
    best = bid()
    case = given(best)
    case.finalise()
    with pytest.raises(errors.EvaluationStateError):  # no award yet
        case.evaluation.reopen(
            award_id=award_id_for(case.tender_id, 1), reason="x", actor=case.chair, timestamp=NOW
        )
    award_id = case.award(best)
    with pytest.raises(errors.EvaluationStateError, match="live award"):
        case.evaluation.reopen(award_id=uuid4(), reason="x", actor=case.chair, timestamp=NOW)
    with pytest.raises(errors.ReasonRequiredError):
        case.evaluation.reopen(award_id=award_id, reason=" ", actor=case.chair, timestamp=NOW)
    assert case.names() == []
    assert case.evaluation.status is EvaluationStatus.AWARDED


def test_a_reopened_evaluation_is_finalised_again_in_a_second_report() -> None:
    best, second = bid(*total("900.00")), bid(*total("1000.00"))
    case = given(best, second)
    case.finalise()
    award_id = case.award(best)
    case.evaluation.reopen(
        award_id=award_id,
        reason="complaint upheld: forged licence",
        actor=case.chair,
        timestamp=NOW,
    )
    assert case.names() == ["EvaluationReopened"]
    assert case.evaluation.status is EvaluationStatus.IN_PROGRESS
    assert case.evaluation.current_award is None
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.release_award(
            award_id=award_id, reason="x", actor=case.chair, timestamp=NOW
        )
    with pytest.raises(errors.EvaluationStateError, match="not finalised"):
        case.award(second, number=2, reason="x")
    case.evaluation.disqualify(
        bid_id=best.bid_id, reason="forged licence", actor=case.chair, timestamp=NOW
    )
    case.events()
    report = case.finalise()
    assert report.number == 2
    assert report.recommended_bid == second.bid_id
    assert [r.number for r in case.evaluation.reports] == [1, 2]
    assert case.evaluation.reports[0].recommended_bid == best.bid_id
    with pytest.raises(errors.BidNotResponsiveError):
        case.award(best, number=2, reason="x")
    case.award(second, number=2)  # the best of the second report: no reason needed
    assert case.evaluation.current_award == award_id_for(case.tender_id, 2)


def test_a_withdrawn_report_is_taken_up_again_and_finalised_in_a_second() -> None:
    """An upheld complaint about the report: the committee evaluates again."""
    best, second = bid(*total("900.00")), bid(*total("1000.00"))
    case = given(best, second)

    def withdraw(reason: str = "complaint upheld: the licence was forged") -> None:
        case.evaluation.withdraw_report(reason=reason, actor=case.chair, timestamp=NOW)

    with pytest.raises(errors.EvaluationStateError):  # no report yet
        withdraw()
    case.finalise()
    assert case.evaluation.finalised_at == NOW
    with pytest.raises(errors.ReasonRequiredError):
        withdraw(" ")
    assert case.names() == []
    withdraw()
    assert case.names() == ["ReportWithdrawn"]
    assert case.evaluation.status is EvaluationStatus.IN_PROGRESS
    with pytest.raises(errors.EvaluationStateError):
        withdraw()
    with pytest.raises(errors.EvaluationStateError, match="not finalised"):
        case.award(best)
    case.evaluation.disqualify(
        bid_id=best.bid_id, reason="forged licence", actor=case.chair, timestamp=NOW
    )
    case.events()
    report = case.finalise()
    assert report.number == 2
    assert report.recommended_bid == second.bid_id
    assert [r.number for r in case.evaluation.reports] == [1, 2]  # the first stays on record


def test_a_report_with_a_live_award_is_not_withdrawn() -> None:
    best = bid()
    case = given(best)
    case.finalise()
    case.award(best)
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.withdraw_report(reason="too late", actor=case.chair, timestamp=NOW)
    assert case.names() == []
    assert case.evaluation.status is EvaluationStatus.AWARDED


def test_every_event_class_has_an_explicit_stable_topic() -> None:
    names = [
        "Created",
        "EvaluationStarted",
        "ConflictDeclared",
        "BidScored",
        "BidDisqualified",
        "BidReinstated",
        "PriceCorrected",
        "FinancialEnvelopesOpened",
        "EvaluationFinalised",
        "AwardRecorded",
        "AwardReleased",
        "EvaluationReopened",
        "ReportWithdrawn",
    ]
    for name in names:
        assert f"procurement:Evaluation.{name}" == getattr(Evaluation, name).TOPIC


def test_a_lot_priced_twice_or_a_lot_the_tender_lacks_is_not_responsive() -> None:
    twice = bid().model_copy(
        update={
            "prices": (*lot_prices(("400.00", "600.00")), LotPrice(lot_id="1", price=money("1")))
        }
    )
    stranger = bid().model_copy(
        update={
            "prices": (*lot_prices(("400.00", "600.00")), LotPrice(lot_id="9", price=money("1")))
        }
    )
    sound = bid("500.00", "600.00")
    report = given(twice, stranger, sound).finalise()
    assert entry(report, twice).reasons == ("lot 1 priced more than once",)
    assert entry(report, stranger).reasons == ("a price for a lot the tender does not have: 9",)
    assert ranking(report) == [sound.bid_id]


def test_a_committee_is_reformed_before_its_work_and_everyone_declares_again() -> None:
    case = given(bid(), declared=False)
    case.evaluation.declare(
        conflict=True, statement="My brother owns a bidder", actor=case.chair, timestamp=NOW
    )
    case.events()
    with pytest.raises(errors.NotCommitteeMemberError):  # a recused chair cannot act
        case.evaluation.finalise(
            report=case.evaluation.compute_report(), actor=case.chair, timestamp=NOW
        )
    newcomer = officer(ENTITY)
    board = [case.member, case.board[2], newcomer]
    with pytest.raises(errors.ReasonRequiredError):
        case.evaluation.reform_committee(
            committee=members(board),
            min_committee_size=3,
            reason=" ",
            actor=officer(ENTITY),
            timestamp=NOW,
        )
    case.evaluation.reform_committee(
        committee=members(board),
        min_committee_size=3,
        reason="The chair is recused",
        actor=officer(ENTITY),
        timestamp=NOW,
    )
    assert case.names() == ["CommitteeReformed"]
    assert case.evaluation.declarations == {}
    case.board = board
    case.declare_all()
    assert case.finalise().recommended_bid == case.bids[0].bid_id


def test_a_committee_that_has_started_work_stays() -> None:
    case = given(bid())
    case.evaluation.disqualify(
        bid_id=case.bids[0].bid_id, reason="Forged licence", actor=case.chair, timestamp=NOW
    )
    case.events()
    with pytest.raises(errors.EvaluationStateError):
        case.evaluation.reform_committee(
            committee=members([officer(ENTITY) for _ in range(3)]),
            min_committee_size=3,
            reason="Start again",
            actor=officer(ENTITY),
            timestamp=NOW,
        )
    assert case.names() == []


def test_releasing_an_award_needs_its_reason() -> None:
    first = bid()
    case = given(first)
    case.finalise()
    award_id = case.award(first)
    with pytest.raises(errors.ReasonRequiredError):
        case.evaluation.release_award(award_id=award_id, reason="", actor=case.chair, timestamp=NOW)
    assert case.names() == []


def test_a_total_price_beyond_what_money_holds_is_not_responsive_and_blocks_nothing() -> None:
    huge = bid("999999999999999.99", "999999999999999.99")
    sound = bid("500.00", "600.00")
    case = given(huge, sound)
    case.evaluation.disqualify(
        bid_id=huge.bid_id, reason="Not a serious offer", actor=case.chair, timestamp=NOW
    )
    case.events()
    report = case.finalise()
    assert "the total price is above 999,999,999,999,999.99" in entry(report, huge).reasons
    assert ranking(report) == [sound.bid_id]
    with pytest.raises(errors.InvalidScoresError):
        _overflowing_correction()


def _overflowing_correction() -> None:
    first = bid("900000000000000.00", "1.00")
    case = given(first)
    case.evaluation.correct_price(
        bid_id=first.bid_id,
        lot_id="2",
        corrected_price=money("999999999999999.00"),
        reason="sum",
        actor=case.chair,
        timestamp=NOW,
    )
