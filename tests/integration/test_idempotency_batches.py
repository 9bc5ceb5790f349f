"""Idempotency keys claimed and answered in batches: the same outcomes as one by one; and a
claim lives exactly as long as its holder (here two ``Batches``, each with its own holding
connection, stand for two API processes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import asyncpg

from procurement.store import idempotency_keys as idempotency
from projections.reads import create_pool

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _in_a_loop_of_its_own(test: Callable[[asyncpg.Pool, str], Awaitable[None]], dsn: str) -> None:
    # A loop of its own in a thread of its own: another test may leave one running here.
    async def run() -> None:
        pool = await create_pool(dsn, 3)
        try:
            await test(pool, dsn)
        finally:
            await pool.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, run()).result()


def _claim(outcome: idempotency.Outcome) -> idempotency.Claim:
    assert isinstance(outcome, idempotency.Claimed), outcome
    return outcome.claim


async def _batched(pool: asyncpg.Pool, dsn: str) -> None:
    batches = idempotency.Batches.on(pool, dsn)
    try:
        # 50 new keys and the same key twice, all at once: one batch, one claim per key.
        outcomes = await asyncio.gather(
            *(batches.claim("vendor", f"key-{n}", f"hash-{n}", f"r{n}", NOW) for n in range(50)),
            batches.claim("vendor", "twice", "hash", "r-twice", NOW),
            batches.claim("vendor", "twice", "hash", "r-twice-2", NOW),
        )
        assert all(isinstance(o, idempotency.Claimed) for o in outcomes[:50])
        assert {type(o) for o in outcomes[50:]} == {idempotency.Claimed, idempotency.InProgress}
        await asyncio.gather(
            *(
                batches.complete(_claim(o), status=201, content_type="application/json", body=b"{}")
                for o in outcomes[:50]
            )
        )
        # Claimed again: a replay with the same body, a refusal with another, per owner.
        again = await asyncio.gather(
            batches.claim("vendor", "key-7", "hash-7", "r", NOW),
            batches.claim("vendor", "key-8", "another body", "r", NOW),
            batches.claim("someone-else", "key-9", "hash-9", "r", NOW),
            batches.claim("vendor", "twice", "hash", "r", NOW),
        )
        assert again[0] == idempotency.Replay(201, "application/json", b"{}")
        assert isinstance(again[1], idempotency.Mismatch)
        assert isinstance(again[2], idempotency.Claimed)
        assert isinstance(again[3], idempotency.InProgress)
        completed = await pool.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE status = 201 AND owner = 'vendor'"
        )
        assert completed == 50
    finally:
        await batches.close()


def test_batched_claims_and_answers_match_the_one_by_one_rules(clean_db: str) -> None:
    _in_a_loop_of_its_own(_batched, clean_db)


async def _holders(pool: asyncpg.Pool, dsn: str) -> None:
    first = idempotency.Batches.on(pool, dsn)
    second = idempotency.Batches.on(pool, dsn)
    try:
        held = _claim(await first.claim("vendor", "k", "hash", "first-attempt", NOW))
        # While its holder lives, the claim is in progress for everyone else...
        assert isinstance(
            await second.claim("vendor", "k", "hash", "r2", NOW), idempotency.InProgress
        )
        assert isinstance(
            await second.claim("vendor", "k", "other", "r2", NOW), idempotency.Mismatch
        )
        # ... and once its holder's session ends (a killed process, a restarted database),
        # the next retry takes it over at once, told which attempt it replaces.
        await first.close()
        taken = await second.claim("vendor", "k", "hash", "second-attempt", NOW)
        assert isinstance(taken, idempotency.Claimed)
        assert taken.earlier == idempotency.Attempt("first-attempt", NOW)
        # The first attempt, alive after all, cannot store its answer over the new holder's.
        await first.complete(held, status=500, content_type="text/plain", body=b"late")
        await second.complete(taken.claim, status=201, content_type="application/json", body=b"{}")
        replayed = await second.claim("vendor", "k", "hash", "third", NOW)
        assert replayed == idempotency.Replay(201, "application/json", b"{}")

        # A release that could not delete its row (the database down) still lets its lock
        # go: the unanswered row is free for the next retry at once.
        lost = _claim(await first.claim("vendor", "lost", "hash", "lost-attempt", NOW))
        await pool.execute(
            "UPDATE idempotency_keys SET holder = 'someone else' WHERE key = 'lost'"
        )  # so that its release deletes nothing, as a failed one
        await first.release(lost)
        retried = await second.claim("vendor", "lost", "hash", "retry", NOW)
        assert isinstance(retried, idempotency.Claimed)
        assert retried.earlier is not None
        assert retried.earlier.request_id == "lost-attempt"
    finally:
        await first.close()
        await second.close()


def test_a_claim_lives_exactly_as_long_as_its_holder(clean_db: str) -> None:
    _in_a_loop_of_its_own(_holders, clean_db)
