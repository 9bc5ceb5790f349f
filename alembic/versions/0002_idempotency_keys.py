"""Idempotency keys: the first answer to a POST, replayed to its retries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # status is NULL while the first request is still running (a claim).
    op.execute(
        """
        CREATE TABLE idempotency_keys (
            owner text NOT NULL,
            key text NOT NULL,
            request_hash text NOT NULL,
            status integer,
            content_type text,
            body bytea,
            claimed_at timestamptz NOT NULL,
            PRIMARY KEY (owner, key)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")
