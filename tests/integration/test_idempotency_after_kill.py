"""The API process is killed (SIGKILL) with keyed bids in flight: some already stored but not
yet answered, others claimed but not yet stored. After a restart every retry with its key runs
at once (no 409 ``idempotency_key_in_use``), the stored ones answer their receipt, and each
bid is in the store exactly once.

The moments are held, not hoped for: the test holds the event table's lock while bids are
claimed (so they wait before their events), and the claims' rows while the events commit (so
the answers wait after them). The real server runs as a process of its own."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from domain.bid import Bid
from domain.values import Role
from procurement.application import ProcurementApplication
from procurement.second_factor import code_at
from procurement.settings import Settings
from tests.accounts import add_staff
from tests.api.conftest import PASSWORD
from tests.served import Served, server_env
from tests.support import tender_json

STORED = ("vendor-a1", "vendor-a2", "vendor-a3")  # stored, then killed before the answer
CLAIMED = ("vendor-b1", "vendor-b2", "vendor-b3")  # claimed, then killed before the events


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[Served]:
    served = Served(server_env(settings, tmp_path / "data"), tmp_path / "stderr.log")
    served.start()
    yield served
    served.stop()


def _wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(3000):  # a bound on tries, for a test that would otherwise hang
        if condition():
            return
        time.sleep(0.02)
    msg = "the condition never held"
    raise AssertionError(msg)


def _count(dsn: str, sql: str, *args: Any) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql, args).fetchone()
    assert row is not None
    return int(row[0])


def _login(server: Served, username: str, code: str | None = None) -> dict[str, str]:
    body = {"username": username, "password": PASSWORD}
    if code is not None:  # staff: the authenticator's code, by the server's (real) clock
        body["totp_code"] = code
    status, _, body = server.call("POST", "/auth/token", body)
    assert status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}


def _bid(price: str) -> dict[str, Any]:
    return {"contents": {"prices": [{"lot_id": "1", "price": {"amount": price}}]}}


Answer = tuple[int, dict[str, str], Any]
Request = tuple[dict[str, str], dict[str, Any]]  # headers (with the key), body


class InFlight:
    """Keyed bids sent from threads of their own, whose answers may never come."""

    def __init__(self, server: Served, path: str) -> None:
        self.server = server
        self.path = path
        self.threads: list[threading.Thread] = []
        self.answers: dict[str, Answer | OSError] = {}

    def send(self, vendor: str, request: Request) -> None:
        def run() -> None:
            try:
                self.answers[vendor] = self.server.call("POST", self.path, request[1], request[0])
            except OSError as lost:  # the server died under it
                self.answers[vendor] = lost

        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append(thread)

    def wait(self) -> dict[str, Answer | OSError]:
        for thread in self.threads:
            thread.join()
        return self.answers


def _tender_and_bids(
    server: Served, application: ProcurementApplication
) -> tuple[str, dict[str, Request]]:
    """A published tender, and one keyed bid ready for each vendor."""
    secret = add_staff(application, "officer@works", Role.OFFICER, "works-and-services-department")
    officer = _login(server, "officer@works", code_at(secret, datetime.now(UTC)))
    _, _, drafted = server.call("POST", "/tenders", tender_json(datetime.now(UTC)), officer)
    assert server.call("POST", f"/tenders/{drafted['id']}/publish", None, officer)[0] == 200
    requests: dict[str, Request] = {}
    for n, vendor in enumerate((*STORED, *CLAIMED)):
        registration = {
            "username": vendor,
            "password": PASSWORD,
            "legal_name": vendor,
            "ntn": "1234567-8",
            "contact_email": f"{vendor}@example.com",
        }
        assert server.call("POST", "/vendors/register", registration)[0] == 201
        keyed = {**_login(server, vendor), "Idempotency-Key": str(uuid.uuid4())}
        requests[vendor] = (keyed, _bid(f"{1000 + n}.00"))
    return f"/tenders/{drafted['id']}/bids", requests


class Store:
    def __init__(self, dsn: str, requests: dict[str, Request]) -> None:
        self.dsn = dsn
        self.keys = {
            vendor: headers["Idempotency-Key"] for vendor, (headers, _) in requests.items()
        }

    def unanswered(self, vendors: tuple[str, ...]) -> bool:
        """Whether each of these vendors' keys is claimed, without an answer."""
        return _count(
            self.dsn,
            "SELECT count(*) FROM idempotency_keys WHERE key = ANY(%s) AND status IS NULL",
            [self.keys[v] for v in vendors],
        ) == len(vendors)

    def submissions(self) -> int:
        return _count(
            self.dsn,
            "SELECT count(*) FROM procurement_events WHERE topic = %s",
            Bid.BidSubmitted.TOPIC,
        )

    def bid_events(self) -> int:
        return _count(
            self.dsn,
            "SELECT count(*) FROM procurement_events WHERE topic LIKE 'procurement:Bid.%%'",
        )


