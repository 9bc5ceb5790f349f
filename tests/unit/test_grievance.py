"""Complaints at every stage, the grievance committee, appeals, and the entity's head: given
events, when a command, then new events or an error (with its code). No I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors
from domain.account import Account, VendorProfile
from domain.award import Remedy
from domain.evaluation import Member
from domain.grievance import (
    ComplaintStage,
    GrievanceCommittee,
    GrievanceStatus,
    TenderComplaints,
    check_stage_window,
    committee_id_for,
    complaints_id_for,
)
from domain.rules import PROFILE_NAMES, UnknownProfileError, grievance_rules
from domain.values import Actor, Role
from tests.support import START, officer, vendor

NOW = START
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
ENTITY = "wsd"
RULES = grievance_rules("sppra")  # 7 days to decide, 10 to appeal, 30 to decide an appeal
DECIDED = NOW + 2 * DAY
AWARD = uuid4()


def refusal(command: Callable[[], object], aggregate: Any) -> errors.ProcurementError:
    """The error the command is refused with; it leaves no event behind."""
    version = aggregate.version
    with pytest.raises(errors.ProcurementError) as refused:
        command()
    assert aggregate.version == version
    assert aggregate._pending_events == []
    return refused.value


def code(error: errors.ProcurementError) -> tuple[type[errors.ProcurementError], str]:
    return type(error), error.code


@dataclass
class Case:
    """A tender's complaints file, one complainant, the panel of three, the regulator."""

    complaints: TenderComplaints
    complainant: Actor
    panel: list[Actor]
    regulator: Actor
    history: list[Any] = field(default_factory=list)

    def events(self) -> list[Any]:
        events = list(self.complaints.collect_events())
        self.history.extend(events)
        return events

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events()]

    def refused(self, command: Callable[[], object]) -> errors.ProcurementError:
        return refusal(command, self.complaints)

    def lodge(
        self,
        stage: ComplaintStage = ComplaintStage.DOCUMENTS,
        *,
        award_id: UUID | None = None,
        grounds: str = "The turnover criterion excludes small firms",
        complaint_id: UUID | None = None,
        by: Actor | None = None,
        at: datetime = NOW,
    ) -> UUID:
        complaint_id = complaint_id or uuid4()
        self.complaints.lodge(
            complaint_id=complaint_id,
            stage=stage,
            grounds=grounds,
            award_id=award_id,
            report_number=None,
            actor=by or self.complainant,
            timestamp=at,
        )
        return complaint_id

    def decide(
        self,
        complaint_id: UUID,
        *,
        upheld: bool = False,
        remedy: Remedy | None = None,
        reasons: str = "The criterion is lawful and proportionate",
        by: Actor | None = None,
        at: datetime = DECIDED,
    ) -> None:
        self.complaints.decide(
            complaint_id=complaint_id,
            upheld=upheld,
            remedy=remedy,
            reasons=reasons,
            panel=[member.account_id for member in self.panel],
            actor=by or self.panel[0],
            timestamp=at,
        )

    def mark_overdue(self, complaint_id: UUID, at: datetime) -> None:
        self.complaints.mark_overdue(complaint_id=complaint_id, actor=self.regulator, timestamp=at)

    def appeal(
        self,
        complaint_id: UUID,
        *,
        grounds: str = "The committee ignored our evidence",
        by: Actor | None = None,
        at: datetime = DECIDED + DAY,
    ) -> None:
        self.complaints.appeal(
            complaint_id=complaint_id, grounds=grounds, actor=by or self.complainant, timestamp=at
        )

    def decide_appeal(
        self,
        complaint_id: UUID,
        *,
        upheld: bool = True,
        remedy: Remedy | None = Remedy.AMEND_DOCUMENTS,
        reasons: str = "The criterion favours one firm",
        at: datetime = DECIDED + 5 * DAY,
    ) -> None:
        self.complaints.decide_appeal(
            complaint_id=complaint_id,
            upheld=upheld,
            remedy=remedy,
            reasons=reasons,
            actor=self.regulator,
            timestamp=at,
        )

    def status(self, complaint_id: UUID) -> GrievanceStatus:
        return self.complaints.complaint(complaint_id).status

    def holding(self, at: datetime, stage: ComplaintStage = ComplaintStage.DOCUMENTS) -> list[UUID]:
        return [c.id for c in self.complaints.holding(stage, at)]


