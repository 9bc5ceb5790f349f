"""The public: published tenders (notice, addenda, answers, opening, evaluation reports,
complaints' decisions), awards (standstill, complaints' outcomes, contract), debarments and
grievance committees. No sign-in."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
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
from api.schemas.public import (
    DebarmentPageOut,
    GrievanceCommitteeOut,
    award_of,
    committee_of,
    debarment_of,
    debarments_csv,
    detail_of,
    summary_of,
)
from domain.errors import AwardNotFoundError, GrievanceCommitteeNotFoundError, TenderNotFoundError
from domain.text import refusal
from projections import reads

CSV = "text/csv"
ENTITY_MAX = 100
"""An entity's longest name, as the tender list's ``entity`` filter takes it."""

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

    @get(
        "/debarments",
        summary="Debarred vendors, the latest decision first: JSON, or CSV (Accept: text/csv)",
        opt={"also": {CSV: "the same page as CSV: a header row, then a row per debarment"}},
        responses={
            200: ResponseSpec(data_container=DebarmentPageOut, description="The debarments"),
            **problems(READ_MODEL_LAGGING, *READ_TOKEN),
        },
    )
    async def debarments(  # noqa: PLR0917 (one argument per query parameter)
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        active: Annotated[
            bool | None,
            QueryParameter(description="true: in force now; false: ended; leave out: both"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1_000,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> Response[bytes]:
        """Only decisions are published: a case in hearing, or dismissed, is not listed."""
        await caught_up(request, pool, read_token, min_position)
        now = request.app.state.clock.now()
        rows, total = await reads.list_debarments(
            pool, now, active=active, limit=limit, offset=offset
        )
        page = DebarmentPageOut(
            as_of=reads.as_utc(now) or "",
            items=[debarment_of(row, now) for row in rows],
            total=total,
            limit=limit,
            offset=offset,
        )
        if request.accept.best_match([MediaType.JSON, CSV]) == CSV:
            return Response(
                debarments_csv(page).encode(),
                media_type=f"{CSV}; charset=utf-8; header=present",
                headers={"Content-Disposition": 'attachment; filename="debarments.csv"'},
            )
        return Response(msgspec.json.encode(page), media_type=MediaType.JSON)

    @get(
        "/entities/{entity:str}/grievance-committee",
        summary="A procuring entity's grievance redressal committee: its members and chair",
        responses=problems(GrievanceCommitteeNotFoundError, READ_MODEL_LAGGING, *READ_TOKEN),
    )
    async def grievance_committee(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        entity: FromPath[str],
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> GrievanceCommitteeOut:
        await caught_up(request, pool, read_token, min_position)
        row = None
        if len(entity) <= ENTITY_MAX and refusal(entity, single_line=True) is None:
            row = await reads.grievance_committee(pool, entity)  # other text names no entity
        if row is None:
            raise GrievanceCommitteeNotFoundError(f"no grievance committee of {entity[:100]!r}")
        return committee_of(row)
