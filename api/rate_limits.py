"""Request floods limited per account and per address (moving windows in memory).

Sign-in is limited per username from one address, per username from anywhere (a higher cap)
and per client address; registration per address; bid submission per vendor and per address.
The answer past a limit is 429 with ``Retry-After``, before any work (no argon2, no sealing,
no write). Usernames are counted as the accounts know them (trimmed, lower case), so
``Vendor1`` and ``vendor1`` share a window; and a flood of attempts on a username from one
address fills that address's window for it, not the account owner's elsewhere. The windows
are per process: N API processes admit up to N times the limit, which the settings should
account for.

The limits are written in ``limits`` notation ("60/minute") and parsed with it, but counted
here: a window is the times of its recent hits, oldest first, so a check drops the expired
ones from the front and compares the count. ``limits``' own memory storage inserted every
hit at the front of a list and ran a timer thread every 10 ms rescanning every key, which
at the deadline cost more than the bid's sealing (docs/benchmarks.md, "Deadline rush").
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from limits import RateLimitItem, parse
from litestar import Request

from api.errors import ApiProblem
from domain.account import normalise_username
from procurement.settings import Settings

SWEEP_EVERY = 4096
"""Checks between two sweeps of the windows that have emptied (accounts gone quiet)."""


class Limiter:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.rules: dict[str, RateLimitItem] = {
            "token:account": parse(settings.rate_limit_sign_in),
            "token:username": parse(settings.rate_limit_sign_in_username),
            "token:address": parse(settings.rate_limit_sign_in_address),
            "register:address": parse(settings.rate_limit_register_address),
            "bid:account": parse(settings.rate_limit_bids),
            "bid:address": parse(settings.rate_limit_bids_address),
        }
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._checks = 0

    def check(self, request: Request[Any, Any, Any], action: str, account: str) -> None:
        """Count one ``action`` by ``account`` from the request's address; 429 past a limit."""
        address = _address(request)
        self._count(
            (f"{action}:account", account, "account"), (f"{action}:address", address, "address")
        )

    def check_sign_in(self, request: Request[Any, Any, Any], username: str) -> None:
        """Count a sign-in attempt on ``username``: from this address, from anywhere, and
        everything from this address. Someone flooding a vendor's username from one address
        meets the first limit long before the second, so the vendor can still sign in."""
        address = _address(request)
        account = normalise_username(username)
        self._count(
            ("token:account", f"{account}\n{address}", "account"),
            ("token:username", account, "account"),
            ("token:address", address, "address"),
        )

    def check_registration(self, request: Request[Any, Any, Any]) -> None:
        """Count a registration from the request's address (each one hashes a password with
        argon2, and 64 MiB of memory, before anything else)."""
        self._count(("register:address", _address(request), "address"))

    def _count(self, *windows: tuple[str, str, str]) -> None:
        for rule_name, key, scope in windows:
            wait = self._hit(rule_name, self.rules[rule_name], key)
            if wait is not None:
                raise ApiProblem(
                    429,
                    "too_many_requests",
                    f"too many requests for this {scope}; retry in {wait} s",
                    headers={"Retry-After": str(wait)},
                )

    def _hit(self, rule_name: str, rule: RateLimitItem, key: str) -> int | None:
        """Count a hit in the window if it has room: None; else the seconds until it has."""
        now = self._clock()
        length = rule.get_expiry()
        with self._lock:
            self._checks += 1
            if self._checks % SWEEP_EVERY == 0:
                self._sweep(now)
            hits = self._windows.setdefault((rule_name, key), deque())
            while hits and hits[0] <= now - length:
                hits.popleft()
            if len(hits) >= rule.amount:
                return max(1, math.ceil(hits[0] + length - now))
            hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        for (rule_name, key), hits in list(self._windows.items()):
            if not hits or hits[-1] <= now - self.rules[rule_name].get_expiry():
                del self._windows[(rule_name, key)]


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def limiter_of(request: Request[Any, Any, Any]) -> Limiter:
    found: Limiter = request.app.state.limiter
    return found
