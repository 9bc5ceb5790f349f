"""What the scheduler asks the read model about securities files: which tenders have an
extension request unanswered past its due time, or a held security whose release may be
overdue (``TenderSecurities.lapsing``, ``overdue_releases``).

As with ``grievances_due.py``, the read model may lag or over-ask (a winner's security is
not due back; by lot, the first contract is asked from, while a bidder's clock starts at the
last contract of the lots it priced): the aggregate decides, and the scheduler's command does
nothing then. It never under-asks: the tender's cancellation starts every clock, and a lot's
cancellation is asked from like a contract.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg


def securities_due(dsn: str, now: datetime, limit: int = 500) -> list[UUID]:
    """The tenders (at most ``limit``) with a bidder's answer past its due time, or an
    unsuccessful bidder's held security past its release date, not yet flagged."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """
            SELECT DISTINCT s.tender_id FROM public_securities s
            LEFT JOIN public_security_requests r
                ON r.securities_id = s.securities_id AND r.number = s.waiting_request
            WHERE r.due <= %(now)s
               OR (s.state = 'held' AND NOT s.release_overdue
                   AND NOT EXISTS (
                       SELECT 1 FROM public_awards a WHERE a.tender_id = s.tender_id
                       AND a.bid_id = s.bid_id AND a.status <> 'cancelled')
                   AND least(s.valid_until, s.left_at, (
                       SELECT min((a.contract->>'signed_at')::timestamptz)
                       FROM public_awards a WHERE a.tender_id = s.tender_id
                   ), (
                       SELECT t.cancelled_at FROM public_tenders t
                       WHERE t.tender_id = s.tender_id
                   ), (
                       SELECT min((c->>'cancelled_at')::timestamptz)
                       FROM public_tenders t, jsonb_array_elements(t.cancelled_lots) c
                       WHERE t.tender_id = s.tender_id
                   )) + s.release_period <= %(now)s)
            LIMIT %(limit)s
            """,
            {"now": now, "limit": limit},
        ).fetchall()
    return [row[0] for row in rows]
