"""A state machine for TenderComplaints: complaints at every stage by several vendors, decided
by the grievance committee's panel (or refused to someone off it), marked overdue by the
scheduler, appealed by their complainant, decided or marked overdue on appeal, on a clock
that moves back and forth across every decision date and appeal period, under both rule
profiles. Each command's refusal is one the model allows and changes nothing; each complaint's
status, the complaints that hold each stage's step, the overdue work and the standing order to
amend the documents follow the model; no decision is recorded on a complaint under appeal;
replay through real serialisation always equals the live aggregate."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain import errors
from domain.award import Remedy
from domain.grievance import (
    ComplaintStage,
    Decision,
    GrievanceStatus,
    TenderComplaints,
    complaints_id_for,
)
from domain.rules import PROFILE_NAMES, GrievanceRules, grievance_rules
from domain.values import Actor, Role
from tests.property.test_tender_machine import (
    MAPPER,
    ErrorType,
    assert_replay_equals_live,
    blanks,
    is_blank,
    names,
    state_of,
    store,
    texts,
)
from tests.snapshot_check import SnapshotWatch
from tests.support import START, officer, vendor

SECOND = timedelta(seconds=1)
PROFILE_UNITS = {"sppra": timedelta(days=1), "relaxed": SECOND}
"""One "day" of each profile: the machine's clock moves in these."""

ALLOWED: dict[ComplaintStage, set[Remedy]] = {
    ComplaintStage.DOCUMENTS: {Remedy.AMEND_DOCUMENTS, Remedy.CANCEL_PROCUREMENT},
    ComplaintStage.TECHNICAL_REPORT: {Remedy.REOPEN_EVALUATION, Remedy.CANCEL_PROCUREMENT},
    ComplaintStage.FINAL_REPORT: {Remedy.REOPEN_EVALUATION, Remedy.CANCEL_PROCUREMENT},
    ComplaintStage.AWARD: {
        Remedy.CANCEL_AWARD,
        Remedy.REOPEN_EVALUATION,
        Remedy.CANCEL_PROCUREMENT,
    },
}
"""What an upheld complaint of each stage may order, as issue 19 lists the remedies: amend the
documents (and move the deadline) before the opening, re-evaluate a report, annul the award,
or annul the procurement."""

reasons = st.one_of(
    blanks,
    texts,
    st.just("The specification names one brand"),
    st.just("The committee found the criterion fair"),
)
"""Blank in about a third of the draws."""
remedies = st.one_of(st.none(), st.sampled_from(Remedy))


def attempt(
    aggregate: Aggregate,
    command: Callable[[], None],
    expected: set[ErrorType],
    stored: list[StoredEvent],
) -> bool:
    """Run the command on the aggregate: refused, with an error the model allows and nothing
    changed; or done, when the model expected no error, with exactly one event, which is
    stored through the real mapper."""
    version = aggregate.version
    before = copy.deepcopy(state_of(aggregate))
    refusal: errors.ProcurementError | None = None
    try:
        command()
    except errors.ProcurementError as error:
        refusal = error
    if refusal is not None:
        event(f"{command.__name__}: {type(refusal).__name__}")
        assert type(refusal) in expected, (
            f"raised {type(refusal).__name__} ({refusal}); expected {names(expected)}"
        )
        assert aggregate.version == version, "a refused command changed the version"
        assert aggregate._pending_events == [], "a refused command left an event"
        assert state_of(aggregate) == before, f"a refused command changed the {type(aggregate)}"
        return False
    event(f"{command.__name__}: done")
    assert not expected, f"the command succeeded; expected {names(expected)}"
    emitted = aggregate.collect_events()
    assert len(emitted) == 1, f"one command emitted {len(emitted)} events"
    assert aggregate.version == version + 1
    stored.append(store(emitted[0]))
    return True