def given() -> Case:
    """A complaints file opened for a tender under the SPPRA rules, no complaint yet."""
    tender_id = uuid4()
    complaints = TenderComplaints(tender_id=tender_id, entity=ENTITY, rules=RULES, timestamp=NOW)
    assert complaints.id == complaints_id_for(tender_id)
    regulator = Actor(account_id=uuid4(), role=Role.REGULATOR, request_id="regulator")
    case = Case(complaints, vendor(), [officer(ENTITY) for _ in range(3)], regulator)
    assert case.names() == ["Opened"]
    return case


# Lodging ---------------------------------------------------------------------------------


def test_a_complaint_is_lodged_with_the_date_the_committee_decides_by() -> None:
    case = given()
    complaint_id = case.lodge()
    [lodged] = case.events()
    assert isinstance(lodged, TenderComplaints.ComplaintLodged)
    assert (lodged.complaint_id, lodged.stage) == (complaint_id, ComplaintStage.DOCUMENTS)
    complaint = case.complaints.complaint(complaint_id)
    assert complaint.vendor_id == case.complainant.account_id
    assert complaint.decision_due == NOW + 7 * DAY
    assert complaint.status is GrievanceStatus.PENDING
    assert case.holding(NOW) == [complaint_id]


@pytest.mark.parametrize(
    ("stage", "award_id"),
    [
        (ComplaintStage.AWARD, None),
        (ComplaintStage.DOCUMENTS, AWARD),
        (ComplaintStage.FINAL_REPORT, AWARD),
    ],
)
def test_a_complaint_names_the_award_when_it_is_about_one_and_only_then(
    stage: ComplaintStage, award_id: UUID | None
) -> None:
    case = given()
    refused = case.refused(lambda: case.lodge(stage, award_id=award_id))
    assert code(refused) == (errors.InvalidTermsError, "invalid_terms")


@pytest.mark.parametrize("grounds", ["", "   ", "\n\t"])
def test_a_complaint_has_grounds(grounds: str) -> None:
    case = given()
    refused = case.refused(lambda: case.lodge(grounds=grounds))
    assert code(refused) == (errors.ReasonRequiredError, "reason_required")


def test_a_complaint_id_is_used_once() -> None:
    case = given()
    complaint_id = case.lodge()
    case.events()
    refused = case.refused(
        lambda: case.lodge(ComplaintStage.FINAL_REPORT, complaint_id=complaint_id)
    )
    assert code(refused) == (errors.ComplaintExistsError, "complaint_exists")


@pytest.mark.parametrize(
    ("opens", "closes", "now"),
    [
        (None, None, NOW),  # the stage is not open at all (no report yet)
        (NOW, None, NOW - SECOND),  # not open yet
        (NOW - DAY, NOW, NOW),  # closed: at the closing moment
        (NOW - DAY, NOW, NOW + DAY),
    ],
)
def test_a_stage_takes_no_complaint_outside_its_window(
    opens: datetime | None, closes: datetime | None, now: datetime
) -> None:
    with pytest.raises(errors.ComplaintStageClosedError) as refused:
        check_stage_window(opens, closes, now)
    assert refused.value.code == "complaint_stage_closed"


@pytest.mark.parametrize(
    ("opens", "closes", "now"),
    [(NOW, None, NOW), (NOW - DAY, NOW, NOW - SECOND), (NOW, NOW + DAY, NOW)],
)
def test_a_stage_takes_complaints_from_its_opening_until_before_its_close(
    opens: datetime, closes: datetime | None, now: datetime
) -> None:
    check_stage_window(opens, closes, now)


