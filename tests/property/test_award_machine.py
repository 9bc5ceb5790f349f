"""A state machine for Award: complaints lodged by bidders and by strangers, decided upheld or
dismissed, cancellation and the contract, on a clock that moves back and forth around the
standstill. Each command's refusal is one the model allows and changes nothing; no contract
is ever signed during the standstill or while a complaint is pending; a cancelled or
contracted award stays so (and a fallen award keeps the reason it fell for); replay through
real serialisation always equals the live award."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain import errors
from domain.award import Award, AwardStatus, ComplaintStatus, ContractPeriod, Remedy
from domain.values import Actor, Money
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
DAY = timedelta(days=1)
STANDSTILLS = [timedelta(0), SECOND, 7 * DAY, 10 * DAY, 15 * DAY, 15 * DAY]
"""From none at all (the award's own moment) to the rules' longest, mostly days."""

AWARD_VALUE = Decimal("1234567.89")

reasons = st.one_of(blanks, texts, st.just("The bid security was not verified"), st.just("Late"))
"""Blank in about a third of the draws."""


def _blank_or_text(draw: int) -> st.SearchStrategy[str]:
    return texts if draw == 0 else blanks


rare_texts = st.integers(0, 9).flatmap(_blank_or_text)
"""Mostly blank: a cancelled award refuses everything else, so cancel it only now and then."""


@dataclass
class AwardModel:
    standstill_ends: datetime
    currency: str
    status: AwardStatus = AwardStatus.STANDSTILL
    complaints: dict[UUID, ComplaintStatus] = field(default_factory=dict)
    lodged_by: dict[UUID, UUID] = field(default_factory=dict)
    signed_at: datetime | None = None
    pending_at_signing: list[UUID] | None = None

    @property
    def active(self) -> bool:
        return self.status is AwardStatus.STANDSTILL

    def pending(self) -> list[UUID]:
        return [key for key, s in self.complaints.items() if s is ComplaintStatus.PENDING]

    def lodge_errors(
        self, complaint_id: UUID, grounds: str, bidder: bool, now: datetime
    ) -> set[ErrorType]:
        expected: set[ErrorType] = set()
        if not self.active:
            expected.add(errors.AwardNotActiveError)
        if not bidder:
            expected.add(errors.NotABidderError)
        if now >= self.standstill_ends:
            expected.add(errors.ComplaintPeriodClosedError)
        if is_blank(grounds):
            expected.add(errors.ReasonRequiredError)
        if complaint_id in self.complaints:
            expected.add(errors.ComplaintExistsError)
        return expected

    def decide_errors(
        self, complaint_id: UUID, upheld: bool, remedy: Remedy | None, reasons: str
    ) -> set[ErrorType]:
        expected: set[ErrorType] = set()
        if complaint_id not in self.complaints:
            expected.add(errors.ComplaintNotFoundError)
        elif self.complaints[complaint_id] is not ComplaintStatus.PENDING:
            expected.add(errors.ComplaintDecidedError)
        if is_blank(reasons) or (upheld and remedy is None):
            expected.add(errors.ReasonRequiredError)
        if upheld and not self.active:
            expected.add(errors.AwardNotActiveError)  # a fallen award falls only once
        if not upheld and remedy is not None:
            expected.add(errors.InvalidTermsError)
        return expected

    def cancel_errors(self, reason: str) -> set[ErrorType]:
        expected: set[ErrorType] = set()
        if not self.active:
            expected.add(errors.AwardNotActiveError)
        if self.pending():
            expected.add(errors.ComplaintPendingError)
        if is_blank(reason):
            expected.add(errors.ReasonRequiredError)
        return expected

    def sign_errors(self, value: Money, period: ContractPeriod, now: datetime) -> set[ErrorType]:
        expected: set[ErrorType] = set()
        if not self.active:
            expected.add(errors.AwardNotActiveError)
        if now < self.standstill_ends:
            expected.add(errors.StandstillError)
        if self.pending():
            expected.add(errors.ComplaintPendingError)
        if value.currency != self.currency or value.amount <= 0:
            expected.add(errors.InvalidTermsError)
        if period.end <= period.start:
            expected.add(errors.InvalidTermsError)
        return expected


class AwardMachine(RuleBasedStateMachine):
    award: Award
    model: AwardModel

    def __init__(self) -> None:
        super().__init__()
        self.officer = officer("wsd")
        self.winner = vendor()
        self.bidders = [self.winner, vendor(), vendor()]
        self.stranger = vendor()
        self.now = START
        self.stored: list[StoredEvent] = []
        self.snapshots = SnapshotWatch(MAPPER.transcoder)
        self.terminal: AwardStatus | None = None
        self.cancellation_reason: str | None = None

    @initialize(
        award_id=st.uuids(),
        standstill=st.sampled_from(STANDSTILLS),
        currency=st.sampled_from(["PKR", "PKR", "USD"]),
        complaints=st.lists(st.uuids(), max_size=2, unique=True),
    )
    def make_award(
        self, award_id: UUID, standstill: timedelta, currency: str, complaints: list[UUID]
    ) -> None:
        """The award, and at once none, one or two complaints by the losing bidders."""
        ends = START + standstill
        self.award = Award(
            id=award_id,
            tender_id=uuid4(),
            entity="wsd",
            report_number=1,
            bid_id=uuid4(),
            vendor_id=self.winner.account_id,
            vendor_name="Indus Builders (Pvt) Ltd",
            value=Money(amount=AWARD_VALUE, currency=currency),
            rank=1,
            reason="",
            standstill_ends=ends,
            bidders=[bidder.account_id for bidder in self.bidders],
            actor=self.officer,
            timestamp=START,
        )
        assert self.award.id == award_id
        assert self.award.made_at == START
        self.model = AwardModel(standstill_ends=ends, currency=currency)
        self.stored.extend(store(made) for made in self.award.collect_events())
        for bidder, complaint_id in zip(self.bidders[1:], complaints, strict=False):
            self.lodge(bidder, complaint_id, "The evaluation ignored our discount", bidder=True)

    # Running one command ------------------------------------------------------------------

    def attempt(self, command: Callable[[], None], expected: set[ErrorType]) -> bool:
        """Run the command: refused, with an error the model allows and nothing changed; or
        done, when the model expected no error, with exactly one event stored."""
        award = self.award
        version = award.version
        before = copy.deepcopy(state_of(award))
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
            assert award.version == version, "a refused command changed the version"
            assert award._pending_events == [], "a refused command left an event"
            assert state_of(award) == before, "a refused command changed the award"
            return False
        event(f"{command.__name__}: done")
        assert not expected, f"the command succeeded; expected {names(expected)}"
        emitted = award.collect_events()
        assert len(emitted) == 1, f"one command emitted {len(emitted)} events"
        assert award.version == version + 1
        self.stored.append(store(emitted[0]))
        return True

    # The clock ----------------------------------------------------------------------------

    @rule(
        seconds=st.one_of(
            st.integers(-6 * 3600, 36 * 3600), st.integers(-2 * 86400, 6 * 86400), st.just(0)
        )
    )
    def move_time(self, seconds: int) -> None:
        """On by up to six days, or back by up to two, but never before the award."""
        self.now = max(START, self.now + seconds * SECOND)

    @rule(jitter=st.sampled_from([-1, 0, 1]))
    def go_to_the_standstill_end(self, jitter: int) -> None:
        """To a second either side of the standstill's end, or on it: back, if it is past."""
        self.now = max(START, self.model.standstill_ends + jitter * SECOND)

    @rule(share=st.integers(0, 99))
    def back_into_the_standstill(self, share: int) -> None:
        """Back (or on) to a moment inside the standstill, so complaints come at any time."""
        self.now = START + (self.model.standstill_ends - START) * share / 100

    # The commands -------------------------------------------------------------------------

    @rule(
        data=st.data(),
        who=st.sampled_from(["winner", "bidder", "bidder", "bidder", "stranger", "officer"]),
        grounds=st.one_of(reasons, st.just("The winner's experience was overstated")),
        reuse_id=st.sampled_from([False] * 4 + [True]),
    )
    def lodge_complaint(self, data: st.DataObject, who: str, grounds: str, reuse_id: bool) -> None:
        actor: Actor = {
            "winner": self.winner,
            "bidder": data.draw(st.sampled_from(self.bidders[1:]), label="bidder"),
            "stranger": self.stranger,
            "officer": self.officer,
        }[who]
        used = sorted(self.model.complaints)
        pick = st.sampled_from(used) if reuse_id and used else st.uuids()
        complaint_id = data.draw(pick, label="complaint id")
        self.lodge(actor, complaint_id, grounds, bidder=who in {"winner", "bidder"})

    @rule(complaint_ids=st.lists(st.uuids(), min_size=2, max_size=2, unique=True))
    def the_losers_complain(self, complaint_ids: list[UUID]) -> None:
        """Both losing bidders complain, with grounds (too late, if the standstill is over)."""
        for bidder, complaint_id in zip(self.bidders[1:], complaint_ids, strict=True):
            self.lodge(bidder, complaint_id, "The winner's bid security is forged", bidder=True)

    def lodge(self, actor: Actor, complaint_id: UUID, grounds: str, *, bidder: bool) -> None:
        expected = self.model.lodge_errors(complaint_id, grounds, bidder, self.now)

        def lodging() -> None:
            self.award.lodge_complaint(
                complaint_id=complaint_id, grounds=grounds, actor=actor, timestamp=self.now
            )

        if self.attempt(lodging, expected):
            self.model.complaints[complaint_id] = ComplaintStatus.PENDING
            self.model.lodged_by[complaint_id] = actor.account_id
            complaint = self.award.complaints[complaint_id]
            assert (complaint.grounds, complaint.lodged_at) == (grounds, self.now)
            assert complaint.vendor_id == actor.account_id

    @precondition(lambda self: bool(self.model.complaints))
    @rule(
        data=st.data(),
        upheld=st.sampled_from([False, False, False, True]),
        remedy=st.sampled_from([None, None, Remedy.REOPEN_EVALUATION, Remedy.CANCEL_AWARD]),
        reasons=reasons,
    )
    def decide_complaint(
        self, data: st.DataObject, upheld: bool, remedy: Remedy | None, reasons: str
    ) -> None:
        complaint_id = data.draw(st.sampled_from(sorted(self.model.complaints)), label="which")
        self.decide(complaint_id, upheld, remedy, reasons)

    @rule(
        complaint_id=st.uuids(),
        upheld=st.booleans(),
        remedy=st.sampled_from([None, *Remedy]),
        reasons=reasons,
    )
    def decide_unknown_complaint(
        self, complaint_id: UUID, upheld: bool, remedy: Remedy | None, reasons: str
    ) -> None:
        self.decide(complaint_id, upheld, remedy, reasons)

    def decide(self, complaint_id: UUID, upheld: bool, remedy: Remedy | None, reasons: str) -> None:
        expected = self.model.decide_errors(complaint_id, upheld, remedy, reasons)

        def deciding() -> None:
            self.award.decide_complaint(
                complaint_id=complaint_id,
                upheld=upheld,
                remedy=remedy,
                reasons=reasons,
                actor=self.officer,
                timestamp=self.now,
            )

        if self.attempt(deciding, expected):
            decided = ComplaintStatus.UPHELD if upheld else ComplaintStatus.DISMISSED
            self.model.complaints[complaint_id] = decided
            complaint = self.award.complaints[complaint_id]
            assert complaint.status is decided
            assert complaint.remedy == remedy
            assert (complaint.decision_reasons, complaint.decided_at) == (reasons, self.now)
            if upheld:
                self.model.status = AwardStatus.CANCELLED

    @rule(reason=rare_texts)
    def cancel(self, reason: str) -> None:
        expected = self.model.cancel_errors(reason)

        def cancelling() -> None:
            self.award.cancel(reason=reason, actor=self.officer, timestamp=self.now)

        if self.attempt(cancelling, expected):
            self.model.status = AwardStatus.CANCELLED
            assert self.award.cancellation_reason == reason

    @rule(
        value=st.sampled_from(["award", "award", "other amount", "zero", "other currency"]),
        period=st.sampled_from(["good", "good", "good", "empty", "reversed"]),
        starts_in=st.integers(-30, 30),
        lasts=st.integers(1, 720),
    )
    def sign_contract(self, value: str, period: str, starts_in: int, lasts: int) -> None:
        currency = self.model.currency
        money = {
            "award": Money(amount=AWARD_VALUE, currency=currency),
            "other amount": Money(amount=AWARD_VALUE - Decimal("1000.00"), currency=currency),
            "zero": Money(amount=Decimal("0.00"), currency=currency),
            "other currency": Money(amount=AWARD_VALUE, currency="EUR"),
        }[value]
        start = self.now + starts_in * DAY
        end = {"good": start + lasts * DAY, "empty": start, "reversed": start - lasts * DAY}[period]
        term = ContractPeriod(start=start, end=end)
        expected = self.model.sign_errors(money, term, self.now)
        pending = self.model.pending()

        def signing() -> None:
            self.award.sign_contract(
                value=money, period=term, actor=self.officer, timestamp=self.now
            )

        if self.attempt(signing, expected):
            self.model.status = AwardStatus.CONTRACTED
            self.model.signed_at = self.now
            self.model.pending_at_signing = pending
            contract = self.award.contract
            assert contract is not None
            assert (contract.value, contract.period, contract.signed_at) == (money, term, self.now)
            assert contract.supplier_id == self.winner.account_id

    # Invariants ---------------------------------------------------------------------------

    @invariant()
    def follows_the_model(self) -> None:
        award = self.award
        assert award.status is self.model.status
        assert {key: c.status for key, c in award.complaints.items()} == self.model.complaints
        assert {key: c.vendor_id for key, c in award.complaints.items()} == self.model.lodged_by
        assert [c.id for c in award.pending_complaints()] == self.model.pending()
        assert (award.cancellation_reason is not None) == (award.status is AwardStatus.CANCELLED)
        assert award.standstill_ends == self.model.standstill_ends

    @invariant()
    def complaints_come_from_bidders_during_the_standstill(self) -> None:
        for key, complaint in self.award.complaints.items():
            assert complaint.id == key
            assert complaint.vendor_id in self.award.bidders
            assert complaint.lodged_at < self.award.standstill_ends
            assert (complaint.decided_at is None) == (complaint.status is ComplaintStatus.PENDING)
            assert (complaint.remedy is not None) == (complaint.status is ComplaintStatus.UPHELD)
        upheld = [c for c in self.award.complaints.values() if c.status is ComplaintStatus.UPHELD]
        assert len(upheld) <= 1, "an award fell twice"

    @invariant()
    def no_contract_in_the_standstill_or_under_complaint(self) -> None:
        contract = self.award.contract
        assert (contract is not None) == (self.award.status is AwardStatus.CONTRACTED)
        assert (contract is not None) == (self.model.signed_at is not None)
        if contract is None:
            return
        assert contract.signed_at == self.model.signed_at
        assert contract.signed_at >= self.award.standstill_ends, "signed during the standstill"
        assert self.model.pending_at_signing == [], "signed while a complaint was pending"
        assert self.award.pending_complaints() == [], "a complaint is pending on a contract"

    @invariant()
    def cancelled_or_contracted_is_final(self) -> None:
        """And a cancelled award keeps the reason it was first cancelled for."""
        status, reason = self.award.status, self.award.cancellation_reason
        if self.terminal is not None:
            assert status is self.terminal, f"a {self.terminal.value} award became {status}"
            assert reason == self.cancellation_reason, "the cancellation's reason changed"
        elif status is not AwardStatus.STANDSTILL:
            self.terminal, self.cancellation_reason = status, reason

    @invariant()
    def version_counts_the_stored_events(self) -> None:
        assert self.award.version == len(self.stored)
        assert self.award._pending_events == []

    @invariant()
    def replay_equals_live_state(self) -> None:
        assert_replay_equals_live(self.stored, self.award)

    @invariant()
    def snapshots_restore_the_live_state(self) -> None:
        """Time travel's snapshot of every version, decoded, is the live award."""
        self.snapshots.check(self.award)


AwardMachine.TestCase.settings = settings(max_examples=250, stateful_step_count=40, deadline=None)
TestAwardMachine = AwardMachine.TestCase


@pytest.mark.parametrize(
    ("standstill", "to_a_bidder", "refusal"),
    [
        (-SECOND, True, errors.InvalidTermsError),
        (-DAY, False, errors.InvalidTermsError),
        (DAY, False, errors.NotABidderError),
    ],
)
def test_an_award_needs_a_standstill_after_it_and_a_bidder(
    standstill: timedelta, to_a_bidder: bool, refusal: ErrorType
) -> None:
    winner, other = vendor(), vendor()
    with pytest.raises(refusal):
        Award(
            id=uuid4(),
            tender_id=uuid4(),
            entity="wsd",
            report_number=1,
            bid_id=uuid4(),
            vendor_id=winner.account_id if to_a_bidder else uuid4(),
            vendor_name="Indus Builders (Pvt) Ltd",
            value=Money(amount=AWARD_VALUE),
            rank=1,
            reason="",
            standstill_ends=START + standstill,
            bidders=[winner.account_id, other.account_id],
            actor=officer("wsd"),
            timestamp=START,
        )
