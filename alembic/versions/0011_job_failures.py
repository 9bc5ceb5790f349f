"""Background jobs' failures: one row per job (``projection:public_tenders``, ``ledger``, ...)
that has failed: what failed (the event's position and topic, for a projection), the error's
type and a short message, since when, how many attempts, and when it recovered
(``procurement/jobs/failures.py``). ``/ready``, ``/metrics`` and ``procurement projections status``
read it: the job may run in another process.

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-12
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE job_failures (
            job text PRIMARY KEY,
            position bigint,
            topic text,
            error text NOT NULL,
            message text NOT NULL,
            failing_since timestamptz NOT NULL,
            last_failed_at timestamptz NOT NULL,
            attempts integer NOT NULL,
            failures bigint NOT NULL,
            resolved_at timestamptz
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE job_failures")
