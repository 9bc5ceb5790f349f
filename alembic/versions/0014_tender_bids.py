"""Each tender's bids, indexed in the transaction that stores them: ``tender_bids`` holds a
row per bid ever submitted, written by the store's recorder with the bid's first event
(``procurement/recorder.py``). The opening finds a tender's bids there instead of casting
every bid event of the store to jsonb. Filled here from the bids already stored.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from uuid import UUID

import sqlalchemy as sa

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SUBMITTED = "procurement:Bid.BidSubmitted"
BATCH = 1000  # bid events read at a time: each holds its envelopes


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE tender_bids (
            tender_id uuid NOT NULL,
            bid_id uuid NOT NULL,
            seq bigint GENERATED ALWAYS AS IDENTITY,
            PRIMARY KEY (tender_id, bid_id)
        )
        """
    )
    bind = op.get_bind()
    stored = bind.execute(
        sa.text(
            "SELECT originator_id, state FROM procurement_events WHERE topic = :topic "
            "ORDER BY notification_id"
        ).execution_options(yield_per=BATCH),
        {"topic": SUBMITTED},
    )
    for rows in stored.partitions():
        bind.execute(
            sa.text("INSERT INTO tender_bids (tender_id, bid_id) VALUES (:tender, :bid)"),
            [
                {"tender": UUID(json.loads(bytes(state))["tender_id"]["_data_"]), "bid": bid_id}
                for bid_id, state in rows
            ],
        )


def downgrade() -> None:
    op.execute("DROP TABLE tender_bids")
