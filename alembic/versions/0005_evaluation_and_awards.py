"""The public evaluation (reports, financial openings) and awards with complaints and contract.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE public_tenders ADD COLUMN evaluation_id uuid")
    op.execute("ALTER TABLE public_tenders ADD COLUMN evaluation jsonb")
    op.execute("CREATE UNIQUE INDEX public_tenders_evaluation ON public_tenders (evaluation_id)")
    op.execute(
        """
        CREATE TABLE public_awards (
            award_id uuid PRIMARY KEY,
            tender_id uuid NOT NULL REFERENCES public_tenders ON DELETE CASCADE,
            report_number integer NOT NULL,
            bid_id uuid NOT NULL,
            supplier_id uuid NOT NULL,
            supplier_name text NOT NULL,
            amount numeric(17, 2) NOT NULL,
            currency char(3) NOT NULL,
            rank integer NOT NULL,
            reason text NOT NULL,
            status text NOT NULL,
            made_at timestamptz NOT NULL,
            standstill_ends timestamptz NOT NULL,
            cancelled_at timestamptz,
            cancellation_reason text,
            complaints jsonb NOT NULL DEFAULT '[]'::jsonb,
            contract jsonb,
            version integer NOT NULL,
            position bigint NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX public_awards_tender ON public_awards (tender_id, made_at)")
    op.execute("CREATE INDEX public_awards_listing ON public_awards (made_at DESC)")


def downgrade() -> None:
    op.execute("DROP TABLE public_awards")
    op.execute("DROP INDEX public_tenders_evaluation")
    op.execute("ALTER TABLE public_tenders DROP COLUMN evaluation")
    op.execute("ALTER TABLE public_tenders DROP COLUMN evaluation_id")
