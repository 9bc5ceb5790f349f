"""A state machine for Debarment: cases opened against one vendor by the regulator or on an
entity's referral, answered by the vendor (or by someone else, refused), decided with a
debarment until a date (in the rules' range or outside it) or dismissed, on a clock that moves
back and forth across every hearing's close and every debarment's end, under both rule
profiles. Each refusal is one the model allows and changes nothing; each case follows the
model; whether (and by which case) the vendor is debarred at any moment follows the model, a
debarment ending by itself at its date; replay through real serialisation always equals the
live record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain import errors
from domain.debarment import CaseStatus, Debarment, debarment_id_for
from domain.rules import PROFILE_NAMES, GrievanceRules, grievance_rules
from domain.values import Actor, Role
from tests.property.test_complaints_machine import PROFILE_UNITS, attempt, reasons
from tests.property.test_tender_machine import (
    MAPPER,
    ErrorType,
    assert_replay_equals_live,
    is_blank,
    store,
)
from tests.snapshot_check import SnapshotWatch
from tests.support import START, officer, vendor

SECOND = timedelta(seconds=1)

ENDS = ["dismiss", "dismiss", "within", "within", "within", "longest", "now", "past"]
"""How a decision ends the case: dismissed, debarred until a moment in the rules' range, or
about the longest debarment (give or take a second), or until now or before."""


@dataclass
class CaseModel:
    hearing_closes: datetime
    answered_at: datetime | None = None
    status: CaseStatus = CaseStatus.HEARING
    decided_at: datetime | None = None
    until: datetime | None = None

    def debars_at(self, moment: datetime) -> bool:
        """Debarred from its decision until (not at) its date: it ends by itself."""
        if self.decided_at is None or self.until is None:
            return False
        return self.decided_at <= moment < self.until


class DebarmentMachine(RuleBasedStateMachine):
    record: Debarment
    periods: GrievanceRules
    unit: timedelta

    def __init__(self) -> None:
        super().__init__()
        self.vendor = vendor()
        self.other_vendor = vendor()
        self.regulator = Actor(account_id=uuid4(), role=Role.REGULATOR, request_id="reg")
        self.head = officer("wsd")
        self.model: dict[UUID, CaseModel] = {}
        self.now = START
        self.stored: list[StoredEvent] = []
        self.snapshots = SnapshotWatch(MAPPER.transcoder)

    @initialize(profile=st.sampled_from(PROFILE_NAMES))
    def open_the_record(self, profile: str) -> None:
        self.periods = grievance_rules(profile)
        self.unit = PROFILE_UNITS[profile]
        self.record = Debarment(
            vendor_id=self.vendor.account_id,
            vendor_name="Indus Builders (Pvt) Ltd",
            rules=self.periods,
            timestamp=START,
        )
        assert self.record.id == debarment_id_for(self.vendor.account_id)
        self.stored.extend(store(opened) for opened in self.record.collect_events())

    def run(self, command: Callable[[], None], expected: set[ErrorType]) -> bool:
        return attempt(self.record, command, expected, self.stored)

    def pick(self, data: st.DataObject, known: bool) -> UUID:
        if known and self.model:
            return data.draw(st.sampled_from(list(self.model)), label="case")
        return data.draw(st.uuids(), label="unknown case")

    # The clock ----------------------------------------------------------------------------

    @rule(units=st.one_of(st.integers(-5, 20), st.integers(-400, 1200)), jitter=st.integers(-1, 1))
    def move_time(self, units: int, jitter: int) -> None:
        """On or back by days of the profile (now and then by years), never before the
        record was opened."""
        self.now = max(START, self.now + units * self.unit + jitter * SECOND)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), jitter=st.sampled_from([-1, 0, 1]))
    def go_to_a_date_that_matters(self, data: st.DataObject, jitter: int) -> None:
        """A second either side of (or on) a case's hearing close, decision or end."""
        case = self.model[self.pick(data, known=True)]
        moments = [m for m in (case.hearing_closes, case.decided_at, case.until) if m is not None]
        moment = data.draw(st.sampled_from(moments), label="moment")
        self.now = max(START, moment + jitter * SECOND)

    # The commands -------------------------------------------------------------------------

    @rule(
        data=st.data(),
        grounds=reasons,
        referred=st.sampled_from([None, "wsd"]),
        reuse_id=st.sampled_from([False] * 5 + [True]),
    )
    def open_case(
        self, data: st.DataObject, grounds: str, referred: str | None, reuse_id: bool
    ) -> None:
        """The regulator opens a case, or the head of an entity refers one."""
        case_id = self.pick(data, known=reuse_id)
        actor = self.regulator if referred is None else self.head
        expected: set[ErrorType] = set()
        if case_id in self.model:
            expected.add(errors.InvalidTermsError)
        if is_blank(grounds):
            expected.add(errors.ReasonRequiredError)

        def opening() -> None:
            self.record.open_case(
                case_id=case_id,
                grounds=grounds,
                referred_by_entity=referred,
                actor=actor,
                timestamp=self.now,
            )

        if self.run(opening, expected):
            closes = self.now + self.periods.hearing_period
            self.model[case_id] = CaseModel(hearing_closes=closes)
            case = self.record.cases[case_id]
            assert (case.grounds, case.opened_at, case.opened_by) == (
                grounds,
                self.now,
                actor.account_id,
            )
            assert (case.referred_by_entity, case.hearing_closes) == (referred, closes)

    @precondition(lambda self: bool(self.model))
    @rule(
        data=st.data(),
        answer=reasons,
        by_the_vendor=st.sampled_from([True, True, True, False]),
        known=st.sampled_from([True] * 9 + [False]),
    )
    def answer(self, data: st.DataObject, answer: str, by_the_vendor: bool, known: bool) -> None:
        """The vendor answers in writing (or someone else tries to)."""
        actor = self.vendor if by_the_vendor else self.other_vendor
        self.answer_case(self.pick(data, known=known), answer, actor)

    def answer_case(self, case_id: UUID, answer: str, actor: Actor) -> None:
        found = self.model.get(case_id)
        expected: set[ErrorType] = set()
        if found is None:
            expected.add(errors.DebarmentCaseNotFoundError)
        elif found.status is not CaseStatus.HEARING or found.answered_at is not None:
            expected.add(errors.DebarmentCaseDecidedError)
        elif self.now >= found.hearing_closes:
            expected.add(errors.HearingClosedError)
        if actor != self.vendor:
            expected.add(errors.ForbiddenError)
        if is_blank(answer):
            expected.add(errors.ReasonRequiredError)

        def answering() -> None:
            self.record.answer(case_id=case_id, answer=answer, actor=actor, timestamp=self.now)

        if self.run(answering, expected):
            assert found is not None
            found.answered_at = self.now
            assert self.record.cases[case_id].answer == answer

    @precondition(lambda self: bool(self.model))
    @rule(
        data=st.data(),
        ends=st.sampled_from(ENDS),
        units=st.one_of(st.integers(1, 30), st.integers(1, 3 * 366)),
        jitter=st.integers(-1, 1),
        reasons=reasons,
        known=st.sampled_from([True] * 9 + [False]),
    )
    def decide(
        self,
        *,
        data: st.DataObject,
        ends: str,
        units: int,
        jitter: int,
        reasons: str,
        known: bool,
    ) -> None:
        """The regulator debars until a date, or dismisses the case, with reasons."""
        case_id = self.pick(data, known=known)
        until: datetime | None = {
            "dismiss": None,
            "within": self.now + units * self.unit + jitter * SECOND,
            "longest": self.now + self.periods.max_debarment + jitter * SECOND,
            "now": self.now,
            "past": self.now - units * self.unit,
        }[ends]
        self.decide_case(case_id, until, reasons)

    def decide_case(self, case_id: UUID, until: datetime | None, reasons: str) -> None:
        found = self.model.get(case_id)
        expected: set[ErrorType] = set()
        if found is None:
            expected.add(errors.DebarmentCaseNotFoundError)
        elif found.status is not CaseStatus.HEARING:
            expected.add(errors.DebarmentCaseDecidedError)
        elif found.answered_at is None and self.now < found.hearing_closes:
            expected.add(errors.HearingOpenError)
        if is_blank(reasons):
            expected.add(errors.ReasonRequiredError)
        if until is not None and (
            until <= self.now or until - self.now > self.periods.max_debarment
        ):
            expected.add(errors.InvalidTermsError)

        def deciding() -> None:
            self.record.decide(
                case_id=case_id,
                debarred_until=until,
                reasons=reasons,
                actor=self.regulator,
                timestamp=self.now,
            )

        if self.run(deciding, expected):
            assert found is not None
            found.status = CaseStatus.DISMISSED if until is None else CaseStatus.DEBARRED
            found.decided_at, found.until = self.now, until
            case = self.record.cases[case_id]
            assert (case.reasons, case.decided_at) == (reasons, self.now)

    @precondition(lambda self: bool(self.in_hearing()))
    @rule(data=st.data())
    def the_vendor_answers(self, data: st.DataObject) -> None:
        """The vendor answers a case in hearing (too late, if the hearing has closed)."""
        case_id = data.draw(st.sampled_from(self.in_hearing()), label="in hearing")
        self.answer_case(case_id, "The delay was the client's: see the site diary", self.vendor)

    @precondition(lambda self: bool(self.in_hearing()))
    @rule(data=st.data(), term=st.sampled_from(["days", "days", "longest", "dismiss"]))
    def the_regulator_decides(self, data: st.DataObject, term: str) -> None:
        """The regulator debars (for some days, or for the longest the rules allow) or
        dismisses a case in hearing, with reasons (too early, if the vendor has not answered
        and the hearing is open)."""
        case_id = data.draw(st.sampled_from(self.in_hearing()), label="in hearing")
        until = {
            "days": self.now + data.draw(st.integers(1, 60), label="days") * self.unit,
            "longest": self.now + self.periods.max_debarment,
            "dismiss": None,
        }[term]
        self.decide_case(case_id, until, "The works were abandoned twice")

    def in_hearing(self) -> list[UUID]:
        return [k for k, c in self.model.items() if c.status is CaseStatus.HEARING]

    @rule(offset=st.integers(-86400, 5 * 366 * 86400))
    def ask_about_a_moment(self, offset: int) -> None:
        """Whether the vendor is debarred at any moment, past or future, follows the model."""
        self.check_debarred_at(START + offset * SECOND)

    # Checks -------------------------------------------------------------------------------

    def check_debarred_at(self, moment: datetime) -> None:
        debarring = {k: c for k, c in self.model.items() if c.debars_at(moment)}
        found = self.record.debarred_at(moment)
        if not debarring:
            assert found is None, f"debarred at {moment} by {found}"
            return
        assert found is not None, f"not debarred at {moment}, by any of {list(debarring)}"
        assert found.id in debarring
        assert found.debarred_until == max(c.until for c in debarring.values() if c.until)

    @invariant()
    def each_case_follows_the_model(self) -> None:
        assert list(self.record.cases) == list(self.model)
        for key, case in self.record.cases.items():
            found = self.model[key]
            assert case.id == key
            assert case.status is found.status
            assert (case.answered_at, case.decided_at) == (found.answered_at, found.decided_at)
            assert case.debarred_until == found.until
            assert (case.answer is None) == (case.answered_at is None)
            assert (case.reasons is None) == (case.status is CaseStatus.HEARING)

    @invariant()
    def a_hearing_comes_before_its_decision(self) -> None:
        """An answer comes before the hearing closes; a decision after an answer or after the
        hearing closed; a debarment ends after its decision, within the longest allowed."""
        for case in self.record.cases.values():
            if case.answered_at is not None:
                assert case.answered_at < case.hearing_closes
            if case.decided_at is not None:
                assert case.answered_at is not None or case.decided_at >= case.hearing_closes
            if case.debarred_until is not None:
                assert case.decided_at is not None
                assert case.decided_at < case.debarred_until
                assert case.debarred_until - case.decided_at <= self.periods.max_debarment

    @invariant()
    def debarred_now_and_at_each_boundary_as_the_model_says(self) -> None:
        moments = [self.now, START]
        for case in self.model.values():
            for moment in (case.decided_at, case.until):
                if moment is not None:
                    moments += [moment - SECOND, moment, moment + SECOND]
        for moment in moments:
            self.check_debarred_at(moment)
        debarred = any(c.debars_at(self.now) for c in self.model.values())
        refusal: errors.ProcurementError | None = None
        try:
            self.record.check_not_debarred(self.now)
        except errors.ProcurementError as error:
            refusal = error
        assert (refusal is not None) == debarred
        assert refusal is None or isinstance(refusal, errors.VendorDebarredError)

    @invariant()
    def version_counts_the_stored_events(self) -> None:
        assert self.record.version == len(self.stored)
        assert self.record._pending_events == []

    @invariant()
    def replay_equals_live_state(self) -> None:
        assert_replay_equals_live(self.stored, self.record)

    @invariant()
    def snapshots_restore_the_live_state(self) -> None:
        """Time travel's snapshot of every version, decoded, is the live record."""
        self.snapshots.check(self.record)


DebarmentMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None
)
TestDebarmentMachine = DebarmentMachine.TestCase
