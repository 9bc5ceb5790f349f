"""The public: published tenders (notice, addenda, answers, opening, evaluation reports)
and awards (standstill, complaints' outcomes, contract). No sign-in."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, overload
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from api.openapi import READ_MODEL_LAGGING, problems
from api.params import text_query
from api.read_your_writes import READ_TOKEN, MinPosition, ReadToken, caught_up
from api.schemas import (
    AmendmentOut,
    AwardOut,
    AwardPageOut,
    AwardTenderOut,
    KeysOut,
    MoneyOut,
    QuestionOut,
    ReceiptKeyOut,
    SupplierOut,
    TenderOut,
    TenderPageOut,
    TenderSummaryOut,
    TimelineOut,
    query_text,
)
from domain.errors import AwardNotFoundError, TenderNotFoundError
from projections import reads

TenderStatusFilter = Literal[
    "active",
    "closed",
    "opened",
    "evaluation",
    "evaluated",
    "unsuccessful",
    "awarded",
    "contracted",
    "cancelled",
]


@overload
def _time(value: datetime) -> str: ...
@overload
def _time(value: None) -> None: ...
def _time(value: datetime | None) -> str | None:
    return reads.as_utc(value)


def _money(amount: Decimal, currency: str) -> MoneyOut:
    return MoneyOut(amount=f"{amount:.2f}", currency=currency.strip())


def _timeline(row: dict[str, Any]) -> TimelineOut:
    return TimelineOut(
        clarification_deadline=_time(row["clarification_deadline"]),
        submission_deadline=_time(row["submission_deadline"]),
        opening_time=_time(row["opening_time"]),
    )


def _summary_fields(row: dict[str, Any]) -> dict[str, Any]:
    """What a tender's summary and its full answer share, from its row."""
    return {
        "id": str(row["tender_id"]),
        "reference": row["reference"],
        "title": row["title"],
        "entity": row["entity"],
        "category": row["category"],
        "method": row["method"],
        "scope": row["scope"],
        "estimated_value": _money(row["estimated_amount"], row["currency"]),
        "status": row["status"],
        "published_at": _time(row["published_at"]),
        "timeline": _timeline(row),
        "cancelled_at": _time(row["cancelled_at"]),
        "version": row["version"],
    }


def _summary(row: dict[str, Any]) -> TenderSummaryOut:
    return TenderSummaryOut(**_summary_fields(row))


def _detail(row: dict[str, Any]) -> TenderOut:
    return TenderOut(
        **_summary_fields(row),
        description=row["description"],
        translations=row["translations"],
        lots=row["lots"],
        bid_security=row["bid_security"],
        bid_validity_days=row["bid_validity_days"],
        rules=row["rules"],
        sealing=row["sealing"],
        opening=row["opening"],
        evaluation=row["evaluation"],
        awards=[_award(award) for award in row["awards"]],
        cancellation_reason=row["cancellation_reason"],
        amendments=[
            AmendmentOut(
                number=a["number"],
                text=a["text"],
                issued_at=_time(a["issued_at"]),
                timeline=None if a["submission_deadline"] is None else _timeline(a),
            )
            for a in row["amendments"]
        ],
        questions=[
            QuestionOut(
                id=str(q["question_id"]),
                question=q["text"],
                asked_at=_time(q["asked_at"]),
                answer=q["answer"],
                answered_at=_time(q["answered_at"]),
            )
            for q in row["questions"]
        ],
    )


def _award(row: dict[str, Any]) -> AwardOut:
    return AwardOut(
        id=str(row["award_id"]),
        tender=AwardTenderOut(
            id=str(row["tender_id"]),
            reference=row["reference"],
            title=row["title"],
            entity=row["entity"],
        ),
        report_number=row["report_number"],
        bid_id=str(row["bid_id"]),
        supplier=SupplierOut(id=str(row["supplier_id"]), name=row["supplier_name"]),
        value=_money(row["amount"], row["currency"]),
        rank=row["rank"],
        reason=row["reason"] or None,
        status=row["status"],
        made_at=_time(row["made_at"]),
        standstill_ends=_time(row["standstill_ends"]),
        cancelled_at=_time(row["cancelled_at"]),
        cancellation_reason=row["cancellation_reason"],
        complaints=row["complaints"],
        contract=row["contract"],
        version=row["version"],
    )


class PublicController(Controller):
    path = "/public"
    tags = ["public"]  # noqa: RUF012

    @get("/keys", summary="The platform's public keys: verify receipts offline with them")
    async def keys(self, request: Request[Any, Any, Any]) -> KeysOut:
        signer = request.app.state.procurement.signer
        return KeysOut(
            receipt_signing_key=ReceiptKeyOut(
                algorithm="Ed25519",
                key_id=signer.key_id,
                public_key=signer.public_key,
                encoding="base64 of the raw 32-byte key",
                signed_bytes="canonical JSON of the receipt without 'signature' "
                "(keys sorted, no whitespace, UTF-8)",
            )
        )

    @get(
        "/tenders",
        summary="Published tenders, newest first",
        responses=problems(READ_MODEL_LAGGING, *READ_TOKEN),
    )
    async def list_tenders(  # noqa: PLR0917 (one argument per query parameter)
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        status: FromQuery[TenderStatusFilter | None] = None,
        entity: Annotated[str | None, text_query(100)] = None,
        category: FromQuery[Literal["goods", "works", "services"] | None] = None,
        method: Annotated[str | None, text_query(64)] = None,
        q: Annotated[str | None, text_query(200, "text search")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> TenderPageOut:
        await caught_up(request, pool, read_token, min_position)
        filters = reads.TenderFilter(
            status=status,
            entity=query_text("entity", entity),
            category=category,
            method=query_text("method", method),
            text=query_text("q", q),
        )
        rows, total = await reads.list_tenders(pool, filters, limit, offset)
        return TenderPageOut(
            items=[_summary(row) for row in rows], total=total, limit=limit, offset=offset
        )

    @get(
        "/tenders/{tender_id:uuid}",
        summary="A notice with its addenda and answers",
        responses=problems(TenderNotFoundError, READ_MODEL_LAGGING, *READ_TOKEN),
    )
    async def tender(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        tender_id: FromPath[UUID],
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> TenderOut:
        await caught_up(request, pool, read_token, min_position)
        row = await reads.get_tender(pool, tender_id)
        if row is None:
            raise TenderNotFoundError(f"no published tender {tender_id}")
        return _detail(row)

    @get(
        "/awards",
        summary="Awards, newest first: who won what, for how much",
        responses=problems(READ_MODEL_LAGGING, *READ_TOKEN),
    )
    async def list_awards(  # noqa: PLR0917 (one argument per query parameter)
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        status: FromQuery[Literal["standstill", "cancelled", "contracted"] | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> AwardPageOut:
        await caught_up(request, pool, read_token, min_position)
        rows, total = await reads.list_awards(pool, status, limit, offset)
        return AwardPageOut(
            items=[_award(row) for row in rows], total=total, limit=limit, offset=offset
        )

    @get(
        "/awards/{award_id:uuid}",
        summary="An award: standstill, complaints' outcomes, contract",
        responses=problems(AwardNotFoundError, READ_MODEL_LAGGING, *READ_TOKEN),
    )
    async def award(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        award_id: FromPath[UUID],
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> AwardOut:
        await caught_up(request, pool, read_token, min_position)
        row = await reads.get_award(pool, award_id)
        if row is None:
            raise AwardNotFoundError(f"no award {award_id}")
        return _award(row)
