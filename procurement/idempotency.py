"""The store behind ``Idempotency-Key``: claim a key, then complete it with the answer.

A key belongs to its owner (the account, or ``anonymous``) and to one request (a hash of
method, path and body). A retry with the same key and body gets the first answer; with
another body it is refused; while the first request still runs it is asked to retry. A claim
left by a crashed process is taken over after ``STALE_AFTER``.

``Batches`` does the common cases of many concurrent requests together, as the group commit
does for bids: every new key claimed while one statement runs is claimed by the next, in one
statement and one commit, and so are the answers stored. A key that is not new (a retry, a
reuse, a claim in progress or left stale) goes the one-by-one way of ``claim``. Each caller
still waits for its own claim or answer to be committed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

STALE_AFTER = timedelta(seconds=60)
MAX_BATCH = 256
T = TypeVar("T")


@dataclass(frozen=True)
class Claimed:
    pass


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


async def claim(
    pool: asyncpg.Pool, owner: str, key: str, request_hash: str, now: datetime
) -> Outcome:
    while True:  # again only if the row vanished between the insert and the select
        async with pool.acquire() as connection, connection.transaction():
            outcome = await _claim_once(connection, owner, key, request_hash, now)
        if outcome is not None:
            return outcome


async def _claim_once(
    connection: PoolConnectionProxy, owner: str, key: str, request_hash: str, now: datetime
) -> Outcome | None:
    inserted = await connection.fetchval(
        "INSERT INTO idempotency_keys (owner, key, request_hash, claimed_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
        owner,
        key,
        request_hash,
        now,
    )
    if inserted:
        return Claimed()
    row = await connection.fetchrow(
        "SELECT request_hash, status, content_type, body, claimed_at "
        "FROM idempotency_keys WHERE owner = $1 AND key = $2 FOR UPDATE",
        owner,
        key,
    )
    if row is None:
        return None
    if row["request_hash"] != request_hash:
        return Mismatch()
    if row["status"] is not None:
        return Replay(row["status"], row["content_type"], bytes(row["body"]))
    if now - row["claimed_at"] < STALE_AFTER:
        return InProgress()
    await connection.execute(
        "UPDATE idempotency_keys SET claimed_at = $3 WHERE owner = $1 AND key = $2",
        owner,
        key,
        now,
    )
    return Claimed()


async def complete(
    pool: asyncpg.Pool, owner: str, key: str, *, status: int, content_type: str, body: bytes
) -> None:
    await pool.execute(
        "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 "
        "WHERE owner = $1 AND key = $2",
        owner,
        key,
        status,
        content_type,
        body,
    )


async def release(pool: asyncpg.Pool, owner: str, key: str) -> None:
    """Forget a claim whose request failed on our side, so that a retry runs again."""
    await pool.execute(
        "DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND status IS NULL",
        owner,
        key,
    )


@dataclass(frozen=True)
class _Claim:
    owner: str
    key: str
    request_hash: str
    now: datetime
    claimed: asyncio.Future[bool]


@dataclass(frozen=True)
class _Answer:
    owner: str
    key: str
    status: int
    content_type: str
    body: bytes
    stored: asyncio.Future[None]


class Batches:
    """``claim`` and ``complete`` for the requests of one event loop, batched."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._claims: list[_Claim] = []
        self._answers: list[_Answer] = []
        self._claiming: asyncio.Task[None] | None = None
        self._storing: asyncio.Task[None] | None = None

    async def claim(self, owner: str, key: str, request_hash: str, now: datetime) -> Outcome:
        claimed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._claims.append(_Claim(owner, key, request_hash, now, claimed))
        if self._claiming is None or self._claiming.done():
            self._claiming = asyncio.create_task(self._claim_queued())
        if await claimed:
            return Claimed()
        return await claim(self.pool, owner, key, request_hash, now)

    async def complete(
        self, owner: str, key: str, *, status: int, content_type: str, body: bytes
    ) -> None:
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._answers.append(_Answer(owner, key, status, content_type, body, stored))
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_queued())
        await stored

    async def _claim_queued(self) -> None:
        while self._claims:
            batch, self._claims = self._claims[:MAX_BATCH], self._claims[MAX_BATCH:]
            first: dict[tuple[str, str], _Claim] = {}
            for item in batch:  # a key twice in one batch: the second goes one by one
                first.setdefault((item.owner, item.key), item)
            try:
                inserted = await _insert_claims(self.pool, list(first.values()))
            except Exception as error:  # noqa: BLE001 (handed to every waiting caller)
                for item in batch:
                    _fail(item.claimed, error)
                continue
            for item in batch:
                new = first[(item.owner, item.key)] is item and (item.owner, item.key) in inserted
                _settle(item.claimed, new)

    async def _store_queued(self) -> None:
        while self._answers:
            batch, self._answers = self._answers[:MAX_BATCH], self._answers[MAX_BATCH:]
            try:
                await _update_answers(self.pool, batch)
            except Exception as error:  # noqa: BLE001 (handed to every waiting caller)
                for item in batch:
                    _fail(item.stored, error)
                continue
            for item in batch:
                _settle(item.stored, None)


def _settle(future: asyncio.Future[T], value: T) -> None:
    if not future.done():  # else its request is gone (cancelled)
        future.set_result(value)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


async def _insert_claims(pool: asyncpg.Pool, claims: list[_Claim]) -> set[tuple[str, str]]:
    """Insert the claims that are new, in one statement; the (owner, key) of each."""
    rows = await pool.fetch(
        "INSERT INTO idempotency_keys (owner, key, request_hash, claimed_at) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) "
        "ON CONFLICT DO NOTHING RETURNING owner, key",
        [c.owner for c in claims],
        [c.key for c in claims],
        [c.request_hash for c in claims],
        [c.now for c in claims],
    )
    return {(row["owner"], row["key"]) for row in rows}


async def _update_answers(pool: asyncpg.Pool, answers: list[_Answer]) -> None:
    await pool.execute(
        "UPDATE idempotency_keys AS k "
        "SET status = a.status, content_type = a.content_type, body = a.body "
        "FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::bytea[]) "
        "AS a (owner, key, status, content_type, body) "
        "WHERE k.owner = a.owner AND k.key = a.key",
        [a.owner for a in answers],
        [a.key for a in answers],
        [a.status for a in answers],
        [a.content_type for a in answers],
        [a.body for a in answers],
    )
