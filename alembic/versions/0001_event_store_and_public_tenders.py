"""The event store, and the public tenders read model with its tracking table.

The event table has exactly the shape eventsourcing's PostgreSQL application recorder
expects (it runs with CREATE_TABLE=no): one row per event, the global order in
``notification_id``, and the composite type its batched INSERT unnests.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE TYPE stored_event_uuid AS "
        "(originator_id uuid, originator_version bigint, topic text, state bytea)"
    )
    op.execute(
        """
        CREATE TABLE procurement_events (
            originator_id uuid NOT NULL,
            originator_version bigint NOT NULL,
            topic text,
            state bytea,
            notification_id bigserial,
            PRIMARY KEY (originator_id, originator_version)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX procurement_events_notification_id_idx "
        "ON procurement_events (notification_id ASC)"
    )
    op.execute(
        """
        CREATE TABLE public_tenders_tracking (
            application_name text PRIMARY KEY,
            notification_id bigint
        )
        """
    )
    op.execute(
        """
        CREATE TABLE public_tenders (
            tender_id uuid PRIMARY KEY,
            reference text NOT NULL,
            title text NOT NULL,
            description text NOT NULL,
            entity text NOT NULL,
            category text NOT NULL,
            method text NOT NULL,
            scope text NOT NULL,
            estimated_amount numeric(19, 2) NOT NULL,
            currency char(3) NOT NULL,
            lots jsonb NOT NULL,
            bid_security jsonb,
            bid_validity_days integer NOT NULL,
            clarification_deadline timestamptz NOT NULL,
            submission_deadline timestamptz NOT NULL,
            opening_time timestamptz NOT NULL,
            rules jsonb NOT NULL,
            status text NOT NULL,
            published_at timestamptz NOT NULL,
            cancelled_at timestamptz,
            cancellation_reason text,
            version bigint NOT NULL,
            position bigint NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX public_tenders_listing ON public_tenders (published_at DESC)")
    op.execute("CREATE INDEX public_tenders_status ON public_tenders (status)")
    op.execute("CREATE INDEX public_tenders_entity ON public_tenders (entity)")
    op.execute(
        """
        CREATE TABLE public_tender_amendments (
            tender_id uuid NOT NULL REFERENCES public_tenders ON DELETE CASCADE,
            number integer NOT NULL,
            text text NOT NULL,
            issued_at timestamptz NOT NULL,
            clarification_deadline timestamptz,
            submission_deadline timestamptz,
            opening_time timestamptz,
            PRIMARY KEY (tender_id, number)
        )
        """
    )
    # The asker of a question is never stored here: this table is public.
    op.execute(
        """
        CREATE TABLE public_tender_questions (
            question_id uuid PRIMARY KEY,
            tender_id uuid NOT NULL REFERENCES public_tenders ON DELETE CASCADE,
            text text NOT NULL,
            asked_at timestamptz NOT NULL,
            answer text,
            answered_at timestamptz
        )
        """
    )
    op.execute("CREATE INDEX public_tender_questions_tender ON public_tender_questions (tender_id)")


def downgrade() -> None:
    op.execute("DROP TABLE public_tender_questions")
    op.execute("DROP TABLE public_tender_amendments")
    op.execute("DROP TABLE public_tenders")
    op.execute("DROP TABLE public_tenders_tracking")
    op.execute("DROP TABLE procurement_events")
    op.execute("DROP TYPE stored_event_uuid")
