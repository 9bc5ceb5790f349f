"""Whether a notice allows lot-bundle discounts, in the public read model
(docs/lots.md#bundle-discounts).

False for every notice published before bundle discounts existed: no stored notice allows
them. A notice published since that allows them gets its value when the public read model
is rebuilt (``procurement projections rebuild``).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE public_tenders ADD COLUMN bundle_discounts boolean NOT NULL DEFAULT false"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE public_tenders DROP COLUMN bundle_discounts")
