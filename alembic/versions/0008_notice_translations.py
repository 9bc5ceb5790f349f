"""The Urdu and Sindhi texts of each public notice.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # {"ur": {"title": ..., "description": ...}, "sd": {...}}; notices published before
    # the languages were recorded have none (a rebuild of the read model fills them in).
    op.execute(
        "ALTER TABLE public_tenders ADD COLUMN translations jsonb NOT NULL DEFAULT '{}'::jsonb"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public_tenders DROP COLUMN translations")
