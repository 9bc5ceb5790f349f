"""A tender's bid validity and securities: ``TenderSecurities``, one per tender (its id
derived from the tender's, as ``TenderComplaints``'s is). See docs/securities.md.

It holds, for each bidder of the opening (a withdrawn bid is not one):

- its bid's validity end: the submission deadline plus the notice's validity days, until an
  extension moves it; a bidder who declines an extension, or does not answer it before the
  old end (the scheduler lapses it), leaves the competition without forfeiture;
- its bid security, once an officer records the bank's confirmation; then its release, or
  its forfeiture for a reason of ``ForfeitReason``; and a flag when its release is overdue
  under the rules' period (``SecurityRules.release_period``);

and the performance security recorded for an award (by the award's id: one per award).

The invariants the award and the contract rely on: a bid awarded is valid
(``check_can_award``), a contract is signed only with the performance security the notice
asks (``check_performance_security``), a security is closed (released or forfeited) once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import (
    BidNotFoundError,
    BidValidityExpiredError,
    ExtensionRequestError,
    ForbiddenError,
    InvalidTermsError,
    PerformanceSecurityRequiredError,
    PerformanceSecurityTooHighError,
    ReasonRequiredError,
    SecurityClosedError,
    SecurityForfeitedError,
    SecurityInsufficientError,
    SecurityNotRecordedError,
    SecurityRecordedError,
)
from domain.fields import Reason, ShortId, Title
from domain.rules import SecurityRules
from domain.values import Actor, Money, Role, TenderTerms, UtcDatetime, ValueObject

SECURITIES_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:securities")


def securities_id_for(tender_id: UUID) -> UUID:
    return uuid5(SECURITIES_NAMESPACE, f"securities:{tender_id}")


def validity_end(terms: TenderTerms) -> datetime:
    """When a bid's validity ends unless extended: the deadline plus the notice's days."""
    return terms.timeline.submission_deadline + timedelta(days=terms.bid_validity_days)


def check_performance_security_percent(terms: TenderTerms, rules: SecurityRules) -> None:
    """A notice asks a performance security of more than nothing, up to the rules' cap.
    Checked by the application when publishing (tenders published before it had none)."""
    percent = terms.performance_security_percent
    if percent is not None and not 0 < percent <= rules.performance_security_max_percent:
        raise PerformanceSecurityTooHighError(
            "the performance security is more than 0% and at most "
            f"{rules.performance_security_max_percent}% of the contract's value"
        )


class ForfeitReason(StrEnum):
    """Why a bid security is forfeited (with the officer's text)."""

    WITHDRAWAL_AFTER_DEADLINE = "withdrawal_after_deadline"
    REFUSAL_TO_SIGN = "refusal_to_sign"
    OTHER = "other"


class Standing(StrEnum):
    """A bid's place in the competition, as its validity decides it."""

    VALID = "valid"
    DECLINED = "declined"  # declined an extension: left without forfeiture
    LAPSED = "lapsed"  # did not answer an extension before the old end: as declined


class SecurityState(StrEnum):
    NONE = "none"  # not recorded
    HELD = "held"
    RELEASED = "released"
    FORFEITED = "forfeited"


class Instrument(ValueObject):
    """A bank's instrument: a guarantee, a pay order, a draft."""

    bank: Title
    reference: ShortId
    amount: Money
    confirmed_at: UtcDatetime | None = None
    """When the bank confirmed it (recorded by an officer); None: stated by the bidder only."""


class Bidder(ValueObject):
    """A bidder of the opening: its validity, its answer to the open request, its security."""

    bid_id: UUID
    vendor_id: UUID
    vendor_name: str
    valid_until: datetime
    standing: Standing = Standing.VALID
    left_at: datetime | None = None
    answered: int = 0  # the last extension request it answered (or that lapsed for it)
    security: Instrument | None = None
    extended_security: Instrument | None = None  # stated when accepting an extension
    state: SecurityState = SecurityState.NONE
    closed_at: datetime | None = None
    forfeit_reason: ForfeitReason | None = None
    forfeit_text: str | None = None
    release_overdue: bool = False


class ExtensionRequest(ValueObject):
    number: int
    new_end: datetime
    reason: str
    asked_at: datetime
    due: datetime  # the validity end it extends: an answer comes before it


class PerformanceSecurity(ValueObject):
    award_id: UUID
    vendor_id: UUID
    instrument: Instrument
    required: Money
    recorded_at: datetime


class TenderSecurities(Aggregate):
    TOPIC = "procurement:TenderSecurities"

    class Created(Aggregate.Created):
        TOPIC = "procurement:TenderSecurities.Created"

    class Opened(Aggregate.Created):
        TOPIC = "procurement:TenderSecurities.Opened"
        tender_id: UUID
        entity: str
        bidders: list[Bidder]
        bid_security: Money | None
        rules: SecurityRules
        actor: Actor

    class ExtensionRequested(Aggregate.Event):
        TOPIC = "procurement:TenderSecurities.ExtensionRequested"
        new_end: datetime
        reason: str
        actor: Actor

    class ExtensionAnswered(Aggregate.Event):
        TOPIC = "procurement:TenderSecurities.ExtensionAnswered"
        accepted: bool
        instrument: Instrument | None
        actor: Actor

    class ExtensionsLapsed(Aggregate.Event):
        TOPIC = "procurement:TenderSecurities.ExtensionsLapsed"
        vendors: list[UUID]
        actor: Actor

    class BidSecurityRecorded(Aggregate.Event):
        TOPIC = "procurement:TenderSecurities.BidSecurityRecorded"
        vendor_id: UUID
        instrument: Instrument
        actor: Actor

    class BidSecurityReleased(Aggregate.Event):
        TOPIC = "procurement:TenderSecurities.BidSecurityReleased"
        vendor_id: UUID
        actor: Actor

    class BidSecurityForfeited(Aggregate.Event):
        TOPIC = "procurement:TenderSecurities.BidSecurityForfeited"
        vendor_id: UUID
        reason: ForfeitReason
        text: str
        actor: Actor

    class ReleasesOverdue(Aggregate.Event):
        TOPIC = "procurement:TenderSecurities.ReleasesOverdue"
        vendors: list[UUID]
        actor: Actor

    class PerformanceSecurityRecorded(Aggregate.Event):
        TOPIC = "procurement:TenderSecurities.PerformanceSecurityRecorded"
        award_id: UUID
        vendor_id: UUID
        instrument: Instrument
        required: Money
        actor: Actor

    @staticmethod
    def create_id(tender_id: UUID, **_: object) -> UUID:
        return securities_id_for(tender_id)

    @event(Opened)
    def __init__(
        self,
        *,
        tender_id: UUID,
        entity: str,
        bidders: list[Bidder],
        bid_security: Money | None,
        rules: SecurityRules,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.tender_id = tender_id
        self.entity = entity
        self.bidders: dict[UUID, Bidder] = {b.vendor_id: b for b in bidders}
        self.bid_security = bid_security
        self.rules = rules
        self.requests: list[ExtensionRequest] = []
        self.performance: dict[UUID, PerformanceSecurity] = {}

    # Queries ------------------------------------------------------------------------------

    @property
    def open_request(self) -> ExtensionRequest | None:
        """The latest extension request, while some bidder asked may still answer it."""
        if not self.requests:
            return None
        last = self.requests[-1]
        waiting = any(self.waiting(b, last) for b in self.bidders.values())
        return last if waiting else None

    @staticmethod
    def waiting(bidder: Bidder, request: ExtensionRequest) -> bool:
        return bidder.standing is Standing.VALID and bidder.answered < request.number

    def bidder(self, vendor_id: UUID) -> Bidder:
        found = self.bidders.get(vendor_id)
        if found is None:
            raise BidNotFoundError(f"no bidder {vendor_id} on this tender")
        return found

    def bidder_of_bid(self, bid_id: UUID) -> Bidder:
        for bidder in self.bidders.values():
            if bidder.bid_id == bid_id:
                return bidder
        raise BidNotFoundError(f"no bid {bid_id} in this tender's opening")

    def release_due(self, bidder: Bidder, unsuccessful_at: datetime | None) -> datetime:
        """When an unsuccessful bidder's security is due back: the rules' period after it
        left, after its validity ended, or after it became unsuccessful (``unsuccessful_at``,
        decided by the application: the last contract of what it competed for, or the
        tender's cancellation), whichever first."""
        starts = [bidder.valid_until]
        if bidder.left_at is not None:
            starts.append(bidder.left_at)
        if unsuccessful_at is not None:
            starts.append(unsuccessful_at)
        return min(starts) + self.rules.release_period

    def overdue_releases(
        self, winners: Iterable[UUID], unsuccessful: Mapping[UUID, datetime], now: datetime
    ) -> list[UUID]:
        """The unsuccessful bidders whose held security is past its release date, not yet
        flagged. ``winners``: the vendors of the awards that stand; ``unsuccessful``: when
        each bidder that is became so."""
        kept = set(winners)
        return [
            b.vendor_id
            for b in self.bidders.values()
            if b.vendor_id not in kept
            and b.state is SecurityState.HELD
            and not b.release_overdue
            and now >= self.release_due(b, unsuccessful.get(b.vendor_id))
        ]

    def lapsing(self, now: datetime) -> list[UUID]:
        """The bidders who did not answer the open request and whose validity ended."""
        request = self.open_request
        if request is None or now < request.due:
            return []
        return [b.vendor_id for b in self.bidders.values() if self.waiting(b, request)]

    # Guards -------------------------------------------------------------------------------

    def check_can_award(self, bid_id: UUID, now: datetime) -> None:
        """An award goes only to a bid still valid: not past its validity end, not declined
        or lapsed on an extension, and its bidder's security not forfeited."""
        bidder = self.bidder_of_bid(bid_id)
        if bidder.state is SecurityState.FORFEITED:
            raise SecurityForfeitedError(
                f"the bidder's security was forfeited ({bidder.forfeit_reason or 'no reason'}): "
                "it left the competition"
            )
        if bidder.standing is not Standing.VALID:
            raise BidValidityExpiredError(
                f"the bidder {bidder.standing.value} the extension of its bid's validity"
            )
        if now >= bidder.valid_until:
            raise BidValidityExpiredError(
                f"the bid's validity ended at {bidder.valid_until.isoformat()}"
            )

    def check_performance_security(self, award_id: UUID) -> None:
        if award_id not in self.performance:
            raise PerformanceSecurityRequiredError(
                "the notice asks a performance security: record the bank's confirmation of "
                "the winner's before the contract"
            )

    @staticmethod
    def _check_officer(actor: Actor) -> None:
        if actor.role is not Role.OFFICER:
            raise ForbiddenError("an officer of the entity records this")

    def _held(self, vendor_id: UUID) -> Bidder:
        bidder = self.bidder(vendor_id)
        if bidder.state is SecurityState.NONE:
            raise SecurityNotRecordedError("the bidder's security is not recorded")
        if bidder.state is not SecurityState.HELD:
            raise SecurityClosedError(f"the security is already {bidder.state.value}")
        return bidder

    def _check_amount(self, instrument: Instrument, required: Money | None) -> None:
        if required is None:
            return
        amount = instrument.amount
        if amount.currency != required.currency or amount.amount < required.amount:
            raise SecurityInsufficientError(
                f"the security is at least {required.amount:,} {required.currency}"
            )

    # Validity extensions ------------------------------------------------------------------

    @event(ExtensionRequested)
    def request_extension(
        self, *, new_end: datetime, reason: str, actor: Actor, timestamp: datetime
    ) -> None:
        self._check_officer(actor)
        if not reason.strip():
            raise ReasonRequiredError("the reason for the extension is required")
        if self.open_request is not None:
            raise ExtensionRequestError("an extension request is waiting for its answers")
        remaining = [b for b in self.bidders.values() if b.standing is Standing.VALID]
        current = min((b.valid_until for b in remaining), default=None)
        if current is None or timestamp >= current:
            raise ExtensionRequestError("no bid's validity is left to extend")
        if new_end <= max(b.valid_until for b in remaining):
            raise InvalidTermsError("the new validity end comes after the current one")
        self.requests.append(
            ExtensionRequest(
                number=len(self.requests) + 1,
                new_end=new_end,
                reason=reason,
                asked_at=timestamp,
                due=current,
            )
        )

    @event(ExtensionAnswered)
    def answer_extension(
        self,
        *,
        accepted: bool,
        instrument: Instrument | None,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        request = self.open_request
        bidder = self.bidders.get(actor.account_id)
        if bidder is None:
            raise BidNotFoundError("no bid of yours on this tender")
        if request is None or not self.waiting(bidder, request):
            raise ExtensionRequestError("no extension request waits for your answer")
        if timestamp >= request.due:
            raise ExtensionRequestError(
                f"the request was to be answered before {request.due.isoformat()}"
            )
        if not accepted:
            self._leave(bidder, Standing.DECLINED, request.number, timestamp)
            return
        if self.bid_security is not None and instrument is None:
            raise SecurityNotRecordedError("accepting, state the extended bid security")
        if instrument is not None:
            self._check_amount(instrument, self.bid_security)
            instrument = instrument.model_copy(update={"confirmed_at": None})
        self.bidders[bidder.vendor_id] = bidder.model_copy(
            update={
                "valid_until": request.new_end,
                "answered": request.number,
                "extended_security": instrument,
            }
        )

    @event(ExtensionsLapsed)
    def lapse(self, *, vendors: list[UUID], actor: Actor, timestamp: datetime) -> None:
        request = self.open_request
        if request is None or timestamp < request.due:
            raise ExtensionRequestError("no extension request is past its answer")
        for vendor_id in vendors:
            bidder = self.bidder(vendor_id)
            if not self.waiting(bidder, request):
                raise ExtensionRequestError(f"bidder {vendor_id} answered the request")
            self._leave(bidder, Standing.LAPSED, request.number, timestamp)

    def _leave(self, bidder: Bidder, standing: Standing, number: int, at: datetime) -> None:
        self.bidders[bidder.vendor_id] = bidder.model_copy(
            update={"standing": standing, "left_at": at, "answered": number}
        )

    # Bid securities -----------------------------------------------------------------------

    @event(BidSecurityRecorded)
    def record_bid_security(
        self, *, vendor_id: UUID, instrument: Instrument, actor: Actor, timestamp: datetime
    ) -> None:
        """The bank's confirmation of a bidder's security, or of its extension (the one the
        bidder stated when accepting), recorded by an officer."""
        self._check_officer(actor)
        bidder = self.bidder(vendor_id)
        if self.bid_security is None:
            raise InvalidTermsError("the notice asks no bid security")
        if instrument.confirmed_at is None:
            raise InvalidTermsError("the bank's confirmation time is recorded")
        if bidder.state not in {SecurityState.NONE, SecurityState.HELD}:
            raise SecurityClosedError(f"the security is already {bidder.state.value}")
        if bidder.state is SecurityState.HELD and bidder.extended_security is None:
            raise SecurityRecordedError("the bidder's security is already recorded")
        self._check_amount(instrument, self.bid_security)
        self.bidders[vendor_id] = bidder.model_copy(
            update={
                "security": instrument,
                "extended_security": None,
                "state": SecurityState.HELD,
            }
        )

    @event(BidSecurityReleased)
    def release_bid_security(self, *, vendor_id: UUID, actor: Actor, timestamp: datetime) -> None:
        self._check_officer(actor)
        bidder = self._held(vendor_id)
        self.bidders[vendor_id] = bidder.model_copy(
            update={"state": SecurityState.RELEASED, "closed_at": timestamp}
        )

    @event(BidSecurityForfeited)
    def forfeit_bid_security(
        self,
        *,
        vendor_id: UUID,
        reason: ForfeitReason,
        text: Reason,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self._check_officer(actor)
        reason = ForfeitReason(reason)
        if not text.strip():
            raise ReasonRequiredError("the forfeiture's reason is stated")
        bidder = self._held(vendor_id)
        if bidder.standing is not Standing.VALID:
            raise InvalidTermsError("a bidder who declined an extension leaves without forfeiture")
        self.bidders[vendor_id] = bidder.model_copy(
            update={
                "state": SecurityState.FORFEITED,
                "closed_at": timestamp,
                "forfeit_reason": reason,
                "forfeit_text": text,
            }
        )

    @event(ReleasesOverdue)
    def flag_overdue(self, *, vendors: list[UUID], actor: Actor, timestamp: datetime) -> None:
        """The scheduler's flag on securities not released in the rules' period (public)."""
        if not vendors:
            raise InvalidTermsError("no security is named")
        for vendor_id in vendors:
            bidder = self._held(vendor_id)
            self.bidders[vendor_id] = bidder.model_copy(update={"release_overdue": True})

    # The performance security -------------------------------------------------------------

    @event(PerformanceSecurityRecorded)
    def record_performance_security(
        self,
        *,
        award_id: UUID,
        vendor_id: UUID,
        instrument: Instrument,
        required: Money,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        """The bank's confirmation of the winner's performance security, at least
        ``required`` (the notice's percent of the award's value)."""
        self._check_officer(actor)
        if award_id in self.performance:
            raise SecurityRecordedError("the award's performance security is already recorded")
        if instrument.confirmed_at is None:
            raise InvalidTermsError("the bank's confirmation time is recorded")
        self._check_amount(instrument, required)
        self.performance[award_id] = PerformanceSecurity(
            award_id=award_id,
            vendor_id=vendor_id,
            instrument=instrument,
            required=required,
            recorded_at=timestamp,
        )