def _kill_with_bids_in_flight(
    server: Served, store: Store, path: str, requests: dict[str, Request]
) -> dict[str, Answer | OSError]:
    in_flight = InFlight(server, path)
    with psycopg.connect(store.dsn) as table_lock, psycopg.connect(store.dsn) as row_locks:
        # The first bids are claimed, and wait for the event table.
        table_lock.execute("LOCK TABLE procurement_events IN EXCLUSIVE MODE")
        for vendor in STORED:
            in_flight.send(vendor, requests[vendor])
        _wait_for(lambda: store.unanswered(STORED))
        # Their answers will wait for their claims' rows; their events go in.
        row_locks.execute(
            "SELECT 1 FROM idempotency_keys WHERE key = ANY(%s) FOR UPDATE",
            ([store.keys[v] for v in STORED],),
        )
        table_lock.rollback()
        _wait_for(lambda: store.submissions() == len(STORED))
        # The next bids are claimed, and wait for the event table again.
        table_lock.execute("LOCK TABLE procurement_events IN EXCLUSIVE MODE")
        for vendor in CLAIMED:
            in_flight.send(vendor, requests[vendor])
        _wait_for(lambda: store.unanswered(CLAIMED))

        server.kill()
        answers = in_flight.wait()
        # PostgreSQL notices a dead client only when it next talks to it: the dead process's
        # statements waiting on our locks would still run once we let go. End them first.
        row_locks.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        table_lock.rollback()
        row_locks.rollback()
    return answers


def test_keyed_bids_in_flight_when_the_process_is_killed_land_once_at_once(
    settings: Settings, application: ProcurementApplication, server: Served
) -> None:
    path, requests = _tender_and_bids(server, application)
    store = Store(settings.dsn, requests)

    lost = _kill_with_bids_in_flight(server, store, path, requests)

    assert all(isinstance(answer, OSError) for answer in lost.values())
    assert store.submissions() == len(STORED)
    assert store.unanswered((*STORED, *CLAIMED))  # every claim left by the dead process

    server.start()
    retries = InFlight(server, path)
    for vendor, request in requests.items():
        retries.send(vendor, request)
    retried: dict[str, Answer] = {}
    for vendor, answer in retries.wait().items():
        assert not isinstance(answer, OSError), answer
        status, _, body = answer
        assert status == 201, (vendor, body)  # at once: never idempotency_key_in_use
        assert body["receipt"]["kind"] == "submitted"
        assert body["version"] == 1
        retried[vendor] = answer
    # Each bid is in the store once: the stored ones were not submitted again.
    assert store.submissions() == store.bid_events() == len(requests)
    # And from now on the answer is the stored one, replayed.
    for vendor, (headers, body) in requests.items():
        status, got, again = server.call("POST", path, body, headers)
        assert (status, got.get("idempotent-replayed")) == (201, "true")
        assert again == retried[vendor][2]
