"""The public halves of each tender's sealing keys, shown with its notice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only public keys and the suite: the wrapped private keys never reach a read model.
    op.execute("ALTER TABLE public_tenders ADD COLUMN sealing jsonb NOT NULL DEFAULT '[]'")


def downgrade() -> None:
    op.execute("ALTER TABLE public_tenders DROP COLUMN sealing")
