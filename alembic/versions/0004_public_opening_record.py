"""The public opening record of each tender.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE public_tenders ADD COLUMN opening jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE public_tenders DROP COLUMN opening")
