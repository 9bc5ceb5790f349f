"""The Award aggregate: one award decision, its standstill, its complaints and its contract.
An award is of the whole tender, or of one lot of a tender awarded by lot (docs/lots.md):
each lot's award has its own standstill, complaints and contract.

An award is made on a finalised evaluation report and starts the standstill period of the
tender's rules. Until the standstill ends any bidder of the tender may lodge a complaint with
its grounds; a pending complaint suspends the award (no contract, no cancellation) until the
entity decides it, with published reasons. Upheld, the award falls (and the evaluation either
reopens or stands for another award); dismissed, the process goes on. The contract is signed
only after the standstill, with no complaint pending.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from domain.errors import (
    AwardNotActiveError,
    ComplaintDecidedError,
    ComplaintExistsError,
    ComplaintNotFoundError,
    ComplaintPendingError,
    ComplaintPeriodClosedError,
    ContractValueMismatchError,
    InvalidTermsError,
    NotABidderError,
    ReasonRequiredError,
    StandstillError,
)
from domain.values import Actor, Money, UtcDatetime, ValueObject


class AwardStatus(StrEnum):
    STANDSTILL = "standstill"  # made; the contract waits for the standstill to end
    CANCELLED = "cancelled"
    CONTRACTED = "contracted"


class Remedy(StrEnum):
    """What an upheld complaint orders (``domain/grievance.REMEDIES``: which, per stage)."""

    REOPEN_EVALUATION = "reopen_evaluation"
    CANCEL_AWARD = "cancel_award"
    AMEND_DOCUMENTS = "amend_documents"  # amend and extend the deadline before the opening
    CANCEL_PROCUREMENT = "cancel_procurement"


class ComplaintStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class Complaint(ValueObject):
    id: UUID
    vendor_id: UUID
    grounds: str
    lodged_at: datetime
    status: ComplaintStatus = ComplaintStatus.PENDING
    remedy: Remedy | None = None
    decision_reasons: str | None = None
    decided_at: datetime | None = None


class ContractPeriod(ValueObject):
    start: UtcDatetime
    end: UtcDatetime


class Contract(ValueObject):
    value: Money
    supplier_id: UUID
    supplier_name: str
    period: ContractPeriod
    signed_at: datetime


Text = Annotated[str, Field(max_length=20000)]


class Award(Aggregate):
    TOPIC = "procurement:Award"

    class Created(Aggregate.Created):
        TOPIC = "procurement:Award.Created"

    class AwardMade(Aggregate.Created):
        TOPIC = "procurement:Award.AwardMade"
        tender_id: UUID
        entity: str
        report_number: int
        bid_id: UUID
        vendor_id: UUID
        vendor_name: str
        value: Money
        rank: int
        reason: str
        standstill_ends: datetime
        bidders: list[UUID]
        actor: Actor
        lot_id: str | None = None  # None: the whole tender, as every award before lots

    class ComplaintLodged(Aggregate.Event):
        TOPIC = "procurement:Award.ComplaintLodged"
        complaint_id: UUID
        grounds: str
        actor: Actor

    class ComplaintDecided(Aggregate.Event):
        TOPIC = "procurement:Award.ComplaintDecided"
        complaint_id: UUID
        upheld: bool
        remedy: Remedy | None
        reasons: str
        actor: Actor

    class AwardCancelled(Aggregate.Event):
        TOPIC = "procurement:Award.AwardCancelled"
        reason: str
        actor: Actor

    class ContractSigned(Aggregate.Event):
        TOPIC = "procurement:Award.ContractSigned"
        value: Money
        period: ContractPeriod
        actor: Actor

    @event(AwardMade)
    def __init__(
        self,
        # Before the ``*``: eventsourcing requires every keyword-only argument, even one with a
        # default, and old callers (and stored events) do not name it.
        lot_id: str | None = None,
        *,
        id: UUID,  # noqa: A002 (eventsourcing's name) derived from the tender and a number
        tender_id: UUID,
        entity: str,
        report_number: int,
        bid_id: UUID,
        vendor_id: UUID,
        vendor_name: str,
        value: Money,
        rank: int,
        reason: str,
        standstill_ends: datetime,
        bidders: list[UUID],
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        if standstill_ends < timestamp:
            raise InvalidTermsError("the standstill ends after the award")
        if vendor_id not in bidders:
            raise NotABidderError("the award goes to a bidder of the tender")
        self.tender_id = tender_id
        self.entity = entity
        self.report_number = report_number
        self.bid_id = bid_id
        self.lot_id = lot_id
        self.vendor_id = vendor_id
        self.vendor_name = vendor_name
        self.value = value
        self.rank = rank
        self.reason = reason
        self.made_at = timestamp
        self.standstill_ends = standstill_ends
        self.bidders = frozenset(bidders)
        self.status = AwardStatus.STANDSTILL
        self.complaints: dict[UUID, Complaint] = {}
        self.contract: Contract | None = None
        self.cancellation_reason: str | None = None

    # Guards -------------------------------------------------------------------------------

    def check_active(self) -> None:
        if self.status is not AwardStatus.STANDSTILL:
            raise AwardNotActiveError(f"the award is {self.status.value}")

    def check_no_pending_complaint(self) -> None:
        if self.pending_complaints():
            raise ComplaintPendingError(
                "a complaint is pending: the award is suspended until it is decided"
            )

    @staticmethod
    def check_reason(text: str, what: str) -> None:
        if not text.strip():
            raise ReasonRequiredError(f"{what} is required")

    # Commands -----------------------------------------------------------------------------

    @event(ComplaintLodged)
    def lodge_complaint(
        self, *, complaint_id: UUID, grounds: str, actor: Actor, timestamp: datetime
    ) -> None:
        self.check_active()
        if actor.account_id not in self.bidders:
            raise NotABidderError("only a bidder of this tender may complain about its award")
        if timestamp >= self.standstill_ends:
            raise ComplaintPeriodClosedError(
                f"complaints closed with the standstill at {self.standstill_ends.isoformat()}"
            )
        self.check_reason(grounds, "the grounds of the complaint")
        if complaint_id in self.complaints:
            raise ComplaintExistsError("that complaint id is already used")
        self.complaints[complaint_id] = Complaint(
            id=complaint_id, vendor_id=actor.account_id, grounds=grounds, lodged_at=timestamp
        )

    @event(ComplaintDecided)
    def decide_complaint(
        self,
        *,
        complaint_id: UUID,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        complaint = self.complaints.get(complaint_id)
        if complaint is None:
            raise ComplaintNotFoundError(f"no complaint {complaint_id} on this award")
        if complaint.status is not ComplaintStatus.PENDING:
            raise ComplaintDecidedError("the complaint is already decided")
        self.check_reason(reasons, "the reasons of the decision")
        if upheld and remedy is None:
            raise ReasonRequiredError("an upheld complaint needs its remedy")
        if upheld:  # a fallen award is not cancelled twice: close the rest as dismissed (moot)
            self.check_active()
        if not upheld and remedy is not None:
            raise InvalidTermsError("a dismissed complaint has no remedy")
        self.complaints[complaint_id] = complaint.model_copy(
            update={
                "status": ComplaintStatus.UPHELD if upheld else ComplaintStatus.DISMISSED,
                "remedy": None if remedy is None else Remedy(remedy),  # stored as its value
                "decision_reasons": reasons,
                "decided_at": timestamp,
            }
        )
        if upheld:
            self.status = AwardStatus.CANCELLED
            self.cancellation_reason = f"complaint upheld: {reasons}"

    @event(AwardCancelled)
    def cancel(self, *, reason: str, actor: Actor, timestamp: datetime) -> None:
        self.check_active()
        self.check_no_pending_complaint()
        self.check_reason(reason, "the reason for cancelling the award")
        self.status = AwardStatus.CANCELLED
        self.cancellation_reason = reason

    @event(ContractSigned)
    def sign_contract(
        self, *, value: Money, period: ContractPeriod, actor: Actor, timestamp: datetime
    ) -> None:
        self.check_active()
        if timestamp < self.standstill_ends:
            raise StandstillError(f"the standstill runs until {self.standstill_ends.isoformat()}")
        self.check_no_pending_complaint()
        if value.currency != self.value.currency or value.amount <= 0:
            raise InvalidTermsError(f"the contract's value is a positive {self.value.currency}")
        if period.end <= period.start:
            raise InvalidTermsError("the contract period ends after it starts")
        self.status = AwardStatus.CONTRACTED
        self.contract = Contract(
            value=value,
            supplier_id=self.vendor_id,
            supplier_name=self.vendor_name,
            period=period,
            signed_at=timestamp,
        )

    def check_contract_value(self, value: Money) -> None:
        """The contract is signed for the value awarded (the bid's evaluated price): the
        award, its standstill and its complaints were about that value.

        Checked by the application before ``sign_contract``, not in its body: contracts
        stored before this rule replay as they were signed."""
        if value.currency != self.value.currency or value.amount != self.value.amount:
            raise ContractValueMismatchError(
                f"the contract's value is the award's: {self.value.amount:,} "
                f"{self.value.currency}, not {value.amount:,} {value.currency}"
            )

    # Queries ------------------------------------------------------------------------------

    def pending_complaints(self) -> list[Complaint]:
        return [c for c in self.complaints.values() if c.status is ComplaintStatus.PENDING]
