"""What the commands answer with: plain values, never an aggregate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.bid import BidStatus
from domain.documents import TenderDocument
from domain.evaluation import EvaluationStatus
from domain.tender import LotCancellation, TenderStatus
from domain.values import Role, TenderTerms


@dataclass(frozen=True)
class BidView:
    """A vendor's own bid: its status and its signed receipt. Never its contents."""

    id: UUID
    tender_id: UUID
    status: BidStatus
    version: int
    receipt: dict[str, Any]


@dataclass(frozen=True)
class TenderView:
    """A tender as its officers see it, drafts included."""

    id: UUID
    version: int
    entity: str
    status: TenderStatus
    terms: TenderTerms
    published_at: datetime | None
    amendments: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    cancellation_reason: str | None
    documents: tuple[TenderDocument, ...] = ()
    """Every document with its versions (a draft's: the current ones only)."""
    cancelled_lots: tuple[LotCancellation, ...] = ()
    """Awarded by lot: the lots cancelled alone, in the order cancelled (docs/lots.md)."""


@dataclass(frozen=True)
class AccountView:
    """An account as its owner sees it: never a hash, and a secret only while enrolling."""

    username: str
    role: Role
    second_factor: bool
    second_factor_required: bool
    recovery_codes_left: int
    pending_enrolment: tuple[str, str] | None
    """The secret being enrolled and its otpauth URI, until it is confirmed."""


@dataclass(frozen=True)
class EvaluationView:
    """An evaluation as the entity's officers see it while it runs."""

    tender_id: UUID
    version: int
    status: EvaluationStatus
    state: dict[str, Any]