# Deciding --------------------------------------------------------------------------------


def test_a_dismissed_complaint_holds_its_step_until_the_time_to_appeal_ends() -> None:
    case = given()
    complaint_id = case.lodge()
    case.events()
    case.decide(complaint_id, reasons="The criterion is lawful")
    [decided] = case.events()
    assert isinstance(decided, TenderComplaints.ComplaintDecided)
    decision = case.complaints.complaint(complaint_id).decision
    assert decision is not None
    assert (decision.upheld, decision.remedy, decision.reasons) == (
        False,
        None,
        "The criterion is lawful",
    )
    assert decision.decided_by == case.panel[0].account_id
    assert decision.panel == tuple(m.account_id for m in case.panel)
    assert case.status(complaint_id) is GrievanceStatus.DISMISSED
    appeal_ends = DECIDED + 10 * DAY
    assert case.complaints.complaint(complaint_id).appealable_until(RULES) == appeal_ends
    assert case.holding(appeal_ends - SECOND) == [complaint_id]
    assert case.holding(appeal_ends) == []


@pytest.mark.parametrize(
    ("stage", "remedy"),
    [
        (ComplaintStage.DOCUMENTS, Remedy.AMEND_DOCUMENTS),
        (ComplaintStage.DOCUMENTS, Remedy.CANCEL_PROCUREMENT),
        (ComplaintStage.TECHNICAL_REPORT, Remedy.REOPEN_EVALUATION),
        (ComplaintStage.FINAL_REPORT, Remedy.REOPEN_EVALUATION),
        (ComplaintStage.FINAL_REPORT, Remedy.CANCEL_PROCUREMENT),
        (ComplaintStage.AWARD, Remedy.CANCEL_AWARD),
        (ComplaintStage.AWARD, Remedy.REOPEN_EVALUATION),
    ],
)
def test_an_upheld_complaint_orders_a_remedy_of_its_stage_and_holds_nothing(
    stage: ComplaintStage, remedy: Remedy
) -> None:
    case = given()
    award_id = AWARD if stage is ComplaintStage.AWARD else None
    complaint_id = case.lodge(stage, award_id=award_id)
    case.decide(complaint_id, upheld=True, remedy=remedy)
    assert case.names() == ["ComplaintLodged", "ComplaintDecided"]
    assert case.status(complaint_id) is GrievanceStatus.UPHELD
    assert case.holding(DECIDED, stage) == []
    complaint = case.complaints.complaint(complaint_id)
    assert complaint.appealable_until(RULES) is None  # the complainant won


@pytest.mark.parametrize(
    ("stage", "remedy"),
    [
        (ComplaintStage.DOCUMENTS, Remedy.CANCEL_AWARD),
        (ComplaintStage.DOCUMENTS, Remedy.REOPEN_EVALUATION),
        (ComplaintStage.TECHNICAL_REPORT, Remedy.AMEND_DOCUMENTS),
        (ComplaintStage.TECHNICAL_REPORT, Remedy.CANCEL_AWARD),
        (ComplaintStage.FINAL_REPORT, Remedy.CANCEL_AWARD),
        (ComplaintStage.AWARD, Remedy.AMEND_DOCUMENTS),
    ],
)
def test_a_remedy_of_another_stage_is_refused(stage: ComplaintStage, remedy: Remedy) -> None:
    case = given()
    award_id = AWARD if stage is ComplaintStage.AWARD else None
    complaint_id = case.lodge(stage, award_id=award_id)
    case.events()
    refused = case.refused(lambda: case.decide(complaint_id, upheld=True, remedy=remedy))
    assert code(refused) == (errors.InvalidTermsError, "invalid_terms")
    assert case.status(complaint_id) is GrievanceStatus.PENDING