def remedy_errors(stage: ComplaintStage, upheld: bool, remedy: Remedy | None) -> set[ErrorType]:
    expected: set[ErrorType] = set()
    if upheld and remedy is None:
        expected.add(errors.ReasonRequiredError)  # an upheld complaint names its remedy
    if not upheld and remedy is not None:
        expected.add(errors.InvalidTermsError)
    if remedy is not None and remedy not in ALLOWED[stage]:
        expected.add(errors.InvalidTermsError)
    return expected


@dataclass
class Ruling:
    upheld: bool
    remedy: Remedy | None
    at: datetime


@dataclass
class ComplaintModel:
    """One complaint as the model sees it: plain fields, no rules of the aggregate's."""

    stage: ComplaintStage
    vendor_id: UUID
    award_id: UUID | None
    decision_due: datetime
    overdue: bool = False
    decision: Ruling | None = None
    appealed_at: datetime | None = None
    appeal_due: datetime | None = None
    appeal_overdue: bool = False
    appeal_decision: Ruling | None = None
    decision_when_appealed: Decision | None = None

    @property
    def appealed(self) -> bool:
        return self.appealed_at is not None

    def status(self) -> GrievanceStatus:
        if self.appealed:
            if self.appeal_decision is not None:
                if self.appeal_decision.upheld:
                    return GrievanceStatus.APPEAL_UPHELD
                return GrievanceStatus.APPEAL_DISMISSED
            if self.appeal_overdue:
                return GrievanceStatus.APPEAL_OVERDUE
            return GrievanceStatus.APPEALED
        if self.decision is not None:
            return GrievanceStatus.UPHELD if self.decision.upheld else GrievanceStatus.DISMISSED
        return GrievanceStatus.OVERDUE if self.overdue else GrievanceStatus.PENDING

    def appeal_ends(self, period: timedelta) -> datetime | None:
        """Until when the complainant may appeal: after a dismissal, or after the committee's
        silence past its date; never after an upheld decision or a first appeal."""
        if self.appealed:
            return None
        if self.decision is not None:
            return None if self.decision.upheld else self.decision.at + period
        return self.decision_due + period if self.overdue else None

    def holds(self, period: timedelta, now: datetime) -> bool:
        """Whether it still holds its step: until upheld, dismissed with the appeal period
        over and no appeal, or decided on appeal."""
        if self.appealed:
            return self.appeal_decision is None
        if self.decision is None:
            return True
        return not self.decision.upheld and now < self.decision.at + period

    def standing(self) -> Ruling | None:
        return self.appeal_decision if self.appealed else self.decision


