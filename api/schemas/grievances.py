"""Bodies and answers of complaints, appeals, grievance committees and debarment cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import STATED, Body, Rfc3339
from domain.award import Remedy
from domain.debarment import CaseStatus, Debarment, DebarmentCase
from domain.fields import ShortId
from domain.grievance import ComplaintStage, Decision, Grievance, GrievanceStatus
from domain.text import MULTI_LINE

Grounds = Annotated[str, Field(min_length=1, max_length=20000), MULTI_LINE, STATED]
MAX_COMMITTEE = 15


class StageComplaintIn(Body):
    stage: ComplaintStage
    grounds: Grounds
    award_id: UUID | None = None
    """The award complained of: with the stage ``award`` only."""


class AppealIn(Body):
    grounds: Grounds


class GrievanceCommitteeIn(Body):
    members: Annotated[list[ShortId], Field(min_length=1, max_length=MAX_COMMITTEE)]
    """Usernames of the entity's officers: an odd number, at least the rules' minimum."""
    chair: ShortId


class DebarmentCaseIn(Body):
    vendor_id: UUID
    grounds: Grounds


class DebarmentAnswerIn(Body):
    answer: Grounds


class DebarmentDecisionIn(Body):
    outcome: Literal["debarred", "dismissed"]
    debarred_until: Rfc3339 | None = None
    """The debarment's end (with ``debarred``): it ends by itself then."""
    reasons: Grounds

    @model_validator(mode="after")
    def _until_with_debarment(self) -> Self:
        if (self.outcome == "debarred") != (self.debarred_until is not None):
            msg = "debarred_until goes with the outcome debarred, and only with it"
            raise ValueError(msg)
        return self


class HeadIn(Body):
    head: bool
    """Whether the officer heads its procuring entity."""


class DecisionOut(BaseModel):
    upheld: bool
    remedy: Remedy | None
    reasons: str
    decided_at: datetime
    panel_size: int

    @classmethod
    def of(cls, decision: Decision | None) -> DecisionOut | None:
        if decision is None:
            return None
        return cls(
            upheld=decision.upheld,
            remedy=decision.remedy,
            reasons=decision.reasons,
            decided_at=decision.decided_at,
            panel_size=len(decision.panel),
        )


class AppealOut(BaseModel):
    grounds: str
    lodged_at: datetime
    decision_due: datetime
    overdue: bool
    decision: DecisionOut | None


class ComplaintRecordOut(BaseModel):
    """A complaint with its grounds: for its complainant, the entity's officers and the
    regulator (the public sees it without the grounds and the complainant)."""

    id: UUID
    stage: ComplaintStage
    status: GrievanceStatus
    vendor_id: UUID
    grounds: str
    award_id: UUID | None
    report_number: int | None
    lodged_at: datetime
    decision_due: datetime
    overdue: bool
    decision: DecisionOut | None
    appeal: AppealOut | None

    @classmethod
    def of(cls, complaint: Grievance) -> ComplaintRecordOut:
        appeal = complaint.appeal
        return cls(
            id=complaint.id,
            stage=complaint.stage,
            status=complaint.status,
            vendor_id=complaint.vendor_id,
            grounds=complaint.grounds,
            award_id=complaint.award_id,
            report_number=complaint.report_number,
            lodged_at=complaint.lodged_at,
            decision_due=complaint.decision_due,
            overdue=complaint.overdue,
            decision=DecisionOut.of(complaint.decision),
            appeal=None
            if appeal is None
            else AppealOut(
                grounds=appeal.grounds,
                lodged_at=appeal.lodged_at,
                decision_due=appeal.decision_due,
                overdue=appeal.overdue,
                decision=DecisionOut.of(appeal.decision),
            ),
        )


class ComplaintRecordsOut(BaseModel):
    tender_id: UUID
    complaints: list[ComplaintRecordOut]

    @classmethod
    def of(cls, tender_id: UUID, found: list[Grievance]) -> ComplaintRecordsOut:
        return cls(tender_id=tender_id, complaints=[ComplaintRecordOut.of(c) for c in found])


class DebarmentCaseOut(BaseModel):
    id: UUID
    grounds: str
    referred_by_entity: str | None
    opened_at: datetime
    hearing_closes: datetime
    answer: str | None
    answered_at: datetime | None
    status: CaseStatus
    reasons: str | None
    decided_at: datetime | None
    debarred_until: datetime | None

    @classmethod
    def of(cls, case: DebarmentCase) -> DebarmentCaseOut:
        return cls(**case.model_dump(exclude={"opened_by"}))


class DebarmentRecordOut(BaseModel):
    vendor_id: UUID
    vendor_name: str
    debarred_now: bool
    cases: list[DebarmentCaseOut]

    @classmethod
    def of(cls, record: Debarment, now: datetime, *, full: bool = True) -> DebarmentRecordOut:
        """Not ``full`` (for officers): the decided cases only, without the vendor's answer;
        a case in hearing and the vendor's defence are the regulator's and the vendor's."""
        cases = [
            DebarmentCaseOut.of(c)
            if full
            else DebarmentCaseOut.of(c).model_copy(update={"answer": None})
            for c in record.cases.values()
            if full or c.status is not CaseStatus.HEARING
        ]
        return cls(
            vendor_id=record.vendor_id,
            vendor_name=record.vendor_name,
            debarred_now=record.debarred_at(now) is not None,
            cases=cases,
        )