@pytest.mark.parametrize(
    ("upheld", "remedy", "reasons", "refusal_code"),
    [
        (True, None, "It is unfair", (errors.ReasonRequiredError, "reason_required")),
        (False, Remedy.AMEND_DOCUMENTS, "Lawful", (errors.InvalidTermsError, "invalid_terms")),
        (False, None, " ", (errors.ReasonRequiredError, "reason_required")),
        (True, Remedy.AMEND_DOCUMENTS, "", (errors.ReasonRequiredError, "reason_required")),
    ],
)
def test_a_decision_has_reasons_and_a_remedy_exactly_when_upheld(
    upheld: bool,
    remedy: Remedy | None,
    reasons: str,
    refusal_code: tuple[type[errors.ProcurementError], str],
) -> None:
    case = given()
    complaint_id = case.lodge()
    case.events()
    refused = case.refused(
        lambda: case.decide(complaint_id, upheld=upheld, remedy=remedy, reasons=reasons)
    )
    assert code(refused) == refusal_code


@pytest.mark.parametrize("who", ["another officer", "the regulator", "the complainant"])
def test_only_a_member_of_the_panel_records_its_decision(who: str) -> None:
    case = given()
    complaint_id = case.lodge()
    case.events()
    actor = {
        "another officer": officer(ENTITY),
        "the regulator": case.regulator,
        "the complainant": case.complainant,
    }[who]
    refused = case.refused(lambda: case.decide(complaint_id, by=actor))
    assert code(refused) == (errors.NotGrievanceChairError, "not_grievance_chair")
    case.decide(complaint_id, by=case.panel[2])
    assert case.names() == ["ComplaintDecided"]


def test_a_complaint_is_decided_once() -> None:
    case = given()
    complaint_id = case.lodge()
    case.decide(complaint_id)
    case.events()
    refused = case.refused(
        lambda: case.decide(complaint_id, upheld=True, remedy=Remedy.AMEND_DOCUMENTS)
    )
    assert code(refused) == (errors.ComplaintDecidedError, "complaint_decided")


def test_an_unknown_complaint_is_not_found() -> None:
    case = given()
    refused = case.refused(lambda: case.decide(uuid4()))
    assert code(refused) == (errors.ComplaintNotFoundError, "complaint_not_found")
    refused = case.refused(lambda: case.appeal(uuid4()))
    assert code(refused) == (errors.ComplaintNotFoundError, "complaint_not_found")


def test_the_standing_order_to_amend_the_documents_is_the_latest() -> None:
    case = given()
    assert case.complaints.amendment_ordered_at() is None
    first, second, about_the_award = (
        case.lodge(),
        case.lodge(),
        case.lodge(ComplaintStage.AWARD, award_id=AWARD),
    )
    case.decide(first, upheld=True, remedy=Remedy.AMEND_DOCUMENTS, at=DECIDED)
    case.decide(second, upheld=True, remedy=Remedy.AMEND_DOCUMENTS, at=DECIDED + DAY)
    case.decide(about_the_award, upheld=True, remedy=Remedy.CANCEL_AWARD, at=DECIDED + 2 * DAY)
    assert case.complaints.amendment_ordered_at() == DECIDED + DAY


# Overdue ---------------------------------------------------------------------------------


def test_a_complaint_undecided_at_its_date_is_marked_overdue_once() -> None:
    case = given()
    complaint_id = case.lodge()
    case.events()
    due = NOW + 7 * DAY
    assert case.complaints.due(due - SECOND) == []
    refused = case.refused(lambda: case.mark_overdue(complaint_id, due - SECOND))
    assert code(refused) == (errors.ComplaintStageClosedError, "complaint_stage_closed")
    assert case.complaints.due(due) == [(complaint_id, False)]
    case.mark_overdue(complaint_id, due)
    assert case.names() == ["ComplaintOverdue"]
    assert case.status(complaint_id) is GrievanceStatus.OVERDUE
    assert case.complaints.due(due + DAY) == []
    refused = case.refused(lambda: case.mark_overdue(complaint_id, due + DAY))
    assert code(refused) == (errors.ComplaintDecidedError, "complaint_decided")
    assert case.holding(due + 100 * DAY) == [complaint_id]  # silence settles nothing


