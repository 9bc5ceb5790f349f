"""Slow clients cut off: the deadlines uvicorn's HTTP/1.1 protocol does not keep.

uvicorn (h11) times out only a keep-alive connection that stays silent after an answer: a
connection that opens and sends nothing, or sends its request line and headers a byte at a
time, or a body that trickles in, holds its socket and its memory for as long as the client
likes, and enough of them exhaust the process's file descriptors (slowloris).
``procurement serve`` therefore runs uvicorn with ``SlowClientsProtocol`` (``protocol``):

- **Headers**: a connection has ``header_timeout`` seconds, from its opening or the end of
  the previous answer, to send a complete request line and headers; then it is closed.
- **Body**, while the app reads it (``with_body_deadline``, on the ASGI ``receive``): each
  piece must come within ``body_timeout`` seconds of the previous, and the whole within
  ``body_timeout`` plus one second per ``body_min_rate`` bytes received. Past either, the app
  answers 408 ``request_timeout`` (an RFC 9457 problem, counted like any answer) with
  ``Connection: close``, so the connection ends.
- **The rest of a body nobody reads** (an answer given before the body was read, a 401 or a
  404): ``body_timeout`` seconds for it in all; then the connection is closed.

Cut-offs without an answer count in ``procurement_slow_clients_cut_total{phase=...}``.

This module is light on purpose: ``serve --workers N`` pickles the protocol for each worker,
which imports this module before it starts answering uvicorn's health checks (5 s), so the
app's modules (the problem answers, the metrics) are imported only when first needed.
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from prometheus_client import Counter
    from uvicorn._types import (
        ASGI3Application,
        ASGIReceiveCallable,
        ASGIReceiveEvent,
        ASGISendCallable,
        Scope,
    )
    from uvicorn.config import Config
    from uvicorn.server import ServerState

Phase = Literal["headers", "body"]


def with_body_deadline(app: ASGI3Application, timeout: float, min_rate: int) -> ASGI3Application:
    """``app`` whose ``receive`` raises 408 when the body comes too slowly."""

    async def timed(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        started: float | None = None
        received = 0
        done = False

        async def timed_receive() -> ASGIReceiveEvent:
            nonlocal started, received, done
            if done:  # after the body: a wait for the disconnect, no deadline
                return await receive()
            now = loop.time()
            started = now if started is None else started
            left = min(timeout, started + timeout + received / min_rate - now)
            if left <= 0:
                raise _too_slow()
            try:
                async with asyncio.timeout(left):
                    message = await receive()
            except TimeoutError:
                raise _too_slow() from None
            if message["type"] == "http.request":
                received += len(message["body"])
                done = not message.get("more_body", False)
            else:
                done = True
            return message

        await app(scope, timed_receive, send)

    return timed


def _too_slow() -> Exception:
    from api.errors import ApiProblem  # noqa: PLC0415 (light module: see above)

    return ApiProblem(
        408,
        "request_timeout",
        "the request's body came too slowly; send it again, without long pauses",
        headers={"Connection": "close"},
    )


@cache
def _cut_counter() -> Counter:
    from prometheus_client import Counter  # noqa: PLC0415 (light module: see above)

    from api.metrics import REGISTRY  # noqa: PLC0415

    return Counter(
        "procurement_slow_clients_cut_total",
        "Connections closed for sending a request's headers, or an unread body, too slowly",
        ["phase"],
        registry=REGISTRY,
    )


class SlowClientsProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for headers and for unread bodies, and the app
    wrapped in ``with_body_deadline``."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        header_timeout: float,
        body_timeout: float,
        body_min_rate: int,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.app = with_body_deadline(self.app, body_timeout, body_min_rate)
        self._timeouts: dict[Phase, float] = {"headers": header_timeout, "body": body_timeout}
        self._waiting: Phase | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm(None)
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Keep the deadline of what the connection now waits for from the client."""
        waiting: Phase | None = None
        if self.transport.is_closing():
            waiting = None
        elif self.conn.their_state is h11.IDLE:
            waiting = "headers"
        elif self.conn.their_state is h11.SEND_BODY and self.cycle and self.cycle.response_complete:
            waiting = "body"  # the rest of a body the answer did not wait for
        if waiting != self._waiting:
            self._arm(waiting)

    def _arm(self, waiting: Phase | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting = waiting
        if waiting is not None:
            self._deadline = self.loop.call_later(self._timeouts[waiting], self._cut, waiting)

    def _cut(self, phase: Phase) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            _cut_counter().labels(phase).inc()
            self.transport.close()
