"""A framework agreement's terms and call-offs, in the public read model (docs/frameworks.md).

Null for every tender that is not a framework, and so for every tender published before
frameworks: no stored event has one.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The notice's framework terms, and "call_offs": each call-off with its supplier and value.
    op.execute("ALTER TABLE public_tenders ADD COLUMN framework jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE public_tenders DROP COLUMN framework")
