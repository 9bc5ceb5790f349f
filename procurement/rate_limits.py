"""The tables behind the rate limits (migration 0014), shared by every API process of the
cluster: one statement per check, through the API process's asyncpg pool.

- **Moving windows** (``rate_limit_windows``): a rule's hits per key in fixed windows of its
  period (window ``floor(time / period)``). A check estimates the hits of the moving window
  ending now as the current window's plus the previous window's weighted by the share of it
  still inside the moving window, and counts the hit only if the estimate has room. The
  condition is checked again on the row's latest version under its lock (``ON CONFLICT ...
  WHERE``), so concurrent checks from many processes never admit more than the room.
- **Failed sign-ins** (``sign_in_failures``), per (username, address): how many failed, the
  last one's delay (``blocked_until``), and the attempt in progress (``attempt_until``, a
  lease), so that one pair runs one attempt at a time: a burst of concurrent guesses from one
  address gets one try, not one per request.

The times are the application's clock's (a fake one in tests). ``Sweeper`` deletes expired
rows periodically, in whichever process holds its job's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import psycopg

from procurement.clock import Clock
from procurement.periodic import PeriodicJob


@dataclass(frozen=True)
class Window:
    """One rule's window for one key, as a check asks for it."""

    rule: str
    key: str
    slot: int
    """The window's number: ``floor(time / period)``."""
    amount: int
    weight: float
    """The share of the previous window still inside the moving window that ends now."""
    expires_at: datetime
    """When the row is no longer needed: the end of the window after this one."""


@dataclass(frozen=True)
class Count:
    admitted: bool
    current: int
    """The window's hits before this check (as the statement found them)."""
    previous: int
    """The previous window's hits."""


_ASKED = """
WITH asked AS (
    SELECT a.n, a.rule, a.key, a.slot, a.expires_at, coalesce(p.hits, 0) AS previous,
           a.amount - coalesce(p.hits, 0) * a.weight AS room
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::integer[], $5::float8[],
                $6::timestamptz[]) WITH ORDINALITY AS a(rule, key, slot, amount, weight,
                                                        expires_at, n)
    LEFT JOIN rate_limit_windows p
        ON p.rule = a.rule AND p.key = a.key AND p.slot = a.slot - 1
), admitted AS (
    INSERT INTO rate_limit_windows AS w (rule, key, slot, hits, expires_at)
    SELECT rule, key, slot, 1, expires_at FROM asked WHERE room > 0
    ON CONFLICT (rule, key, slot) DO UPDATE SET hits = w.hits + 1
    WHERE w.hits < (
        SELECT a.room FROM asked a WHERE a.rule = w.rule AND a.key = w.key AND a.slot = w.slot
    )
    RETURNING rule, key
)
SELECT admitted.rule IS NOT NULL AS admitted, coalesce(c.hits, 0) AS current, asked.previous
FROM asked
LEFT JOIN admitted ON admitted.rule = asked.rule AND admitted.key = asked.key
LEFT JOIN rate_limit_windows c
    ON c.rule = asked.rule AND c.key = asked.key AND c.slot = asked.slot
ORDER BY asked.n
"""

_CLAIM = """
WITH claimed AS (
    INSERT INTO sign_in_failures AS f
        (username, address, failures, blocked_until, attempt_until, expires_at)
    VALUES ($1, $2, 0, $3, $4, $5)
    ON CONFLICT (username, address) DO UPDATE SET
        failures = CASE WHEN f.expires_at <= $3 THEN 0 ELSE f.failures END,
        attempt_until = $4,
        expires_at = greatest(f.expires_at, $5)
    WHERE f.expires_at <= $3 OR (f.blocked_until <= $3 AND f.attempt_until <= $3)
    RETURNING failures
)
SELECT (SELECT failures FROM claimed) AS failures, f.blocked_until
FROM (SELECT 1) AS one
LEFT JOIN sign_in_failures f ON f.username = $1 AND f.address = $2
"""


async def hit(pool: asyncpg.Pool, windows: list[Window]) -> list[Count]:
    """Count a hit in each window that has room; every window's count, in order."""
    rows = await pool.fetch(
        _ASKED,
        [w.rule for w in windows],
        [w.key for w in windows],
        [w.slot for w in windows],
        [w.amount for w in windows],
        [w.weight for w in windows],
        [w.expires_at for w in windows],
    )
    return [Count(bool(r["admitted"]), int(r["current"]), int(r["previous"])) for r in rows]


@dataclass(frozen=True)
class Claim:
    """A sign-in attempt on a (username, address) pair: the pair's failures so far, or None
    when the pair is waiting out its last failure's delay (``blocked_until``) or another
    attempt."""

    failures: int | None
    blocked_until: datetime | None


async def claim_attempt(
    pool: asyncpg.Pool,
    *,
    username: str,
    address: str,
    now: datetime,
    lease_until: datetime,
    forget_at: datetime,
) -> Claim:
    """Take the pair's one attempt, unless its last failure's delay or another attempt is
    still running."""
    row = await pool.fetchrow(_CLAIM, username, address, now, lease_until, forget_at)
    assert row is not None  # noqa: S101 (one row, joined or not)
    failures = row["failures"]
    return Claim(None if failures is None else int(failures), row["blocked_until"])


async def attempt_failed(
    pool: asyncpg.Pool,
    *,
    username: str,
    address: str,
    now: datetime,
    blocked_until: datetime,
    forget_at: datetime,
) -> None:
    await pool.execute(
        "UPDATE sign_in_failures SET failures = failures + 1, blocked_until = $4, "
        "attempt_until = $3, expires_at = $5 WHERE username = $1 AND address = $2",
        username,
        address,
        now,
        blocked_until,
        forget_at,
    )


async def attempt_succeeded(pool: asyncpg.Pool, username: str, address: str) -> None:
    await pool.execute(
        "DELETE FROM sign_in_failures WHERE username = $1 AND address = $2", username, address
    )


async def attempt_ended(pool: asyncpg.Pool, username: str, address: str, now: datetime) -> None:
    """The attempt ended neither way (an error on our side, a second factor asked for): the
    pair is free again, its failures as they were."""
    await pool.execute(
        "UPDATE sign_in_failures SET attempt_until = $3 WHERE username = $1 AND address = $2",
        username,
        address,
        now,
    )


def sweep(dsn: str, now: datetime) -> int:
    """Delete the expired rows of both tables; how many."""
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        deleted = 0
        for table in ("rate_limit_windows", "sign_in_failures"):
            cursor = conn.execute(
                f"DELETE FROM {table} WHERE expires_at <= %s",  # noqa: S608 (fixed names)
                (now,),
            )
            deleted += cursor.rowcount
        return deleted


@dataclass
class Sweeper(PeriodicJob):
    dsn: str
    clock: Clock
    interval: float = 60.0
    name: str = "rate_limit_sweep"

    def run_once(self) -> Any:
        return sweep(self.dsn, self.clock.now())
