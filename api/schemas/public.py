"""The public's answers: published tenders and awards (``api/controllers/public.py``), which
the portal's public pages show too.

msgspec structs, where the other answers are pydantic models: the tender list and a tender
are the platform's busiest reads, and a struct is built from a row with no validation and
encoded by msgspec in C, as cheaply as the dictionaries it replaced (a pydantic model
validated per row took a page of 20 from 0.18 to 0.31 ms). Their schemas are msgspec's
(``api/openapi.py``). Like ``domain.tender.Question`` they are frozen, keyword-only and left
out of the garbage collector's tracking (``gc=False``: they hold no cycles).

A field holds what the row holds: times as the read model writes them (UTC, ``Z``), amounts
with two places; the documents the projection stores (lots, rules, opening, evaluation,
complaints, contract) as they are stored.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from api.schemas.common import MoneyText, TimeText, UuidText, enum_text
from domain.award import AwardStatus
from domain.public_status import PublicTenderStatus
from domain.values import Category, Method, Scope


def _about(description: str) -> msgspec.Meta:
    return msgspec.Meta(description=description)


class MoneyOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    amount: MoneyText
    currency: str


class TimelineOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    clarification_deadline: TimeText
    submission_deadline: TimeText
    opening_time: TimeText


class TenderSummaryOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A published tender, as the list shows it."""

    id: UuidText
    reference: str
    title: str
    entity: str
    category: Annotated[str, enum_text(Category)]
    method: Annotated[str, enum_text(Method)]
    scope: Annotated[str, enum_text(Scope)]
    estimated_value: MoneyOut
    status: Annotated[str, enum_text(PublicTenderStatus)]
    published_at: TimeText
    timeline: Annotated[
        TimelineOut, _about("the timeline in force: the last addendum's, if one changed it")
    ]
    cancelled_at: TimeText | None
    version: int


class AmendmentOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    number: int
    text: str
    issued_at: TimeText
    timeline: Annotated[
        TimelineOut | None,
        _about("the timeline it set, or null if it left the timeline as it was"),
    ]


class QuestionOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An answered question (who asked is never shown)."""

    id: UuidText
    question: str
    asked_at: TimeText
    answer: str
    answered_at: TimeText


class AwardTenderOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: UuidText
    reference: str
    title: str
    entity: str


class SupplierOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: UuidText
    name: str


class AwardOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An award: who won what, for how much; its standstill, complaints and contract."""

    id: UuidText
    tender: AwardTenderOut
    report_number: int
    bid_id: UuidText
    supplier: SupplierOut
    value: MoneyOut
    rank: int
    reason: Annotated[
        str | None,
        _about("the published reason: required to award a bid the report did not recommend"),
    ]
    status: Annotated[str, enum_text(AwardStatus)]
    made_at: TimeText
    standstill_ends: TimeText
    cancelled_at: TimeText | None
    cancellation_reason: str | None
    complaints: Annotated[
        list[dict[str, Any]],
        _about("each complaint's status and, once decided, the decision (never its grounds)"),
    ]
    contract: dict[str, Any] | None
    version: int


class TenderOut(TenderSummaryOut, frozen=True, kw_only=True, gc=False):
    """A published notice: its addenda, answers, opening record, reports and awards."""

    description: str
    translations: Annotated[
        dict[str, dict[str, str]],
        _about("the notice in Urdu (ur) and Sindhi (sd): each a title and a description"),
    ]
    lots: list[dict[str, Any]]
    bid_security: dict[str, Any] | None
    bid_validity_days: int
    rules: Annotated[dict[str, Any], _about("the rule profile the tender was published under")]
    sealing: Annotated[
        list[dict[str, Any]], _about("each envelope's public key, to seal bids with")
    ]
    opening: Annotated[
        dict[str, Any] | None, _about("the opening record, once the bids are opened")
    ]
    evaluation: Annotated[
        dict[str, Any] | None, _about("the published evaluation reports and financial openings")
    ]
    awards: list[AwardOut]
    cancellation_reason: str | None
    amendments: list[AmendmentOut]
    questions: list[QuestionOut]


class TenderPageOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    items: list[TenderSummaryOut]
    total: int
    limit: int
    offset: int


class AwardPageOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    items: list[AwardOut]
    total: int
    limit: int
    offset: int
