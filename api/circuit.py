"""Fail fast while the database is down.

A watcher pings PostgreSQL every half second through the read pool, and at once when a
request met the database unreachable (``api.errors``). While it cannot reach it, every
request but the liveness and readiness probes is answered at once with 503 and
``Retry-After`` instead of waiting on connection timeouts and retries; requests already in
flight finish or fail on their own (a failure that means "unreachable" is a 503 too, never a
500). It recovers by itself: the first ping that succeeds opens the way again.
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

from api.errors import database_unavailable, database_unreachable

log = logging.getLogger(__name__)
ALWAYS_ANSWERED = ("/health", "/ready")


class DatabaseWatch:
    def __init__(self, pool: asyncpg.Pool, interval: float = 0.5) -> None:
        self.pool = pool
        self.interval = interval
        self.up = True
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._look = asyncio.Event()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._watch())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=2)

    def check_now(self) -> None:
        """Ping now rather than at the next interval (from any thread)."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to do
                self._loop.call_soon_threadsafe(self._look.set)

    async def _watch(self) -> None:
        while True:
            self._look.clear()
            try:  # asyncpg's own timeouts: they leave the connection in a usable state
                async with self.pool.acquire(timeout=1.0) as connection:
                    await connection.fetchval("SELECT 1", timeout=1.0)
            except Exception as error:
                if not database_unreachable(error) and not isinstance(error, TimeoutError):
                    log.exception("the database ping failed unexpectedly")
                if self.up:
                    log.warning("database unreachable: answering 503 until it is back")
                self.up = False
            else:
                if not self.up:
                    log.warning("database reachable again")
                self.up = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._look.wait(), self.interval)


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
        response = database_unavailable(request)
        await response.to_asgi_response(None, request)(scope, receive, send)

    return middleware
