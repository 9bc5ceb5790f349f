"""PostgreSQL crashes (an immediate stop: no shutdown, every session cut) while the public
reads and vendors bid with Idempotency-Keys: no answer is a 500 (each is an answer or a 503),
every keyed retry after the restart runs at once (never 409 ``idempotency_key_in_use``), each
submission is stored once, and the platform works again without a restart of its own. On a
PostgreSQL of its own (the suite's server is not touched)."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from litestar import Litestar
from litestar.testing import TestClient
from pydantic import SecretStr

from api.app import create_app
from domain.bid import Bid
from domain.values import Role
from procurement.application import ProcurementApplication
from procurement.second_factor import code_at
from procurement.settings import Settings
from tests.accounts import add_staff
from tests.api.conftest import PASSWORD
from tests.api.test_database_restart import _login, _pg_ctl, own_server
from tests.support import FakeClock, tender_json

__all__ = ["own_server"]  # the fixture, used by name

VENDORS = 6
READERS = 3
RETRIES = 2000  # a bound on one request's retries through the outage, not a time


def _settings(dsn: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=dsn,
        data_dir=tmp_path / "data",
        jwt_secret=SecretStr("crash-secret-" + "x" * 32),
        sealing_kek=SecretStr(base64.urlsafe_b64encode(b"k" * 32).decode()),
        signing_key=SecretStr(base64.urlsafe_b64encode(b"s" * 32).decode()),
        db_pool_size=3,
        read_wait_timeout=5.0,
        rate_limit_bids="100000/minute",
        rate_limit_bids_address="100000/minute",
    )


class Traffic:
    """Readers and keyed bidders, each keeping every answer it got."""

    def __init__(self, client: TestClient[Litestar], tender_id: str) -> None:
        self.client = client
        self.tender_id = tender_id
        self.answers: Counter[tuple[int, str]] = Counter()
        self.failures: list[str] = []
        self.submitted: Counter[str] = Counter()  # keys answered 201, per vendor
        self.after_restart: Counter[str] = Counter()
        self.restarted = threading.Event()
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def _note(self, answer: Any) -> tuple[int, str]:
        code = ""
        if "json" in answer.headers.get("content-type", ""):  # a portal page is HTML
            code = str(answer.json().get("code", "")) if answer.status_code >= 400 else ""
        with self._lock:
            self.answers[answer.status_code, code] += 1
            if answer.status_code >= 500 and answer.status_code != 503:
                self.failures.append(f"{answer.status_code} {answer.text}")
        return answer.status_code, code

    def _until_answered(self, send: Callable[[], Any]) -> tuple[int, str]:
        """One request, sent again while the answer is a 503 (as a client told to retry
        does, with the same Idempotency-Key)."""
        for _ in range(RETRIES):
            status, code = self._note(send())
            if status != 503:
                return status, code
            time.sleep(0.02)
        msg = "still 503 after every retry"
        raise AssertionError(msg)

    def read(self, headers: dict[str, str]) -> None:
        paths = (
            "/public/tenders",
            f"/public/tenders/{self.tender_id}",
            f"/tenders/{self.tender_id}/bids/mine",
            "/portal/tenders",
        )
        while not self.stop.is_set():
            for path in paths:
                self._note(self.client.get(path, headers=headers))
            time.sleep(0.005)

    def bid(self, name: str, token: dict[str, str]) -> None:
        path = f"/tenders/{self.tender_id}/bids"
        price = 100_000
        while not self.stop.is_set():
            price += 1
            body = {"contents": {"prices": [{"lot_id": "1", "price": {"amount": f"{price}.00"}}]}}
            keyed = {**token, "Idempotency-Key": str(uuid.uuid4())}
            status, code = self._until_answered(
                lambda: self.client.post(path, headers=keyed, json=body)  # noqa: B023
            )
            if status != 201:
                self.failures.append(f"keyed submission answered {status} {code}")
                return
            with self._lock:
                self.submitted[name] += 1
                if self.restarted.is_set():
                    self.after_restart[name] += 1
            status, code = self._until_answered(
                lambda: self.client.delete(f"{path}/mine", headers=token)
            )
            # bid_not_live: a withdrawal that landed though its answer was lost.
            if status != 200 and code != "bid_not_live":
                self.failures.append(f"withdrawal answered {status} {code}")
                return


def _wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(3000):  # a bound on tries, for a test that would otherwise hang
        if condition():
            return
        time.sleep(0.02)
    msg = "the condition never held"
    raise AssertionError(msg)


def test_a_database_crash_under_reads_and_keyed_bids_answers_no_500(
    own_server: tuple[str, Path], tmp_path: Path
) -> None:
    dsn, pgdata = own_server
    clock = FakeClock()
    settings = _settings(dsn, tmp_path)
    application = ProcurementApplication.from_settings(settings, clock)
    secret = add_staff(application, "officer@works", Role.OFFICER, "works-and-services-department")
    application.close()
    client: TestClient[Litestar]
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        officer = _login(client, "officer@works", code_at(secret, clock.now()))
        drafted = client.post("/tenders", headers=officer, json=tender_json(clock.now()))
        tender_id = drafted.json()["id"]
        assert client.post(f"/tenders/{tender_id}/publish", headers=officer).status_code == 200
        tokens = {}
        for n in range(VENDORS):
            name = f"vendor{n}"
            registered = client.post(
                "/vendors/register",
                json={
                    "username": name,
                    "password": PASSWORD,
                    "legal_name": name,
                    "ntn": "1234567-8",
                    "contact_email": f"{name}@example.com",
                },
            )
            assert registered.status_code == 201, registered.text
            tokens[name] = _login(client, name)

        traffic = Traffic(client, tender_id)
        threads = [
            threading.Thread(target=traffic.bid, args=(name, token))
            for name, token in tokens.items()
        ]
        threads += [
            threading.Thread(target=traffic.read, args=(tokens[f"vendor{n}"],))
            for n in range(READERS)
        ]
        for thread in threads:
            thread.start()
        try:
            _wait_for(lambda: sum(traffic.submitted.values()) >= VENDORS)  # bids are flowing
            _pg_ctl(dsn, pgdata, "crash")
            _wait_for(lambda: traffic.answers[503, "database_unavailable"] >= 20)
            _pg_ctl(dsn, pgdata, "start")
            traffic.restarted.set()
            # Everything works again, by itself: every vendor bids again after the restart.
            _wait_for(lambda: set(traffic.after_restart) == set(tokens) or bool(traffic.failures))
        finally:
            traffic.stop.set()
            for thread in threads:
                thread.join()
        _wait_for(lambda: client.get("/public/tenders").status_code == 200)

    assert not traffic.failures, traffic.failures[:5]
    statuses = {status for status, _ in traffic.answers}
    assert statuses <= {200, 201, 404, 409, 503}, traffic.answers
    assert {code for status, code in traffic.answers if status in {404, 409}} <= {
        "bid_not_found",  # a reader's GET .../bids/mine before the vendor's first bid
        "bid_not_live",
    }
    with psycopg.connect(dsn) as conn:
        submissions = Counter(
            row[0]
            for row in conn.execute(
                "SELECT originator_id FROM procurement_events WHERE topic IN (%s, %s)",
                (Bid.BidSubmitted.TOPIC, Bid.BidReplaced.TOPIC),
            )
        )
    # Each keyed submission is stored once: as many as were answered 201, per vendor.
    assert sorted(submissions.values()) == sorted(traffic.submitted.values())


def test_a_claim_whose_answer_was_lost_in_the_crash_is_free_at_once(
    own_server: tuple[str, Path], tmp_path: Path
) -> None:
    """A keyed bid is stored, and the database crashes while its answer is being kept: the
    vendor still gets its receipt, and a retry after the restart runs at once and answers
    the same bid, stored once. (Held, not hoped for: the test holds the event table, then
    the claim's row.)"""
    dsn, pgdata = own_server
    clock = FakeClock()
    settings = _settings(dsn, tmp_path)
    application = ProcurementApplication.from_settings(settings, clock)
    secret = add_staff(application, "officer@works", Role.OFFICER, "works-and-services-department")
    application.close()
    client: TestClient[Litestar]
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        officer = _login(client, "officer@works", code_at(secret, clock.now()))
        drafted = client.post("/tenders", headers=officer, json=tender_json(clock.now()))
        tender_id = drafted.json()["id"]
        assert client.post(f"/tenders/{tender_id}/publish", headers=officer).status_code == 200
        registered = client.post(
            "/vendors/register",
            json={
                "username": "vendor",
                "password": PASSWORD,
                "legal_name": "vendor",
                "ntn": "1234567-8",
                "contact_email": "vendor@example.com",
            },
        )
        assert registered.status_code == 201, registered.text
        keyed = {**_login(client, "vendor"), "Idempotency-Key": "the-one-bid"}
        body = {"contents": {"prices": [{"lot_id": "1", "price": {"amount": "5000.00"}}]}}
        path = f"/tenders/{tender_id}/bids"
        first: list[Any] = []
        sender = threading.Thread(
            target=lambda: first.append(client.post(path, headers=keyed, json=body))
        )
        table_lock, row_lock, watch = (psycopg.connect(dsn) for _ in range(3))
        table_lock.execute("LOCK TABLE procurement_events IN EXCLUSIVE MODE")
        sender.start()
        _wait_for(lambda: _count(watch, "SELECT count(*) FROM idempotency_keys") == 1)
        row_lock.execute("SELECT 1 FROM idempotency_keys FOR UPDATE")
        table_lock.rollback()  # the bid is stored; its answer waits for the row
        _wait_for(lambda: _count(watch, _SUBMISSIONS) == 1 and _waiting_for_a_lock(watch))
        _pg_ctl(dsn, pgdata, "crash")
        sender.join()
        for conn in (table_lock, row_lock, watch):
            conn.close()
        _pg_ctl(dsn, pgdata, "start")

        [landed] = first  # its answer is due all the same: the bid is stored
        assert landed.status_code == 201, landed.text
        with psycopg.connect(dsn) as conn:  # the claim is there, without its answer
            assert _count(conn, "SELECT count(*) FROM idempotency_keys WHERE status IS NULL") == 1
        _wait_for(lambda: client.get("/public/tenders").status_code == 200)
        retried = client.post(path, headers=keyed, json=body)
        assert retried.status_code == 201, retried.text  # not 409 idempotency_key_in_use
        assert retried.json()["receipt"] == landed.json()["receipt"]
    with psycopg.connect(dsn) as conn:
        assert _count(conn, _SUBMISSIONS) == 1


_SUBMISSIONS = f"SELECT count(*) FROM procurement_events WHERE topic = '{Bid.BidSubmitted.TOPIC}'"  # noqa: S608


def _count(conn: psycopg.Connection[Any], sql: str) -> int:
    row = conn.execute(sql).fetchone()
    conn.rollback()
    assert row is not None
    return int(row[0])


def _waiting_for_a_lock(conn: psycopg.Connection[Any]) -> bool:
    return _count(conn, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") > 0
