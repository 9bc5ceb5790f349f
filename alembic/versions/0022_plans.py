"""Annual procurement plans in the public read models (issue 20, docs/plans.md).

Written by the ``public_tenders`` projection (``projections/public_plans.py``), in its
transactions and with its position, so a rebuild truncates and refills them with the rest:

- ``public_plans``: each entity's published plan for a fiscal year, and its amendments
  (kind, line, reason, time) in order; a draft plan is not public;
- ``public_plan_lines``: each line of a published plan as it stands, withdrawn or not;
- ``public_tender_plans``: each published tender's plan line (the fiscal year of the plan it
  cites and the line's id), or, for an unplanned tender, the fiscal year it was published in
  and its reason (if it gave one).

Tenders published before this revision cite no line and give no reason: the migration
lists the ones already in ``public_tenders`` as unplanned, in the fiscal year (Pakistan's
time) they were published in; the projection lists the rest as it reaches them (hence its
ON CONFLICT).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE public_plans (
            plan_id uuid PRIMARY KEY,
            entity text NOT NULL,
            fiscal_year text NOT NULL,
            published_at timestamptz NOT NULL,
            amendments jsonb NOT NULL DEFAULT '[]'::jsonb,
            version integer NOT NULL,
            position bigint NOT NULL,
            UNIQUE (entity, fiscal_year)
        )
        """
    )
    op.execute("CREATE INDEX public_plans_listing ON public_plans (fiscal_year DESC, entity)")
    op.execute(
        """
        CREATE TABLE public_plan_lines (
            plan_id uuid NOT NULL,
            line_id text NOT NULL,
            ordinal integer NOT NULL,
            entity text NOT NULL,
            fiscal_year text NOT NULL,
            description text NOT NULL,
            category text NOT NULL,
            amount numeric(17, 2) NOT NULL,
            currency char(3) NOT NULL,
            method text NOT NULL,
            quarter integer NOT NULL,
            withdrawn boolean NOT NULL DEFAULT false,
            PRIMARY KEY (plan_id, line_id)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE public_tender_plans (
            tender_id uuid PRIMARY KEY,
            entity text NOT NULL,
            fiscal_year text NOT NULL,
            line_id text,
            unplanned_reason text,
            published_at timestamptz NOT NULL
        )
        """
    )
    op.execute(
        "CREATE INDEX public_tender_plans_entity ON public_tender_plans "
        "(entity, fiscal_year, line_id)"
    )
    op.execute(
        """
        INSERT INTO public_tender_plans (tender_id, entity, fiscal_year, published_at)
        SELECT tender_id, entity,
            fy || '-' || lpad(((fy + 1) % 100)::text, 2, '0'), published_at
        FROM (
            SELECT tender_id, entity, published_at,
                (extract(year FROM published_at AT TIME ZONE 'Asia/Karachi')::int
                 - CASE WHEN extract(month FROM published_at AT TIME ZONE 'Asia/Karachi') < 7
                   THEN 1 ELSE 0 END) AS fy
            FROM public_tenders
        ) published
        ON CONFLICT (tender_id) DO NOTHING
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE public_tender_plans")
    op.execute("DROP TABLE public_plan_lines")
    op.execute("DROP TABLE public_plans")
