"""Public read answers kept in memory, dropped exactly when the public read model changes.

The public tenders projection NOTIFYs every position it reaches, in the transaction that
reaches it (so only on commit), saying whether the view changed (``projections.public_tenders
.notify``). Each API process LISTENs on a connection of its own (``Listener``, started in the
app's lifespan) and keeps, per exact path and query string, the bytes of the last 200 answer of
the four public read endpoints (``ReadCache``, LRU, ``CAPACITY`` entries). A change drops them
all; an unchanged view (a bid, a draft) only moves the cache's position.

Rules that keep it exact:

- An answer is kept only if no change arrived while it was computed (``generation``), so an
  answer read before a change is never kept after it.
- ``read_token``: served from memory only once the cache has seen its position; otherwise
  the request waits for the notification (bounded), and then goes to the database as before.
  A request that found the read model ahead of the cache in the database drops the cache
  (``observed``), so a later request never reads older data than an earlier one.
- Without its listening connection the cache is off: every request goes to the database until
  the connection is back. The listener also reads the position every second: a position that
  moved with no notification (a rebuild writes pages without one) drops the cache.
- Answers are replayed as the handler sent them (status, headers, body): byte for byte the
  same as an uncached answer. Only 200 answers are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar._parsers import parse_query_string
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.read_tokens import ReadTokens, read_tokens_of
from projections import reads
from projections.public_tenders import CHANNEL
from projections.public_tenders import NAME as PUBLIC_TENDERS

log = logging.getLogger(__name__)

CAPACITY = 1_000
CACHED_ROUTES = frozenset(
    {
        "/public/tenders",
        "/public/tenders/{tender_id}",
        "/public/awards",
        "/public/awards/{award_id}",
    }
)
WAIT_LEFT = "read_wait_left"
"""In the request's state: seconds left to wait for a read token after the cache waited."""
APPLICATION_NAME = "procurement-read-cache"
"""The listening connection's name in ``pg_stat_activity``."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


class ReadCache:
    """Answers by (path, query string), valid for the read model at ``position`` or later."""

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = CAPACITY if capacity is None else capacity
        """At most this many answers (0: keep none, every request reads the database)."""
        self.enabled = False
        self.position = 0
        """Every change up to here has dropped the entries (a lower bound of what they show)."""
        self.generation = 0
        """Moves on every drop: an answer computed across a drop is not kept."""
        self._entries: OrderedDict[tuple[str, bytes], Answer] = OrderedDict()
        self._waiters: list[tuple[int, asyncio.Future[bool]]] = []

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, bytes]) -> Answer | None:
        answer = self._entries.get(key)
        if answer is not None:
            self._entries.move_to_end(key)
        return answer

    def put(self, key: tuple[str, bytes], generation: int, answer: Answer) -> bool:
        """Keep ``answer`` if nothing changed since ``generation`` was read and the cache is on."""
        if not self.enabled or generation != self.generation or self.capacity <= 0:
            return False
        self._entries[key] = answer
        self._entries.move_to_end(key)
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return True

    def _drop(self) -> None:
        self._entries.clear()
        self.generation += 1

    def moved(self, position: int, *, changed: bool) -> None:
        """The projection committed ``position`` (a notification)."""
        if changed:
            self._drop()
            self.position = position  # lower only on a reset: a safe, smaller claim
        else:
            self.position = max(self.position, position)
        self._wake()

    def observed(self, position: int) -> None:
        """The database showed the read model at ``position``: notifications up to it may
        still be on their way, so what is kept may be older. Drop it."""
        if position != self.position:
            self._drop()
            self.position = position
            self._wake()

    def enable(self, position: int) -> None:
        """Listening again, with the read model at ``position`` read after LISTEN."""
        self._drop()
        self.position = position
        self.enabled = True
        self._wake()

    def disable(self) -> None:
        self.enabled = False
        self._drop()
        self._wake()

    async def wait_for(self, position: int, seconds: float) -> bool:
        """Whether the cache reached ``position`` within ``seconds`` (False once disabled)."""
        if self.enabled and self.position >= position:
            return True
        if not self.enabled or seconds <= 0:
            return False
        future = asyncio.get_running_loop().create_future()
        waiter = (position, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, seconds)
        except TimeoutError:
            return False
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def _wake(self) -> None:
        if not self._waiters:
            return
        waiting: list[tuple[int, asyncio.Future[bool]]] = []
        for position, future in self._waiters:
            if future.done():
                continue
            if not self.enabled:
                future.set_result(False)
            elif self.position >= position:
                future.set_result(True)
            else:
                waiting.append((position, future))
        self._waiters = waiting


class Listener:
    """The cache's own connection: LISTEN for the projection's positions, and read the
    position every ``interval`` seconds (a liveness check, and a catch for moves without a
    notification). Off while the connection is lost; reconnects every ``retry`` seconds."""

    def __init__(
        self, dsn: str, cache: ReadCache, *, interval: float = 1.0, retry: float = 1.0
    ) -> None:
        self.dsn = dsn
        self.cache = cache
        self.interval = interval
        self.retry = retry
        self.connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=2)
        self.cache.disable()
        await self._close()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 (any failure: off, then reconnect)
                if self.cache.enabled:
                    log.warning("read cache off: its listening connection failed (%r)", error)
            self.cache.disable()
            await self._close()
            await asyncio.sleep(self.retry)

    async def _listen(self) -> None:
        self._lost.clear()
        connection = await asyncpg.connect(
            self.dsn, timeout=5, server_settings={"application_name": APPLICATION_NAME}
        )
        self.connection = connection
        connection.add_termination_listener(self._terminated)
        await connection.add_listener(CHANNEL, self._notified)
        position = await self._position(connection)
        self.cache.enable(position)
        seen = position
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.interval)
            if self._lost.is_set() or connection.is_closed():
                break
            now = await self._position(connection)
            # Notifications are in commit order and arrive in well under a second: a
            # position seen a second ago that the cache has not reached, or one that went
            # back, moved without them.
            if now < self.cache.position or seen > self.cache.position:
                self.cache.observed(now)
            seen = now
        msg = "the listening connection was closed"
        raise ConnectionError(msg)

    @staticmethod
    async def _position(connection: asyncpg.Connection) -> int:
        value = await connection.fetchval(
            f"SELECT notification_id FROM {PUBLIC_TENDERS}_tracking "  # noqa: S608 (fixed)
            "WHERE application_name = $1",
            reads.APPLICATION_NAME,
            timeout=5,
        )
        return int(value or 0)

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: object) -> None:
        position, _, changed = str(payload).partition(" ")
        try:
            self.cache.moved(int(position), changed=changed != "0")
        except ValueError:  # not ours: drop everything, to be safe
            self.cache.moved(0, changed=True)

    def _terminated(self, _connection: Any) -> None:
        if self.cache.enabled:
            log.warning("read cache off: its listening connection was lost")
        self.cache.disable()
        self._lost.set()

    async def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and not connection.is_closed():
            try:
                await asyncio.wait_for(connection.close(), timeout=2)
            except Exception:  # noqa: BLE001 (closing a broken connection)
                connection.terminate()


_NO_POSITION = -1
_UNCACHEABLE = -2


def _wanted_position(query: bytes, tokens: ReadTokens) -> int:
    """The position of the request's ``read_token``, as the handler will read it;
    ``_NO_POSITION`` without one, ``_UNCACHEABLE`` when the handler must decide (a token
    the platform did not issue, several, or the withdrawn ``min_position``: all 422)."""
    if b"read_token" not in query and b"min_position" not in query and b"%" not in query:
        return _NO_POSITION
    pairs = parse_query_string(query)
    if any(name == "min_position" for name, _ in pairs):
        return _UNCACHEABLE
    values = [value for name, value in pairs if name == "read_token"]
    if not values:
        return _NO_POSITION
    position = tokens.position(values[0]) if len(values) == 1 else None
    return _UNCACHEABLE if position is None else position


def read_cache_middleware(app: ASGIApp) -> ASGIApp:
    """Answer the public read endpoints from the app's ``ReadCache`` when it can (after
    routing: the middleware of those routes only)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "GET" or scope.get("path_template") not in CACHED_ROUTES:
            await app(scope, receive, send)
            return
        cache: ReadCache | None = scope["app"].state.get("read_cache")
        query: bytes = scope.get("query_string", b"")
        if cache is None or not cache.enabled or not await _reached(scope, cache, query):
            await app(scope, receive, send)  # the database
            return
        key = (scope["path"], query)
        answer = cache.get(key)
        if answer is None:
            await app(scope, receive, _keeping(send, cache, key))
            return
        headers = [*answer.headers]  # a list of its own: outer middleware adds to it
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body, "more_body": False})

    return middleware


