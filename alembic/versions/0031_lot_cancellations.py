"""The lots of a tender awarded by lot cancelled alone, in the public read model
(docs/lots.md): each its id, reason and time.

Empty for every tender before: no stored event cancels a lot alone.

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # [{"lot_id", "reason", "cancelled_at"}], in the order cancelled.
    op.execute(
        "ALTER TABLE public_tenders ADD COLUMN cancelled_lots jsonb NOT NULL DEFAULT '[]'::jsonb"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public_tenders DROP COLUMN cancelled_lots")
