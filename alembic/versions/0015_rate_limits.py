"""Rate limits counted for the whole cluster (``procurement/rate_limits.py``), so that every
API process on every machine shares one count:

- ``rate_limit_windows``: hits per (rule, key, window), a window being the period's number
  since the epoch (``floor(time / period)``); a check weighs the previous window's count by
  the share of it still inside the moving window. A row is needed until the end of the window
  after its own (``expires_at``).
- ``sign_in_failures``: failed sign-ins per (username, address), until when the next
  attempt from that pair waits (``blocked_until``), and the attempt running (``attempt_until``:
  one at a time per pair). A success deletes the row; a quiet hour forgets it
  (``expires_at``).

Both are UNLOGGED: a crash of PostgreSQL empties them, which only forgives recent floods,
and their writes skip the write-ahead log (no fsync at commit on the bid's hot path). A
periodic job deletes the expired rows.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE UNLOGGED TABLE rate_limit_windows (
            rule text NOT NULL,
            key text NOT NULL,
            slot bigint NOT NULL,
            hits integer NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (rule, key, slot)
        )
        """
    )
    op.execute("CREATE INDEX rate_limit_windows_expiry ON rate_limit_windows (expires_at)")
    op.execute(
        """
        CREATE UNLOGGED TABLE sign_in_failures (
            username text NOT NULL,
            address text NOT NULL,
            failures integer NOT NULL,
            blocked_until timestamptz NOT NULL,
            attempt_until timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (username, address)
        )
        """
    )
    op.execute("CREATE INDEX sign_in_failures_expiry ON sign_in_failures (expires_at)")


def downgrade() -> None:
    op.execute("DROP TABLE sign_in_failures")
    op.execute("DROP TABLE rate_limit_windows")
