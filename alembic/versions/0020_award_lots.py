"""The lot an award is of, in the public awards read model (docs/lots.md).

``public_awards.lot_id``: the lot of a tender awarded by lot; NULL for an award of the whole
tender, which every award stored before this revision is. Written by the ``public_tenders``
projection (``projections/public_awards.py``); nothing to backfill.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE public_awards ADD COLUMN lot_id text")


def downgrade() -> None:
    op.execute("ALTER TABLE public_awards DROP COLUMN lot_id")