async def _reached(scope: Scope, cache: ReadCache, query: bytes) -> bool:
    """Whether the cache may answer: it has seen the position of the request's
    ``read_token``, if any, waiting for it if need be. If not, the handler waits in the
    database for what is left of the time (none if the cache waited it all out: the read
    model lags, 503)."""
    wanted = _wanted_position(query, read_tokens_of(scope["app"].state))
    if wanted == _UNCACHEABLE:
        return False
    if wanted <= cache.position:
        return True
    if wanted > await reads.store_position(scope["app"].state.pool):
        return False  # no write has reached it: the handler refuses it, without a wait
    loop = asyncio.get_running_loop()
    began = loop.time()
    allowed: float = scope["app"].state.settings.read_wait_timeout
    if await cache.wait_for(wanted, allowed):
        return True
    scope.setdefault("state", {})[WAIT_LEFT] = max(0.0, allowed - (loop.time() - began))
    return False


def _keeping(send: Send, cache: ReadCache, key: tuple[str, bytes]) -> Send:
    """``send``, keeping a 200 answer in the cache unless a change came meanwhile."""
    generation = cache.generation
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            start["status"] = message["status"]
            start["headers"] = tuple(
                (bytes(name), bytes(value)) for name, value in message.get("headers", ())
            )
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False) and start.get("status") == 200:  # noqa: PLR2004
                cache.put(key, generation, Answer(200, start["headers"], b"".join(chunks)))
        await send(message)

    return keep
