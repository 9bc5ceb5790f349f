"""Bid validity, bid securities and performance securities in the public read models.

Written by the ``public_tenders`` projection (``projections/public_securities.py``), in its
transactions and with its position, so a rebuild truncates and refills them with the rest:

- ``public_securities``: one row per bidder of a tender's securities file
  (``TenderSecurities``): its bid's validity end and standing (valid, declined, lapsed), the
  extension request waiting for its answer, its bid security's state (none, held, released,
  forfeited with a reason), the overdue flag; and the release period the file's rules set;
- ``public_security_requests``: each validity extension request: new end, due, reason;
- ``public_performance_securities``: the performance security recorded for an award.

No event of these kinds was stored before this revision: the tables start empty.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE public_securities (
            securities_id uuid NOT NULL,
            tender_id uuid NOT NULL,
            vendor_id uuid NOT NULL,
            bid_id uuid NOT NULL,
            vendor_name text NOT NULL,
            valid_until timestamptz NOT NULL,
            standing text NOT NULL,
            left_at timestamptz,
            waiting_request integer,
            state text NOT NULL,
            amount numeric(17, 2),
            currency char(3),
            recorded_at timestamptz,
            closed_at timestamptz,
            forfeit_reason text,
            forfeit_text text,
            release_overdue boolean NOT NULL DEFAULT false,
            release_period interval NOT NULL,
            position bigint NOT NULL,
            PRIMARY KEY (securities_id, vendor_id)
        )
        """
    )
    op.execute("CREATE INDEX public_securities_tender ON public_securities (tender_id)")
    op.execute(
        """
        CREATE TABLE public_security_requests (
            securities_id uuid NOT NULL,
            tender_id uuid NOT NULL,
            number integer NOT NULL,
            new_end timestamptz NOT NULL,
            due timestamptz NOT NULL,
            reason text NOT NULL,
            asked_at timestamptz NOT NULL,
            PRIMARY KEY (securities_id, number)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE public_performance_securities (
            award_id uuid PRIMARY KEY,
            securities_id uuid NOT NULL,
            tender_id uuid NOT NULL,
            amount numeric(17, 2) NOT NULL,
            currency char(3) NOT NULL,
            required numeric(17, 2) NOT NULL,
            recorded_at timestamptz NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE public_performance_securities")
    op.execute("DROP TABLE public_security_requests")
    op.execute("DROP TABLE public_securities")
