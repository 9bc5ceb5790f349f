"""The tamper-evident ledger: an RFC 6962 Merkle tree over every stored event, in global order,
with its own dense index, and its signed checkpoints.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ledger_leaves (
            leaf_index bigint PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            leaf_hash bytea NOT NULL
        )
        """
    )
    # The compact range (roots of the perfect subtrees) after the last leaf, so appending
    # and signing never reread the whole tree. One row; its lock serialises ledger writers.
    op.execute(
        """
        CREATE TABLE ledger_state (
            id integer PRIMARY KEY CHECK (id = 1),
            size bigint NOT NULL,
            last_position bigint NOT NULL,
            frontier bytea[] NOT NULL
        )
        """
    )
    op.execute("INSERT INTO ledger_state VALUES (1, 0, 0, '{}')")
    op.execute(
        """
        CREATE TABLE ledger_checkpoints (
            tree_size bigint PRIMARY KEY,
            root bytea NOT NULL,
            signed_at timestamptz NOT NULL,
            reason text NOT NULL,
            checkpoint jsonb NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE ledger_checkpoints")
    op.execute("DROP TABLE ledger_state")
    op.execute("DROP TABLE ledger_leaves")
