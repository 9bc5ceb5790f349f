"""Complaints at every stage of a tender, the entity's grievance committee that decides
them, and the appeals the regulator hears.

A tender's complaints live in one ``TenderComplaints`` aggregate (its id derived from the
tender's), so the step a complaint holds (the opening, the financial opening, the award, the
contract) is checked with one load. A complaint concerns one stage:

- ``documents``: the notice and its documents, until the submission deadline, by any vendor;
  it holds the opening;
- ``technical_report``: the technical evaluation (two envelopes), until the financial
  opening, by a bidder; it holds the financial opening;
- ``final_report``: the evaluation report, within the rules' period of its publication and
  before an award on it, by a bidder; it holds the award;
- ``award``: during the award's standstill, by a bidder; it holds the contract.

The entity's grievance committee decides it within the rules' period; the scheduler marks an
undecided complaint overdue, and the complainant may then appeal, as after a dismissal. The
regulator's decision on the appeal binds. A complaint holds its step until it is settled:
upheld, or dismissed with the appeal period passed unappealed, or decided on appeal.

Whether a stage is open is decided by the application from the tender, the evaluation and the
award (``check_stage_open``); the aggregate records the complaint and guards its life.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from domain.award import Remedy
from domain.errors import (
    AppealPendingError,
    ComplaintDecidedError,
    ComplaintExistsError,
    ComplaintNotAppealableError,
    ComplaintNotFoundError,
    ComplaintStageClosedError,
    ForbiddenError,
    GrievancePanelConflictError,
    InvalidCommitteeError,
    InvalidTermsError,
    NotGrievanceChairError,
    ReasonRequiredError,
)
from domain.evaluation.values import Member
from domain.rules import GrievanceRules
from domain.values import Actor, ValueObject

GRIEVANCE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:grievance")

Text = Annotated[str, Field(min_length=1, max_length=20000)]


def complaints_id_for(tender_id: UUID) -> UUID:
    return uuid5(GRIEVANCE_NAMESPACE, f"complaints:{tender_id}")


def committee_id_for(entity: str) -> UUID:
    return uuid5(GRIEVANCE_NAMESPACE, f"committee:{entity}")


class ComplaintStage(StrEnum):
    DOCUMENTS = "documents"
    TECHNICAL_REPORT = "technical_report"
    FINAL_REPORT = "final_report"
    AWARD = "award"


REMEDIES: dict[ComplaintStage, frozenset[Remedy]] = {
    ComplaintStage.DOCUMENTS: frozenset({Remedy.AMEND_DOCUMENTS, Remedy.CANCEL_PROCUREMENT}),
    ComplaintStage.TECHNICAL_REPORT: frozenset(
        {Remedy.REOPEN_EVALUATION, Remedy.CANCEL_PROCUREMENT}
    ),
    ComplaintStage.FINAL_REPORT: frozenset({Remedy.REOPEN_EVALUATION, Remedy.CANCEL_PROCUREMENT}),
    ComplaintStage.AWARD: frozenset(
        {Remedy.CANCEL_AWARD, Remedy.REOPEN_EVALUATION, Remedy.CANCEL_PROCUREMENT}
    ),
}
"""What an upheld complaint of each stage may order (the committee or the regulator)."""


class GrievanceStatus(StrEnum):
    PENDING = "pending"
    OVERDUE = "overdue"  # pending past the committee's decision date: appealable
    UPHELD = "upheld"
    DISMISSED = "dismissed"
    APPEALED = "appealed"
    APPEAL_OVERDUE = "appeal_overdue"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_DISMISSED = "appeal_dismissed"


class Decision(ValueObject):
    upheld: bool
    remedy: Remedy | None
    reasons: str
    decided_at: datetime
    decided_by: UUID
    panel: tuple[UUID, ...] = ()
    """The committee members who decided (the committee less any member who evaluates the
    tender); empty for the regulator's decision."""


class Appeal(ValueObject):
    grounds: str
    lodged_at: datetime
    decision_due: datetime
    overdue: bool = False
    decision: Decision | None = None


