"""The real HTTP app (its lifespan, projections and read pool) with real tokens."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from domain.account import account_id_for
from domain.values import Role
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.crypto.second_factor import code_at, step_of
from procurement.jobs.scheduler import Scheduler
from procurement.settings import Settings
from projections.reads import PROJECTIONS
from tests import accounts
from tests.accounts import STEP, add_staff
from tests.support import FakeClock

PASSWORD = accounts.PASSWORD
COMMITTEE = ("member.chair@works", "member.two@works", "member.three@works")
GRIEVANCE = ("grievance.chair@works", "grievance.two@works", "grievance.three@works")
"""The works department's grievance committee (``committee`` names it), chair first."""
HEAD = "head@works"
REGULATOR = "regulator@sppra"
STAFF = (
    ("officer@works", Role.OFFICER, "works-and-services-department"),
    ("officer@health", Role.OFFICER, "health-department"),
    ("auditor@sindh", Role.AUDITOR, None),
)
ENTITY = "works-and-services-department"


def _scalar(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query).fetchone()
    return int(row[0] or 0) if row is not None else 0


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        yield client


@dataclass
class Api:
    """The HTTP client, and signing in as people do: staff with a code from their
    authenticator app, computed from the platform's (fake) clock."""

    client: TestClient[Litestar]
    dsn: str
    application: ProcurementApplication
    clock: FakeClock
    secrets: dict[str, str] = field(default_factory=dict)
    """Each enrolled account's TOTP secret, by username."""
    tokens: dict[tuple[str, str], tuple[datetime, datetime, str]] = field(default_factory=dict)
    last_steps: dict[str, int] = field(default_factory=dict)
    settled_at: datetime | None = None
    """The clock's time at the last ``settle``."""

    def add_staff(self, username: str, role: Role, entity: str | None = None) -> None:
        """A staff account enrolled in a second factor this helper can answer for."""
        self.secrets[username] = add_staff(self.application, username, role, entity)
        self.last_steps[username] = step_of(self.clock.now() - STEP)

    def code(self, username: str) -> str:
        """The account's code now. The fake clock stands still, and a code's step works
        once: when this step was used already, the clock moves on to the next one. A test
        that set the clock back (real time never goes back) has the steps used in its
        future forgotten, as if that time had not yet come."""
        step, last = step_of(self.clock.now()), self.last_steps.get(username, -1)
        if step == last:
            self.clock.advance(STEP)
        elif step < last:
            with psycopg.connect(self.dsn, autocommit=True) as conn:
                conn.execute(
                    "DELETE FROM account_totp_steps WHERE account_id = %s",
                    (account_id_for(username),),
                )
        self.last_steps[username] = step_of(self.clock.now())
        return code_at(self.secrets[username], self.clock.now())

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        """A token for the account: one still valid from an earlier sign-in of this test
        (a sign-in spends the step's code), or a new one."""
        now = self.clock.now()
        kept = self.tokens.get((username, password))
        if kept is not None and kept[0] <= now < kept[1]:
            return {"Authorization": f"Bearer {kept[2]}"}
        body = {"username": username, "password": password}
        if username in self.secrets:
            body["totp_code"] = self.code(username)
        answer = self.client.post("/auth/token", json=body)
        assert answer.status_code == 200, answer.text
        token = answer.json()["access_token"]
        issued = self.clock.now()
        expires = issued + timedelta(seconds=answer.json()["expires_in"])
        self.tokens[(username, password)] = (issued, expires, token)
        return {"Authorization": f"Bearer {token}"}

    def forget(self, username: str) -> None:
        """Drop the tokens kept for the account (its sessions ended)."""
        for key in [key for key in self.tokens if key[0] == username]:
            del self.tokens[key]

    def settle(self) -> None:
        """Do now what the background scheduler would do at the clock as it stands (mark a
        complaint overdue, lapse an answer): a test that moved the clock and then counts
        events is not raced by the scheduler's next pass writing in between. The pass reads
        what is due from the read models, so each pass waits for the projections to hold
        every event first (else it misses what the next background pass finds), and passes
        are run until one has nothing to do."""
        self.settled_at = self.clock.now()
        scheduler = Scheduler(application=self.application, dsn=self.dsn)
        for _ in range(5):
            self.caught_up()
            if scheduler.run_once() == 0:
                return
        msg = "the scheduler still finds work after five passes at one moment"
        raise AssertionError(msg)

    def caught_up(self) -> None:
        """Every projection has processed the store's head (bounded, as the suite's other
        waits on a projection)."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            head = _scalar(conn, "SELECT max(notification_id) FROM procurement_events")
            for projection in PROJECTIONS:
                query = f"SELECT max(notification_id) FROM {projection}_tracking"  # noqa: S608
                for _ in range(2000):
                    if _scalar(conn, query) >= head:
                        break
                    threading.Event().wait(0.005)
                reached = _scalar(conn, query)
                assert reached >= head, f"{projection} stuck at {reached}, the store at {head}"

    def event_count(self) -> int:
        """The events in the store, once the scheduler has done what the clock as it stands
        makes due (only after the clock moved: a count around a request is then not raced
        by a background pass catching up with a jump of the test's clock)."""
        if self.clock.now() != self.settled_at:
            self.settle()
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute("SELECT count(*) FROM procurement_events").fetchone()
        assert row is not None
        return int(row[0])

    def has_account(self, username: str) -> bool:
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute(
                "SELECT 1 FROM procurement_events WHERE originator_id = %s",
                (account_id_for(username),),
            ).fetchone()
        return row is not None

    def register_vendor(self, username: str) -> dict[str, str]:
        answer = self.client.post(
            "/vendors/register",
            json={
                "username": username,
                "password": PASSWORD,
                "legal_name": f"{username} (Pvt) Ltd",
                "ntn": "1234567-8",
                "contact_email": f"{username}@example.com",
            },
        )
        assert answer.status_code == 201, answer.text
        return self.login(username)

    def post(self, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        return self.client.post(path, headers=headers, **kwargs)

    def put(self, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        return self.client.put(path, headers=headers, **kwargs)


@pytest.fixture
def api(
    client: TestClient[Litestar],
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
) -> Api:
    api = Api(client=client, dsn=settings.dsn, application=application, clock=clock)
    for username, role, entity in STAFF:
        api.add_staff(username, role, entity)
    return api


@pytest.fixture
def committee(api: Api) -> None:
    """Three more officers of the works department, to sit on evaluation committees."""
    for username in COMMITTEE:
        api.add_staff(username, Role.OFFICER, ENTITY)
    name_grievance_committee(api)


def name_grievance_committee(api: Api) -> None:
    """The department's head (designated by the system, as an administrator would) names
    its grievance committee; the regulator's account exists."""
    for username in (*GRIEVANCE, HEAD):
        api.add_staff(username, Role.OFFICER, ENTITY)
    api.add_staff(REGULATOR, Role.REGULATOR)
    api.application.designate_head(system_actor("test"), account_id_for(HEAD), head=True)
    named = api.put(
        "/entity/grievance-committee",
        api.login(HEAD),
        json={"members": list(GRIEVANCE), "chair": GRIEVANCE[0]},
    )
    assert named.status_code == 200, named.text
