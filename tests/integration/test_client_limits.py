"""The limits on the real server (``procurement serve`` processes): which client a request
counts as, with and without a trusted proxy; a rival's guesses from many addresses that leave
the owner able to sign in; and two API processes that enforce one limit between them."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from domain.account import VendorProfile
from domain.values import Role
from procurement.application import ProcurementApplication, system_actor
from procurement.settings import Settings
from tests.api.conftest import PASSWORD
from tests.served import Served, server_env

WRONG = "not-the-password"


def _registration(name: str) -> dict[str, str]:
    return {
        "username": name,
        "password": PASSWORD,
        "legal_name": f"{name} (Pvt) Ltd",
        "ntn": "1234567-8",
        "contact_email": f"{name}@example.com",
    }


def _sign_in(server: Served, username: str, password: str, client: str | None = None) -> Any:
    headers = {} if client is None else {"X-Forwarded-For": client}
    return server.call("POST", "/auth/token", {"username": username, "password": password}, headers)


def _vendor(application: ProcurementApplication, name: str) -> None:
    profile = VendorProfile(legal_name=name, ntn="1234567-8", contact_email=f"{name}@example.com")
    application.register_account(
        system_actor("test"), username=name, password=PASSWORD, role=Role.VENDOR, vendor=profile
    )


def test_rotating_x_forwarded_for_resets_no_limit_when_no_proxy_is_trusted(
    settings: Settings, application: ProcurementApplication, tmp_path: Path
) -> None:
    """The default trusts no proxy, not even on loopback (uvicorn's own default would)."""
    for name in ("vendor1", "vendor2", "vendor3", "vendor4"):
        _vendor(application, name)
    server = Served(
        server_env(
            settings,
            tmp_path / "data",
            PROCUREMENT_RATE_LIMIT_REGISTER_ADDRESS="2/hour",
            PROCUREMENT_RATE_LIMIT_SIGN_IN_ADDRESS="4/hour",
            PROCUREMENT_SIGN_IN_MAX_DELAY="900",
        ),
        tmp_path / "stderr.log",
    )
    server.start()
    try:
        registered = [
            server.call(
                "POST",
                "/vendors/register",
                _registration(f"new{n}"),
                {"X-Forwarded-For": f"1.2.3.{n}"},
            )[0]
            for n in range(3)
        ]
        signed_in = [
            _sign_in(server, "vendor1", WRONG, "198.51.100.1")[0],
            _sign_in(server, "vendor1", PASSWORD, "198.51.100.2")[0],  # the pair waits
            _sign_in(server, "vendor2", WRONG, "198.51.100.3")[0],
            _sign_in(server, "vendor3", WRONG, "198.51.100.4")[0],
            _sign_in(server, "vendor4", PASSWORD, "198.51.100.5")[0],  # the address's 5th
        ]
        malformed = [
            _sign_in(server, "vendor4", PASSWORD, header)[0]
            for header in ("", "garbage", "1.2.3.4, , ::zz", "[::1", "9" * 4000)
        ]
    finally:
        server.stop()
    assert registered == [201, 201, 429]
    assert signed_in == [401, 429, 401, 401, 429]
    assert malformed == [429] * 5  # still this address, and never a 500


def test_behind_a_trusted_proxy_its_header_names_the_client(
    settings: Settings, application: ProcurementApplication, tmp_path: Path
) -> None:
    """The lock-out attack of issue 16: 110 wrong passwords on a vendor's username from
    rotating addresses, then the vendor signs in from its own."""
    _vendor(application, "vendor.owner")
    stderr = tmp_path / "stderr.log"
    server = Served(
        server_env(
            settings,
            tmp_path / "data",
            PROCUREMENT_TRUSTED_PROXIES="127.0.0.1",
            PROCUREMENT_RATE_LIMIT_REGISTER_ADDRESS="1/hour",
            PROCUREMENT_SIGN_IN_MAX_DELAY="900",
        ),
        stderr,
    )
    server.start()
    try:
        registered = [
            server.call("POST", "/vendors/register", _registration(name), {"X-Forwarded-For": via})[
                0
            ]
            for name, via in (
                ("first", "198.51.100.1"),
                ("second", "198.51.100.1"),  # the same client again
                ("third", "198.51.100.2"),  # another one
                # The proxy appended 198.51.100.1: whatever the client wrote before it is no alibi.
                ("fourth", "203.0.113.77, 198.51.100.1"),
            )
        ]
        with ThreadPoolExecutor(4) as pool:
            attack = list(
                pool.map(
                    lambda n: _sign_in(
                        server, "vendor.owner", WRONG, f"203.0.{n // 200}.{n % 200}"
                    )[0],
                    range(110),
                )
            )
        again = [_sign_in(server, "vendor.owner", WRONG, "203.0.113.9")[0] for _ in range(2)]
        owner = _sign_in(server, "vendor.owner", PASSWORD, "192.0.2.50, 127.0.0.1")
        malformed = [
            _sign_in(server, "vendor.owner", PASSWORD, header)[0]
            for header in ("garbage", "1.2.3.4, , x", "[::1", "")
        ]
    finally:
        server.stop()
    assert registered == [201, 429, 201, 429]
    assert attack == [401] * 110  # each address failed once: none of them waits yet
    assert again == [401, 429]  # but an address that has just failed does
    status, _, body = owner
    assert status == 200
    assert body["access_token"]
    # A header no trusted proxy could have written: the request counts as the proxy's own.
    assert all(status < 500 for status in malformed), malformed
    access = [
        json.loads(line)["message"]
        for line in stderr.read_text().splitlines()
        if '"uvicorn.access"' in line
    ]
    assert any(line.startswith("192.0.2.50:0 - ") and "/auth/token" in line for line in access)


def test_two_api_processes_enforce_one_limit(
    settings: Settings, application: ProcurementApplication, tmp_path: Path
) -> None:
    _vendor(application, "vendor1")
    env = {
        "PROCUREMENT_RATE_LIMIT_REGISTER_ADDRESS": "3/hour",
        "PROCUREMENT_SIGN_IN_MAX_DELAY": "900",
    }
    servers = [
        Served(server_env(settings, tmp_path / name, **env), tmp_path / f"{name}.log")
        for name in ("a", "b")
    ]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(Served.start, servers))
    try:
        registered = [
            servers[n % 2].call("POST", "/vendors/register", _registration(f"new{n}"))[0]
            for n in range(6)
        ]
        failed = _sign_in(servers[0], "vendor1", WRONG)[0]
        waits = _sign_in(servers[1], "vendor1", PASSWORD)
    finally:
        for server in servers:
            server.stop()
    assert registered == [201, 201, 201, 429, 429, 429]
    assert failed == 401
    assert waits[0] == 429  # the failure on one process is waited out on the other
    assert waits[1]["retry-after"] == "2"
