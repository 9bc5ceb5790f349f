"""What the public sees of evaluations and awards: the published reports, the second
(financial) openings, the awards with their standstill, the outcome of complaints and the
contract. Part of the public tenders projection (same transaction, same position).

Never shown: the committee's declarations, a complaint's grounds or its complainant, the
scores of a report that is not yet finalised.
"""

from __future__ import annotations

import json
from functools import singledispatch
from typing import Any

from eventsourcing.persistence import Tracking
from psycopg.types.json import Jsonb

from domain.award import Award, AwardStatus
from domain.evaluation import Evaluation
from domain.public_status import PublicTenderStatus
from projections import public_securities

Statement = tuple[str, dict[str, Any]]


@singledispatch
def statements_for(event: Any, tracking: Tracking) -> list[Statement]:
    """The read-model changes an event makes: validity and securities in
    ``public_securities.py`` (which falls back to ``public_grievances.py``: complaints,
    grievance committees and debarments); none for the events it does not show."""
    return public_securities.statements_for(event, tracking)


def _tender_by_evaluation(sql_set: str, params: dict[str, Any], tracking: Tracking) -> Statement:
    return (
        (
            f"UPDATE public_tenders SET {sql_set}, position = %(position)s "  # noqa: S608 (fixed)
            "WHERE evaluation_id = %(evaluation_id)s"
        ),
        {**params, "position": tracking.notification_id},
    )


@statements_for.register
def _started(event: Evaluation.EvaluationStarted, tracking: Tracking) -> list[Statement]:
    evaluation: dict[str, Any] = {
        "method": event.terms.method.value,
        "started_at": event.timestamp.isoformat(),
        "committee_size": len(event.committee),
        "reports": [],
        "financial_openings": [],
        "reopenings": [],
    }
    return [
        (
            (
                "UPDATE public_tenders SET evaluation_id = %(evaluation_id)s, "
                "evaluation = %(evaluation)s, status = %(status)s, position = %(position)s "
                "WHERE tender_id = %(tender_id)s"
            ),
            {
                "evaluation_id": event.originator_id,
                "tender_id": event.tender_id,
                "evaluation": Jsonb(evaluation),
                "status": PublicTenderStatus.EVALUATION.value,
                "position": tracking.notification_id,
            },
        )
    ]


def _append(key: str) -> str:
    return (
        f"evaluation = jsonb_set(evaluation, '{{{key}}}', "
        f"(evaluation -> '{key}') || %(item)s::jsonb)"
    )


@statements_for.register
def _financial(event: Evaluation.FinancialEnvelopesOpened, tracking: Tracking) -> list[Statement]:
    item = {
        "opened_at": event.timestamp.isoformat(),
        "bids": [bid.model_dump(mode="json") for bid in event.bids],
    }
    return [
        _tender_by_evaluation(
            _append("financial_openings"),
            {"evaluation_id": event.originator_id, "item": json.dumps([item])},
            tracking,
        )
    ]


@statements_for.register
def _finalised(event: Evaluation.EvaluationFinalised, tracking: Tracking) -> list[Statement]:
    report = {"finalised_at": event.timestamp.isoformat(), **event.report.model_dump(mode="json")}
    status = event.report.public_status.value
    return [
        _tender_by_evaluation(
            _append("reports") + ", status = %(status)s",
            {"evaluation_id": event.originator_id, "item": json.dumps([report]), "status": status},
            tracking,
        )
    ]


@statements_for.register
def _reopened(event: Evaluation.EvaluationReopened, tracking: Tracking) -> list[Statement]:
    item = {"reopened_at": event.timestamp.isoformat(), "reason": event.reason}
    return [
        _tender_by_evaluation(
            _append("reopenings") + ", status = %(status)s",
            {
                "evaluation_id": event.originator_id,
                "item": json.dumps([item]),
                "status": PublicTenderStatus.EVALUATION.value,
            },
            tracking,
        )
    ]


_LIVE_STATUS = (
    "status = CASE WHEN EXISTS (SELECT 1 FROM public_awards a "
    "WHERE a.tender_id = public_tenders.tender_id AND a.award_id <> %(award_id)s "
    "AND a.status = %(contracted)s) THEN %(contracted)s "
    "WHEN %(recorded)s OR EXISTS (SELECT 1 FROM public_awards a "
    "WHERE a.tender_id = public_tenders.tender_id AND a.award_id <> %(award_id)s "
    "AND a.status = %(standstill)s) THEN %(awarded)s ELSE %(evaluated)s END"
)
"""The tender's status from its awards still live (a framework holds several, a tender by
lot one a lot): contracted while any other's contract stands, else awarded while any award
is live (``recorded``: this one), else evaluated. ``award_id`` is the award recorded or
released (its own row may not say so yet)."""


def _from_live_awards(event: Any, tracking: Tracking, *, recorded: bool) -> list[Statement]:
    params = {
        "evaluation_id": event.originator_id,
        "award_id": event.award_id,
        "recorded": recorded,
        "contracted": PublicTenderStatus.CONTRACTED.value,
        "standstill": AwardStatus.STANDSTILL.value,
        "awarded": PublicTenderStatus.AWARDED.value,
        "evaluated": PublicTenderStatus.EVALUATED.value,
    }
    return [_tender_by_evaluation(_LIVE_STATUS, params, tracking)]


