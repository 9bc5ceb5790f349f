"""The migration that made the officers' drafts a read model (``entity_tenders``) filled it
from the events already stored, an event with text PostgreSQL cannot store included."""

from __future__ import annotations

import dataclasses
from uuid import uuid4

import psycopg

from alembic import command
from domain.tender import Tender
from procurement.commands.application import ProcurementApplication
from procurement.settings import Settings
from procurement.store import migrations
from tests.support import FakeClock, officer, terms


def test_the_migration_fills_the_entities_tenders_from_the_stored_events(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    works, health = officer("wsd"), officer("health")
    draft = application.draft_tender(works, terms(clock.now()))
    published = application.draft_tender(works, terms(clock.now(), reference="B"))
    application.publish_tender(works, published.id, None)
    odd = Tender(
        id=uuid4(),
        entity="health",
        terms=terms(clock.now(), title="PLACEHOLDER"),
        actor=health,
        timestamp=clock.now(),
    )
    [stored] = [application.mapper.to_stored_event(e) for e in odd.collect_events()]
    state = stored.state.replace(b"PLACEHOLDER", b"a\\u0000b")
    application.recorder.insert_events([dataclasses.replace(stored, state=state)])

    config = migrations.alembic_config(settings.dsn)
    command.downgrade(config, "0011")
    try:
        migrations.upgrade(settings.dsn)
    finally:
        command.upgrade(config, "head")
    with psycopg.connect(settings.dsn) as conn:
        rows = conn.execute(
            "SELECT tender_id, entity, published FROM entity_tenders ORDER BY position"
        ).fetchall()
    assert rows == [
        (draft.id, "wsd", False),
        (published.id, "wsd", True),
        (odd.id, "health", False),
    ]
