"""What a framework agreement's officers read of it (docs/frameworks.md)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import TimeText
from domain.values import FrameworkTerms, Money


class FrameworkSupplierOut(BaseModel):
    vendor_id: UUID
    name: str
    agreement_id: UUID  # the supplier's award, its signed contract the agreement


class CallOffOut(BaseModel):
    id: UUID  # a direct order's own id, or the mini-competition's tender
    kind: Literal["direct_order", "mini_competition"]
    vendor_id: UUID
    supplier_name: str
    value: Money
    at: TimeText
    reason: str  # a direct order's published reason; "" for a mini-competition


class FrameworkOut(BaseModel):
    """A framework's terms, its suppliers (signed agreements) and call-offs, and the sum of
    the call-offs against its ceiling."""

    id: UUID
    terms: FrameworkTerms
    suppliers: list[FrameworkSupplierOut]
    call_offs: list[CallOffOut]
    used: Money
