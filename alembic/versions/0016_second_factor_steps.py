"""The last TOTP time step each account signed in with (``procurement/second_factor.py``).

A code is accepted only for a step later than the account's last one, decided by one
``INSERT ... ON CONFLICT DO UPDATE ... WHERE last_step < new`` row write, so two processes
given the same code at the same moment accept it once. The row is not an event: it is a
replay guard, not something that happened to the account (a recovery code's use is an event).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE account_totp_steps ( account_id uuid PRIMARY KEY, last_step bigint NOT NULL)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE account_totp_steps")
