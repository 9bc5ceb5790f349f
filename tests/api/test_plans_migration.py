"""The migration that made the plans' read models (0022) lists the tenders already published
as unplanned, in the fiscal year (Pakistan's time) each was published in."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from alembic import command
from procurement.settings import Settings
from procurement.store import migrations
from tests.api.conftest import Api
from tests.support import FakeClock, tender_json


def test_the_migration_lists_the_published_tenders_as_unplanned(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    published: list[str] = []
    # 30 June 19:30 UTC is 1 July 00:30 in Pakistan: the next fiscal year.
    for moment in (
        datetime(2026, 6, 30, 18, 30, tzinfo=UTC),
        datetime(2026, 6, 30, 19, 30, tzinfo=UTC),
    ):
        clock.set(moment)
        officer = api.login("officer@works")
        drafted = api.post("/tenders", officer, json=tender_json(clock.now()))
        assert drafted.status_code == 201, drafted.text
        answer = api.post(f"/tenders/{drafted.json()['id']}/publish", officer)
        assert answer.status_code == 200, answer.text
        published.append(drafted.json()["id"])
    token = answer.json()["read_token"]
    assert api.client.get(f"/public/tenders?read_token={token}").status_code == 200

    config = migrations.alembic_config(settings.dsn)
    command.downgrade(config, "0019")
    try:
        migrations.upgrade(settings.dsn)
    finally:
        command.upgrade(config, "head")
    with psycopg.connect(settings.dsn) as conn:
        rows = conn.execute(
            "SELECT tender_id::text, entity, fiscal_year, line_id, unplanned_reason "
            "FROM public_tender_plans ORDER BY published_at"
        ).fetchall()
    assert rows == [
        (published[0], "works-and-services-department", "2025-26", None, None),
        (published[1], "works-and-services-department", "2026-27", None, None),
    ]
