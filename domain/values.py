"""Value objects: immutable, validated on construction, compared by value.

They are pydantic models so that one generic transcoding stores them in events
(``procurement/transcodings.py``) and replay rebuilds equal objects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An aware datetime, normalised to UTC. Naive datetimes are refused."""


class ValueObject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Category(StrEnum):
    GOODS = "goods"
    WORKS = "works"
    SERVICES = "services"


class Method(StrEnum):
    SINGLE_STAGE_ONE_ENVELOPE = "single_stage_one_envelope"
    SINGLE_STAGE_TWO_ENVELOPE = "single_stage_two_envelope"
    TWO_STAGE = "two_stage"
    REQUEST_FOR_QUOTATIONS = "request_for_quotations"
    DIRECT_CONTRACTING = "direct_contracting"


class Scope(StrEnum):
    """National or international competitive bidding: the rules differ in their periods."""

    NATIONAL = "national"
    INTERNATIONAL = "international"


class Role(StrEnum):
    VENDOR = "vendor"
    OFFICER = "officer"
    AUDITOR = "auditor"
    ADMIN = "admin"
    SYSTEM = "system"


class Money(ValueObject):
    """An amount in a currency. Never a float: a decimal with at most two places."""

    amount: Annotated[Decimal, Field(ge=0, max_digits=17, decimal_places=2)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "PKR"


class Actor(ValueObject):
    """Who did something, in which role, under which request. Recorded in every event."""

    account_id: UUID
    role: Role
    request_id: str
    entity: str | None = None


class Item(ValueObject):
    id: Annotated[str, Field(min_length=1, max_length=64)]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    quantity: Annotated[Decimal, Field(gt=0, max_digits=17, decimal_places=4)]
    unit: Annotated[str, Field(min_length=1, max_length=32)]
    classification: Annotated[str, Field(max_length=64)] | None = None


class Lot(ValueObject):
    id: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(min_length=1, max_length=300)]
    estimated_value: Money | None = None
    items: Annotated[tuple[Item, ...], Field(min_length=1, max_length=500)]


class BidSecurity(ValueObject):
    """What the tender requires as bid security (earnest money)."""

    amount: Money
    forms: Annotated[tuple[str, ...], Field(max_length=10)] = (
        "bank_guarantee",
        "pay_order",
        "demand_draft",
    )


class Timeline(ValueObject):
    clarification_deadline: UtcDatetime
    submission_deadline: UtcDatetime
    opening_time: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.clarification_deadline < self.submission_deadline:
            msg = "the clarification deadline must come before the submission deadline"
            raise ValueError(msg)
        if self.opening_time < self.submission_deadline:
            msg = "the opening time must be at or after the submission deadline"
            raise ValueError(msg)
        return self


class TenderTerms(ValueObject):
    """Everything an officer writes in a tender before it is published."""

    reference: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(min_length=1, max_length=300)]
    description: Annotated[str, Field(max_length=20000)] = ""
    category: Category
    method: Method
    scope: Scope = Scope.NATIONAL
    estimated_value: Money
    lots: Annotated[tuple[Lot, ...], Field(min_length=1, max_length=100)]
    bid_security: BidSecurity | None = None
    bid_validity_days: Annotated[int, Field(ge=1, le=365)]
    timeline: Timeline

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        lot_ids = [lot.id for lot in self.lots]
        if len(set(lot_ids)) != len(lot_ids):
            msg = "lot ids must be unique"
            raise ValueError(msg)
        item_ids = [item.id for lot in self.lots for item in lot.items]
        if len(set(item_ids)) != len(item_ids):
            msg = "item ids must be unique within the tender"
            raise ValueError(msg)
        currency = self.estimated_value.currency
        others = [lot.estimated_value for lot in self.lots if lot.estimated_value is not None]
        if self.bid_security is not None:
            others.append(self.bid_security.amount)
        if any(money.currency != currency for money in others):
            msg = "all amounts must be in the estimated value's currency"
            raise ValueError(msg)
        return self
