"""Request floods limited per account and per address, counted in PostgreSQL for the whole
cluster (``procurement/rate_limits.py``): N API processes on M machines share one count.

- **Bids** (submissions, replacements, withdrawals): per vendor and per client address.
- **Registrations**: per client address (each hashes a password with argon2 first).
- **Sign-in**: per client address, every attempt; and per (username, address), failures
  only: after the n-th failure in a row, the pair's next attempt waits ``min(2**n,
  sign_in_max_delay)`` seconds, and a pair runs one attempt at a time. A success resets the
  pair. Nothing is counted per username across addresses, so a rival failing on a vendor's
  username from anywhere never makes the vendor wait (docs/deployment.md says why).

The answer past a limit is 429 ``too_many_requests`` with ``Retry-After``, before any work
(no argon2, no sealing, no write). Usernames count as the accounts know them (trimmed, lower
case); addresses as ``api.client_address`` decides them, IPv6 ones per /64.

The limits are written in ``limits`` notation ("60/minute"). A window's count is estimated
from two fixed windows of the period, the previous one weighted by the share of it still
inside the moving window. The times are the application's clock's.

Handlers on the event loop ``await`` the checks; synchronous handlers, in threads, run them
on the loop with ``from_thread`` and ``sign_in_from_thread``. A database that cannot be
reached fails the check with the driver's error, which the API answers with 503
``database_unavailable``, as it would the request's own work.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from limits import RateLimitItem, parse
from litestar import Request

from api.client_address import limit_key
from api.errors import ApiProblem
from domain.account import normalise_username
from domain.errors import InvalidCredentialsError, WrongCurrentPasswordError
from procurement import rate_limits as store
from procurement.clock import Clock
from procurement.settings import Settings

T = TypeVar("T")
FORGET_AFTER = timedelta(hours=1)
"""A pair's failures are forgotten after this long without an attempt (or the longest
delay, if that is longer)."""
ATTEMPT_LEASE = timedelta(seconds=30)
"""How long an attempt holds its pair at most (a process that dies mid-attempt)."""
LONGEST_DOUBLING = 62


@dataclass(frozen=True)
class _Attempt:
    username: str
    address: str
    failures: int


class Limiter:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self._clock = clock
        self.rules: dict[str, RateLimitItem] = {
            "bid:account": parse(settings.rate_limit_bids),
            "bid:address": parse(settings.rate_limit_bids_address),
            "register:address": parse(settings.rate_limit_register_address),
            "sign-in:address": parse(settings.rate_limit_sign_in_address),
        }
        self.max_delay = settings.sign_in_max_delay
        self._forget = max(FORGET_AFTER, timedelta(seconds=self.max_delay))
        self._pool: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, pool: asyncpg.Pool) -> None:
        """Count through ``pool`` from now on (on the app's event loop, at start-up)."""
        self._pool = pool
        self._loop = asyncio.get_running_loop()

    async def check(self, request: Request[Any, Any, Any], action: str, account: str) -> None:
        """Count one ``action`` by ``account`` from the request's address; 429 past a limit."""
        address = _address(request)
        await self._count(
            (f"{action}:account", account, "account"), (f"{action}:address", address, "address")
        )

    async def check_registration(self, request: Request[Any, Any, Any]) -> None:
        """Count a registration from the request's address."""
        await self._count(("register:address", _address(request), "address"))

    @asynccontextmanager
    async def sign_in(self, request: Request[Any, Any, Any], username: str) -> AsyncIterator[None]:
        """Around one sign-in attempt on ``username``: refused (429) while its address is
        over its limit or the pair waits; the body's ``InvalidCredentialsError`` (or a wrong
        current password) counts as a failure, its success resets the pair, any other error
        leaves it as it was."""
        attempt = await self._begin_sign_in(request, username)
        try:
            yield
        except Exception as error:
            await self._end_sign_in(attempt, error)
            raise
        await self._end_sign_in(attempt, None)

    @contextmanager
    def sign_in_from_thread(self, request: Request[Any, Any, Any], username: str) -> Iterator[None]:
        """``sign_in`` for a synchronous handler (in a thread)."""
        attempt = self.from_thread(self._begin_sign_in(request, username))
        try:
            yield
        except Exception as error:
            self.from_thread(self._end_sign_in(attempt, error))
            raise
        self.from_thread(self._end_sign_in(attempt, None))

    def from_thread(self, check: Coroutine[Any, Any, T]) -> T:
        """Run ``check`` (one of this limiter's) on the app's event loop and wait for it, from
        a synchronous handler's thread."""
        if self._loop is None:
            check.close()
            msg = "the limiter is not attached to a pool yet (the app's lifespan attaches it)"
            raise RuntimeError(msg)
        return asyncio.run_coroutine_threadsafe(check, self._loop).result()

    async def _begin_sign_in(self, request: Request[Any, Any, Any], username: str) -> _Attempt:
        address = _address(request)
        await self._count(("sign-in:address", address, "address"))
        name = normalise_username(username)
        now = self._clock.now()
        claim = await store.claim_attempt(
            self._attached(),
            username=name,
            address=address,
            now=now,
            lease_until=now + ATTEMPT_LEASE,
            forget_at=now + self._forget,
        )
        if claim.failures is None:
            if claim.blocked_until is not None and claim.blocked_until > now:
                wait = max(1, math.ceil((claim.blocked_until - now).total_seconds()))
                why = "too many failed sign-ins on this username from this address"
            else:
                wait, why = 1, "a sign-in on this username from this address is running"
            raise _too_many(f"{why}; retry in {wait} s", wait)
        return _Attempt(name, address, claim.failures)

    async def _end_sign_in(self, attempt: _Attempt, error: Exception | None) -> None:
        pool = self._attached()
        now = self._clock.now()
        if error is None:
            await store.attempt_succeeded(pool, attempt.username, attempt.address)
        elif isinstance(error, InvalidCredentialsError | WrongCurrentPasswordError):
            delay = timedelta(seconds=sign_in_delay(attempt.failures + 1, self.max_delay))
            await store.attempt_failed(
                pool,
                username=attempt.username,
                address=attempt.address,
                now=now,
                blocked_until=now + delay,
                forget_at=now + self._forget,
            )
        else:
            await store.attempt_ended(pool, attempt.username, attempt.address, now)

    async def _count(self, *asked: tuple[str, str, str]) -> None:
        """Count a hit of each (rule, key, what the key is) in its window; 429 at the first
        window without room."""
        now = self._clock.now().timestamp()
        windows = [self._window(rule, key, now) for rule, key, _ in asked]
        counts = await store.hit(self._attached(), windows)
        for (rule_name, _, scope), count in zip(asked, counts, strict=True):
            if not count.admitted:
                rule = self.rules[rule_name]
                wait = retry_after(rule.amount, rule.get_expiry(), count, now)
                raise _too_many(f"too many requests for this {scope}; retry in {wait} s", wait)

    def _window(self, rule_name: str, key: str, now: float) -> store.Window:
        rule = self.rules[rule_name]
        period = rule.get_expiry()
        slot = math.floor(now / period)
        return store.Window(
            rule=rule_name,
            key=key,
            slot=slot,
            amount=rule.amount,
            weight=1 - (now - slot * period) / period,
            expires_at=datetime.fromtimestamp((slot + 2) * period, UTC),
        )

    def _attached(self) -> asyncpg.Pool:
        if self._pool is None:
            msg = "the limiter is not attached to a pool yet (the app's lifespan attaches it)"
            raise RuntimeError(msg)
        return self._pool


def sign_in_delay(failures: int, max_delay: float) -> float:
    """Seconds the next attempt waits after ``failures`` failures in a row."""
    return float(min(2 ** min(failures, LONGEST_DOUBLING), max_delay))


def retry_after(amount: int, period: int, count: store.Count, now: float) -> int:
    """Whole seconds until a window that refused a hit has room for one: while the current
    window has room, when enough of the previous one has slid out; else in the next window,
    when enough of this one has."""
    elapsed = now - math.floor(now / period) * period
    if count.current < amount and count.previous > 0:
        wait = (1 - (amount - count.current) / count.previous) * period - elapsed
    else:
        wait = period - elapsed + max(0.0, 1 - amount / max(count.current, 1)) * period
    return max(1, math.ceil(wait))


def _too_many(detail: str, wait: int) -> ApiProblem:
    return ApiProblem(429, "too_many_requests", detail, headers={"Retry-After": str(wait)})


def _address(request: Request[Any, Any, Any]) -> str:
    return limit_key(request.client.host) if request.client else "unknown"


def limiter_of(request: Request[Any, Any, Any]) -> Limiter:
    found: Limiter = request.app.state.limiter
    return found