@statements_for.register
def _recorded(event: Evaluation.AwardRecorded, tracking: Tracking) -> list[Statement]:
    return _from_live_awards(event, tracking, recorded=True)


@statements_for.register
def _released(event: Evaluation.AwardReleased, tracking: Tracking) -> list[Statement]:
    return _from_live_awards(event, tracking, recorded=False)


def _award(sql_set: str, params: dict[str, Any], event: Any, tracking: Tracking) -> Statement:
    return (
        (
            f"UPDATE public_awards SET {sql_set}, version = %(version)s, "  # noqa: S608 (fixed)
            "position = %(position)s WHERE award_id = %(award_id)s"
        ),
        {
            **params,
            "award_id": event.originator_id,
            "version": event.originator_version,
            "position": tracking.notification_id,
        },
    )


@statements_for.register
def _made(event: Award.AwardMade, tracking: Tracking) -> list[Statement]:
    return [
        (
            """
            INSERT INTO public_awards (
                award_id, tender_id, report_number, bid_id, supplier_id, supplier_name,
                amount, currency, rank, reason, status, made_at, standstill_ends,
                version, position, lot_id
            ) VALUES (
                %(award_id)s, %(tender_id)s, %(report)s, %(bid_id)s, %(supplier_id)s,
                %(supplier_name)s, %(amount)s, %(currency)s, %(rank)s, %(reason)s,
                %(status)s, %(at)s, %(standstill_ends)s, %(version)s, %(position)s,
                %(lot_id)s
            )
            """,
            {
                "award_id": event.originator_id,
                "tender_id": event.tender_id,
                "report": event.report_number,
                "bid_id": event.bid_id,
                "supplier_id": event.vendor_id,
                "supplier_name": event.vendor_name,
                "amount": event.value.amount,
                "currency": event.value.currency,
                "rank": event.rank,
                "reason": event.reason,
                "status": AwardStatus.STANDSTILL.value,
                "at": event.timestamp,
                "standstill_ends": event.standstill_ends,
                "version": event.originator_version,
                "position": tracking.notification_id,
                "lot_id": event.lot_id,
            },
        )
    ]


@statements_for.register
def _lodged(event: Award.ComplaintLodged, tracking: Tracking) -> list[Statement]:
    # The grounds and the complainant stay private: the public sees that a complaint was
    # lodged, when, and later how it was decided and why.
    item = {"id": str(event.complaint_id), "lodged_at": event.timestamp.isoformat()}
    item["status"] = "pending"
    return [
        _award(
            "complaints = complaints || %(item)s::jsonb",
            {"item": json.dumps([item])},
            event,
            tracking,
        )
    ]


@statements_for.register
def _decided(event: Award.ComplaintDecided, tracking: Tracking) -> list[Statement]:
    patch = {
        "status": "upheld" if event.upheld else "dismissed",
        "remedy": str(event.remedy) if event.remedy else None,  # a str once stored
        "decision_reasons": event.reasons,
        "decided_at": event.timestamp.isoformat(),
    }
    sql = (
        "complaints = (SELECT coalesce(jsonb_agg(CASE WHEN c ->> 'id' = %(cid)s "
        "THEN c || %(patch)s::jsonb ELSE c END ORDER BY n), '[]'::jsonb) "
        "FROM jsonb_array_elements(complaints) WITH ORDINALITY AS t(c, n))"
    )
    params: dict[str, Any] = {"cid": str(event.complaint_id), "patch": json.dumps(patch)}
    if event.upheld:
        sql += ", status = %(status)s, cancelled_at = %(at)s, cancellation_reason = %(why)s"
        params |= {
            "status": AwardStatus.CANCELLED.value,
            "at": event.timestamp,
            "why": f"complaint upheld: {event.reasons}",
        }
    return [_award(sql, params, event, tracking)]


@statements_for.register
def _cancelled(event: Award.AwardCancelled, tracking: Tracking) -> list[Statement]:
    return [
        _award(
            "status = %(status)s, cancelled_at = %(at)s, cancellation_reason = %(why)s",
            {"status": AwardStatus.CANCELLED.value, "at": event.timestamp, "why": event.reason},
            event,
            tracking,
        )
    ]


@statements_for.register
def _contracted(event: Award.ContractSigned, tracking: Tracking) -> list[Statement]:
    contract = {
        "value": event.value.model_dump(mode="json"),
        "period": event.period.model_dump(mode="json"),
        "signed_at": event.timestamp.isoformat(),
    }
    return [
        _award(
            "status = %(status)s, contract = %(contract)s",
            {"status": AwardStatus.CONTRACTED.value, "contract": Jsonb(contract)},
            event,
            tracking,
        ),
        (
            (
                "UPDATE public_tenders SET status = %(status)s, position = %(position)s "
                "WHERE tender_id = (SELECT tender_id FROM public_awards WHERE award_id = %(id)s)"
            ),
            {
                "id": event.originator_id,
                "status": PublicTenderStatus.CONTRACTED.value,
                "position": tracking.notification_id,
            },
        ),
    ]
