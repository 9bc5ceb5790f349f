"""The real HTTP app (its lifespan, projections and read pool) with real tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from domain.account import account_id_for
from domain.values import Role
from procurement.application import ProcurementApplication, system_actor
from procurement.settings import Settings
from tests.support import FakeClock

PASSWORD = "correct-horse-battery"
COMMITTEE = ("member.chair", "member.two", "member.three")
ENTITY = "works-and-services-department"


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        yield client


@dataclass
class Api:
    client: TestClient[Litestar]
    dsn: str

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        answer = self.client.post("/auth/token", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def event_count(self) -> int:
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


@pytest.fixture
def api(
    client: TestClient[Litestar], application: ProcurementApplication, settings: Settings
) -> Api:
    for username, role, entity in (
        ("officer.works", Role.OFFICER, "works-and-services-department"),
        ("officer.health", Role.OFFICER, "health-department"),
        ("auditor", Role.AUDITOR, None),
    ):
        application.register_account(
            system_actor("test"), username=username, password=PASSWORD, role=role, entity=entity
        )
    return Api(client=client, dsn=settings.dsn)


@pytest.fixture
def committee(application: ProcurementApplication) -> None:
    """Three more officers of the works department, to sit on evaluation committees."""
    for username in COMMITTEE:
        application.register_account(
            system_actor("test"),
            username=username,
            password=PASSWORD,
            role=Role.OFFICER,
            entity=ENTITY,
        )
