"""Debarment: given events, when a command, then new events or an error (with its code).
No I/O."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors
from domain.debarment import CaseStatus, Debarment, debarment_id_for
from domain.rules import grievance_rules
from domain.values import Actor, Role
from tests.support import START, officer, vendor
from tests.unit.test_grievance import code, refusal

NOW = START
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
RULES = grievance_rules("sppra")  # 15 days to answer, at most 3 years (1095 days) debarred
CLOSES = NOW + 15 * DAY


@dataclass
class Case:
    record: Debarment
    vendor: Actor
    regulator: Actor
    history: list[Any] = field(default_factory=list)

    def names(self) -> list[str]:
        events = list(self.record.collect_events())
        self.history.extend(events)
        return [type(e).__name__ for e in events]

    def refused(self, command: Callable[[], object]) -> errors.ProcurementError:
        return refusal(command, self.record)

    def open(
        self,
        grounds: str = "Abandoned two contracts in 2025",
        *,
        case_id: UUID | None = None,
        referred_by: str | None = None,
        at: datetime = NOW,
    ) -> UUID:
        case_id = case_id or uuid4()
        self.record.open_case(
            case_id=case_id,
            grounds=grounds,
            referred_by_entity=referred_by,
            actor=officer(referred_by) if referred_by else self.regulator,
            timestamp=at,
        )
        return case_id

    def answer(
        self,
        case_id: UUID,
        answer: str = "The delays were the client's: see the site diary",
        *,
        by: Actor | None = None,
        at: datetime = NOW + DAY,
    ) -> None:
        self.record.answer(case_id=case_id, answer=answer, actor=by or self.vendor, timestamp=at)

    def decide(
        self,
        case_id: UUID,
        until: datetime | None,
        *,
        reasons: str = "The diary shows the vendor left the site",
        at: datetime = NOW + 2 * DAY,
    ) -> None:
        self.record.decide(
            case_id=case_id,
            debarred_until=until,
            reasons=reasons,
            actor=self.regulator,
            timestamp=at,
        )


def given() -> Case:
    """A vendor's debarment record, no case yet."""
    supplier = vendor()
    record = Debarment(
        vendor_id=supplier.account_id,
        vendor_name="Indus Builders (Pvt) Ltd",
        rules=RULES,
        timestamp=NOW,
    )
    assert record.id == debarment_id_for(supplier.account_id)
    regulator = Actor(account_id=uuid4(), role=Role.REGULATOR, request_id="regulator")
    case = Case(record, supplier, regulator)
    assert case.names() == ["RecordOpened"]
    return case


# Opening ---------------------------------------------------------------------------------


def test_a_case_opens_a_hearing_for_the_rules_period() -> None:
    case = given()
    case_id = case.open(referred_by="wsd")
    assert case.names() == ["CaseOpened"]
    opened = case.record.case(case_id)
    assert opened.status is CaseStatus.HEARING
    assert opened.hearing_closes == CLOSES
    assert opened.referred_by_entity == "wsd"
    assert case.record.debarred_at(NOW + DAY) is None  # a case alone debars nothing


def test_a_case_has_grounds_and_its_own_id() -> None:
    case = given()
    refused = case.refused(lambda: case.open(" "))
    assert code(refused) == (errors.ReasonRequiredError, "reason_required")
    case_id = case.open()
    case.names()
    refused = case.refused(lambda: case.open(case_id=case_id))
    assert code(refused) == (errors.InvalidTermsError, "invalid_terms")


# The hearing -----------------------------------------------------------------------------


def test_the_vendor_answers_once_before_the_hearing_closes() -> None:
    case = given()
    case_id = case.open()
    case.names()
    refused = case.refused(lambda: case.answer(case_id, by=vendor()))
    assert code(refused) == (errors.ForbiddenError, "forbidden")
    refused = case.refused(lambda: case.answer(case_id, "\t"))
    assert code(refused) == (errors.ReasonRequiredError, "reason_required")
    refused = case.refused(lambda: case.answer(case_id, at=CLOSES))
    assert code(refused) == (errors.HearingClosedError, "hearing_closed")
    case.answer(case_id, "We finished the works late, not never", at=CLOSES - SECOND)
    assert case.names() == ["CaseAnswered"]
    answered = case.record.case(case_id)
    assert (answered.answer, answered.answered_at) == (
        "We finished the works late, not never",
        CLOSES - SECOND,
    )
    refused = case.refused(lambda: case.answer(case_id, "And another thing", at=CLOSES - SECOND))
    assert code(refused) == (errors.DebarmentCaseDecidedError, "debarment_case_decided")


