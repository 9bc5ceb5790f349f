"""Fail fast while the database is down.

A watcher pings PostgreSQL every half second through the read pool. While it cannot, every
request but the liveness and readiness probes is answered at once with 503 and
``Retry-After`` instead of waiting on connection timeouts and retries; requests already in
flight finish or fail on their own. It recovers by itself: the first ping that succeeds
opens the way again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.errors import problem

log = logging.getLogger(__name__)
ALWAYS_ANSWERED = ("/health", "/ready")


class DatabaseWatch:
    def __init__(self, pool: asyncpg.Pool, interval: float = 0.5) -> None:
        self.pool = pool
        self.interval = interval
        self.up = True
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=2)

    async def _watch(self) -> None:
        while True:
            try:  # asyncpg's own timeouts: they leave the connection in a usable state
                async with self.pool.acquire(timeout=1.0) as connection:
                    await connection.fetchval("SELECT 1", timeout=1.0)
            except (
                OSError,
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                asyncpg.InternalClientError,
                TimeoutError,
            ):
                if self.up:
                    log.warning("database unreachable: answering 503 until it is back")
                self.up = False
            else:
                if not self.up:
                    log.warning("database reachable again")
                self.up = True
            await asyncio.sleep(self.interval)


def circuit_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        watch: DatabaseWatch | None = scope["app"].state.get("database_watch")
        if (
            watch is None
            or watch.up
            or scope["type"] != ScopeType.HTTP
            or scope["path"].startswith(ALWAYS_ANSWERED)
        ):
            await app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = Request(scope, receive)
        response = problem(
            request,
            status=503,
            code="database_unavailable",
            title="Service Unavailable",
            detail="The database is not reachable just now. Retry shortly: with the same "
            "Idempotency-Key a retry never writes twice.",
            headers={"Retry-After": "2"},
        )
        await response.to_asgi_response(None, request)(scope, receive, send)

    return middleware
