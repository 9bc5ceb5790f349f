"""A state machine for GrievanceCommittee: an entity's committee named, then named again with
member lists of every shape (even, too small, without a chair or with two, a member twice),
and asked for the panel that may decide a tender's complaints given that tender's
evaluators. A committee is always odd, at least the minimum, with one chair and no member
twice; a panel never holds an evaluator and is refused when the chair evaluates or too few
(or an even number) remain; refusals change nothing; replay through real serialisation
equals the live committee."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import StoredEvent
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain import errors
from domain.evaluation import Member
from domain.grievance import GrievanceCommittee, committee_id_for
from tests.property.test_complaints_machine import attempt
from tests.property.test_tender_machine import (
    MAPPER,
    ErrorType,
    assert_replay_equals_live,
    replay,
    store,
)
from tests.snapshot_check import SnapshotWatch
from tests.support import START, officer

ENTITY = "wsd"
OFFICERS = 9
"""The entity's officers the head names members from."""

MIN_SIZES = st.sampled_from([1, 3, 3, 3, 5])


@st.composite
def well_formed(draw: st.DrawFn) -> list[tuple[int, bool]]:
    """An odd number of distinct officers (one to seven), one of them the chair."""
    size = draw(st.sampled_from([1, 3, 3, 5, 5, 7]))
    chosen = draw(st.lists(st.integers(0, OFFICERS - 1), min_size=size, max_size=size, unique=True))
    chair = draw(st.integers(0, size - 1))
    return [(n, position == chair) for position, n in enumerate(chosen)]


any_shape = st.lists(st.tuples(st.integers(0, OFFICERS - 1), st.booleans()), max_size=8)
"""Any list of (officer, is the chair), a member twice, no chair, two chairs, any size."""

member_lists = st.one_of(well_formed(), well_formed(), any_shape)


def committee_errors(members: list[Member], min_size: int) -> set[ErrorType]:
    ids = [m.account_id for m in members]
    fits = (
        len(set(ids)) == len(ids)
        and len(ids) >= min_size
        and len(ids) % 2 == 1
        and sum(m.chair for m in members) == 1
    )
    return set() if fits else {errors.InvalidCommitteeError}


class GrievanceCommitteeMachine(RuleBasedStateMachine):
    committee: GrievanceCommittee

    def __init__(self) -> None:
        super().__init__()
        self.officers = [officer(ENTITY) for _ in range(OFFICERS)]
        self.head = officer(ENTITY)
        self.members: tuple[Member, ...] = ()
        self.stored: list[StoredEvent] = []
        self.snapshots = SnapshotWatch(MAPPER.transcoder)

    def members_of(self, shape: list[tuple[int, bool]]) -> list[Member]:
        return [
            Member(account_id=self.officers[n].account_id, name=f"officer-{n}", chair=chair)
            for n, chair in shape
        ]

    @initialize(shape=well_formed(), min_size=st.sampled_from([1, 3]))
    def name(self, shape: list[tuple[int, bool]], min_size: int) -> None:
        members = self.members_of(shape)
        min_size = min(min_size, len(members))
        self.committee = GrievanceCommittee(
            entity=ENTITY, members=members, min_size=min_size, actor=self.head, timestamp=START
        )
        assert self.committee.id == committee_id_for(ENTITY)
        self.members = tuple(members)
        self.stored.extend(store(named) for named in self.committee.collect_events())

    @rule(shape=member_lists, min_size=MIN_SIZES)
    def name_another_entitys(self, shape: list[tuple[int, bool]], min_size: int) -> None:
        """Another entity's head names its committee: named only when well formed."""
        members = self.members_of(shape)
        expected = committee_errors(members, min_size)
        refusal: errors.ProcurementError | None = None
        try:
            other = GrievanceCommittee(
                entity="health",
                members=members,
                min_size=min_size,
                actor=self.head,
                timestamp=START,
            )
        except errors.ProcurementError as error:
            refusal = error
        if refusal is not None:
            assert type(refusal) in expected, f"refused with {refusal!r}"
            return
        assert not expected, "an ill-formed committee was named"
        assert other.members == tuple(members)
        assert replay([store(e) for e in other.collect_events()]).members == tuple(members)

    @rule(shape=member_lists, min_size=MIN_SIZES)
    def reconstitute(self, shape: list[tuple[int, bool]], min_size: int) -> None:
        members = self.members_of(shape)

        def reconstituting() -> None:
            self.committee.reconstitute(
                members=members, min_size=min_size, actor=self.head, timestamp=START
            )

        if attempt(
            self.committee, reconstituting, committee_errors(members, min_size), self.stored
        ):
            self.members = tuple(members)

    @rule(
        evaluators=st.sets(st.integers(0, OFFICERS - 1), max_size=5),
        strangers=st.sets(st.uuids(), max_size=2),
        min_size=MIN_SIZES,
    )
    def ask_for_a_panel(self, evaluators: set[int], strangers: set[UUID], min_size: int) -> None:
        """The panel for a tender whose evaluation committee is these officers (and others
        not on the grievance committee): its members less the evaluators."""
        evaluating = frozenset({self.officers[n].account_id for n in evaluators} | strangers)
        conflicted = [m for m in self.members if m.account_id in evaluating]
        remaining = [m.account_id for m in self.members if m.account_id not in evaluating]
        too_few = len(remaining) < min_size or len(remaining) % 2 == 0
        expected: set[ErrorType] = set()
        if conflicted and (any(m.chair for m in conflicted) or too_few):
            expected.add(errors.GrievancePanelConflictError)
        elif too_few:
            expected.add(errors.InvalidCommitteeError)  # smaller than the rules now ask
        before = self.committee.version
        refusal: errors.ProcurementError | None = None
        try:
            panel = self.committee.panel_for(evaluating, min_size)
        except errors.ProcurementError as error:
            refusal = error
        if refusal is not None:
            assert type(refusal) in expected, f"refused with {refusal!r}"
            assert self.committee.version == before
            return
        assert not expected, f"a panel {panel} was given; expected a refusal"
        assert panel == tuple(remaining)
        assert not evaluating & set(panel), "an evaluator sits on the panel"
        assert self.committee.chair.account_id in panel

    @invariant()
    def the_committee_is_odd_large_enough_with_one_chair(self) -> None:
        members = self.committee.members
        assert members == self.members
        ids = [m.account_id for m in members]
        assert len(set(ids)) == len(ids)
        assert len(ids) % 2 == 1
        assert [m for m in members if m.chair] == [self.committee.chair]

    @invariant()
    def version_counts_the_stored_events(self) -> None:
        assert self.committee.version == len(self.stored)

    @invariant()
    def replay_equals_live_state(self) -> None:
        assert_replay_equals_live(self.stored, self.committee)

    @invariant()
    def snapshots_restore_the_live_state(self) -> None:
        self.snapshots.check(self.committee)


GrievanceCommitteeMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=20, deadline=None
)
TestGrievanceCommitteeMachine = GrievanceCommitteeMachine.TestCase
