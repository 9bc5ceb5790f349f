"""The tender a notice follows and the vendors it invites, in the public read model.

Stage two of a two-stage tender follows its stage one and invites the qualified; a
framework's call-off follows the framework and invites its suppliers (docs/two-stage.md).
Both are null for every notice published before (no stored event has them), and for a
notice open to every vendor.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # related: {tender_id, relationship}; invited_vendors: [{id, name}, ...].
    op.execute(
        "ALTER TABLE public_tenders ADD COLUMN related jsonb, ADD COLUMN invited_vendors jsonb"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public_tenders DROP COLUMN related, DROP COLUMN invited_vendors")
