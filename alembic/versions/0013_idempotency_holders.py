"""Idempotency claims tied to their holders: each unanswered row names the attempt holding it
(``holder``, a token of its own) and that attempt's request id; ``claimed_at`` is when it
began. The claim itself is a session advisory lock of the holding process
(``procurement/store/idempotency_keys.py``): a row whose lock is free is taken over at once, and the
retry recognises a write of the attempt it replaces by that request id, no sooner than
``claimed_at``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE idempotency_keys ADD COLUMN holder text, ADD COLUMN request_id text")


def downgrade() -> None:
    op.execute("ALTER TABLE idempotency_keys DROP COLUMN holder, DROP COLUMN request_id")