def test_a_decided_complaint_is_not_overdue() -> None:
    case = given()
    complaint_id = case.lodge()
    case.decide(complaint_id)
    case.events()
    refused = case.refused(lambda: case.mark_overdue(complaint_id, NOW + 30 * DAY))
    assert code(refused) == (errors.ComplaintDecidedError, "complaint_decided")


def test_the_committee_may_still_decide_an_overdue_complaint() -> None:
    case = given()
    complaint_id = case.lodge()
    case.mark_overdue(complaint_id, NOW + 7 * DAY)
    case.decide(complaint_id, at=NOW + 8 * DAY)
    assert case.names() == ["ComplaintLodged", "ComplaintOverdue", "ComplaintDecided"]
    assert case.status(complaint_id) is GrievanceStatus.DISMISSED
    appeal_ends = case.complaints.complaint(complaint_id).appealable_until(RULES)
    assert appeal_ends == NOW + 18 * DAY  # from the late decision


# Appeals ---------------------------------------------------------------------------------


def test_the_complainant_appeals_a_dismissal_before_its_time_ends() -> None:
    case = given()
    complaint_id = case.lodge()
    case.decide(complaint_id)
    case.events()
    ends = DECIDED + 10 * DAY
    refused = case.refused(lambda: case.appeal(complaint_id, by=vendor()))
    assert code(refused) == (errors.ForbiddenError, "forbidden")
    refused = case.refused(lambda: case.appeal(complaint_id, grounds=" "))
    assert code(refused) == (errors.ReasonRequiredError, "reason_required")
    refused = case.refused(lambda: case.appeal(complaint_id, at=ends))
    assert code(refused) == (errors.ComplaintNotAppealableError, "complaint_not_appealable")
    case.appeal(complaint_id, at=ends - SECOND)
    assert case.names() == ["AppealLodged"]
    assert case.status(complaint_id) is GrievanceStatus.APPEALED
    appeal = case.complaints.complaint(complaint_id).appeal
    assert appeal is not None
    assert (appeal.lodged_at, appeal.decision_due) == (ends - SECOND, ends - SECOND + 30 * DAY)
    assert case.holding(ends + DAY) == [complaint_id]  # held again, until the regulator decides


def test_a_complaint_is_appealed_once() -> None:
    case = given()
    complaint_id = case.lodge()
    case.decide(complaint_id)
    case.appeal(complaint_id)
    case.events()
    refused = case.refused(lambda: case.appeal(complaint_id))
    assert code(refused) == (errors.ComplaintNotAppealableError, "complaint_not_appealable")


def test_a_pending_or_upheld_complaint_is_not_appealed() -> None:
    case = given()
    pending, upheld = case.lodge(), case.lodge()
    case.decide(upheld, upheld=True, remedy=Remedy.AMEND_DOCUMENTS)
    case.events()
    for complaint_id in (pending, upheld):
        refused = case.refused(partial(case.appeal, complaint_id))
        assert code(refused) == (errors.ComplaintNotAppealableError, "complaint_not_appealable")


def test_the_committees_silence_is_appealed_within_the_period_from_its_date() -> None:
    case = given()
    complaint_id = case.lodge()
    due = NOW + 7 * DAY
    case.mark_overdue(complaint_id, due)
    case.events()
    refused = case.refused(lambda: case.appeal(complaint_id, at=due + 10 * DAY))
    assert code(refused) == (errors.ComplaintNotAppealableError, "complaint_not_appealable")
    case.appeal(complaint_id, at=due + 10 * DAY - SECOND)
    assert case.names() == ["AppealLodged"]


