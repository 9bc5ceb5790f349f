"""The moving windows behind the 429s, on a fake monotonic clock."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from api import rate_limits
from api.errors import ApiProblem
from api.rate_limits import Limiter
from procurement.settings import Settings


def _request(host: str = "10.0.0.1") -> Any:
    return SimpleNamespace(client=SimpleNamespace(host=host))


@pytest.fixture
def now() -> list[float]:
    return [1000.0]


def test_a_window_admits_its_amount_then_says_when_to_retry(now: list[float]) -> None:
    limiter = Limiter(
        Settings(rate_limit_bids="3/minute", rate_limit_bids_address="100/minute"),
        lambda: now[0],
    )
    for _ in range(3):
        limiter.check(_request(), "bid", "vendor-a")
        now[0] += 10
    with pytest.raises(ApiProblem) as refused:
        limiter.check(_request(), "bid", "vendor-a")
    assert refused.value.status_code == 429
    assert refused.value.headers == {"Retry-After": "30"}  # the first hit leaves at 60 s
    limiter.check(_request(), "bid", "vendor-b")  # another vendor has its own window
    now[0] += 30
    limiter.check(_request(), "bid", "vendor-a")  # the first hit has left the window


def test_the_address_window_counts_every_account(now: list[float]) -> None:
    limiter = Limiter(
        Settings(rate_limit_bids="100/minute", rate_limit_bids_address="2/minute"),
        lambda: now[0],
    )
    limiter.check(_request(), "bid", "vendor-a")
    limiter.check(_request(), "bid", "vendor-b")
    with pytest.raises(ApiProblem):
        limiter.check(_request(), "bid", "vendor-c")
    limiter.check(_request("10.0.0.2"), "bid", "vendor-c")
    now[0] += 61
    limiter.check(_request(), "bid", "vendor-d")


def test_quiet_windows_are_swept(now: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limits, "SWEEP_EVERY", 4)
    limiter = Limiter(Settings(), lambda: now[0])
    for index in range(3):
        limiter.check(_request(), "token", f"user-{index}")
    now[0] += 3600
    limiter.check(_request(), "token", "user-late")  # its address hit sweeps first
    assert set(limiter._windows) == {
        ("token:account", "user-late"),
        ("token:address", "10.0.0.1"),
    }


def test_sign_in_windows_count_the_username_as_accounts_know_it(now: list[float]) -> None:
    limiter = Limiter(Settings(rate_limit_sign_in="3/minute"), lambda: now[0])
    for spelling in ("vendor1", "Vendor1", " VENDOR1 "):
        limiter.check_sign_in(_request(), spelling)
    with pytest.raises(ApiProblem) as refused:
        limiter.check_sign_in(_request(), "vEnDoR1")
    assert refused.value.status_code == 429


def test_a_flood_from_one_address_does_not_lock_the_owner_out(now: list[float]) -> None:
    limiter = Limiter(
        Settings(rate_limit_sign_in="10/minute", rate_limit_sign_in_username="100/minute"),
        lambda: now[0],
    )
    attacker, owner = _request("203.0.113.9"), _request("10.0.0.7")
    refusals = 0
    for _ in range(50):
        try:
            limiter.check_sign_in(attacker, "vendor1")
        except ApiProblem:
            refusals += 1
    assert refusals == 40  # the attacker's own window for the username is full
    limiter.check_sign_in(owner, "vendor1")  # the owner, elsewhere, still gets in


def test_the_username_window_caps_guessing_from_many_addresses(now: list[float]) -> None:
    limiter = Limiter(
        Settings(rate_limit_sign_in="10/minute", rate_limit_sign_in_username="20/minute"),
        lambda: now[0],
    )
    for n in range(20):
        limiter.check_sign_in(_request(f"198.51.100.{n}"), "vendor1")
    with pytest.raises(ApiProblem):
        limiter.check_sign_in(_request("198.51.100.200"), "vendor1")


def test_registrations_are_limited_per_address(now: list[float]) -> None:
    limiter = Limiter(Settings(rate_limit_register_address="2/minute"), lambda: now[0])
    limiter.check_registration(_request())
    limiter.check_registration(_request())
    with pytest.raises(ApiProblem):
        limiter.check_registration(_request())
    limiter.check_registration(_request("10.0.0.2"))
