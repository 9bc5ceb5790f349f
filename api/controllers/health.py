"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Controller, Request, get
from litestar.di import NamedDependency

from api.errors import ApiProblem
from api.schemas import ReadyOut
from projections import reads


class HealthController(Controller):
    path = "/"
    tags = ["operations"]  # noqa: RUF012

    @get("/health", summary="The process is alive")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", summary="The database answers; how far behind the projections are")
    async def ready(
        self, request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
    ) -> ReadyOut:
        try:
            state = await reads.readiness(pool)
        except (OSError, asyncpg.PostgresError) as error:
            raise ApiProblem(
                503,
                "database_unavailable",
                f"the database is not reachable: {type(error).__name__}",
                headers={"Retry-After": "5"},
            ) from None
        return ReadyOut(status="ready", checked_at=request.app.state.clock.now(), projections=state)
