"""Operations: metrics, readiness with a lag bound, rate limits, and 1,000 concurrent writes to
one tender from 20 clients over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import psycopg
import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import TestClient
from pydantic import SecretStr

from api.app import create_app
from domain.values import Role
from procurement.application import ProcurementApplication, system_actor
from procurement.second_factor import code_at
from procurement.settings import Settings
from tests.accounts import add_staff
from tests.api.conftest import PASSWORD, Api
from tests.api.scenarios import Scenario, offer
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock, tender_json


@pytest.fixture
def strict(settings: Settings, clock: FakeClock) -> Iterator[TestClient[Litestar]]:
    limited = settings.model_copy(
        update={
            "sign_in_max_delay": 900,
            "rate_limit_sign_in_address": "5/minute",
            "rate_limit_bids": "2/minute",
            "metrics_token": SecretStr("scrape-me"),
        }
    )
    with TestClient(create_app(limited, clock=clock), raise_server_exceptions=False) as client:
        yield client


def test_failed_sign_ins_wait_ever_longer_and_sign_ins_are_limited_per_address(
    strict: TestClient[Litestar], application: ProcurementApplication, clock: FakeClock
) -> None:
    secrets = {
        name: add_staff(application, name, Role.OFFICER, "e")
        for name in ("flood.a@e", "flood.b@e", "flood.c@e", "flood.d@e")
    }

    def signing_in(name: str) -> dict[str, str]:
        code = code_at(secrets[name], clock.now())
        return {"username": name, "password": PASSWORD, "totp_code": code}

    attempt = {"username": "flood.a@e", "password": "wrong-password-1"}
    assert_problem(strict.post("/auth/token", json=attempt), 401, "invalid_credentials")
    waiting = strict.post("/auth/token", json=signing_in("flood.a@e"))
    limited = assert_problem(waiting, 429, "too_many_requests")  # even the right password
    assert "username from this address" in limited["detail"]
    assert waiting.headers["retry-after"] == "2"
    clock.advance(timedelta(seconds=2))
    assert_problem(strict.post("/auth/token", json=attempt), 401, "invalid_credentials")
    assert strict.post("/auth/token", json=attempt).headers["retry-after"] == "4"
    good = strict.post("/auth/token", json=signing_in("flood.b@e"))
    assert good.status_code == 200  # another account is not slowed
    by_address = strict.post("/auth/token", json=signing_in("flood.d@e"))
    answer = assert_problem(by_address, 429, "too_many_requests")  # the 6th from here
    assert "address" in answer["detail"]
    assert int(by_address.headers["retry-after"]) >= 1


def test_registrations_are_limited_per_address_before_any_work(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    limited = settings.model_copy(update={"rate_limit_register_address": "1/minute"})
    with TestClient(create_app(limited, clock=clock), raise_server_exceptions=False) as client:
        api = Api(client=client, dsn=settings.dsn, application=application, clock=clock)
        api.register_vendor("first.vendor")
        count = api.event_count()
        second = client.post(
            "/vendors/register",
            json={
                "username": "second.vendor",
                "password": PASSWORD,
                "legal_name": "Second (Pvt) Ltd",
                "ntn": "1234567-8",
                "contact_email": "second@example.com",
            },
        )
        assert_problem(second, 429, "too_many_requests")
        assert api.event_count() == count
        assert not api.has_account("second.vendor")


@contextmanager
def tender_with_bid_limit(
    settings: Settings,
    application: ProcurementApplication,
    clock: FakeClock,
    limit: str,
    per_address: str = "100000/minute",
) -> Iterator[tuple[TestClient[Litestar], Api, Scenario]]:
    """An app whose bid limits are ``limit`` per vendor and ``per_address``, with a published
    tender and alpha's bid on it."""
    limited = settings.model_copy(
        update={"rate_limit_bids": limit, "rate_limit_bids_address": per_address}
    )
    with TestClient(create_app(limited, clock=clock), raise_server_exceptions=False) as client:
        api = Api(client=client, dsn=settings.dsn, application=application, clock=clock)
        api.add_staff("officer@works", Role.OFFICER, "works-and-services-department")
        tender = Scenario(api, clock)
        tender.bid("alpha", offer("100.00"))
        yield client, api, tender