def test_the_decision_waits_for_the_answer_or_the_hearings_close() -> None:
    case = given()
    unanswered, answered = case.open(), case.open()
    case.answer(answered, at=NOW + DAY)
    case.names()
    refused = case.refused(lambda: case.decide(unanswered, None, at=CLOSES - SECOND))
    assert code(refused) == (errors.HearingOpenError, "hearing_open")
    case.decide(answered, None, at=NOW + 2 * DAY)
    case.decide(unanswered, None, at=CLOSES)
    assert case.names() == ["CaseDecided", "CaseDecided"]


def test_an_unknown_case_is_not_found() -> None:
    case = given()
    refused = case.refused(lambda: case.answer(uuid4()))
    assert code(refused) == (errors.DebarmentCaseNotFoundError, "debarment_case_not_found")
    refused = case.refused(lambda: case.decide(uuid4(), None))
    assert code(refused) == (errors.DebarmentCaseNotFoundError, "debarment_case_not_found")


# The decision ----------------------------------------------------------------------------


def test_a_debarment_bars_the_vendor_from_its_decision_until_its_date() -> None:
    case = given()
    case_id = case.open()
    case.answer(case_id)
    decided, until = NOW + 2 * DAY, NOW + 2 * DAY + 365 * DAY
    case.decide(case_id, until, at=decided)
    assert case.names() == ["CaseOpened", "CaseAnswered", "CaseDecided"]
    debarment = case.record.case(case_id)
    assert debarment.status is CaseStatus.DEBARRED
    assert (debarment.decided_at, debarment.debarred_until) == (decided, until)
    assert case.record.debarred_at(decided - SECOND) is None  # not before it was decided
    assert case.record.debarred_at(decided) == debarment
    assert case.record.debarred_at(until - SECOND) == debarment
    assert case.record.debarred_at(until) is None  # it ends by itself
    with pytest.raises(errors.VendorDebarredError) as refused:
        case.record.check_not_debarred(decided + DAY)
    assert refused.value.code == "vendor_debarred"
    case.record.check_not_debarred(until)


def test_of_two_debarments_the_one_ending_last_is_shown() -> None:
    case = given()
    shorter, longer = case.open(), case.open()
    case.answer(shorter)
    case.answer(longer)
    case.decide(shorter, NOW + 100 * DAY)
    case.decide(longer, NOW + 200 * DAY)
    found = case.record.debarred_at(NOW + 50 * DAY)
    assert found is not None
    assert found.id == longer
    found = case.record.debarred_at(NOW + 150 * DAY)
    assert found is not None
    assert found.id == longer


def test_a_dismissed_case_debars_nothing() -> None:
    case = given()
    case_id = case.open()
    case.answer(case_id)
    case.decide(case_id, None, reasons="The client caused the delay")
    dismissed = case.record.case(case_id)
    assert dismissed.status is CaseStatus.DISMISSED
    assert dismissed.reasons == "The client caused the delay"
    assert case.record.debarred_at(NOW + 3 * DAY) is None


@pytest.mark.parametrize(
    "until",
    [
        NOW + 2 * DAY,  # ends as it is decided
        NOW + DAY,  # in the past
        NOW + 2 * DAY + 1095 * DAY + SECOND,  # longer than the rules allow
    ],
)
def test_a_debarment_ends_after_its_decision_within_the_longest_allowed(
    until: datetime,
) -> None:
    case = given()
    case_id = case.open()
    case.answer(case_id)
    case.names()
    refused = case.refused(lambda: case.decide(case_id, until, at=NOW + 2 * DAY))
    assert code(refused) == (errors.InvalidTermsError, "invalid_terms")


def test_the_longest_debarment_is_allowed() -> None:
    case = given()
    case_id = case.open()
    case.answer(case_id)
    case.decide(case_id, NOW + 2 * DAY + 1095 * DAY, at=NOW + 2 * DAY)
    assert case.record.case(case_id).status is CaseStatus.DEBARRED


def test_a_decision_has_reasons_and_is_made_once() -> None:
    case = given()
    case_id = case.open()
    case.answer(case_id)
    case.names()
    refused = case.refused(lambda: case.decide(case_id, None, reasons=""))
    assert code(refused) == (errors.ReasonRequiredError, "reason_required")
    case.decide(case_id, None)
    case.names()
    refused = case.refused(lambda: case.decide(case_id, NOW + 100 * DAY))
    assert code(refused) == (errors.DebarmentCaseDecidedError, "debarment_case_decided")
    refused = case.refused(lambda: case.answer(case_id))
    assert code(refused) == (errors.DebarmentCaseDecidedError, "debarment_case_decided")
