"""The store behind ``Idempotency-Key``: claim a key, then complete it with the answer.

A key belongs to its owner (the account, or ``anonymous``) and to one request (a hash of
method, path and body). A retry with the same key and body gets the first answer; with
another body it is refused; while the first request still runs it is asked to retry.

**A claim lives exactly as long as its holder.** Besides its row, a claim is a session-level
advisory lock on a hash of (owner, key), taken on a connection of the holding process's own
(``Holder``) and let go when the request ends. A row without an answer whose lock nobody
holds was claimed by a request that can no longer answer: its process was killed, or the
database restarted under it (which ends every session, so every lock), or its release failed.
The next retry takes it over at once, told which attempt it replaces (``Claimed.earlier``:
its request id and when it began). That attempt's command may have landed although no answer
was stored (the command's events and the answer are two transactions): the command recognises
its own earlier write by that attempt (``ProcurementApplication.submit_bid``) or by the id it
derives from the key (drafts, questions, complaints), and answers as it would have.

``Batches`` does the common case of many concurrent requests together, as the group commit
does for bids: the locks taken while one statement runs are taken by the next, in one
statement, and so are the new rows inserted and the answers stored. Each caller still waits
for its own claim or answer to be committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

import asyncpg

log = logging.getLogger("procurement.idempotency")  # the name operators filter on
MAX_BATCH = 256
APPLICATION_NAME = "procurement-idempotency"
I = TypeVar("I")  # noqa: E741 (an item queued)
R = TypeVar("R")


def lock_key(owner: str, key: str) -> int:
    """The advisory lock of (owner, key): 64 bits of a labelled SHA-256."""
    digest = hashlib.sha256(f"sindh-procurement:idempotency:{owner}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(eq=False)
class Claim:
    """A claim this process holds: the row's holder token and the lock it holds it by."""

    owner: str
    key: str
    holder: str
    lock: int
    generation: int
    done: bool = False


@dataclass(frozen=True)
class Attempt:
    """An earlier attempt of a keyed request that ended without an answer: whatever it wrote
    was recorded under its request id, at or after the moment it claimed the key."""

    request_id: str
    began: datetime


@dataclass(frozen=True)
class Claimed:
    claim: Claim
    earlier: Attempt | None = None
    """When this claim takes the place of an attempt that ended without an answer (its
    command may have landed): that attempt."""


@dataclass(frozen=True)
class Replay:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Mismatch:
    pass


@dataclass(frozen=True)
class InProgress:
    pass


Outcome = Claimed | Replay | Mismatch | InProgress