class ComplaintsMachine(RuleBasedStateMachine):
    complaints: TenderComplaints
    periods: GrievanceRules
    unit: timedelta

    def __init__(self) -> None:
        super().__init__()
        self.tender_id = uuid4()
        self.vendors = [vendor(), vendor(), vendor()]
        self.panel = [officer("wsd"), officer("wsd"), officer("wsd")]
        self.outsider = officer("wsd")  # of the entity, not on the panel
        self.regulator = Actor(account_id=uuid4(), role=Role.REGULATOR, request_id="reg")
        self.system = Actor(account_id=uuid4(), role=Role.SYSTEM, request_id="scheduler")
        self.awards = [uuid4(), uuid4()]
        self.model: dict[UUID, ComplaintModel] = {}
        self.now = START
        self.stored: list[StoredEvent] = []
        self.snapshots = SnapshotWatch(MAPPER.transcoder)

    @initialize(profile=st.sampled_from(PROFILE_NAMES))
    def open_the_file(self, profile: str) -> None:
        self.periods = grievance_rules(profile)
        self.unit = PROFILE_UNITS[profile]
        self.complaints = TenderComplaints(
            tender_id=self.tender_id, entity="wsd", rules=self.periods, timestamp=START
        )
        assert self.complaints.id == complaints_id_for(self.tender_id)
        self.stored.extend(store(opened) for opened in self.complaints.collect_events())

    def run(self, command: Callable[[], None], expected: set[ErrorType]) -> bool:
        return attempt(self.complaints, command, expected, self.stored)

    def pick(self, data: st.DataObject, *, known: bool) -> UUID:
        """One of the complaints (when there are any and ``known``), or an unknown id."""
        if known and self.model:
            return data.draw(st.sampled_from(list(self.model)), label="complaint")
        return data.draw(st.uuids(), label="unknown complaint")

    # The clock ----------------------------------------------------------------------------

    @rule(units=st.integers(-4, 12), seconds=st.sampled_from([-1, 0, 0, 1]))
    def move_time(self, units: int, seconds: int) -> None:
        """On by up to twelve of the profile's days or back by up to four, give or take a
        second, never before the file was opened."""
        self.now = max(START, self.now + units * self.unit + seconds * SECOND)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), jitter=st.sampled_from([-1, 0, 1]))
    def go_to_a_date_that_matters(self, data: st.DataObject, jitter: int) -> None:
        """To a second either side of (or on) a complaint's decision date, the end of its
        time to appeal, or its appeal's decision date."""
        found = self.model[data.draw(st.sampled_from(list(self.model)), label="complaint")]
        period = self.periods.appeal_period
        moments = [found.decision_due, found.decision_due + period]
        if found.decision is not None:
            moments.append(found.decision.at + period)
        if found.appeal_due is not None:
            moments.append(found.appeal_due)
        moment = data.draw(st.sampled_from(moments[::-1]), label="moment")
        self.now = max(START, moment + jitter * SECOND)

    @precondition(lambda self: bool(self.under_appeal()))
    @rule(data=st.data(), jitter=st.sampled_from([-1, 0, 1]))
    def the_regulator_is_silent(self, data: st.DataObject, jitter: int) -> None:
        """To a second either side of (or on) an appeal's decision date, then the scheduler
        runs (marking the appeal overdue, unless a second early)."""
        complaint_id = data.draw(st.sampled_from(self.under_appeal()), label="under appeal")
        due = self.model[complaint_id].appeal_due
        assert due is not None
        self.now = due + jitter * SECOND
        self.the_scheduler_runs()

    # The commands -------------------------------------------------------------------------

    @rule(
        data=st.data(),
        stage=st.sampled_from(ComplaintStage),
        names_award=st.sampled_from(["fits", "fits", "fits", "flipped"]),
        grounds=st.one_of(reasons, st.just("The turnover criterion excludes small firms")),
        report_number=st.sampled_from([None, 1, 2]),
        reuse_id=st.sampled_from([False] * 5 + [True]),
    )
    def lodge(
        self,
        *,
        data: st.DataObject,
        stage: ComplaintStage,
        names_award: str,
        grounds: str,
        report_number: int | None,
        reuse_id: bool,
    ) -> None:
        """A vendor complains about a stage: about the award naming it (or, now and then,
        the other way round, which is refused)."""
        complainant = data.draw(st.sampled_from(self.vendors), label="complainant")
        complaint_id = self.pick(data, known=reuse_id)
        about_award = stage is ComplaintStage.AWARD
        if names_award == "flipped":
            about_award = not about_award
        award_id = data.draw(st.sampled_from(self.awards), label="award") if about_award else None
        expected: set[ErrorType] = set()
        if complaint_id in self.model:
            expected.add(errors.ComplaintExistsError)
        if is_blank(grounds):
            expected.add(errors.ReasonRequiredError)
        if names_award == "flipped":
            expected.add(errors.InvalidTermsError)

        def lodging() -> None:
            self.complaints.lodge(
                complaint_id=complaint_id,
                stage=stage,
                grounds=grounds,
                award_id=award_id,
                report_number=report_number,
                actor=complainant,
                timestamp=self.now,
            )

        if self.run(lodging, expected):
            due = self.now + self.periods.decision_period
            self.model[complaint_id] = ComplaintModel(
                stage=stage, vendor_id=complainant.account_id, award_id=award_id, decision_due=due
            )
            lodged = self.complaints.complaints[complaint_id]
            assert (lodged.grounds, lodged.lodged_at, lodged.decision_due) == (
                grounds,
                self.now,
                due,
            )
            assert (lodged.award_id, lodged.report_number) == (award_id, report_number)

    @precondition(lambda self: bool(self.model))
    @rule(
        data=st.data(),
        upheld=st.booleans(),
        remedy=remedies,
        reasons=reasons,
        who=st.sampled_from(["panel", "panel", "panel", "outsider", "regulator"]),
        known=st.sampled_from([True] * 9 + [False]),
    )
    def decide(
        self,
        *,
        data: st.DataObject,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
        who: str,
        known: bool,
    ) -> None:
        """The panel decides (with the stage's remedy, a wrong one or none), or someone off
        the panel tries to."""
        complaint_id = self.pick(data, known=known)
        if upheld and remedy is None and data.draw(st.booleans(), label="fit the remedy"):
            remedy = self.fitting_remedy(data, complaint_id)
        actor = {
            "panel": data.draw(st.sampled_from(self.panel), label="member"),
            "outsider": self.outsider,
            "regulator": self.regulator,
        }[who]
        self.decide_complaint(complaint_id, upheld, remedy, reasons, actor)

    @precondition(lambda self: bool(self.undecided()))
    @rule(data=st.data(), upheld=st.sampled_from([False, False, True]))
    def the_panel_decides(self, data: st.DataObject, upheld: bool) -> None:
        """A member of the panel decides an undecided complaint, with reasons (and a remedy
        its stage allows, when upheld)."""
        complaint_id = data.draw(st.sampled_from(self.undecided()), label="undecided")
        remedy = self.fitting_remedy(data, complaint_id) if upheld else None
        member = data.draw(st.sampled_from(self.panel), label="member")
        self.decide_complaint(complaint_id, upheld, remedy, "The criterion is lawful", member)

    def undecided(self) -> list[UUID]:
        return [k for k, c in self.model.items() if c.decision is None and not c.appealed]

    def fitting_remedy(self, data: st.DataObject, complaint_id: UUID) -> Remedy:
        return data.draw(st.sampled_from(sorted(ALLOWED[self.stage_of(complaint_id)])))

    def stage_of(self, complaint_id: UUID) -> ComplaintStage:
        found = self.model.get(complaint_id)
        return ComplaintStage.DOCUMENTS if found is None else found.stage

    def decide_complaint(
        self, complaint_id: UUID, upheld: bool, remedy: Remedy | None, reasons: str, actor: Actor
    ) -> None:
        panel = [member.account_id for member in self.panel]
        found = self.model.get(complaint_id)
        expected: set[ErrorType] = set()
        if found is None:
            expected.add(errors.ComplaintNotFoundError)
        elif found.appealed:
            expected.add(errors.AppealPendingError)
        elif found.decision is not None:
            expected.add(errors.ComplaintDecidedError)
        if is_blank(reasons):
            expected.add(errors.ReasonRequiredError)
        expected |= remedy_errors(self.stage_of(complaint_id), upheld, remedy)
        if actor.account_id not in panel:
            expected.add(errors.NotGrievanceChairError)

        def deciding() -> None:
            self.complaints.decide(
                complaint_id=complaint_id,
                upheld=upheld,
                remedy=remedy,
                reasons=reasons,
                panel=panel,
                actor=actor,
                timestamp=self.now,
            )

        if self.run(deciding, expected):
            assert found is not None
            found.decision = Ruling(upheld=upheld, remedy=remedy, at=self.now)
            decision = self.complaints.complaints[complaint_id].decision
            assert decision is not None
            assert (decision.upheld, decision.remedy, decision.reasons) == (upheld, remedy, reasons)
            assert (decision.decided_at, decision.decided_by) == (self.now, actor.account_id)
            assert decision.panel == tuple(panel)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), known=st.sampled_from([True] * 9 + [False]))
    def mark_overdue(self, data: st.DataObject, known: bool) -> None:
        """The scheduler marks a complaint the committee has not decided in time."""
        self.mark_complaint_overdue(self.pick(data, known=known))

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), known=st.sampled_from([True] * 9 + [False]))
    def mark_appeal_overdue(self, data: st.DataObject, known: bool) -> None:
        """The scheduler marks an appeal the regulator has not decided in time."""
        self.mark_the_appeal_overdue(self.pick(data, known=known))

    @rule()
    def the_scheduler_runs(self) -> None:
        """The scheduler marks everything the model finds past its date: all of it done."""
        for complaint_id, is_appeal in self.model_due():
            if is_appeal:
                self.mark_the_appeal_overdue(complaint_id)
            else:
                self.mark_complaint_overdue(complaint_id)
        assert self.complaints.due(self.now) == []

    def model_due(self) -> list[tuple[UUID, bool]]:
        """(complaint, is it the appeal) past the decision date, undecided and not marked."""
        due: list[tuple[UUID, bool]] = []
        for key, c in self.model.items():
            if not (c.decision or c.appealed or c.overdue) and self.now >= c.decision_due:
                due.append((key, False))
            if (
                c.appeal_due is not None
                and c.appeal_decision is None
                and not c.appeal_overdue
                and self.now >= c.appeal_due
            ):
                due.append((key, True))
        return due

    def mark_complaint_overdue(self, complaint_id: UUID) -> None:
        found = self.model.get(complaint_id)
        expected: set[ErrorType] = set()
        if found is None:
            expected.add(errors.ComplaintNotFoundError)
        elif found.appealed:
            expected.add(errors.AppealPendingError)
        elif found.decision is not None or found.overdue:
            expected.add(errors.ComplaintDecidedError)
        elif self.now < found.decision_due:
            expected.add(errors.ComplaintStageClosedError)

        def marking() -> None:
            self.complaints.mark_overdue(
                complaint_id=complaint_id, actor=self.system, timestamp=self.now
            )

        if self.run(marking, expected):
            assert found is not None
            found.overdue = True
            assert self.complaints.complaints[complaint_id].overdue

    def mark_the_appeal_overdue(self, complaint_id: UUID) -> None:
        found = self.model.get(complaint_id)
        expected: set[ErrorType] = set()
        if found is None:
            expected.add(errors.ComplaintNotFoundError)
        elif found.appeal_due is None or found.appeal_decision is not None or found.appeal_overdue:
            expected.add(errors.ComplaintNotAppealableError)
        elif self.now < found.appeal_due:
            expected.add(errors.ComplaintStageClosedError)

        def marking_the_appeal() -> None:
            self.complaints.mark_appeal_overdue(
                complaint_id=complaint_id, actor=self.system, timestamp=self.now
            )

        if self.run(marking_the_appeal, expected):
            assert found is not None
            found.appeal_overdue = True

    @precondition(lambda self: bool(self.model))
    @rule(
        data=st.data(),
        grounds=reasons,
        who=st.sampled_from(["complainant", "complainant", "complainant", "other vendor"]),
        known=st.sampled_from([True] * 9 + [False]),
    )
    def appeal(self, data: st.DataObject, grounds: str, who: str, known: bool) -> None:
        """The complainant appeals to the regulator (or another vendor tries to)."""
        complaint_id = self.pick(data, known=known)
        found = self.model.get(complaint_id)
        complainant = None if found is None else found.vendor_id
        if who == "complainant" and found is not None:
            actor = self.vendor_by_id(found.vendor_id)
        else:
            others = [v for v in self.vendors if v.account_id != complainant]
            actor = data.draw(st.sampled_from(others), label="other vendor")
        self.appeal_complaint(complaint_id, grounds, actor)

    @precondition(lambda self: bool(self.appealable()))
    @rule(data=st.data())
    def the_complainant_appeals(self, data: st.DataObject) -> None:
        """The complainant appeals a dismissal or the committee's silence, with grounds (too
        late, if its time has passed)."""
        complaint_id = data.draw(st.sampled_from(self.appealable()), label="appealable")
        actor = self.vendor_by_id(self.model[complaint_id].vendor_id)
        self.appeal_complaint(complaint_id, "The committee ignored our evidence", actor)

    def appealable(self) -> list[UUID]:
        period = self.periods.appeal_period
        return [k for k, c in self.model.items() if c.appeal_ends(period) is not None]

    def vendor_by_id(self, account_id: UUID) -> Actor:
        return next(v for v in self.vendors if v.account_id == account_id)

    def appeal_complaint(self, complaint_id: UUID, grounds: str, actor: Actor) -> None:
        found = self.model.get(complaint_id)
        expected: set[ErrorType] = set()
        if found is None:
            expected.add(errors.ComplaintNotFoundError)
        else:
            if actor.account_id != found.vendor_id:
                expected.add(errors.ForbiddenError)
            ends = found.appeal_ends(self.periods.appeal_period)
            if ends is None or self.now >= ends:
                expected.add(errors.ComplaintNotAppealableError)
        if is_blank(grounds):
            expected.add(errors.ReasonRequiredError)
        before = None if found is None else self.complaints.complaints[complaint_id]

        def appealing() -> None:
            self.complaints.appeal(
                complaint_id=complaint_id, grounds=grounds, actor=actor, timestamp=self.now
            )

        if self.run(appealing, expected):
            assert found is not None
            assert before is not None
            found.appealed_at = self.now
            found.appeal_due = self.now + self.periods.appeal_decision_period
            found.decision_when_appealed = before.decision
            appeal = self.complaints.complaints[complaint_id].appeal
            assert appeal is not None
            assert (appeal.grounds, appeal.lodged_at) == (grounds, self.now)
            assert appeal.decision_due == found.appeal_due

    @precondition(lambda self: bool(self.model))
    @rule(
        data=st.data(),
        upheld=st.booleans(),
        remedy=remedies,
        reasons=reasons,
        known=st.sampled_from([True] * 9 + [False]),
    )
    def decide_appeal(
        self, *, data: st.DataObject, upheld: bool, remedy: Remedy | None, reasons: str, known: bool
    ) -> None:
        """The regulator decides an appeal, with the stage's remedy, a wrong one or none."""
        complaint_id = self.pick(data, known=known)
        if upheld and remedy is None and data.draw(st.booleans(), label="fit the remedy"):
            remedy = self.fitting_remedy(data, complaint_id)
        self.decide_the_appeal(complaint_id, upheld, remedy, reasons)

    @precondition(lambda self: bool(self.under_appeal()))
    @rule(data=st.data(), upheld=st.booleans())
    def the_regulator_decides(self, data: st.DataObject, upheld: bool) -> None:
        """The regulator decides a pending appeal, with reasons (and a fitting remedy)."""
        complaint_id = data.draw(st.sampled_from(self.under_appeal()), label="under appeal")
        remedy = self.fitting_remedy(data, complaint_id) if upheld else None
        self.decide_the_appeal(complaint_id, upheld, remedy, "The report misread the bid")

    def under_appeal(self) -> list[UUID]:
        return [k for k, c in self.model.items() if c.appealed and c.appeal_decision is None]

    def decide_the_appeal(
        self, complaint_id: UUID, upheld: bool, remedy: Remedy | None, reasons: str
    ) -> None:
        found = self.model.get(complaint_id)
        expected: set[ErrorType] = set()
        if found is None:
            expected.add(errors.ComplaintNotFoundError)
        elif not found.appealed or found.appeal_decision is not None:
            expected.add(errors.ComplaintNotAppealableError)
        if is_blank(reasons):
            expected.add(errors.ReasonRequiredError)
        expected |= remedy_errors(self.stage_of(complaint_id), upheld, remedy)

        def deciding_the_appeal() -> None:
            self.complaints.decide_appeal(
                complaint_id=complaint_id,
                upheld=upheld,
                remedy=remedy,
                reasons=reasons,
                actor=self.regulator,
                timestamp=self.now,
            )

        if self.run(deciding_the_appeal, expected):
            assert found is not None
            found.appeal_decision = Ruling(upheld=upheld, remedy=remedy, at=self.now)
            appeal = self.complaints.complaints[complaint_id].appeal
            assert appeal is not None
            assert appeal.decision is not None
            assert (appeal.decision.upheld, appeal.decision.remedy) == (upheld, remedy)
            assert (appeal.decision.reasons, appeal.decision.decided_at) == (reasons, self.now)
            assert appeal.decision.decided_by == self.regulator.account_id
            assert appeal.decision.panel == ()

    # Invariants ---------------------------------------------------------------------------

    @invariant()
    def each_complaint_follows_the_model(self) -> None:
        live = self.complaints.complaints
        assert list(live) == list(self.model)
        for key, complaint in live.items():
            found = self.model[key]
            assert complaint.id == key
            assert complaint.status is found.status(), f"{complaint.status} != {found.status()}"
            assert (complaint.stage, complaint.vendor_id) == (found.stage, found.vendor_id)
            assert complaint.appealable_until(self.periods) == found.appeal_ends(
                self.periods.appeal_period
            )

    @invariant()
    def a_complaint_holds_its_step_until_it_is_settled(self) -> None:
        period = self.periods.appeal_period
        for stage in ComplaintStage:
            held = [c.id for c in self.complaints.holding(stage, self.now)]
            expected = [
                k for k, c in self.model.items() if c.stage is stage and c.holds(period, self.now)
            ]
            assert held == expected, f"the {stage} is held by {held}, not {expected}"
        for award_id in self.awards:
            held = [c.id for c in self.complaints.holding(ComplaintStage.AWARD, self.now, award_id)]
            expected = [
                k
                for k, c in self.model.items()
                if c.award_id == award_id and c.holds(period, self.now)
            ]
            assert held == expected, f"the contract of {award_id} is held by {held}, not {expected}"

    @invariant()
    def no_decision_is_recorded_on_a_complaint_under_appeal(self) -> None:
        """And an appeal is only of a dismissal or of the committee's silence, within time."""
        for key, complaint in self.complaints.complaints.items():
            appeal = complaint.appeal
            if appeal is None:
                continue
            assert complaint.decision == self.model[key].decision_when_appealed
            if complaint.decision is None:
                assert complaint.overdue, (
                    "an appeal of a complaint that was neither late nor decided"
                )
                started = complaint.decision_due
            else:
                assert not complaint.decision.upheld, "an appeal of an upheld complaint"
                started = complaint.decision.decided_at
            assert appeal.lodged_at < started + self.periods.appeal_period

    @invariant()
    def a_decision_orders_only_its_stages_remedies(self) -> None:
        for complaint in self.complaints.complaints.values():
            appeal = complaint.appeal
            decisions = [complaint.decision, None if appeal is None else appeal.decision]
            for decision in decisions:
                if decision is None:
                    continue
                if decision.upheld:
                    assert decision.remedy in ALLOWED[complaint.stage]
                else:
                    assert decision.remedy is None

    @invariant()
    def the_overdue_work_follows_the_model(self) -> None:
        assert self.complaints.due(self.now) == self.model_due()

    @invariant()
    def the_standing_amendment_order_follows_the_model(self) -> None:
        ordered = [
            standing.at
            for c in self.model.values()
            if c.stage is ComplaintStage.DOCUMENTS
            and (standing := c.standing()) is not None
            and standing.remedy is Remedy.AMEND_DOCUMENTS
        ]
        assert self.complaints.amendment_ordered_at() == max(ordered, default=None)

    @invariant()
    def version_counts_the_stored_events(self) -> None:
        assert self.complaints.version == len(self.stored)
        assert self.complaints._pending_events == []

    @invariant()
    def replay_equals_live_state(self) -> None:
        assert_replay_equals_live(self.stored, self.complaints)

    @invariant()
    def snapshots_restore_the_live_state(self) -> None:
        """Time travel's snapshot of every version, decoded, is the live complaints file."""
        self.snapshots.check(self.complaints)


ComplaintsMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
TestComplaintsMachine = ComplaintsMachine.TestCase
