"""A state machine for TenderSecurities: extension requests answered, declined or lapsed,
bid securities recorded, released and forfeited, performance securities recorded for
awards, on a clock that moves forward past the validity ends. Each command succeeds exactly
when a plain model says it may, and a refusal changes nothing; no award goes to a bid that
is expired, declined or lapsed; no contract without the performance security; a security is
closed (released or forfeited) at most once, never forfeited after its release; replay
through real serialisation always equals the live file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain import errors
from domain.rules import security_rules
from domain.securities import (
    Bidder,
    ForfeitReason,
    Instrument,
    SecurityState,
    Standing,
    TenderSecurities,
)
from domain.values import Actor, Money, Role
from tests.property.test_tender_machine import assert_replay_equals_live, store
from tests.support import START, officer, vendor

DAY = timedelta(days=1)
ENDS = START + 90 * DAY
REQUIRED = Money(amount=Decimal("1000.00"))
BIDDERS = 3
AWARDS = 2


@dataclass
class BidderModel:
    valid_until: datetime = ENDS
    standing: Standing = Standing.VALID
    answered: int = 0
    state: SecurityState = SecurityState.NONE
    extended: bool = False  # stated an extended security, for an officer to confirm
    closings: int = 0


@dataclass
class Model:
    bidders: list[BidderModel] = field(default_factory=lambda: [BidderModel() for _ in range(3)])
    requests: list[tuple[datetime, datetime]] = field(default_factory=list)  # (new end, due)
    performance: set[int] = field(default_factory=set)

    def waiting(self, bidder: BidderModel) -> bool:
        return (
            bool(self.requests)
            and bidder.standing is Standing.VALID
            and bidder.answered < len(self.requests)
        )

    def open_request(self) -> bool:
        return any(self.waiting(b) for b in self.bidders)


def money(amount: str) -> Money:
    return Money(amount=Decimal(amount))


def instrument(amount: str) -> Instrument:
    return Instrument(bank="Bank", reference="R-1", amount=money(amount), confirmed_at=START)


amounts = st.sampled_from(["999.99", "1000.00", "5000.00"])
steps = st.sampled_from([timedelta(0), DAY, 30 * DAY, 60 * DAY])


class SecuritiesMachine(RuleBasedStateMachine):
    @initialize()
    def open_file(self) -> None:
        self.now = START
        self.entity = officer()
        self.vendors = [vendor() for _ in range(BIDDERS)]
        self.awards = [uuid4() for _ in range(AWARDS)]
        self.file = TenderSecurities(
            tender_id=uuid4(),
            entity="works",
            bidders=[
                Bidder(bid_id=uuid4(), vendor_id=v.account_id, vendor_name="v", valid_until=ENDS)
                for v in self.vendors
            ],
            bid_security=REQUIRED,
            rules=security_rules("sppra"),
            actor=self.entity,
            timestamp=START,
        )
        self.model = Model()
        self.stored: list[StoredEvent] = []
        self._save()

    def _save(self) -> None:
        self.stored.extend(store(e) for e in self.file.collect_events())

    def _attempt(self, allowed: bool, command: Callable[[], object]) -> bool:
        """Run the command; it succeeds exactly when ``allowed``, and a refusal changes
        nothing."""
        version = self.file.version
        refused: errors.ProcurementError | None = None
        try:
            command()
        except errors.ProcurementError as error:
            refused = error
        if refused is not None:
            assert not allowed, f"refused with {refused.code}, the model allows it"
            assert self.file.version == version
            assert self.file._pending_events == []  # nothing half-done
            return False
        assert allowed, "accepted, the model refuses it"
        self._save()
        return True

    @rule(step=steps)
    def time_passes(self, step: timedelta) -> None:
        self.now += step

    @rule(days=st.sampled_from([-1, 0, 10, 40]), blank=st.booleans())
    def request_extension(self, days: int, blank: bool) -> None:
        remaining = [b for b in self.model.bidders if b.standing is Standing.VALID]
        latest = max((b.valid_until for b in remaining), default=ENDS)
        new_end = latest + days * DAY
        current = min((b.valid_until for b in remaining), default=None)
        allowed = (
            not blank
            and not self.model.open_request()
            and current is not None
            and self.now < current
            and days > 0
        )
        if self._attempt(
            allowed,
            lambda: self.file.request_extension(
                new_end=new_end,
                reason=" " if blank else "audit",
                actor=self.entity,
                timestamp=self.now,
            ),
        ):
            assert current is not None
            self.model.requests.append((new_end, current))

    @rule(who=st.integers(0, BIDDERS - 1), accept=st.booleans(), amount=amounts)
    def answer(self, who: int, accept: bool, amount: str) -> None:
        bidder = self.model.bidders[who]
        due = self.model.requests[-1][1] if self.model.requests else self.now
        allowed = self.model.waiting(bidder) and self.now < due
        if accept:
            allowed = allowed and Decimal(amount) >= REQUIRED.amount
        if self._attempt(
            allowed,
            lambda: self.file.answer_extension(
                accepted=accept,
                instrument=instrument(amount) if accept else None,
                actor=self.vendors[who],
                timestamp=self.now,
            ),
        ):
            bidder.answered = len(self.model.requests)
            if accept:
                bidder.valid_until = self.model.requests[-1][0]
                bidder.extended = True
            else:
                bidder.standing = Standing.DECLINED

    @rule()
    def scheduler_lapses(self) -> None:
        lapsing = self.file.lapsing(self.now)
        due = self.model.requests[-1][1] if self.model.requests else None
        expected = [
            i
            for i, b in enumerate(self.model.bidders)
            if due is not None and self.now >= due and self.model.waiting(b)
        ]
        assert lapsing == [self.vendors[i].account_id for i in expected]
        if not lapsing:
            return
        system = Actor(account_id=uuid4(), role=Role.SYSTEM, request_id="scheduler")
        lapse = lambda: self.file.lapse(vendors=lapsing, actor=system, timestamp=self.now)  # noqa: E731
        assert self._attempt(allowed=True, command=lapse)
        for i in expected:
            self.model.bidders[i].standing = Standing.LAPSED
            self.model.bidders[i].answered = len(self.model.requests)

    @rule(who=st.integers(0, BIDDERS - 1), amount=amounts)
    def record_security(self, who: int, amount: str) -> None:
        bidder = self.model.bidders[who]
        open_to_record = bidder.state is SecurityState.NONE or (
            bidder.state is SecurityState.HELD and bidder.extended
        )
        allowed = open_to_record and Decimal(amount) >= REQUIRED.amount
        if self._attempt(
            allowed,
            lambda: self.file.record_bid_security(
                vendor_id=self.vendors[who].account_id,
                instrument=instrument(amount),
                actor=self.entity,
                timestamp=self.now,
            ),
        ):
            bidder.state = SecurityState.HELD
            bidder.extended = False

    @rule(who=st.integers(0, BIDDERS - 1))
    def release(self, who: int) -> None:
        bidder = self.model.bidders[who]
        if self._attempt(
            bidder.state is SecurityState.HELD,
            lambda: self.file.release_bid_security(
                vendor_id=self.vendors[who].account_id, actor=self.entity, timestamp=self.now
            ),
        ):
            bidder.state = SecurityState.RELEASED
            bidder.closings += 1

    @rule(who=st.integers(0, BIDDERS - 1), reason=st.sampled_from(list(ForfeitReason)))
    def forfeit(self, who: int, reason: ForfeitReason) -> None:
        bidder = self.model.bidders[who]
        allowed = bidder.state is SecurityState.HELD and bidder.standing is Standing.VALID
        if self._attempt(
            allowed,
            lambda: self.file.forfeit_bid_security(
                vendor_id=self.vendors[who].account_id,
                reason=reason,
                text="stated",
                actor=self.entity,
                timestamp=self.now,
            ),
        ):
            bidder.state = SecurityState.FORFEITED
            bidder.closings += 1

    @rule(award=st.integers(0, AWARDS - 1), amount=amounts)
    def record_performance(self, award: int, amount: str) -> None:
        allowed = award not in self.model.performance and Decimal(amount) >= REQUIRED.amount
        if self._attempt(
            allowed,
            lambda: self.file.record_performance_security(
                award_id=self.awards[award],
                vendor_id=self.vendors[0].account_id,
                instrument=instrument(amount),
                required=REQUIRED,
                actor=self.entity,
                timestamp=self.now,
            ),
        ):
            self.model.performance.add(award)

    @rule(who=st.integers(0, BIDDERS - 1))
    def award(self, who: int) -> None:
        """No award to an expired, declined or lapsed bid, nor to a bidder whose security
        was forfeited."""
        bidder = self.model.bidders[who]
        bid_id = self.file.bidders[self.vendors[who].account_id].bid_id
        valid = bidder.standing is Standing.VALID and self.now < bidder.valid_until
        forfeited = bidder.state is SecurityState.FORFEITED
        try:
            self.file.check_can_award(bid_id, self.now)
        except errors.SecurityForfeitedError:
            assert forfeited
        except errors.BidValidityExpiredError:
            assert not valid
            assert not forfeited
        else:
            assert valid
            assert not forfeited

    @rule(award=st.integers(0, AWARDS - 1))
    def contract(self, award: int) -> None:
        """No contract without the performance security."""
        try:
            self.file.check_performance_security(self.awards[award])
        except errors.PerformanceSecurityRequiredError:
            assert award not in self.model.performance
        else:
            assert award in self.model.performance

    @invariant()
    def closed_at_most_once(self) -> None:
        for i, bidder in enumerate(self.model.bidders):
            assert bidder.closings <= 1
            live = self.file.bidders[self.vendors[i].account_id]
            assert live.state is bidder.state
            assert live.standing is bidder.standing
            assert live.valid_until == bidder.valid_until

    @invariant()
    def replay_equals_live(self) -> None:
        assert_replay_equals_live(self.stored, self.file)


SecuritiesMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
TestSecuritiesMachine = SecuritiesMachine.TestCase