class _Queue(Generic[I, R]):
    """Items handed in one by one, run ``MAX_BATCH`` at a time by ``run`` (one result per
    item, in order); every caller waits for its own result or the batch's error. A result
    whose caller is gone (cancelled) goes to ``unclaimed``."""

    def __init__(
        self,
        run: Callable[[list[I]], Awaitable[list[R]]],
        unclaimed: Callable[[I, R], None] | None = None,
    ) -> None:
        self._run = run
        self._unclaimed = unclaimed
        self._items: list[tuple[I, asyncio.Future[R]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def put(self, item: I) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._items.append((item, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._items:
            batch, self._items = self._items[:MAX_BATCH], self._items[MAX_BATCH:]
            try:
                results = await self._run([item for item, _ in batch])
            except Exception as error:  # noqa: BLE001 (handed to every waiting caller)
                for _, future in batch:
                    if not future.done():  # else its request is gone (cancelled)
                        future.set_exception(error)
                continue
            for (item, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
                elif self._unclaimed is not None:
                    self._unclaimed(item, result)


class Holder:
    """This process's own connection, whose session holds the advisory lock of every claim
    the process holds. If it is lost, so are the locks (PostgreSQL ends the session): the
    claims then count as abandoned, and the next connection starts a new generation."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.generation = 0
        self._connection: asyncpg.Connection | None = None
        self._using = asyncio.Lock()  # one statement at a time on the connection
        self._locks: _Queue[int, int | None] = _Queue(self._take, self._taken_for_nobody)
        self._unlocks: _Queue[tuple[int, int], None] = _Queue(self._let_go)
        self._letting_go: set[asyncio.Task[None]] = set()

    async def take(self, lock: int) -> int | None:
        """Take ``lock`` if nobody holds it: the generation it is held in, or None."""
        return await self._locks.put(lock)

    async def let_go(self, lock: int, generation: int) -> None:
        await self._unlocks.put((lock, generation))

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await asyncio.wait_for(connection.close(), timeout=5)
            except Exception:  # noqa: BLE001 (closing whatever its state)
                connection.terminate()

    async def _connected(self) -> asyncpg.Connection:
        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(
                self.dsn, timeout=5, server_settings={"application_name": APPLICATION_NAME}
            )
            self.generation += 1
        return self._connection

    async def _take(self, locks: list[int]) -> list[int | None]:
        async with self._using:
            for attempt in (1, 2):  # again on a new connection: the first may be stale
                connection = await self._connected()
                generation = self.generation
                try:
                    rows = await connection.fetch(
                        "SELECT pg_try_advisory_lock(k) AS taken "
                        "FROM unnest($1::bigint[]) WITH ORDINALITY AS t (k, n) ORDER BY n",
                        locks,
                    )
                except Exception:
                    self._lost()
                    if attempt == 2:  # noqa: PLR2004
                        raise
                    continue
                return [generation if row["taken"] else None for row in rows]
        raise AssertionError  # pragma: no cover (the loop returns or raises)

    def _taken_for_nobody(self, lock: int, generation: int | None) -> None:
        """A lock taken for a request that is gone: let it go, or it would hold its key."""
        if generation is not None:
            task = asyncio.get_running_loop().create_task(self.let_go(lock, generation))
            self._letting_go.add(task)
            task.add_done_callback(self._letting_go.discard)

    async def _let_go(self, items: list[tuple[int, int]]) -> list[None]:
        async with self._using:
            # A lock of an earlier generation went with its session: nothing to let go.
            current = [lock for lock, generation in items if generation == self.generation]
            connection = self._connection
            if current and connection is not None and not connection.is_closed():
                try:
                    await connection.execute(
                        "SELECT pg_advisory_unlock(k) FROM unnest($1::bigint[]) AS k", current
                    )
                except Exception as error:  # noqa: BLE001 (ending the session lets all go)
                    log.warning("idempotency claims: could not let go of locks (%r)", error)
                    self._lost()
        return [None] * len(items)

    def _lost(self) -> None:
        """End the session (so its locks): a connection in doubt must not keep claims alive."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()
            log.warning("idempotency claims: the holding connection was lost; its claims with it")


@dataclass(frozen=True)
class _NewClaim:
    owner: str
    key: str
    request_hash: str
    holder: str
    request_id: str
    now: datetime


@dataclass(frozen=True)
class _Answer:
    claim: Claim
    status: int
    content_type: str
    body: bytes


@dataclass
class Batches:
    """Claims, answers and releases for the requests of one event loop (one process)."""

    pool: asyncpg.Pool
    holder: Holder
    _held: set[tuple[str, str]] = field(default_factory=set)  # (owner, key) running here
    _inserts: _Queue[_NewClaim, bool] = field(init=False)
    _answers: _Queue[_Answer, None] = field(init=False)

    def __post_init__(self) -> None:
        self._inserts = _Queue(self._insert)
        self._answers = _Queue(self._store)

    @classmethod
    def on(cls, pool: asyncpg.Pool, dsn: str) -> Batches:
        """This process's claims: rows through ``pool``, locks held on a connection of
        their own to ``dsn``."""
        return cls(pool, Holder(dsn))

    async def close(self) -> None:
        await self.holder.close()

    async def claim(
        self, owner: str, key: str, request_hash: str, request_id: str, now: datetime
    ) -> Outcome:
        if (owner, key) in self._held:  # a request of this very process holds it
            return InProgress()
        self._held.add((owner, key))
        claim: Claim | None = None
        outcome: Outcome | None = None
        try:
            lock = lock_key(owner, key)
            generation = await self.holder.take(lock)
            if generation is None:  # held by a request of another process, alive
                outcome = await self._not_ours(owner, key, request_hash)
            else:
                claim = Claim(owner, key, uuid.uuid4().hex, lock, generation)
                new = _NewClaim(owner, key, request_hash, claim.holder, request_id, now)
                outcome = await self._claimed(claim, new)
        finally:
            if not isinstance(outcome, Claimed):  # refused, or failed: nothing held
                await self._end(claim, owner, key)
        return outcome

    async def complete(self, claim: Claim, *, status: int, content_type: str, body: bytes) -> None:
        """Store the answer of the request holding ``claim``, and let the claim go."""
        try:
            await self._answers.put(_Answer(claim, status, content_type, body))
        finally:
            await self._end(claim, claim.owner, claim.key)

    async def release(self, claim: Claim) -> None:
        """Forget a claim whose request failed on our side, so that a retry runs again. If
        the row cannot be deleted (the database is down), letting the lock go is enough: an
        unanswered row without its lock is taken over by the next retry."""
        try:
            await self.pool.execute(
                "DELETE FROM idempotency_keys "
                "WHERE owner = $1 AND key = $2 AND status IS NULL AND holder = $3",
                claim.owner,
                claim.key,
                claim.holder,
            )
        finally:
            await self._end(claim, claim.owner, claim.key)

    async def _end(self, claim: Claim | None, owner: str, key: str) -> None:
        self._held.discard((owner, key))
        if claim is not None and not claim.done:
            claim.done = True
            with contextlib.suppress(Exception):  # a failure ends the session: let go anyway
                await self.holder.let_go(claim.lock, claim.generation)

    async def _not_ours(self, owner: str, key: str, request_hash: str) -> Outcome:
        row = await self.pool.fetchrow(
            "SELECT request_hash, status, content_type, body FROM idempotency_keys "
            "WHERE owner = $1 AND key = $2",
            owner,
            key,
        )
        if row is not None and row["request_hash"] != request_hash:
            return Mismatch()
        if row is not None and row["status"] is not None:
            return Replay(row["status"], row["content_type"], bytes(row["body"]))
        return InProgress()

    async def _claimed(self, claim: Claim, new: _NewClaim) -> Outcome:
        """With the lock held: a new row, or the row an earlier attempt left."""
        while True:  # again only if the row vanished between the insert and the update
            if await self._inserts.put(new):
                return Claimed(claim)
            async with self.pool.acquire() as connection, connection.transaction():
                row = await connection.fetchrow(
                    "SELECT request_hash, status, content_type, body, request_id, claimed_at "
                    "FROM idempotency_keys WHERE owner = $1 AND key = $2 FOR UPDATE",
                    new.owner,
                    new.key,
                )
                if row is None:
                    continue
                if row["request_hash"] != new.request_hash:
                    return Mismatch()
                if row["status"] is not None:
                    return Replay(row["status"], row["content_type"], bytes(row["body"]))
                # Unanswered, and its lock was free: its holder is gone. Take its place.
                await connection.execute(
                    "UPDATE idempotency_keys SET holder = $3, request_id = $4, claimed_at = $5 "
                    "WHERE owner = $1 AND key = $2",
                    new.owner,
                    new.key,
                    new.holder,
                    new.request_id,
                    new.now,
                )
            log.info("idempotency key taken over from an attempt that ended without an answer")
            earlier = row["request_id"]  # none on rows claimed before attempts were recorded
            return Claimed(claim, Attempt(earlier, row["claimed_at"]) if earlier else None)

    async def _insert(self, claims: list[_NewClaim]) -> list[bool]:
        """Insert the claims that are new, in one statement; whether each was."""
        rows = await self.pool.fetch(
            "INSERT INTO idempotency_keys "
            "(owner, key, request_hash, holder, request_id, claimed_at) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
            "$6::timestamptz[]) ON CONFLICT DO NOTHING RETURNING owner, key",
            [c.owner for c in claims],
            [c.key for c in claims],
            [c.request_hash for c in claims],
            [c.holder for c in claims],
            [c.request_id for c in claims],
            [c.now for c in claims],
        )
        inserted = {(row["owner"], row["key"]) for row in rows}
        return [(c.owner, c.key) in inserted for c in claims]

    async def _store(self, answers: list[_Answer]) -> list[None]:
        """Store the answers, in one statement: each only while its request still holds the
        row (an attempt whose claim was taken over does not overwrite the new one's)."""
        await self.pool.execute(
            "UPDATE idempotency_keys AS k "
            "SET status = a.status, content_type = a.content_type, body = a.body "
            "FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], "
            "$6::bytea[]) AS a (owner, key, holder, status, content_type, body) "
            "WHERE k.owner = a.owner AND k.key = a.key AND k.holder = a.holder "
            "AND k.status IS NULL",
            [a.claim.owner for a in answers],
            [a.claim.key for a in answers],
            [a.claim.holder for a in answers],
            [a.status for a in answers],
            [a.content_type for a in answers],
            [a.body for a in answers],
        )
        return [None] * len(answers)