def test_bid_floods_are_limited_per_vendor(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    with tender_with_bid_limit(settings, application, clock, "2/minute") as (client, api, tender):
        put = client.put(
            f"/tenders/{tender.id}/bids/mine",
            headers=api.login("alpha"),
            json={"contents": offer("101.00")},
        )
        assert put.status_code == 200
        again = client.put(
            f"/tenders/{tender.id}/bids/mine",
            headers=api.login("alpha"),
            json={"contents": offer("102.00")},
        )
        assert_problem(again, 429, "too_many_requests")
        tender.bid("beta", offer("99.00"))  # another vendor is not slowed


def test_rotating_x_forwarded_for_does_not_reset_the_bid_limit_per_address(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    """No proxy is trusted by default: the header is the client's own word."""
    limits = ("100/minute", "3/minute")
    with tender_with_bid_limit(settings, application, clock, *limits) as (client, api, tender):
        tender.bid("beta", offer("99.00"))  # the address's second bid write
        for n, expected in ((1, 200), (2, 429), (3, 429)):
            answer = client.put(
                f"/tenders/{tender.id}/bids/mine",
                headers={**api.login("alpha"), "X-Forwarded-For": f"198.51.100.{n}"},
                json={"contents": offer(f"10{n}.00")},
            )
            assert answer.status_code == expected, answer.text
        assert "address" in answer.json()["detail"]


def test_a_rate_limited_keyed_request_is_not_remembered_as_its_answer(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    """A 429 says "try later": kept as the key's answer, it would refuse the retry for ever."""
    with tender_with_bid_limit(settings, application, clock, "1/minute") as (client, api, tender):
        keyed = {**api.login("alpha"), "Idempotency-Key": "alpha-second-try"}
        body = {"contents": offer("99.00")}
        first = client.post(f"/tenders/{tender.id}/bids", headers=keyed, json=body)
        assert_problem(first, 429, "too_many_requests")
        retry = client.post(f"/tenders/{tender.id}/bids", headers=keyed, json=body)
        assert_problem(retry, 429, "too_many_requests")
        assert "idempotent-replayed" not in retry.headers  # decided afresh, not replayed


def test_metrics_need_the_token_and_report_requests_lag_and_ledger(
    strict: TestClient[Litestar],
) -> None:
    strict.get("/public/tenders")
    assert_problem(strict.get("/metrics"), 401, "unauthenticated")
    scraped = strict.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert scraped.status_code == 200
    text = scraped.text
    assert 'procurement_request_seconds_count{method="GET",route="/public/tenders"' in text
    assert 'procurement_projection_lag_events{projection="public_tenders"}' in text
    assert "procurement_ledger_size" in text
    assert "procurement_bids_accepted_total" in text or "procurement_bids_accepted" in text


def test_metrics_are_closed_without_a_token(api: Api) -> None:
    """They count bids as they arrive: open, they would tell anyone how many a tender has."""
    vendor = api.register_vendor("alpha")
    assert_problem(api.client.get("/metrics"), 401, "unauthenticated")
    assert_problem(api.client.get("/metrics", headers=vendor), 401, "unauthenticated")


def test_ready_fails_when_a_read_model_lags_beyond_the_bound(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    stalled = settings.model_copy(
        update={"run_projections": False, "run_scheduler": False, "ready_max_lag": 0}
    )
    with TestClient(create_app(stalled, clock=clock), raise_server_exceptions=False) as client:
        assert client.get("/ready").status_code == 200
        application.register_account(
            system_actor("t"), username="lagging@one", password=PASSWORD, role=Role.AUDITOR
        )
        answer = assert_problem(client.get("/ready"), 503, "projections_lagging")
        assert answer["projections"]["public_tenders"] == "catching_up"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_1000_concurrent_writes_to_one_tender_from_20_clients(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    secret = add_staff(application, "officer@works", Role.OFFICER, "works-and-services-department")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, clock=clock), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        while not server.started:
            time.sleep(0.05)
        with httpx.Client(base_url=base) as client:
            signing_in = {
                "username": "officer@works",
                "password": PASSWORD,
                "totp_code": code_at(secret, clock.now()),
            }
            token = client.post("/auth/token", json=signing_in).json()["access_token"]
            officer = {"Authorization": f"Bearer {token}"}
            tender_id = client.post(
                "/tenders", headers=officer, json=tender_json(clock.now())
            ).json()["id"]
            client.post(f"/tenders/{tender_id}/publish", headers=officer).raise_for_status()
            vendors = []
            for n in range(20):
                name = f"client{n:02d}"
                client.post(
                    "/vendors/register",
                    json={
                        "username": name,
                        "password": PASSWORD,
                        "legal_name": name,
                        "ntn": "1234567-8",
                        "contact_email": f"{name}@example.com",
                    },
                ).raise_for_status()
                vendors.append(
                    client.post(
                        "/auth/token", json={"username": name, "password": PASSWORD}
                    ).json()["access_token"]
                )
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def write(token: str) -> None:
            with httpx.Client(base_url=base, timeout=30) as mine:
                for n in range(50):
                    answer = mine.post(
                        f"/tenders/{tender_id}/questions",
                        headers={"Authorization": f"Bearer {token}"},
                        json={"text": f"Question {n}"},
                    )
                    with lock:
                        statuses[answer.status_code] += 1

        clients = [threading.Thread(target=write, args=(t,)) for t in vendors]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
    finally:
        server.should_exit = True
        thread.join(10)

    assert sum(statuses.values()) == 1000
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] > 0
    with psycopg.connect(settings.dsn) as conn:
        versions = [
            int(row[0])
            for row in conn.execute(
                "SELECT originator_version FROM procurement_events WHERE originator_id = %s "
                "ORDER BY originator_version",
                (tender_id,),
            )
        ]
    assert versions == list(range(1, len(versions) + 1))  # contiguous
    assert len(versions) == 2 + statuses[201]  # drafted, published, and every acknowledged one
