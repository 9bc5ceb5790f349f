"""Complaints, grievance committees and debarments in the public read models.

Written by the ``public_tenders`` projection (``projections/public_grievances.py``), in its
transactions and with its position, so a rebuild truncates and refills them with the rest:

- ``public_complaint_files``: each tender's complaint file (``TenderComplaints``): its tender,
  entity and the periods its rules set, which the later events do not name;
- ``public_complaints``: one row per complaint, what the public sees of it: its stage, dates,
  the committee's and the regulator's decisions with their reasons, the overdue marks. Never
  the complainant nor the grounds (of the complaint or of its appeal);
- ``public_grievance_committees``: each entity's grievance committee: names and chair;
- ``public_debarment_records``: each debarment record's vendor and hearing period, which its
  cases do not name;
- ``public_debarments``: one row per debarment case. Cases in hearing and dismissed cases
  are kept for the scheduler and the regulator's pages; the public reads serve only the
  cases decided as debarments (``projections/reads.py``).

No event of these kinds was stored before this revision: the tables start empty.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-09
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE public_complaint_files (
            complaints_id uuid PRIMARY KEY,
            tender_id uuid NOT NULL,
            entity text NOT NULL,
            decision_period interval NOT NULL,
            appeal_decision_period interval NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE public_complaints (
            complaint_id uuid PRIMARY KEY,
            complaints_id uuid NOT NULL,
            tender_id uuid NOT NULL,
            entity text NOT NULL,
            stage text NOT NULL,
            status text NOT NULL,
            award_id uuid,
            lodged_at timestamptz NOT NULL,
            decision_due timestamptz NOT NULL,
            overdue boolean NOT NULL DEFAULT false,
            decided_at timestamptz,
            upheld boolean,
            remedy text,
            reasons text,
            panel_size integer,
            appeal_lodged_at timestamptz,
            appeal_due timestamptz,
            appeal_overdue boolean NOT NULL DEFAULT false,
            appeal_decided_at timestamptz,
            appeal_upheld boolean,
            appeal_remedy text,
            appeal_reasons text,
            position bigint NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX public_complaints_tender ON public_complaints (tender_id, lodged_at)")
    op.execute("CREATE INDEX public_complaints_entity ON public_complaints (entity)")
    # What the scheduler asks (``projections/grievances_due.py``): the undecided past due.
    op.execute(
        "CREATE INDEX public_complaints_decision_due ON public_complaints (decision_due) "
        "WHERE decided_at IS NULL AND appeal_lodged_at IS NULL AND NOT overdue"
    )
    op.execute(
        "CREATE INDEX public_complaints_appeal_due ON public_complaints (appeal_due) "
        "WHERE appeal_lodged_at IS NOT NULL AND appeal_decided_at IS NULL AND NOT appeal_overdue"
    )
    op.execute(
        """
        CREATE TABLE public_grievance_committees (
            entity text PRIMARY KEY,
            committee_id uuid NOT NULL UNIQUE,
            members jsonb NOT NULL,
            named_at timestamptz NOT NULL,
            version integer NOT NULL,
            position bigint NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE public_debarment_records (
            debarment_id uuid PRIMARY KEY,
            vendor_id uuid NOT NULL,
            vendor_name text NOT NULL,
            hearing_period interval NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE public_debarments (
            case_id uuid PRIMARY KEY,
            debarment_id uuid NOT NULL,
            vendor_id uuid NOT NULL,
            vendor_name text NOT NULL,
            grounds text NOT NULL,
            referred_by_entity text,
            opened_at timestamptz NOT NULL,
            hearing_closes timestamptz NOT NULL,
            status text NOT NULL,
            decided_at timestamptz,
            debarred_until timestamptz,
            reasons text,
            position bigint NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX public_debarments_vendor ON public_debarments (vendor_id)")
    op.execute(
        "CREATE INDEX public_debarments_listed ON public_debarments (decided_at DESC, case_id) "
        "WHERE status = 'debarred'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE public_debarments")
    op.execute("DROP TABLE public_debarment_records")
    op.execute("DROP TABLE public_grievance_committees")
    op.execute("DROP TABLE public_complaints")
    op.execute("DROP TABLE public_complaint_files")
