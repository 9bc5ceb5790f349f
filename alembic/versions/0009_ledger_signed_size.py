"""The size of the last checkpoint the ledger writer signed, kept with its state: the writer
refuses to sign again while the newest stored checkpoint is missing or smaller (deleted rows
would otherwise let it sign over a rewritten tail of the history).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-22
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE ledger_state ADD COLUMN signed_size bigint NOT NULL DEFAULT 0")
    # A ledger that signed before this column existed: its newest checkpoint is the record.
    op.execute(
        "UPDATE ledger_state SET signed_size = "
        "(SELECT coalesce(max(tree_size), 0) FROM ledger_checkpoints)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE ledger_state DROP COLUMN signed_size")