def test_no_decision_is_recorded_on_a_complaint_under_appeal() -> None:
    case = given()
    complaint_id = case.lodge()
    due = NOW + 7 * DAY
    case.mark_overdue(complaint_id, due)
    case.appeal(complaint_id, at=due + DAY)
    case.events()
    refused = case.refused(lambda: case.decide(complaint_id, at=due + 2 * DAY))
    assert code(refused) == (errors.AppealPendingError, "appeal_pending")
    refused = case.refused(lambda: case.mark_overdue(complaint_id, due + 2 * DAY))
    assert code(refused) == (errors.AppealPendingError, "appeal_pending")
    assert case.complaints.complaint(complaint_id).decision is None


def test_the_regulators_decision_stands_and_settles_the_complaint() -> None:
    case = given()
    complaint_id = case.lodge(ComplaintStage.AWARD, award_id=AWARD)
    case.decide(complaint_id)
    case.appeal(complaint_id)
    case.events()
    at = DECIDED + 5 * DAY
    assert [c.id for c in case.complaints.holding(ComplaintStage.AWARD, at, AWARD)] == [
        complaint_id
    ]
    refused = case.refused(lambda: case.decide_appeal(complaint_id, remedy=Remedy.AMEND_DOCUMENTS))
    assert code(refused) == (errors.InvalidTermsError, "invalid_terms")
    case.decide_appeal(complaint_id, remedy=Remedy.CANCEL_AWARD, at=at)
    assert case.names() == ["AppealDecided"]
    complaint = case.complaints.complaint(complaint_id)
    assert complaint.status is GrievanceStatus.APPEAL_UPHELD
    assert complaint.final_decision is not None
    assert complaint.final_decision.remedy is Remedy.CANCEL_AWARD
    assert complaint.final_decision.decided_by == case.regulator.account_id
    assert complaint.decision is not None  # the committee's, kept on record
    assert not complaint.decision.upheld
    assert case.complaints.holding(ComplaintStage.AWARD, at, AWARD) == []
    refused = case.refused(lambda: case.decide_appeal(complaint_id, upheld=False, remedy=None))
    assert code(refused) == (errors.ComplaintNotAppealableError, "complaint_not_appealable")


def test_an_appeal_dismissed_settles_the_complaint_at_once() -> None:
    case = given()
    complaint_id = case.lodge()
    case.decide(complaint_id)
    case.appeal(complaint_id)
    case.decide_appeal(complaint_id, upheld=False, remedy=None)
    assert case.status(complaint_id) is GrievanceStatus.APPEAL_DISMISSED
    assert case.holding(DECIDED + 5 * DAY) == []
    assert case.complaints.amendment_ordered_at() is None


def test_an_appeal_is_decided_only_when_lodged() -> None:
    case = given()
    complaint_id = case.lodge()
    case.decide(complaint_id)
    case.events()
    refused = case.refused(lambda: case.decide_appeal(complaint_id))
    assert code(refused) == (errors.ComplaintNotAppealableError, "complaint_not_appealable")


def test_an_appeal_undecided_at_its_date_is_marked_overdue_and_still_holds() -> None:
    case = given()
    complaint_id = case.lodge()
    case.decide(complaint_id)
    appealed = DECIDED + DAY
    case.appeal(complaint_id, at=appealed)
    case.events()
    due = appealed + 30 * DAY

    def mark(at: datetime) -> None:
        case.complaints.mark_appeal_overdue(
            complaint_id=complaint_id, actor=case.regulator, timestamp=at
        )

    refused = case.refused(lambda: mark(due - SECOND))
    assert code(refused) == (errors.ComplaintStageClosedError, "complaint_stage_closed")
    assert case.complaints.due(due) == [(complaint_id, True)]
    mark(due)
    assert case.names() == ["AppealOverdue"]
    assert case.status(complaint_id) is GrievanceStatus.APPEAL_OVERDUE
    assert case.holding(due + DAY) == [complaint_id]
    refused = case.refused(lambda: mark(due + DAY))
    assert code(refused) == (errors.ComplaintNotAppealableError, "complaint_not_appealable")
    case.decide_appeal(complaint_id, upheld=False, remedy=None, at=due + DAY)  # late, but binds
    assert case.status(complaint_id) is GrievanceStatus.APPEAL_DISMISSED