class Grievance(ValueObject):
    """One complaint and what became of it."""

    id: UUID
    stage: ComplaintStage
    vendor_id: UUID
    grounds: str
    lodged_at: datetime
    decision_due: datetime
    award_id: UUID | None = None
    report_number: int | None = None
    overdue: bool = False
    decision: Decision | None = None
    appeal: Appeal | None = None

    @property
    def status(self) -> GrievanceStatus:
        appeal = self.appeal
        if appeal is not None:
            if appeal.decision is not None:
                upheld = appeal.decision.upheld
                return GrievanceStatus.APPEAL_UPHELD if upheld else GrievanceStatus.APPEAL_DISMISSED
            return GrievanceStatus.APPEAL_OVERDUE if appeal.overdue else GrievanceStatus.APPEALED
        if self.decision is not None:
            return GrievanceStatus.UPHELD if self.decision.upheld else GrievanceStatus.DISMISSED
        return GrievanceStatus.OVERDUE if self.overdue else GrievanceStatus.PENDING

    def appealable_until(self, rules: GrievanceRules) -> datetime | None:
        """The end of the complainant's time to appeal, or None while there is none: a
        dismissal opens it, and so does the committee's silence past its date."""
        if self.appeal is not None:
            return None
        if self.decision is not None:
            return None if self.decision.upheld else self.decision.decided_at + rules.appeal_period
        if self.overdue:
            return self.decision_due + rules.appeal_period
        return None

    def settled(self, rules: GrievanceRules, now: datetime) -> bool:
        """Whether the complaint no longer holds its step."""
        if self.appeal is not None:
            return self.appeal.decision is not None
        if self.decision is None:
            return False
        return self.decision.upheld or now >= self.decision.decided_at + rules.appeal_period

    @property
    def final_decision(self) -> Decision | None:
        """The decision that stands: the regulator's on appeal, else the committee's."""
        if self.appeal is not None:
            return self.appeal.decision
        return self.decision


def check_remedy(stage: ComplaintStage, *, upheld: bool, remedy: Remedy | None) -> None:
    if upheld and remedy is None:
        raise ReasonRequiredError("an upheld complaint needs its remedy")
    if not upheld and remedy is not None:
        raise InvalidTermsError("a dismissed complaint has no remedy")
    if remedy is not None and Remedy(remedy) not in REMEDIES[ComplaintStage(stage)]:
        allowed = ", ".join(sorted(r.value for r in REMEDIES[ComplaintStage(stage)]))
        raise InvalidTermsError(f"a complaint about the {stage} may order: {allowed}")


def check_text(text: str, what: str) -> None:
    if not text.strip():
        raise ReasonRequiredError(f"{what} is required")


def check_stage_window(opens: datetime | None, closes: datetime | None, now: datetime) -> None:
    """A stage takes complaints from ``opens`` until before ``closes`` (None: not open)."""
    if opens is None or now < opens:
        raise ComplaintStageClosedError("complaints about this stage are not open yet")
    if closes is not None and now >= closes:
        raise ComplaintStageClosedError(
            f"complaints about this stage closed at {closes.isoformat()}"
        )


