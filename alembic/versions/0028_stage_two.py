"""The stage two that completed a stage one, in the public read model (docs/two-stage.md).

Null for every tender but a stage one whose stage two is published (no stored event before
two-stage tendering sets it). Its own migration, after the shared 0024 of related processes;
the lead chains it after the framework's 0025.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE public_tenders ADD COLUMN stage_two uuid")


def downgrade() -> None:
    op.execute("ALTER TABLE public_tenders DROP COLUMN stage_two")
