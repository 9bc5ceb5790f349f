"""Request floods limited per account and per address (``limits``, moving windows in memory).

Sign-in is limited per username and per client address, bid submission per vendor and per
address; the answer past a limit is 429 with ``Retry-After``, before any work (no argon2, no
sealing, no write). The windows are per process: N API processes admit up to N times the
limit, which the settings should account for.
"""

from __future__ import annotations

import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from litestar import Request

from api.errors import ApiProblem
from procurement.settings import Settings


class Limiter:
    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.rules: dict[str, RateLimitItem] = {
            "token:account": parse(settings.rate_limit_sign_in),
            "token:address": parse(settings.rate_limit_sign_in_address),
            "bid:account": parse(settings.rate_limit_bids),
            "bid:address": parse(settings.rate_limit_bids_address),
        }

    def check(self, request: Request[Any, Any, Any], action: str, account: str) -> None:
        """Count one ``action`` by ``account`` from the request's address; 429 past a limit."""
        address = request.client.host if request.client else "unknown"
        for scope, key in (("account", account), ("address", address)):
            rule = self.rules[f"{action}:{scope}"]
            if not self._limiter.hit(rule, action, scope, key):
                reset, _ = self._limiter.get_window_stats(rule, action, scope, key)
                wait = max(1, math.ceil(reset - time.time()))
                raise ApiProblem(
                    429,
                    "too_many_requests",
                    f"too many requests for this {scope}; retry in {wait} s",
                    headers={"Retry-After": str(wait)},
                )


def limiter_of(request: Request[Any, Any, Any]) -> Limiter:
    found: Limiter = request.app.state.limiter
    return found