class GrievanceCommittee(Aggregate):
    """An entity's grievance (complaint redressal) committee, named by the entity's head:
    an odd number of members, at least the rules' minimum, one of them the chair. Its
    composition is public."""

    TOPIC = "procurement:GrievanceCommittee"

    class Created(Aggregate.Created):
        TOPIC = "procurement:GrievanceCommittee.Created"

    class CommitteeNamed(Aggregate.Created):
        TOPIC = "procurement:GrievanceCommittee.CommitteeNamed"
        entity: str
        members: list[Member]
        min_size: int
        actor: Actor

    class CommitteeReconstituted(Aggregate.Event):
        TOPIC = "procurement:GrievanceCommittee.CommitteeReconstituted"
        members: list[Member]
        min_size: int
        actor: Actor

    @staticmethod
    def create_id(entity: str, **_: object) -> UUID:
        return committee_id_for(entity)

    @event(CommitteeNamed)
    def __init__(
        self,
        *,
        entity: str,
        members: list[Member],
        min_size: int,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.check_members(members, min_size)
        self.entity = entity
        self.members = tuple(members)
        self.named_at = timestamp

    @event(CommitteeReconstituted)
    def reconstitute(
        self, *, members: list[Member], min_size: int, actor: Actor, timestamp: datetime
    ) -> None:
        self.check_members(members, min_size)
        self.members = tuple(members)
        self.named_at = timestamp

    @staticmethod
    def check_members(members: list[Member], min_size: int) -> None:
        ids = [m.account_id for m in members]
        if len(set(ids)) != len(ids):
            raise InvalidCommitteeError("a member is named once")
        if len(members) < min_size or len(members) % 2 == 0:
            raise InvalidCommitteeError(
                f"the grievance committee has an odd number of members, at least {min_size}"
            )
        if sum(m.chair for m in members) != 1:
            raise InvalidCommitteeError("the grievance committee has exactly one chair")

    @property
    def chair(self) -> Member:
        return next(m for m in self.members if m.chair)

    def panel_for(self, evaluators: frozenset[UUID], min_size: int) -> tuple[UUID, ...]:
        """The members who may decide a tender's complaints: none of them on its evaluation
        committee. Refused when the chair evaluates it or too few (or an even number) remain:
        the head then names another committee."""
        conflicted = [m for m in self.members if m.account_id in evaluators]
        panel = tuple(m.account_id for m in self.members if m.account_id not in evaluators)
        too_few = len(panel) < min_size or len(panel) % 2 == 0
        if too_few and not conflicted:  # named under a smaller minimum than the tender's
            raise InvalidCommitteeError(
                f"the grievance committee has fewer than {min_size} members: the head "
                "names it again"
            )
        if conflicted and (self.chair in conflicted or too_few):
            names = ", ".join(m.name for m in conflicted)
            raise GrievancePanelConflictError(
                f"{names} sit(s) on this tender's evaluation committee: the head names a "
                "grievance committee without them for it"
            )
        return panel


class TenderComplaints(Aggregate):
    """Every complaint about one tender, at every stage, and its appeal."""

    TOPIC = "procurement:TenderComplaints"

    class Created(Aggregate.Created):
        TOPIC = "procurement:TenderComplaints.Created"

    class Opened(Aggregate.Created):
        TOPIC = "procurement:TenderComplaints.Opened"
        tender_id: UUID
        entity: str
        rules: GrievanceRules

    class ComplaintLodged(Aggregate.Event):
        TOPIC = "procurement:TenderComplaints.ComplaintLodged"
        complaint_id: UUID
        stage: ComplaintStage
        grounds: str
        award_id: UUID | None
        report_number: int | None
        actor: Actor

    class ComplaintDecided(Aggregate.Event):
        TOPIC = "procurement:TenderComplaints.ComplaintDecided"
        complaint_id: UUID
        upheld: bool
        remedy: Remedy | None
        reasons: str
        panel: list[UUID]
        actor: Actor

    class ComplaintOverdue(Aggregate.Event):
        TOPIC = "procurement:TenderComplaints.ComplaintOverdue"
        complaint_id: UUID
        actor: Actor

    class AppealLodged(Aggregate.Event):
        TOPIC = "procurement:TenderComplaints.AppealLodged"
        complaint_id: UUID
        grounds: str
        actor: Actor

    class AppealDecided(Aggregate.Event):
        TOPIC = "procurement:TenderComplaints.AppealDecided"
        complaint_id: UUID
        upheld: bool
        remedy: Remedy | None
        reasons: str
        actor: Actor

    class AppealOverdue(Aggregate.Event):
        TOPIC = "procurement:TenderComplaints.AppealOverdue"
        complaint_id: UUID
        actor: Actor

    @staticmethod
    def create_id(tender_id: UUID, **_: object) -> UUID:
        return complaints_id_for(tender_id)

    @event(Opened)
    def __init__(
        self, *, tender_id: UUID, entity: str, rules: GrievanceRules, timestamp: datetime
    ) -> None:
        self.tender_id = tender_id
        self.entity = entity
        self.rules = rules
        self.complaints: dict[UUID, Grievance] = {}

    # Guards -------------------------------------------------------------------------------

    def complaint(self, complaint_id: UUID) -> Grievance:
        found = self.complaints.get(complaint_id)
        if found is None:
            raise ComplaintNotFoundError(f"no complaint {complaint_id} about this tender")
        return found

    def _undecided(self, complaint_id: UUID) -> Grievance:
        found = self.complaint(complaint_id)
        if found.appeal is not None:
            raise AppealPendingError("the complaint is under appeal: the regulator decides it")
        if found.decision is not None:
            raise ComplaintDecidedError("the complaint is already decided")
        return found

    # Commands -----------------------------------------------------------------------------

    @event(ComplaintLodged)
    def lodge(
        self,
        *,
        complaint_id: UUID,
        stage: ComplaintStage,
        grounds: str,
        award_id: UUID | None,
        report_number: int | None,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        if complaint_id in self.complaints:
            raise ComplaintExistsError("that complaint id is already used")
        check_text(grounds, "the grounds of the complaint")
        stage = ComplaintStage(stage)
        if (stage is ComplaintStage.AWARD) != (award_id is not None):
            raise InvalidTermsError("a complaint names the award it concerns, and only then")
        self.complaints[complaint_id] = Grievance(
            id=complaint_id,
            stage=stage,
            vendor_id=actor.account_id,
            grounds=grounds,
            lodged_at=timestamp,
            decision_due=timestamp + self.rules.decision_period,
            award_id=award_id,
            report_number=report_number,
        )

    @event(ComplaintDecided)
    def decide(
        self,
        *,
        complaint_id: UUID,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
        panel: list[UUID],
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        found = self._undecided(complaint_id)
        check_text(reasons, "the reasons of the decision")
        check_remedy(found.stage, upheld=upheld, remedy=remedy)
        if actor.account_id not in panel:
            raise NotGrievanceChairError("the decision is recorded by a member of its panel")
        self.complaints[complaint_id] = found.model_copy(
            update={
                "decision": Decision(
                    upheld=upheld,
                    remedy=None if remedy is None else Remedy(remedy),
                    reasons=reasons,
                    decided_at=timestamp,
                    decided_by=actor.account_id,
                    panel=tuple(panel),
                )
            }
        )

    @event(ComplaintOverdue)
    def mark_overdue(self, *, complaint_id: UUID, actor: Actor, timestamp: datetime) -> None:
        found = self._undecided(complaint_id)
        if found.overdue:
            raise ComplaintDecidedError("the complaint is already marked overdue")
        if timestamp < found.decision_due:
            raise ComplaintStageClosedError(
                f"the committee has until {found.decision_due.isoformat()}"
            )
        self.complaints[complaint_id] = found.model_copy(update={"overdue": True})

    @event(AppealLodged)
    def appeal(
        self, *, complaint_id: UUID, grounds: str, actor: Actor, timestamp: datetime
    ) -> None:
        found = self.complaint(complaint_id)
        if actor.account_id != found.vendor_id:
            raise ForbiddenError("only the complainant appeals its complaint's decision")
        check_text(grounds, "the grounds of the appeal")
        until = found.appealable_until(self.rules)
        if until is None:
            raise ComplaintNotAppealableError(
                "only a dismissed complaint, or one the committee did not decide in time, "
                "is appealed, once"
            )
        if timestamp >= until:
            raise ComplaintNotAppealableError(f"the time to appeal ended at {until.isoformat()}")
        self.complaints[complaint_id] = found.model_copy(
            update={
                "appeal": Appeal(
                    grounds=grounds,
                    lodged_at=timestamp,
                    decision_due=timestamp + self.rules.appeal_decision_period,
                )
            }
        )

    @event(AppealDecided)
    def decide_appeal(
        self,
        *,
        complaint_id: UUID,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        found = self.complaint(complaint_id)
        if found.appeal is None or found.appeal.decision is not None:
            raise ComplaintNotAppealableError("no appeal of this complaint awaits a decision")
        check_text(reasons, "the reasons of the decision")
        check_remedy(found.stage, upheld=upheld, remedy=remedy)
        decision = Decision(
            upheld=upheld,
            remedy=None if remedy is None else Remedy(remedy),
            reasons=reasons,
            decided_at=timestamp,
            decided_by=actor.account_id,
        )
        self.complaints[complaint_id] = found.model_copy(
            update={"appeal": found.appeal.model_copy(update={"decision": decision})}
        )

    @event(AppealOverdue)
    def mark_appeal_overdue(self, *, complaint_id: UUID, actor: Actor, timestamp: datetime) -> None:
        found = self.complaint(complaint_id)
        if found.appeal is None or found.appeal.decision is not None or found.appeal.overdue:
            raise ComplaintNotAppealableError("no undecided, punctual appeal of this complaint")
        if timestamp < found.appeal.decision_due:
            raise ComplaintStageClosedError(
                f"the regulator has until {found.appeal.decision_due.isoformat()}"
            )
        self.complaints[complaint_id] = found.model_copy(
            update={"appeal": found.appeal.model_copy(update={"overdue": True})}
        )

    # Queries ------------------------------------------------------------------------------

    def holding(
        self, stage: ComplaintStage, now: datetime, award_id: UUID | None = None
    ) -> list[Grievance]:
        """The complaints of ``stage`` (about ``award_id``, for the award) that still hold
        its step at ``now``."""
        return [
            c
            for c in self.complaints.values()
            if c.stage is stage
            and (award_id is None or c.award_id == award_id)
            and not c.settled(self.rules, now)
        ]

    def amendment_ordered_at(self) -> datetime | None:
        """When a decision that stands last ordered the documents amended (None: never)."""
        times = [
            decision.decided_at
            for c in self.complaints.values()
            if c.stage is ComplaintStage.DOCUMENTS
            and (decision := c.final_decision) is not None
            and decision.remedy is Remedy.AMEND_DOCUMENTS
        ]
        return max(times, default=None)

    def due(self, now: datetime) -> list[tuple[UUID, bool]]:
        """(complaint, is it the appeal) past their decision date, not yet marked overdue."""
        found: list[tuple[UUID, bool]] = []
        for c in self.complaints.values():
            if c.decision is None and c.appeal is None and not c.overdue and now >= c.decision_due:
                found.append((c.id, False))
            appeal = c.appeal
            if (
                appeal is not None
                and appeal.decision is None
                and not appeal.overdue
                and now >= appeal.decision_due
            ):
                found.append((c.id, True))
        return found
