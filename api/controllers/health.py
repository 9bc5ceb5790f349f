"""Liveness and readiness."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

import asyncpg
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.errors import ApiProblem
from api.metrics import (
    CHECKPOINT_AGE,
    JOB_FAILING,
    JOB_FAILURES,
    LEDGER_SIZE,
    PROJECTION_LAG,
    REGISTRY,
)
from api.openapi import DATABASE_UNAVAILABLE, METRICS_SECURITY, Refusal, problems
from api.schemas import ReadyOut
from procurement.store.recorder import head_position
from projections import reads


class HealthController(Controller):
    path = "/"
    tags = ["operations"]  # noqa: RUF012

    @get("/health", summary="The process is alive")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get(
        "/ready",
        summary="The database answers and no read model fails or lags beyond the bound",
        responses=problems(
            DATABASE_UNAVAILABLE,
            Refusal(503, "projection_failing"),
            Refusal(503, "projections_lagging"),
        ),
    )
    async def ready(
        self, request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
    ) -> ReadyOut:
        settings = request.app.state.settings
        try:
            found = await reads.readiness(pool, settings.ready_max_lag, await head_position(pool))
        except (OSError, asyncpg.PostgresError) as error:
            raise ApiProblem(
                503,
                "database_unavailable",
                f"the database is not reachable: {type(error).__name__}",
                headers={"Retry-After": "5"},
            ) from None
        if found.failing:
            raise ApiProblem(
                503,
                "projection_failing",
                "; ".join(
                    f"the read model {f.projection} cannot apply the event at position "
                    f"{f.position} ({f.error}) and is retrying"
                    for f in found.failing
                ),
                headers={"Retry-After": "5"},
                extra={
                    "projections": found.state,
                    "failing": [
                        {
                            "projection": f.projection,
                            "position": f.position,
                            "error": f.error,
                            "since": reads.as_utc(f.since),
                        }
                        for f in found.failing
                    ],
                },
            )
        if not found.within:
            raise ApiProblem(
                503,
                "projections_lagging",
                f"a read model is more than {settings.ready_max_lag} events behind the store",
                headers={"Retry-After": "5"},
                extra={"projections": found.state},
            )
        return ReadyOut(
            status="ready", checked_at=request.app.state.clock.now(), projections=found.state
        )


class MetricsController(Controller):
    path = "/metrics"
    tags = ["operations"]  # noqa: RUF012
    security = METRICS_SECURITY

    @get(
        "/",
        summary="Prometheus metrics (operators)",
        media_type=CONTENT_TYPE_LATEST,
        responses=problems(Refusal(401, "unauthenticated")),
    )
    async def metrics(
        self, request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
    ) -> Response[bytes]:
        settings = request.app.state.settings
        # Never open: the bid counters would tell anyone how many bids a tender near its
        # deadline has received. No token configured means nobody may read them.
        token = settings.metrics_token
        expected = f"Bearer {token.get_secret_value()}" if token is not None else None
        given = request.headers.get("authorization", "")
        # As bytes: compare_digest refuses str with non-ASCII characters (a header may hold any).
        if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApiProblem(
                401,
                "unauthenticated",
                "metrics need the operators' token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        head = await head_position(pool)
        for name in reads.PROJECTIONS:
            PROJECTION_LAG.labels(name).set(head - await reads.projection_position(pool, name))
        failures = await reads.job_failures(pool)
        JOB_FAILURES.set({job: count for job, (count, _) in failures.items()})
        for job in [*(f"projection:{name}" for name in reads.PROJECTIONS), *failures]:
            JOB_FAILING.labels(job).set(int(failures.get(job, (0, False))[1]))
        LEDGER_SIZE.set(await reads.ledger_size(pool))
        checkpoint = await reads.latest_checkpoint(pool)
        if checkpoint is not None:
            signed = datetime.fromisoformat(checkpoint["time"])
            age = (request.app.state.clock.now() - signed).total_seconds()
            CHECKPOINT_AGE.set(max(age, 0.0))
        return Response(content=generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
