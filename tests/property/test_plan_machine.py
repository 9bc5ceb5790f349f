"""A state machine for ProcurementPlan: lines drafted, replaced and removed, the plan
published (with the draft's lines, or others), and amended (add, change, withdraw, with or
without a reason, on lines that exist or not). A model of the lines says what each command
should do; a refusal changes nothing; the published lines are never changed but by a
numbered amendment with its reason; a withdrawn line is never cited; replay through real
serialisation equals the live plan."""

from __future__ import annotations

from decimal import Decimal

from eventsourcing.persistence import StoredEvent
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain import errors
from domain.plan import AmendmentKind, PlanLine, PlanStatus, ProcurementPlan
from domain.values import Category, Method, Money
from tests.property.test_complaints_machine import attempt
from tests.property.test_tender_machine import (
    MAPPER,
    ErrorType,
    assert_replay_equals_live,
    store,
)
from tests.snapshot_check import SnapshotWatch
from tests.support import START, officer

ACTOR = officer("wsd")
IDS = st.sampled_from(["L1", "L2", "L3", "L4"])
REASONS = st.sampled_from(["", "  ", "Prices rose", "Funds cut"])


@st.composite
def lines(draw: st.DrawFn, line_id: str | None = None) -> PlanLine:
    return PlanLine(
        id=line_id or draw(IDS),
        description=draw(st.sampled_from(["Laptops", "Road repair", "Audit services"])),
        category=draw(st.sampled_from(list(Category))),
        estimated_value=Money(amount=Decimal(draw(st.integers(0, 10**9))) / 100),
        method=draw(st.sampled_from(list(Method))),
        quarter=draw(st.integers(1, 4)),
    )


class PlanMachine(RuleBasedStateMachine):
    plan: ProcurementPlan

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, PlanLine] = {}
        self.withdrawn: set[str] = set()
        self.published = False
        self.amendments = 0
        self.stored: list[StoredEvent] = []
        self.snapshots = SnapshotWatch(MAPPER.transcoder)

    @initialize()
    def open_plan(self) -> None:
        self.plan = ProcurementPlan(
            entity="wsd", fiscal_year="2026-27", actor=ACTOR, timestamp=START
        )
        self.stored.extend(store(e) for e in self.plan.collect_events())

    def _run(self, command: object, expected: set[ErrorType]) -> bool:
        return attempt(self.plan, command, expected, self.stored)  # type: ignore[arg-type]

    @rule(line=lines())
    def draft_line(self, line: PlanLine) -> None:
        def draft_line() -> None:
            self.plan.draft_line(line=line, actor=ACTOR, timestamp=START)

        if self._run(draft_line, {errors.PlanNotDraftError} if self.published else set()):
            self.lines[line.id] = line

    @rule(line_id=IDS)
    def remove_line(self, line_id: str) -> None:
        def remove_line() -> None:
            self.plan.remove_line(line_id=line_id, actor=ACTOR, timestamp=START)

        expected: set[ErrorType] = set()
        if self.published:
            expected.add(errors.PlanNotDraftError)
        elif line_id not in self.lines:
            expected.add(errors.PlanLineNotFoundError)
        if self._run(remove_line, expected):
            del self.lines[line_id]

    @rule(others=st.booleans(), other=lines())
    def publish(self, others: bool, other: PlanLine) -> None:
        given = [other] if others else list(self.lines.values())

        def publish() -> None:
            self.plan.publish(fiscal_year="2026-27", lines=given, actor=ACTOR, timestamp=START)

        expected: set[ErrorType] = set()
        if self.published:
            expected.add(errors.PlanNotDraftError)
        elif not given or given != list(self.lines.values()):
            expected.add(errors.InvalidTermsError)
        if self._run(publish, expected):
            self.published = True

    @rule(kind=st.sampled_from(list(AmendmentKind)), line_id=IDS, new=lines(), reason=REASONS)
    def amend(self, kind: AmendmentKind, line_id: str, new: PlanLine, reason: str) -> None:
        line = None if kind is AmendmentKind.WITHDRAW else new.model_copy(update={"id": line_id})

        def amend() -> None:
            self.plan.amend(
                number=self.amendments + 1,
                kind=kind,
                line_id=line_id,
                line=line,
                reason=reason,
                actor=ACTOR,
                timestamp=START,
            )

        expected: set[ErrorType] = set()
        if not self.published:
            expected.add(errors.PlanNotPublishedError)
        elif not reason.strip():
            expected.add(errors.ReasonRequiredError)
        elif kind is AmendmentKind.ADD and line_id in self.lines:
            expected.add(errors.PlanLineExistsError)
        elif kind is not AmendmentKind.ADD and line_id not in self.lines:
            expected.add(errors.PlanLineNotFoundError)
        elif kind is not AmendmentKind.ADD and line_id in self.withdrawn:
            expected.add(errors.InvalidPlanLineError)
        if self._run(amend, expected):
            self.amendments += 1
            if line is None:
                self.withdrawn.add(line_id)
            else:
                self.lines[line_id] = line

    @rule(line_id=IDS)
    def cite(self, line_id: str) -> None:
        citable = self.published and line_id in self.lines and line_id not in self.withdrawn
        try:
            found = self.plan.line_citable(line_id)
        except errors.InvalidPlanLineError:
            assert not citable
            return
        assert citable
        assert found == self.lines[line_id]

    @invariant()
    def the_plan_is_the_model(self) -> None:
        assert self.plan.lines == self.lines
        assert self.plan.withdrawn == self.withdrawn
        assert (self.plan.status is PlanStatus.PUBLISHED) == self.published
        assert [a.number for a in self.plan.amendments] == list(range(1, self.amendments + 1))
        assert all(a.reason.strip() for a in self.plan.amendments)

    @invariant()
    def version_counts_the_stored_events(self) -> None:
        assert self.plan.version == len(self.stored)

    @invariant()
    def replay_equals_live_state(self) -> None:
        assert_replay_equals_live(self.stored, self.plan)

    @invariant()
    def snapshots_restore_the_live_state(self) -> None:
        self.snapshots.check(self.plan)


PlanMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=25, deadline=None)
TestPlanMachine = PlanMachine.TestCase
