"""Each entity's tenders (drafts included) for the officers: ``entity_tenders`` lists every
tender with its entity and whether it is published, kept by the public tenders projection in
the transaction of its other rows, never served publicly. The officers' dashboard finds its
drafts here instead of casting every drafted event of the store to jsonb (which one draft
holding U+0000 made fail for every entity). Filled here from the events already stored,
decoded in Python (PostgreSQL's ``json`` refuses ``\\u0000`` too); the projection's inserts
skip the rows already there.

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-12
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DRAFTED = "procurement:Tender.TenderDrafted"
PUBLISHED = "procurement:Tender.TenderPublished"
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # as projections/storable.py


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE entity_tenders (
            tender_id uuid PRIMARY KEY,
            entity text NOT NULL,
            position bigint NOT NULL,
            published boolean NOT NULL DEFAULT false
        )
        """
    )
    op.execute(
        "CREATE INDEX entity_tenders_drafts ON entity_tenders (entity, position DESC) "
        "WHERE NOT published"
    )
    _fill_entity_tenders()


def _fill_entity_tenders() -> None:
    bind = op.get_bind()
    drafted = bind.execute(
        sa.text(
            "SELECT originator_id, notification_id, state FROM procurement_events "
            "WHERE topic = :topic"
        ),
        {"topic": DRAFTED},
    ).fetchall()
    if not drafted:
        return
    published = {
        row[0]
        for row in bind.execute(
            sa.text("SELECT originator_id FROM procurement_events WHERE topic = :topic"),
            {"topic": PUBLISHED},
        )
    }
    rows = [
        {
            "id": tender_id,
            "entity": UNSTORABLE.sub("\ufffd", str(json.loads(bytes(state).decode())["entity"])),
            "position": position,
            "published": tender_id in published,
        }
        for tender_id, position, state in drafted
    ]
    bind.execute(
        sa.text(
            "INSERT INTO entity_tenders (tender_id, entity, position, published) "
            "VALUES (:id, :entity, :position, :published) ON CONFLICT DO NOTHING"
        ),
        rows,
    )


def downgrade() -> None:
    op.execute("DROP TABLE entity_tenders")
