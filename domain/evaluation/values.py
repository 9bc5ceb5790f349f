"""The evaluation's value objects: its committee, the bids as it sees them, its scores,
rulings and corrections, and the ids it derives from the tender's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from domain.bid import BundleDiscount, LotPrice
from domain.opening import OpenedBid, OpenedStatus
from domain.values import Money, ValueObject

EVALUATION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:evaluation")
AWARD_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:award")
CENT = Decimal("0.01")


def evaluation_id_for(tender_id: UUID) -> UUID:
    return uuid5(EVALUATION_NAMESPACE, str(tender_id))


def award_id_for(tender_id: UUID, number: int) -> UUID:
    """The tender's n-th award: derived, so two concurrent awards cannot both land."""
    return uuid5(AWARD_NAMESPACE, f"{tender_id}:{number}")


class EvaluationStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    FINALISED = "finalised"  # the report is published; no award is live
    AWARDED = "awarded"  # an award made on the report is live


class Member(ValueObject):
    account_id: UUID
    name: str
    chair: bool = False


class Candidate(ValueObject):
    """A bid as the evaluation sees it: what the opening (and, for two envelopes, the
    financial opening) revealed. Withdrawn and unreadable bids are listed, not evaluated."""

    bid_id: UUID
    vendor_id: UUID
    vendor_name: str
    received_at: datetime
    status: OpenedStatus
    problem: str | None = None
    prices: tuple[LotPrice, ...] | None = None  # None: the financial envelope is sealed
    security_sufficient: bool | None = None
    validity_days: int | None = None
    documents: tuple[str, ...] = ()
    discounts: tuple[BundleDiscount, ...] = ()  # as prices: () while sealed

    @classmethod
    def from_opening(cls, opened: OpenedBid, *, prices_known: bool) -> Candidate:
        return cls(
            bid_id=opened.bid_id,
            vendor_id=opened.vendor_id,
            vendor_name=opened.vendor_name,
            received_at=opened.received_at,
            status=opened.status,
            problem=opened.problem,
            prices=opened.prices if prices_known and opened.status is OpenedStatus.OPENED else None,
            security_sufficient=opened.security_sufficient,
            validity_days=opened.validity_days,
            documents=opened.documents,
            discounts=opened.discounts if prices_known else (),
        )


class Declaration(ValueObject):
    member_id: UUID
    conflict: bool
    statement: str
    declared_at: datetime


class CriterionScore(ValueObject):
    criterion_id: Annotated[str, Field(min_length=1, max_length=64)]
    score: Annotated[int, Field(ge=0, le=1000)]
    justification: Annotated[str, Field(min_length=1, max_length=5000)]


class MemberScore(ValueObject):
    member_id: UUID
    member_name: str
    scores: tuple[CriterionScore, ...]
    total: int
    scored_at: datetime


class LiveAward(ValueObject):
    """A live award on the evaluation: its lot (None: the whole tender) and its bid."""

    lot_id: str | None
    bid_id: UUID
    discount_percent: Decimal | None = None  # awarded at its bundle's discount (docs/lots.md)


class Ruling(ValueObject):
    """The chair's disqualification of a bid (or the reinstatement of one it disqualified)."""

    disqualified: bool
    reason: str
    at: datetime


class Correction(ValueObject):
    lot_id: str
    read_price: Money
    corrected_price: Money
    reason: str


class FinancialBid(ValueObject):
    """One financial envelope opened at the second opening."""

    bid_id: UUID
    commitment: str
    prices: tuple[LotPrice, ...] = ()
    rate_totals: tuple[LotPrice, ...] = ()  # each lot's total from its unit rates, if given
    problem: str | None = None  # the envelope did not open or held no prices
    discounts: tuple[BundleDiscount, ...] = ()  # its lot-bundle discounts (docs/lots.md)
