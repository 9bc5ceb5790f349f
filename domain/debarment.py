"""A vendor's debarment record: the cases opened against it, its answers, the decisions.

One aggregate per vendor (its id derived from the vendor's), so whether a vendor may bid is
one load. A case is opened with its grounds by the regulator, or referred by the head of a
procuring entity; the vendor answers in writing before the hearing closes (the rules'
period); only then, or once the period has passed unanswered, the regulator decides: debarred
until a date no later than the rules' longest debarment, or dismissed, with reasons. A
debarment ends by itself at its date: ``debarred_at`` reads the record at a moment.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import (
    DebarmentCaseDecidedError,
    DebarmentCaseNotFoundError,
    ForbiddenError,
    HearingClosedError,
    HearingOpenError,
    InvalidTermsError,
    ReasonRequiredError,
    VendorDebarredError,
)
from domain.rules import GrievanceRules, human_period
from domain.values import Actor, ValueObject

DEBARMENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:debarment")


def debarment_id_for(vendor_id: UUID) -> UUID:
    return uuid5(DEBARMENT_NAMESPACE, str(vendor_id))


class CaseStatus(StrEnum):
    HEARING = "hearing"  # opened; the vendor may answer until the hearing closes
    DEBARRED = "debarred"
    DISMISSED = "dismissed"


class DebarmentCase(ValueObject):
    id: UUID
    grounds: str
    opened_at: datetime
    opened_by: UUID
    referred_by_entity: str | None = None
    hearing_closes: datetime
    answer: str | None = None
    answered_at: datetime | None = None
    status: CaseStatus = CaseStatus.HEARING
    reasons: str | None = None
    decided_at: datetime | None = None
    debarred_until: datetime | None = None

    def debars_at(self, moment: datetime) -> bool:
        return (
            self.status is CaseStatus.DEBARRED
            and self.decided_at is not None
            and self.debarred_until is not None
            and self.decided_at <= moment < self.debarred_until
        )


def _text(text: str, what: str) -> None:
    if not text.strip():
        raise ReasonRequiredError(f"{what} is required")


class Debarment(Aggregate):
    TOPIC = "procurement:Debarment"

    class Created(Aggregate.Created):
        TOPIC = "procurement:Debarment.Created"

    class RecordOpened(Aggregate.Created):
        TOPIC = "procurement:Debarment.RecordOpened"
        vendor_id: UUID
        vendor_name: str
        rules: GrievanceRules

    class CaseOpened(Aggregate.Event):
        TOPIC = "procurement:Debarment.CaseOpened"
        case_id: UUID
        grounds: str
        referred_by_entity: str | None
        actor: Actor

    class CaseAnswered(Aggregate.Event):
        TOPIC = "procurement:Debarment.CaseAnswered"
        case_id: UUID
        answer: str
        actor: Actor

    class CaseDecided(Aggregate.Event):
        TOPIC = "procurement:Debarment.CaseDecided"
        case_id: UUID
        debarred_until: datetime | None
        reasons: str
        actor: Actor

    @staticmethod
    def create_id(vendor_id: UUID, **_: object) -> UUID:
        return debarment_id_for(vendor_id)

    @event(RecordOpened)
    def __init__(
        self, *, vendor_id: UUID, vendor_name: str, rules: GrievanceRules, timestamp: datetime
    ) -> None:
        self.vendor_id = vendor_id
        self.vendor_name = vendor_name
        self.rules = rules
        self.cases: dict[UUID, DebarmentCase] = {}

    def case(self, case_id: UUID) -> DebarmentCase:
        found = self.cases.get(case_id)
        if found is None:
            raise DebarmentCaseNotFoundError(f"no debarment case {case_id} for this vendor")
        return found

    def _in_hearing(self, case_id: UUID) -> DebarmentCase:
        found = self.case(case_id)
        if found.status is not CaseStatus.HEARING:
            raise DebarmentCaseDecidedError(f"the case was decided: {found.status.value}")
        return found

    @event(CaseOpened)
    def open_case(
        self,
        *,
        case_id: UUID,
        grounds: str,
        referred_by_entity: str | None,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        if case_id in self.cases:
            raise InvalidTermsError(f"case {case_id} is already open")
        _text(grounds, "the grounds of the case")
        self.cases[case_id] = DebarmentCase(
            id=case_id,
            grounds=grounds,
            opened_at=timestamp,
            opened_by=actor.account_id,
            referred_by_entity=referred_by_entity,
            hearing_closes=timestamp + self.rules.hearing_period,
        )

    @event(CaseAnswered)
    def answer(self, *, case_id: UUID, answer: str, actor: Actor, timestamp: datetime) -> None:
        found = self._in_hearing(case_id)
        if actor.account_id != self.vendor_id:
            raise ForbiddenError("only the vendor answers its case")
        _text(answer, "the answer")
        if found.answered_at is not None:
            raise DebarmentCaseDecidedError("the vendor has answered: the answer stands")
        if timestamp >= found.hearing_closes:
            raise HearingClosedError(
                f"the time to answer ended at {found.hearing_closes.isoformat()}"
            )
        self.cases[case_id] = found.model_copy(update={"answer": answer, "answered_at": timestamp})

    @event(CaseDecided)
    def decide(
        self,
        *,
        case_id: UUID,
        debarred_until: datetime | None,
        reasons: str,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        found = self._in_hearing(case_id)
        _text(reasons, "the reasons of the decision")
        if found.answered_at is None and timestamp < found.hearing_closes:
            raise HearingOpenError(
                f"the vendor may answer until {found.hearing_closes.isoformat()}: the "
                "decision waits for its answer or that time"
            )
        if debarred_until is not None:
            if debarred_until <= timestamp:
                raise InvalidTermsError("a debarment ends after it is decided")
            if debarred_until - timestamp > self.rules.max_debarment:
                raise InvalidTermsError(
                    f"a debarment lasts at most {human_period(self.rules.max_debarment)}"
                )
        self.cases[case_id] = found.model_copy(
            update={
                "status": CaseStatus.DISMISSED if debarred_until is None else CaseStatus.DEBARRED,
                "reasons": reasons,
                "decided_at": timestamp,
                "debarred_until": debarred_until,
            }
        )

    def debarred_at(self, moment: datetime) -> DebarmentCase | None:
        """The case that debars the vendor at ``moment`` (the one ending last), if any."""
        live = [c for c in self.cases.values() if c.debars_at(moment)]
        return max(live, key=lambda c: c.debarred_until or moment, default=None)

    def check_not_debarred(self, moment: datetime) -> None:
        case = self.debarred_at(moment)
        if case is not None and case.debarred_until is not None:
            raise VendorDebarredError(
                f"debarred until {case.debarred_until.isoformat()} (case {case.id})"
            )
