"""Bodies and answers of bid validity extensions, bid securities and performance securities
(docs/securities.md)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Body, Rfc3339, StatedText
from api.schemas.tenders import MoneyIn
from domain.fields import Reason, ShortId, Title
from domain.securities import ForfeitReason, Instrument, SecurityState, Standing

Text = StatedText


class InstrumentIn(Body):
    """A bank's instrument: guarantee, pay order or draft."""

    bank: Title
    reference: ShortId
    amount: MoneyIn
    confirmed_at: Rfc3339 | None = None
    """When the bank confirmed it: required when an officer records it; a bidder stating
    its extended security leaves it out."""

    def to_domain(self) -> Instrument:
        return Instrument(
            bank=self.bank,
            reference=self.reference,
            amount=self.amount.to_domain(),
            confirmed_at=self.confirmed_at,
        )


class ExtensionRequestIn(Body):
    new_end: Rfc3339
    """The bids' validity end asked for: later than the current one."""
    reason: Text


class ExtensionAnswerIn(Body):
    answer: Literal["accept", "decline"]
    security: InstrumentIn | None = None
    """Accepting, the extended bid security (if the notice asks one)."""


class BidSecurityRecordIn(Body):
    vendor_id: UUID
    """The bidder, as the securities read names it."""
    instrument: InstrumentIn


class BidSecurityReleaseIn(Body):
    vendor_id: UUID


class BidSecurityForfeitIn(Body):
    vendor_id: UUID
    reason: ForfeitReason
    text: Text


class PerformanceSecurityIn(Body):
    instrument: InstrumentIn


class SecuritiesOut(BaseModel):
    """A tender's securities file as its officers see it (every bidder), or as a bidder
    sees it (its own row only)."""

    tender_id: UUID
    version: int
    open_request: dict[str, Any] | None
    requests: list[dict[str, Any]]
    bidders: list[dict[str, Any]]
    performance_securities: list[dict[str, Any]]
    awards: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the officers' read: each award that stands, with the performance "
        "security its notice asks and whether it is recorded",
    )


class PublicBidderSecurityOut(BaseModel):
    bid_id: UUID
    bidder_name: str
    valid_until: datetime
    standing: Standing
    left_at: datetime | None
    waiting_answer: bool
    security: SecurityState
    amount: Decimal | None
    currency: str | None
    recorded_at: datetime | None
    closed_at: datetime | None
    forfeit_reason: ForfeitReason | None
    forfeit_text: Reason | None
    release_overdue: bool


class PublicExtensionRequestOut(BaseModel):
    number: int
    new_end: datetime
    due: datetime
    reason: str
    asked_at: datetime


class PublicPerformanceSecurityOut(BaseModel):
    award_id: UUID
    amount: Decimal
    currency: str
    required: Decimal
    recorded_at: datetime


class PublicSecuritiesOut(BaseModel):
    """What the public reads of a tender's bid validity and securities: never the bank's
    instrument reference."""

    tender_id: UUID
    bidders: list[PublicBidderSecurityOut]
    requests: list[PublicExtensionRequestOut]
    performance_securities: list[PublicPerformanceSecurityOut]
