"""Read-your-writes for the public reads: a read given a write's ``read_token`` waits
(bounded) until the public read model has that write. What is refused is refused from the
request alone, never from where the store stands (see docs/api.md, Read tokens)."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from litestar import Request
from litestar.params import QueryParameter

from api.errors import ApiProblem
from api.openapi import Refusal
from api.read_cache import WAIT_LEFT, ReadCache
from api.read_tokens import invalid_read_token, min_position_withdrawn, read_tokens_of
from projections import reads
from projections.public_tenders import NAME as PUBLIC_TENDERS

ReadToken = Annotated[
    str | None,
    QueryParameter(
        description="the read_token a write answered: wait (bounded) until the read model "
        "has that write; a token the platform did not issue is 422 invalid_read_token",
    ),
]
MinPosition = Annotated[
    str | None,
    QueryParameter(description="withdrawn: always 422 min_position_withdrawn (use read_token)"),
]


READ_TOKEN = (Refusal(422, "invalid_read_token"), Refusal(422, "min_position_withdrawn"))
"""A read with a ``read_token`` the platform did not issue, or the withdrawn ``min_position``."""


async def caught_up(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    read_token: str | None,
    min_position: str | None,
) -> None:
    """Read-your-writes: wait (bounded) for the write ``read_token`` was issued for. What is
    refused is refused from the request alone, never from where the store stands."""
    if min_position is not None:
        raise min_position_withdrawn()
    if read_token is None:
        return
    state = request.app.state
    position = read_tokens_of(state).position(read_token)
    if position is None:
        raise invalid_read_token()
    # What the read cache left of the wait, if it waited first (``api/read_cache.py``).
    wait = request.scope.get("state", {}).get(WAIT_LEFT, state.settings.read_wait_timeout)
    reached = await reads.position_reached(pool, PUBLIC_TENDERS, position, wait)
    if reached is None:
        raise ApiProblem(
            503,
            "read_model_lagging",
            "the public read model has not reached this write yet; retry shortly",
            headers={"Retry-After": "1"},
        )
    cache: ReadCache | None = state.get("read_cache")
    if cache is not None and reached > cache.position:
        # The cache has not heard of it yet: what it keeps may be older than this answer,
        # and a later request must not read older data than this one.
        cache.observed(reached)
