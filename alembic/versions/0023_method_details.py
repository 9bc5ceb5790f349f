"""A notice's direct-contracting justification and pre-bid meeting, in the public read model.

Both are null for every notice published before they were recorded (no stored event has
them), and for a notice that has neither.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each the notice value as JSON: its case and explanation; its time, place and link.
    op.execute(
        "ALTER TABLE public_tenders ADD COLUMN direct_contracting jsonb, "
        "ADD COLUMN pre_bid_meeting jsonb"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE public_tenders DROP COLUMN direct_contracting, DROP COLUMN pre_bid_meeting"
    )
