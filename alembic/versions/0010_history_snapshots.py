"""Snapshots for time travel: an aggregate's state every 64 versions, stored as deltas under a
MAC chain (``procurement/audit/snapshots.py``). Derived data: dropping the table loses nothing but
speed, and it is rebuilt from the events as auditors travel.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `fingerprint` names the domain code the states were made by: a deployment that changes
    # an aggregate finds no rows of its own and makes new ones from the events.
    op.execute(
        """
        CREATE TABLE history_snapshots (
            fingerprint bytea NOT NULL,
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text NOT NULL,
            state bytea NOT NULL,
            mac bytea NOT NULL,
            PRIMARY KEY (fingerprint, originator_id, originator_version)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE history_snapshots")
