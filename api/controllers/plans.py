"""Annual procurement plans: an entity's officers draft the lines, its head publishes and
amends the plan; the public reads every published plan (JSON or CSV) and an entity's plan
against what it tendered and awarded (``docs/plans.md``)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.controllers.public import CSV, ENTITY_MAX
from api.openapi import READ_MODEL_LAGGING, WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.read_your_writes import READ_TOKEN, MinPosition, ReadToken, caught_up
from api.schemas import WriteOut
from api.schemas.plans import (
    PlanAgainstActualOut,
    PlanAmendmentIn,
    PlanLineIn,
    PlanOut,
    PlanPageOut,
    against_actual_of,
    plan_of,
    plans_csv,
)
from domain.errors import (
    InvalidPlanLineError,
    InvalidTermsError,
    NotEntityHeadError,
    PlanLineExistsError,
    PlanLineNotFoundError,
    PlanNotDraftError,
    PlanNotFoundError,
    PlanNotPublishedError,
    ReasonRequiredError,
)
from domain.text import refusal
from domain.values import Actor, Role, is_fiscal_year
from procurement.commands.application import ProcurementApplication
from projections import reads

YEAR = r"^[0-9]{4}-[0-9]{2}$"


class OfficerPlanController(Controller):
    path = "/entity/plans/{fiscal_year:str}"
    tags = ["officer"]  # noqa: RUF012
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @get(
        "/",
        sync_to_thread=True,
        summary='The entity\'s plan for a fiscal year ("2026-27"), draft or published',
        responses=problems(PlanNotFoundError),
    )
    def plan(
        self,
        fiscal_year: FromPath[str],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> PlanOut:
        return PlanOut.of(procurement.entity_plan(actor, fiscal_year))

    @post(
        "/lines",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Add a line to the draft plan (opening it), or replace the line of that id",
        responses=problems(PlanNotFoundError, PlanNotDraftError, InvalidTermsError, *WRITE),
    )
    def draft_line(
        self,
        fiscal_year: FromPath[str],
        data: JSONBody[PlanLineIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.draft_plan_line(actor, fiscal_year, data.to_domain())
        return WriteOut.of(result, read_tokens)

    @post(
        "/publish",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="The entity's head publishes the draft plan",
        responses=problems(
            NotEntityHeadError, PlanNotFoundError, PlanNotDraftError, InvalidTermsError, *WRITE
        ),
    )
    def publish(
        self,
        fiscal_year: FromPath[str],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(procurement.publish_plan(actor, fiscal_year), read_tokens)

    @post(
        "/amendments",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="The entity's head adds, changes or withdraws a published plan's line, with "
        "the reason",
        responses=problems(
            NotEntityHeadError,
            PlanNotFoundError,
            PlanNotPublishedError,
            PlanLineNotFoundError,
            PlanLineExistsError,
            InvalidPlanLineError,
            ReasonRequiredError,
            InvalidTermsError,
            *WRITE,
        ),
    )
    def amend(
        self,
        fiscal_year: FromPath[str],
        data: JSONBody[PlanAmendmentIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.amend_plan(
            actor,
            fiscal_year,
            kind=data.kind,
            line_id=data.line_id,
            line=None if data.line is None else data.line.to_domain(),
            reason=data.reason,
        )
        return WriteOut.of(result, read_tokens)


def names_an_entity(entity: str) -> bool:
    """Whether the text could name an entity (other text names none: nothing is read)."""
    return len(entity) <= ENTITY_MAX and refusal(entity, single_line=True) is None


class PublicPlanController(Controller):
    path = "/public"
    tags = ["public"]  # noqa: RUF012

    @get(
        "/plans",
        summary="Published annual procurement plans, the latest year first: JSON, or CSV "
        "(Accept: text/csv)",
        opt={"also": {CSV: "the same page as CSV: a header row, then a row per plan line"}},
        responses={
            200: ResponseSpec(data_container=PlanPageOut, description="The plans"),
            **problems(READ_MODEL_LAGGING, *READ_TOKEN),
        },
    )
    async def plans(  # noqa: PLR0917 (one argument per query parameter)
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        entity: Annotated[
            str | None, QueryParameter(max_length=ENTITY_MAX, description="one entity's")
        ] = None,
        fiscal_year: Annotated[
            str | None, QueryParameter(pattern=YEAR, description='one fiscal year: "2026-27"')
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1_000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> Response[bytes]:
        await caught_up(request, pool, read_token, min_position)
        rows: list[dict[str, Any]] = []
        total = 0
        if entity is None or names_an_entity(entity):
            rows, total = await reads.list_plans(
                pool, entity=entity, fiscal_year=fiscal_year, limit=limit, offset=offset
            )
        page = PlanPageOut(
            items=[plan_of(row) for row in rows], total=total, limit=limit, offset=offset
        )
        if request.accept.best_match([MediaType.JSON, CSV]) == CSV:
            return Response(
                plans_csv(page).encode(),
                media_type=f"{CSV}; charset=utf-8; header=present",
                headers={"Content-Disposition": 'attachment; filename="plans.csv"'},
            )
        return Response(msgspec.json.encode(page), media_type=MediaType.JSON)

    @get(
        "/entities/{entity:str}/plans/{fiscal_year:str}/against-actual",
        summary="An entity's plan for a year against its tenders: each line with the tenders "
        "citing it (status, value awarded), and the unplanned tenders with their reasons",
        responses=problems(PlanNotFoundError, READ_MODEL_LAGGING, *READ_TOKEN),
    )
    async def against_actual(  # noqa: PLR0917
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        entity: FromPath[str],
        fiscal_year: FromPath[str],
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> PlanAgainstActualOut:
        """Answered when the entity published a plan for the year or tendered in it."""
        await caught_up(request, pool, read_token, min_position)
        plan: dict[str, Any] | None = None
        tenders: list[dict[str, Any]] = []
        if names_an_entity(entity) and is_fiscal_year(fiscal_year):
            plan, tenders = await reads.plan_against_actual(pool, entity, fiscal_year)
        if plan is None and not tenders:
            raise PlanNotFoundError(
                f"no plan nor tender of {entity[:100]!r} in {fiscal_year[:7]!r}"
            )
        return against_actual_of(entity, fiscal_year, plan, tenders)
