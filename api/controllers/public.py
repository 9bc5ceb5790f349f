"""The public: published tenders (notice, addenda, answers, opening, evaluation reports)
and awards (standstill, complaints' outcomes, contract). No sign-in."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from api.openapi import READ_MODEL_LAGGING, problems
from api.params import text_query
from api.read_your_writes import READ_TOKEN, MinPosition, ReadToken, caught_up
from api.schemas import (
    AwardOut,
    AwardPageOut,
    KeysOut,
    ReceiptKeyOut,
    TenderOut,
    TenderPageOut,
    query_text,
)
from api.schemas.public import award_of, detail_of, summary_of
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
            items=[summary_of(row) for row in rows], total=total, limit=limit, offset=offset
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
        return detail_of(row)

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
            items=[award_of(row) for row in rows], total=total, limit=limit, offset=offset
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
        return award_of(row)