def test_a_complaint_about_one_award_does_not_hold_anothers_contract() -> None:
    case = given()
    complaint_id = case.lodge(ComplaintStage.AWARD, award_id=AWARD)
    assert [c.id for c in case.complaints.holding(ComplaintStage.AWARD, NOW, AWARD)] == [
        complaint_id
    ]
    assert case.complaints.holding(ComplaintStage.AWARD, NOW, uuid4()) == []
    assert case.complaints.holding(ComplaintStage.FINAL_REPORT, NOW) == []


# The grievance committee -----------------------------------------------------------------


def members(board: list[Actor], chair: int | None = 0) -> list[Member]:
    return [
        Member(account_id=actor.account_id, name=f"officer-{n}", chair=n == chair)
        for n, actor in enumerate(board)
    ]


def name(board: list[Actor], min_size: int = 3) -> GrievanceCommittee:
    return GrievanceCommittee(
        entity=ENTITY,
        members=members(board),
        min_size=min_size,
        actor=officer(ENTITY),
        timestamp=NOW,
    )


def test_the_head_names_the_committee_and_names_it_again() -> None:
    board = [officer(ENTITY) for _ in range(5)]
    committee = name(board[:3])
    assert committee.id == committee_id_for(ENTITY)
    assert committee.chair.account_id == board[0].account_id
    committee.reconstitute(
        members=members(board, chair=4), min_size=3, actor=officer(ENTITY), timestamp=NOW + DAY
    )
    assert [type(e).__name__ for e in committee.collect_events()] == [
        "CommitteeNamed",
        "CommitteeReconstituted",
    ]
    assert len(committee.members) == 5
    assert committee.chair.account_id == board[4].account_id
    assert committee.named_at == NOW + DAY


@pytest.mark.parametrize(
    ("size", "chair", "twice"),
    [
        (1, 0, False),  # fewer than three
        (4, 0, False),  # even
        (3, None, False),  # no chair
        (3, 0, True),  # a member named twice
    ],
)
def test_a_committee_is_odd_at_least_the_minimum_with_one_chair_and_no_member_twice(
    size: int, chair: int | None, twice: bool
) -> None:
    board = [officer(ENTITY) for _ in range(size)]
    listed = members(board, chair)
    if twice:
        listed[2] = listed[1]
    with pytest.raises(errors.InvalidCommitteeError) as refused:
        GrievanceCommittee(
            entity=ENTITY, members=listed, min_size=3, actor=officer(ENTITY), timestamp=NOW
        )
    assert refused.value.code == "invalid_committee"


def test_two_chairs_are_refused_when_named_again() -> None:
    board = [officer(ENTITY) for _ in range(3)]
    committee = name(board)
    committee.collect_events()
    listed = [m.model_copy(update={"chair": True}) for m in members(board)]
    refused = refusal(
        lambda: committee.reconstitute(
            members=listed, min_size=3, actor=officer(ENTITY), timestamp=NOW
        ),
        committee,
    )
    assert code(refused) == (errors.InvalidCommitteeError, "invalid_committee")
    assert committee.members == tuple(members(board))


def test_the_panel_leaves_out_the_tenders_evaluators() -> None:
    board = [officer(ENTITY) for _ in range(5)]
    committee = name(board)
    assert committee.panel_for(frozenset(), 3) == tuple(a.account_id for a in board)
    evaluators = frozenset({board[1].account_id, board[3].account_id, uuid4()})
    assert committee.panel_for(evaluators, 3) == (
        board[0].account_id,
        board[2].account_id,
        board[4].account_id,
    )


