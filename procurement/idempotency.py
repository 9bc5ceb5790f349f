"""The store behind ``Idempotency-Key``: claim a key, then complete it with the answer.

A key belongs to its owner (the account, or ``anonymous``) and to one request (a hash of
method, path and body). A retry with the same key and body gets the first answer; with
another body it is refused; while the first request still runs it is asked to retry. A claim
left by a crashed process is taken over after ``STALE_AFTER``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from asyncpg.pool import PoolConnectionProxy

STALE_AFTER = timedelta(seconds=60)


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
