"""The limits as PostgreSQL counts them, through the limiter the API uses, on the fake clock:
windows shared by every caller, concurrent checks that never admit more than the room, sign-in
delays that grow with failures from one address and leave every other address alone, expired
rows swept, and an unreachable database failing as the API answers 503."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import asyncpg
import psycopg
import pytest

from api.errors import ApiProblem, database_unreachable
from api.rate_limits import Limiter
from domain.errors import AccountDisabledError, InvalidCredentialsError
from procurement import rate_limits
from procurement.settings import Settings
from projections.reads import create_pool
from tests.support import FakeClock

ATTACKER, OWNER = "203.0.113.9", "198.51.100.7"


def _request(host: str = "10.0.0.1") -> Any:
    return SimpleNamespace(client=SimpleNamespace(host=host))


def _run(test: Callable[[asyncpg.Pool], Awaitable[None]], dsn: str) -> None:
    # A loop of its own in a thread of its own, as the API's: the limiter runs on it.
    async def run() -> None:
        pool = await create_pool(dsn, 5)
        try:
            await test(pool)
        finally:
            await pool.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, run()).result()


async def _refused(check: Awaitable[None]) -> ApiProblem:
    with pytest.raises(ApiProblem) as refused:
        await check
    assert refused.value.status_code == 429
    return refused.value


def _limiter(pool: asyncpg.Pool, clock: FakeClock, **settings: Any) -> Limiter:
    limiter = Limiter(Settings(**settings), clock)
    limiter.attach(pool)
    return limiter


def test_a_window_admits_its_amount_then_says_when_to_retry(clean_db: str) -> None:
    clock = FakeClock()  # at a minute's start

    async def test(pool: asyncpg.Pool) -> None:
        limiter = _limiter(pool, clock, rate_limit_bids="3/minute")
        for _ in range(3):
            await limiter.check(_request(), "bid", "vendor-a")
            clock.advance(timedelta(seconds=10))
        refused = await _refused(limiter.check(_request(), "bid", "vendor-a"))
        assert refused.headers == {"Retry-After": "30"}  # at the next window's start
        assert "account" in refused.detail
        await limiter.check(_request(), "bid", "vendor-b")  # another vendor has its own
        # A second limiter (another API process) counts in the same window.
        other = _limiter(pool, clock, rate_limit_bids="3/minute")
        await _refused(other.check(_request("10.0.0.2"), "bid", "vendor-a"))
        clock.advance(timedelta(seconds=30))  # a new window, the previous one weighing 3
        await _refused(limiter.check(_request(), "bid", "vendor-a"))
        clock.advance(timedelta(seconds=21))  # just over a third of it has slid out
        await limiter.check(_request(), "bid", "vendor-a")

    _run(test, clean_db)


def test_the_address_window_counts_every_account(clean_db: str) -> None:
    clock = FakeClock()

    async def test(pool: asyncpg.Pool) -> None:
        limiter = _limiter(pool, clock, rate_limit_bids_address="2/minute")
        await limiter.check(_request(), "bid", "vendor-a")
        await limiter.check(_request(), "bid", "vendor-b")
        refused = await _refused(limiter.check(_request(), "bid", "vendor-c"))
        assert "address" in refused.detail
        await limiter.check(_request("10.0.0.2"), "bid", "vendor-c")
        # IPv6 clients count per /64: a new address in it is no new client.
        await limiter.check(_request("2001:db8:1:2::1"), "bid", "vendor-d")
        await limiter.check(_request("2001:db8:1:2::2"), "bid", "vendor-e")
        await _refused(limiter.check(_request("2001:db8:1:2:ffff::3"), "bid", "vendor-f"))
        clock.advance(timedelta(minutes=2))
        await limiter.check(_request(), "bid", "vendor-d")

    _run(test, clean_db)


def test_concurrent_checks_never_admit_more_than_the_limit(clean_db: str) -> None:
    clock = FakeClock()

    async def test(pool: asyncpg.Pool) -> None:
        limiters = [_limiter(pool, clock, rate_limit_register_address="10/minute") for _ in "ab"]
        outcomes = await asyncio.gather(
            *(limiters[n % 2].check_registration(_request()) for n in range(60)),
            return_exceptions=True,
        )
        assert outcomes.count(None) == 10
        assert all(isinstance(o, ApiProblem) for o in outcomes if o is not None)

    _run(test, clean_db)


async def _sign_in(
    limiter: Limiter, host: str, username: str = "vendor1", *, error: Exception | None = None
) -> None:
    async with limiter.sign_in(_request(host), username):
        if error is not None:
            raise error


async def _fail(limiter: Limiter, host: str, username: str = "vendor1") -> None:
    with pytest.raises(InvalidCredentialsError):
        await _sign_in(limiter, host, username, error=InvalidCredentialsError("wrong"))


def test_failed_sign_ins_delay_that_address_alone_ever_longer(clean_db: str) -> None:
    clock = FakeClock()

    async def test(pool: asyncpg.Pool) -> None:
        limiter = _limiter(pool, clock, sign_in_max_delay=60)
        await _fail(limiter, ATTACKER)
        waits = []
        for _ in range(7):
            refused = await _refused(_sign_in(limiter, ATTACKER, "VENDOR1 "))  # as accounts know it
            assert refused.headers is not None
            waits.append(int(refused.headers["Retry-After"]))
            clock.advance(timedelta(seconds=waits[-1]))
            await _fail(limiter, ATTACKER)
        assert waits == [2, 4, 8, 16, 32, 60, 60]
        # The owner, from an address that has not failed, is never kept waiting...
        await _sign_in(limiter, OWNER)
        # ...nor is anyone else's username from the attacker's address.
        await _sign_in(limiter, ATTACKER, "vendor2")
        # A success resets the pair; an error that is no wrong password leaves it as it was.
        clock.advance(timedelta(seconds=60))
        with pytest.raises(AccountDisabledError):
            await _sign_in(limiter, ATTACKER, error=AccountDisabledError("disabled"))
        await _sign_in(limiter, ATTACKER)
        await _fail(limiter, ATTACKER)
        refused = await _refused(_sign_in(limiter, ATTACKER))
        assert refused.headers == {"Retry-After": "2"}

    _run(test, clean_db)


def test_one_sign_in_attempt_at_a_time_per_username_and_address(clean_db: str) -> None:
    """A burst of concurrent guesses from one address gets one try, not one per request."""
    clock = FakeClock()

    async def test(pool: asyncpg.Pool) -> None:
        limiter = _limiter(pool, clock)
        tried = finished = 0
        release, others_done = asyncio.Event(), asyncio.Event()

        async def guess() -> None:
            nonlocal tried, finished
            try:
                async with limiter.sign_in(_request(ATTACKER), "vendor1"):
                    tried += 1
                    if tried > 1:  # a second one got in: nobody needs to wait any more
                        release.set()
                    await release.wait()  # the first one inside holds on while the rest try
                    raise InvalidCredentialsError("wrong")
            finally:
                finished += 1
                if finished == 19:
                    others_done.set()

        burst = [asyncio.create_task(guess()) for _ in range(20)]
        await others_done.wait()
        release.set()
        outcomes = await asyncio.gather(*burst, return_exceptions=True)
        assert tried == 1
        assert sum(isinstance(o, InvalidCredentialsError) for o in outcomes) == 1
        refused = [o for o in outcomes if isinstance(o, ApiProblem)]
        assert len(refused) == 19
        assert all(o.headers == {"Retry-After": "1"} for o in refused)  # not a failure's wait

    _run(test, clean_db)


def test_the_checks_run_from_a_handlers_thread(clean_db: str) -> None:
    clock = FakeClock()

    async def test(pool: asyncpg.Pool) -> None:
        limiter = _limiter(pool, clock, rate_limit_bids="1/minute")

        def handler() -> None:  # a synchronous handler, in a thread of its own
            limiter.from_thread(limiter.check(_request(), "bid", "vendor-a"))
            with pytest.raises(ApiProblem):
                limiter.from_thread(limiter.check(_request(), "bid", "vendor-a"))
            with (
                pytest.raises(InvalidCredentialsError),
                limiter.sign_in_from_thread(_request(ATTACKER), "vendor1"),
            ):
                raise InvalidCredentialsError("wrong")
            with (
                pytest.raises(ApiProblem),
                limiter.sign_in_from_thread(_request(ATTACKER), "vendor1"),
            ):
                pass
            with limiter.sign_in_from_thread(_request(OWNER), "vendor1"):
                pass

        await asyncio.to_thread(handler)

    _run(test, clean_db)


def test_expired_rows_are_swept(clean_db: str) -> None:
    clock = FakeClock()

    async def test(pool: asyncpg.Pool) -> None:
        limiter = _limiter(pool, clock, sign_in_max_delay=60)
        await limiter.check(_request(), "bid", "vendor-a")
        await _fail(limiter, ATTACKER)

    _run(test, clean_db)

    def rows() -> int:
        with psycopg.connect(clean_db) as conn:
            found = conn.execute(
                "SELECT (SELECT count(*) FROM rate_limit_windows) "
                "+ (SELECT count(*) FROM sign_in_failures)"
            ).fetchone()
        return int(found[0]) if found else 0

    assert rows() == 4  # windows: the vendor's bids, the address's bids and sign-ins; the pair
    assert rate_limits.sweep(clean_db, clock.advance(timedelta(minutes=2))) == 3  # windows
    assert rate_limits.sweep(clean_db, clock.advance(timedelta(hours=1))) == 1  # failures
    assert rows() == 0


def test_an_unreachable_database_fails_the_check_as_unreachable(tmp_path: Any) -> None:
    """The API answers such an error 503 ``database_unavailable`` (api/errors.py), never 500."""

    async def run() -> None:
        pool = await asyncpg.create_pool(
            f"postgresql://postgres@/procurement?host={tmp_path}", min_size=0
        )
        limiter = Limiter(Settings(), FakeClock())
        limiter.attach(pool)
        try:
            for check in (
                limiter.check(_request(), "bid", "vendor-a"),
                limiter.check_registration(_request()),
                _sign_in(limiter, OWNER),
            ):
                with pytest.raises(Exception) as failed:  # the driver's own
                    await check
                assert database_unreachable(failed.value), repr(failed.value)
        finally:
            await pool.close()

    asyncio.run(run())
