"""What the public sees of a tender's bid validity and securities (``TenderSecurities``).
Part of the public tenders projection (same transaction, same position):
``public_awards.statements_for`` falls back to this module's, which falls back to
``public_grievances.statements_for``.

Each bidder's row: its bid, name, validity end and standing, the extension request waiting
for its answer, its bid security's amount and state (released, forfeited with the reason),
and whether its release went overdue. Never the bank's instrument reference. The later
events name the file (their originator), not the tender: the rows carry the tender's id
from the first event.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from eventsourcing.persistence import Tracking

from domain.securities import TenderSecurities
from projections import public_grievances
from projections.public_grievances import _seconds

Statement = tuple[str, dict[str, Any]]


@singledispatch
def statements_for(event: Any, tracking: Tracking) -> list[Statement]:
    """The read-model changes an event makes: complaints, committees and debarments in
    ``public_grievances.py``; none for the events this read model does not show."""
    return public_grievances.statements_for(event, tracking)


def _bidder(sets: str, event: Any, vendor_id: Any, tracking: Tracking, **params: Any) -> Statement:
    return (
        (
            f"UPDATE public_securities SET {sets}, position = %(position)s "  # noqa: S608 (ours)
            "WHERE securities_id = %(id)s AND vendor_id = %(vendor_id)s"
        ),
        {
            "id": event.originator_id,
            "vendor_id": vendor_id,
            "position": tracking.notification_id,
            "at": event.timestamp,
            **params,
        },
    )


@statements_for.register
def _opened(event: TenderSecurities.Opened, tracking: Tracking) -> list[Statement]:
    return [
        (
            """
            INSERT INTO public_securities (
                securities_id, tender_id, vendor_id, bid_id, vendor_name, valid_until,
                standing, state, release_period, position
            ) VALUES (%(id)s, %(tender_id)s, %(vendor_id)s, %(bid_id)s, %(name)s,
                %(valid_until)s, 'valid', 'none', make_interval(secs => %(period)s),
                %(position)s)
            """,
            {
                "id": event.originator_id,
                "tender_id": event.tender_id,
                "vendor_id": bidder.vendor_id,
                "bid_id": bidder.bid_id,
                "name": bidder.vendor_name,
                "valid_until": bidder.valid_until,
                "period": _seconds(event.rules.release_period),
                "position": tracking.notification_id,
            },
        )
        for bidder in event.bidders
    ]


@statements_for.register
def _requested(event: TenderSecurities.ExtensionRequested, tracking: Tracking) -> list[Statement]:
    params = {
        "id": event.originator_id,
        "new_end": event.new_end,
        "reason": event.reason,
        "at": event.timestamp,
        "position": tracking.notification_id,
    }
    return [
        (
            """
            INSERT INTO public_security_requests (
                securities_id, tender_id, number, new_end, due, reason, asked_at
            ) SELECT %(id)s, min(tender_id::text)::uuid,
                (SELECT count(*) + 1 FROM public_security_requests WHERE securities_id = %(id)s),
                %(new_end)s, min(valid_until), %(reason)s, %(at)s
            FROM public_securities WHERE securities_id = %(id)s AND standing = 'valid'
            """,
            params,
        ),
        (
            """
            UPDATE public_securities SET position = %(position)s, waiting_request = (
                SELECT max(number) FROM public_security_requests WHERE securities_id = %(id)s)
            WHERE securities_id = %(id)s AND standing = 'valid'
            """,
            params,
        ),
    ]


@statements_for.register
def _answered(event: TenderSecurities.ExtensionAnswered, tracking: Tracking) -> list[Statement]:
    vendor_id = event.actor.account_id
    if not event.accepted:
        sets = "standing = 'declined', left_at = %(at)s, waiting_request = NULL"
        return [_bidder(sets, event, vendor_id, tracking)]
    sets = (
        "valid_until = (SELECT new_end FROM public_security_requests r WHERE "
        "r.securities_id = %(id)s AND r.number = public_securities.waiting_request), "
        "waiting_request = NULL"
    )
    return [_bidder(sets, event, vendor_id, tracking)]


@statements_for.register
def _lapsed(event: TenderSecurities.ExtensionsLapsed, tracking: Tracking) -> list[Statement]:
    sets = "standing = 'lapsed', left_at = %(at)s, waiting_request = NULL"
    return [_bidder(sets, event, vendor_id, tracking) for vendor_id in event.vendors]


@statements_for.register
def _recorded(event: TenderSecurities.BidSecurityRecorded, tracking: Tracking) -> list[Statement]:
    amount = event.instrument.amount
    sets = (
        "state = 'held', amount = %(amount)s, currency = %(currency)s, "
        "recorded_at = coalesce(recorded_at, %(at)s)"
    )
    return [
        _bidder(
            sets,
            event,
            event.vendor_id,
            tracking,
            amount=amount.amount,
            currency=amount.currency,
        )
    ]


@statements_for.register
def _released(event: TenderSecurities.BidSecurityReleased, tracking: Tracking) -> list[Statement]:
    return [_bidder("state = 'released', closed_at = %(at)s", event, event.vendor_id, tracking)]


@statements_for.register
def _forfeited(event: TenderSecurities.BidSecurityForfeited, tracking: Tracking) -> list[Statement]:
    sets = (
        "state = 'forfeited', closed_at = %(at)s, forfeit_reason = %(reason)s, "
        "forfeit_text = %(text)s"
    )
    return [
        _bidder(sets, event, event.vendor_id, tracking, reason=str(event.reason), text=event.text)
    ]


@statements_for.register
def _overdue(event: TenderSecurities.ReleasesOverdue, tracking: Tracking) -> list[Statement]:
    return [
        _bidder("release_overdue = true", event, vendor_id, tracking) for vendor_id in event.vendors
    ]


@statements_for.register
def _performance(
    event: TenderSecurities.PerformanceSecurityRecorded,
    tracking: Tracking,  # noqa: ARG001
) -> list[Statement]:
    return [
        (
            """
            INSERT INTO public_performance_securities (
                award_id, securities_id, tender_id, amount, currency, required, recorded_at
            ) SELECT %(award_id)s, %(id)s, min(tender_id::text)::uuid, %(amount)s,
                %(currency)s, %(required)s, %(at)s
            FROM public_securities WHERE securities_id = %(id)s
            """,
            {
                "award_id": event.award_id,
                "id": event.originator_id,
                "amount": event.instrument.amount.amount,
                "currency": event.instrument.amount.currency,
                "required": event.required.amount,
                "at": event.timestamp,
            },
        )
    ]
