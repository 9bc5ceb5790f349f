"""OCDS: each contracting process's state and its immutable releases, in global order.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE ocds_releases_tracking (
            application_name text PRIMARY KEY,
            notification_id bigint
        )
        """
    )
    op.execute(
        """
        CREATE TABLE ocds_processes (
            tender_id uuid PRIMARY KEY,
            ocid text NOT NULL UNIQUE,
            state jsonb NOT NULL
        )
        """
    )
    # Which tender an evaluation or an award belongs to (their later events do not say).
    op.execute(
        """
        CREATE TABLE ocds_aggregates (
            aggregate_id uuid PRIMARY KEY,
            tender_id uuid NOT NULL
        )
        """
    )
    # One release per public event; `position` is the event's, so the feed's order is the
    # store's. `release` is json (not jsonb): the text is served exactly as written.
    op.execute(
        """
        CREATE TABLE ocds_releases (
            position bigint PRIMARY KEY,
            ocid text NOT NULL,
            release_id text NOT NULL UNIQUE,
            tag text NOT NULL,
            date timestamptz NOT NULL,
            release json NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ocds_releases_ocid ON ocds_releases (ocid, position)")


def downgrade() -> None:
    op.execute("DROP TABLE ocds_releases")
    op.execute("DROP TABLE ocds_aggregates")
    op.execute("DROP TABLE ocds_processes")
    op.execute("DROP TABLE ocds_releases_tracking")
