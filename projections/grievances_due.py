"""What the scheduler asks the read model about complaints: which tenders have a complaint
or an appeal undecided past its date and not yet marked overdue.

As with ``tenders_due.py``, the read model may lag (a decision may not be in it yet); that is
safe because the aggregate's own guard (``TenderComplaints.mark_overdue``,
``mark_appeal_overdue``) decides, and the scheduler ignores its refusals.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg


def complaints_due(dsn: str, now: datetime, limit: int = 500) -> list[UUID]:
    """The tenders (at most ``limit``, the longest overdue first) with a complaint the
    committee has not decided by its date, or an appeal the regulator has not decided by
    its date, not yet marked overdue: ``TenderComplaints.due`` on the read model."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """
            SELECT tender_id FROM (
                SELECT tender_id, decision_due AS due FROM public_complaints
                WHERE decided_at IS NULL AND appeal_lodged_at IS NULL AND NOT overdue
                    AND decision_due <= %(now)s
                UNION ALL
                SELECT tender_id, appeal_due FROM public_complaints
                WHERE appeal_lodged_at IS NOT NULL AND appeal_decided_at IS NULL
                    AND NOT appeal_overdue AND appeal_due <= %(now)s
            ) AS due
            GROUP BY tender_id ORDER BY min(due), tender_id LIMIT %(limit)s
            """,
            {"now": now, "limit": limit},
        ).fetchall()
    return [row[0] for row in rows]
