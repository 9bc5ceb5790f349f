"""A state machine for Bid: random submissions, replacements and withdrawals by the owner
and by strangers, around a moving deadline. Replay through real serialisation always equals
the live bid, a refused command changes nothing, and no invariant breaks."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain import errors
from domain.bid import Bid, BidStatus, EnvelopeName, SealedBid, SealedEnvelope, bid_id_for
from domain.values import Method
from tests.property.test_tender_machine import MAPPER, replay, state_of, store
from tests.snapshot_check import SnapshotWatch
from tests.support import START, vendor

METHODS = st.sampled_from([Method.SINGLE_STAGE_ONE_ENVELOPE, Method.SINGLE_STAGE_TWO_ENVELOPE])
DEADLINE = START + timedelta(days=10)


def envelopes(names: tuple[EnvelopeName, ...], seed: int) -> SealedBid:
    return SealedBid(
        envelopes=tuple(
            SealedEnvelope(name=n, ciphertext="QUJD" * (seed % 5 + 1), commitment=f"{seed:064x}")
            for n in names
        )
    )


class BidMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.owner = vendor()
        self.stranger = vendor()
        self.tender_id = uuid4()
        self.now = START
        self.deadline = DEADLINE
        self.stored: list[StoredEvent] = []
        self.snapshots = SnapshotWatch(MAPPER.transcoder)
        self.withdrawals = 0

    @initialize(method=METHODS, seed=st.integers(0, 10**6))
    def submit(self, method: Method, seed: int) -> None:
        self.method = method
        self.bid = Bid(
            tender_id=self.tender_id,
            vendor_id=self.owner.account_id,
            envelopes=envelopes(self._names(), seed),
            method=method,
            deadline=self.deadline,
            actor=self.owner,
            timestamp=self.now,
        )
        self._keep()

    def _names(self) -> tuple[EnvelopeName, ...]:
        if self.method is Method.SINGLE_STAGE_ONE_ENVELOPE:
            return (EnvelopeName.BID,)
        return (EnvelopeName.TECHNICAL, EnvelopeName.FINANCIAL)

    def _keep(self) -> None:
        self.stored.extend(store(e) for e in self.bid.collect_events())

    def _attempt(self, command: Any, allowed: set[type[errors.ProcurementError]]) -> bool:
        before = copy.deepcopy(state_of(self.bid))
        try:
            command()
        except errors.ProcurementError as refusal:
            # Which refusal is right depends on the state: the model gives the set.
            assert type(refusal) in allowed, f"{type(refusal).__name__} not in {allowed}"  # noqa: PT017
            assert state_of(self.bid) == before, "a refused command changed the bid"
            return False
        assert not allowed, f"expected one of {allowed}, but the command went through"
        self._keep()
        return True

    @rule(span=st.integers(-3 * 86400, 3 * 86400))
    def move_time(self, span: int) -> None:
        self.now = max(START, self.now + timedelta(seconds=span))

    @rule(days=st.integers(0, 5))
    def extend_deadline(self, days: int) -> None:
        self.deadline += timedelta(days=days)

    @rule(by_owner=st.booleans(), seed=st.integers(0, 10**6), wrong_shape=st.booleans())
    def replace(self, by_owner: bool, seed: int, wrong_shape: bool) -> None:
        actor = self.owner if by_owner else self.stranger
        names = self._names()[:1] if wrong_shape and len(self._names()) == 2 else self._names()
        expected: set[type[errors.ProcurementError]] = set()
        if not by_owner or names != self._names():
            expected.add(errors.InvalidTermsError)
        if self.now >= self.deadline:
            expected.add(errors.DeadlinePassedError)
        replaced = self._attempt(
            lambda: self.bid.replace(
                envelopes=envelopes(names, seed),
                method=self.method,
                deadline=self.deadline,
                actor=actor,
                timestamp=self.now,
            ),
            expected,
        )
        assert replaced == (not expected)
        if replaced:
            assert self.bid.status is BidStatus.SUBMITTED
            assert self.bid.received_at == self.now

    @rule(by_owner=st.booleans())
    def withdraw(self, by_owner: bool) -> None:
        actor = self.owner if by_owner else self.stranger
        expected: set[type[errors.ProcurementError]] = set()
        if not by_owner:
            expected.add(errors.InvalidTermsError)
        if self.now >= self.deadline:
            expected.add(errors.DeadlinePassedError)
        if self.bid.status is BidStatus.WITHDRAWN:
            expected.add(errors.BidNotLiveError)
        if self._attempt(
            lambda: self.bid.withdraw(deadline=self.deadline, actor=actor, timestamp=self.now),
            expected,
        ):
            self.withdrawals += 1
            assert self.bid.status is BidStatus.WITHDRAWN

    @invariant()
    def identity_is_the_tender_and_vendor(self) -> None:
        assert self.bid.id == bid_id_for(self.tender_id, self.owner.account_id)
        assert self.bid.vendor_id == self.owner.account_id

    @invariant()
    def envelopes_fit_the_method(self) -> None:
        assert self.bid.envelopes.names() == self._names()

    @invariant()
    def version_counts_the_stored_events(self) -> None:
        assert self.bid.version == len(self.stored)

    @invariant()
    def replay_equals_live_state(self) -> None:
        assert state_of(replay(self.stored)) == state_of(self.bid)

    @invariant()
    def snapshots_restore_the_live_state(self) -> None:
        """Time travel's snapshot of every version, decoded, is the live bid."""
        self.snapshots.check(self.bid)


BidMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)
TestBidMachine = BidMachine.TestCase
