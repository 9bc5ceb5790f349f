"""Idempotency keys claimed and answered in batches: the same outcomes as one by one."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from procurement import idempotency
from projections.reads import create_pool

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


async def _run(dsn: str) -> None:
    pool = await create_pool(dsn, 3)
    try:
        batches = idempotency.Batches(pool)
        # 50 new keys and the same key twice, all at once: one batch, one claim per key.
        outcomes = await asyncio.gather(
            *(batches.claim("vendor", f"key-{n}", f"hash-{n}", NOW) for n in range(50)),
            batches.claim("vendor", "twice", "hash", NOW),
            batches.claim("vendor", "twice", "hash", NOW),
        )
        assert all(isinstance(o, idempotency.Claimed) for o in outcomes[:50])
        assert {type(o) for o in outcomes[50:]} == {idempotency.Claimed, idempotency.InProgress}
        await asyncio.gather(
            *(
                batches.complete(
                    "vendor", f"key-{n}", status=201, content_type="application/json", body=b"{}"
                )
                for n in range(50)
            )
        )
        # Claimed again: a replay with the same body, a refusal with another, per owner.
        again = await asyncio.gather(
            batches.claim("vendor", "key-7", "hash-7", NOW),
            batches.claim("vendor", "key-8", "another body", NOW),
            batches.claim("someone-else", "key-9", "hash-9", NOW),
            batches.claim("vendor", "twice", "hash", NOW),
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
        await pool.close()


def test_batched_claims_and_answers_match_the_one_by_one_rules(clean_db: str) -> None:
    # A loop of its own in a thread of its own: another test may leave one running here.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _run(clean_db)).result()