@pytest.mark.parametrize(
    ("size", "evaluating"),
    [
        (5, [0]),  # the chair evaluates
        (3, [1]),  # two remain, fewer than three
        (5, [1]),  # four remain: even
    ],
)
def test_no_panel_when_the_chair_evaluates_or_too_few_or_an_even_number_remain(
    size: int, evaluating: list[int]
) -> None:
    board = [officer(ENTITY) for _ in range(size)]
    committee = name(board)
    with pytest.raises(errors.GrievancePanelConflictError) as refused:
        committee.panel_for(frozenset(board[n].account_id for n in evaluating), 3)
    assert refused.value.code == "grievance_panel_conflict"
    assert "officer-" in str(refused.value)  # names who sits on both


def test_no_panel_from_a_committee_smaller_than_the_tenders_minimum() -> None:
    committee = name([officer(ENTITY) for _ in range(3)], min_size=3)
    with pytest.raises(errors.InvalidCommitteeError) as refused:
        committee.panel_for(frozenset(), 5)
    assert refused.value.code == "invalid_committee"


# The rules and the entity's head ---------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_grievance_period_names_its_source_unverified(profile: str) -> None:
    rules = grievance_rules(profile)
    assert rules.citations
    for citation in rules.citations.values():
        assert citation.source
        assert citation.verified is False  # the gazetted text was not at hand
        assert citation.note
    assert rules.committee_min_size % 2 == 1


def test_grievance_periods_are_days_under_sppra_and_seconds_under_relaxed() -> None:
    assert grievance_rules("sppra").decision_period == 7 * DAY
    assert grievance_rules("relaxed").decision_period == 7 * SECOND
    with pytest.raises(UnknownProfileError):
        grievance_rules("lenient")


def account(role: Role) -> Account:
    return Account(
        username="o.khan@works" if role is not Role.VENDOR else "indus",
        role=role,
        entity=ENTITY if role is Role.OFFICER else None,
        vendor=(
            VendorProfile(legal_name="Indus Builders", ntn="1234567-8", contact_email="a@b.example")
            if role is Role.VENDOR
            else None
        ),
        password_hash="$argon2id$x",
        actor=officer(ENTITY),
        timestamp=NOW,
    )


def test_an_officer_is_designated_head_of_its_entity_and_stood_down() -> None:
    head = account(Role.OFFICER)
    head.collect_events()
    assert head.head_of_entity is False
    head.designate_head(head=True, actor=officer(ENTITY), timestamp=NOW)
    assert head.head_of_entity is True
    head.designate_head(head=False, actor=officer(ENTITY), timestamp=NOW + DAY)
    assert head.head_of_entity is False
    events = head.collect_events()
    assert [type(e).__name__ for e in events] == ["HeadOfEntityDesignated"] * 2
    assert [e.head for e in events] == [True, False]


@pytest.mark.parametrize("role", [Role.VENDOR, Role.AUDITOR, Role.ADMIN, Role.REGULATOR])
def test_only_an_officer_heads_an_entity(role: Role) -> None:
    someone = account(role)
    someone.collect_events()
    refused = refusal(
        lambda: someone.designate_head(head=True, actor=officer(ENTITY), timestamp=NOW), someone
    )
    assert code(refused) == (errors.InvalidTermsError, "invalid_terms")
    assert someone.head_of_entity is False


def test_a_disabled_officer_is_not_designated_head() -> None:
    head = account(Role.OFFICER)
    head.disable(reason="left the department", actor=officer(ENTITY), timestamp=NOW)
    head.collect_events()
    refused = refusal(
        lambda: head.designate_head(head=True, actor=officer(ENTITY), timestamp=NOW), head
    )
    assert code(refused) == (errors.AccountDisabledError, "account_disabled")
