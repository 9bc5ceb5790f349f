"""Two notice terms a bidder reads before bidding, in the public read model: whether the
tender is awarded by lot, and the winner's performance security in percent of the award.

Every notice published before lots and securities existed was awarded whole and asked no
performance security: the defaults are what those notices said. A notice published since
(with either term) gets its values when the public read model is rebuilt
(``procurement projections rebuild``).

Also two indexes the public securities page reads by (``projections/reads.py``): a tender's
extension requests and its performance securities, found by tender.

Revision ID: 0026
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE public_tenders ADD COLUMN award_by_lot boolean NOT NULL DEFAULT false, "
        "ADD COLUMN performance_security_percent numeric(5, 2)"
    )
    op.execute(
        "CREATE INDEX public_security_requests_tender ON public_security_requests (tender_id)"
    )
    op.execute(
        "CREATE INDEX public_performance_securities_tender "
        "ON public_performance_securities (tender_id)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX public_performance_securities_tender")
    op.execute("DROP INDEX public_security_requests_tender")
    op.execute(
        "ALTER TABLE public_tenders DROP COLUMN award_by_lot, "
        "DROP COLUMN performance_security_percent"
    )
