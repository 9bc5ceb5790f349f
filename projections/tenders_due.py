"""What the scheduler asks the read model: which tenders are due for a time-driven step.

The read model may lag (an amendment that moved a deadline may not be in it yet); that is
safe because the aggregate's own guard decides, and the scheduler ignores its refusals.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg

from domain.public_status import PublicTenderStatus


def due_for_closing(dsn: str, now: datetime, limit: int = 500) -> list[UUID]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT tender_id FROM public_tenders "
            "WHERE status = %s AND submission_deadline <= %s "
            "ORDER BY submission_deadline LIMIT %s",
            (PublicTenderStatus.ACTIVE.value, now, limit),
        ).fetchall()
    return [row[0] for row in rows]
