"""What the public sees of complaints, grievance committees and debarments. Part of the public
tenders projection (same transaction, same position): ``public_tenders.statements_for`` falls
back to ``public_awards.statements_for``, which falls back to this module's (and it to
``public_plans.py``'s).

- A complaint (``TenderComplaints``): its stage, when it was lodged and is due, whether it
  went overdue, the committee's decision (outcome, remedy, published reasons, how many
  members decided) and the appeal's dates and the regulator's decision. Never the
  complainant nor the grounds, of the complaint or of its appeal (``docs/open-data.md``).
- A grievance committee (``GrievanceCommittee``): its members' names and its chair; not
  their accounts.
- A debarment case (``Debarment``): every case is a row, but the public reads serve only the
  cases decided as debarments (``projections/reads.py``): a case in hearing, or dismissed,
  is not published.

The later events of a complaint file or a debarment record do not name the tender or the
vendor: the first event's row (``public_complaint_files``, ``public_debarment_records``)
does, and the later statements read it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from functools import singledispatch
from typing import Any

from eventsourcing.persistence import Tracking
from psycopg.types.json import Jsonb

from domain.debarment import CaseStatus, Debarment
from domain.grievance import GrievanceCommittee, GrievanceStatus, TenderComplaints
from projections import public_plans

Statement = tuple[str, dict[str, Any]]


@singledispatch
def statements_for(event: Any, tracking: Tracking) -> list[Statement]:
    """The read-model changes an event makes: procurement plans' in ``public_plans.py``."""
    return public_plans.statements_for(event, tracking)


def _seconds(period: timedelta) -> Decimal:
    """A rule's period in exact seconds: an interval of seconds only, which PostgreSQL adds
    to a time as Python does (an interval of days would follow the session's time zone)."""
    return Decimal(period.days * 86400 + period.seconds) + Decimal(period.microseconds) / 10**6


def _remedy(remedy: Any) -> str | None:
    return None if remedy is None else str(remedy)  # a str once stored, an enum when live


# Complaints -------------------------------------------------------------------------------


@statements_for.register
def _file_opened(event: TenderComplaints.Opened, tracking: Tracking) -> list[Statement]:  # noqa: ARG001
    return [
        (
            """
            INSERT INTO public_complaint_files (
                complaints_id, tender_id, entity, decision_period, appeal_decision_period
            ) VALUES (%(id)s, %(tender_id)s, %(entity)s, make_interval(secs => %(decision)s),
                make_interval(secs => %(appeal)s))
            """,
            {
                "id": event.originator_id,
                "tender_id": event.tender_id,
                "entity": event.entity,
                "decision": _seconds(event.rules.decision_period),
                "appeal": _seconds(event.rules.appeal_decision_period),
            },
        )
    ]


@statements_for.register
def _lodged(event: TenderComplaints.ComplaintLodged, tracking: Tracking) -> list[Statement]:
    # Neither the grounds nor the complainant (the event's actor).
    return [
        (
            """
            INSERT INTO public_complaints (
                complaint_id, complaints_id, tender_id, entity, stage, status, award_id,
                lodged_at, decision_due, position
            )
            SELECT %(cid)s, f.complaints_id, f.tender_id, f.entity, %(stage)s, %(status)s,
                %(award_id)s, %(at)s, %(at)s + f.decision_period, %(position)s
            FROM public_complaint_files f WHERE f.complaints_id = %(id)s
            """,
            {
                "cid": event.complaint_id,
                "id": event.originator_id,
                "stage": str(event.stage),
                "status": GrievanceStatus.PENDING.value,
                "award_id": event.award_id,
                "at": event.timestamp,
                "position": tracking.notification_id,
            },
        ),
        *_on_the_award(
            "complaints = complaints || %(item)s::jsonb",
            {
                "item": json.dumps(
                    [
                        {
                            "id": str(event.complaint_id),
                            "lodged_at": event.timestamp.isoformat(),
                            "status": GrievanceStatus.PENDING.value,
                        }
                    ]
                )
            },
            event,
            tracking,
        ),
    ]


_AWARD_OF_COMPLAINT = "(SELECT award_id FROM public_complaints WHERE complaint_id = %(cid)s)"


def _on_the_award(
    sql_set: str, params: dict[str, Any], event: Any, tracking: Tracking
) -> list[Statement]:
    """The same change on the award's own page (``public_awards.complaints``), where its
    complaints were shown before complaints had a file of their own: for a complaint about
    an award only (the award is found from the complaint's row, or the lodging event)."""
    award_id = getattr(event, "award_id", None)
    where = "award_id = %(award_id)s" if award_id else f"award_id = {_AWARD_OF_COMPLAINT}"
    return [
        (
            f"UPDATE public_awards SET {sql_set}, position = %(position)s WHERE {where}",  # noqa: S608
            {
                **params,
                "award_id": award_id,
                "cid": event.complaint_id,
                "position": tracking.notification_id,
            },
        )
    ]


def _patch_on_the_award(patch: dict[str, Any], event: Any, tracking: Tracking) -> list[Statement]:
    return _on_the_award(
        "complaints = (SELECT coalesce(jsonb_agg(CASE WHEN c ->> 'id' = %(cid)s::text "
        "THEN c || %(patch)s::jsonb ELSE c END ORDER BY n), '[]'::jsonb) "
        "FROM jsonb_array_elements(complaints) WITH ORDINALITY AS t(c, n))",
        {"patch": json.dumps(patch)},
        event,
        tracking,
    )


def _complaint(sql_set: str, params: dict[str, Any], event: Any, tracking: Tracking) -> Statement:
    return (
        (
            f"UPDATE public_complaints SET {sql_set}, position = %(position)s "  # noqa: S608
            "WHERE complaint_id = %(cid)s"
        ),
        {**params, "cid": event.complaint_id, "position": tracking.notification_id},
    )


@statements_for.register
def _decided(event: TenderComplaints.ComplaintDecided, tracking: Tracking) -> list[Statement]:
    status = GrievanceStatus.UPHELD if event.upheld else GrievanceStatus.DISMISSED
    return [
        _complaint(
            "status = %(status)s, decided_at = %(at)s, upheld = %(upheld)s, "
            "remedy = %(remedy)s, reasons = %(reasons)s, panel_size = %(panel)s",
            {
                "status": status.value,
                "at": event.timestamp,
                "upheld": event.upheld,
                "remedy": _remedy(event.remedy),
                "reasons": event.reasons,
                "panel": len(event.panel),
            },
            event,
            tracking,
        ),
        *_patch_on_the_award(
            {
                "status": status.value,
                "remedy": _remedy(event.remedy),
                "decision_reasons": event.reasons,
                "decided_at": event.timestamp.isoformat(),
            },
            event,
            tracking,
        ),
    ]


@statements_for.register
def _overdue(event: TenderComplaints.ComplaintOverdue, tracking: Tracking) -> list[Statement]:
    return [
        _complaint(
            "status = %(status)s, overdue = true",
            {"status": GrievanceStatus.OVERDUE.value},
            event,
            tracking,
        ),
        *_patch_on_the_award({"status": GrievanceStatus.OVERDUE.value}, event, tracking),
    ]


@statements_for.register
def _appealed(event: TenderComplaints.AppealLodged, tracking: Tracking) -> list[Statement]:
    # Not the appeal's grounds.
    return [
        _complaint(
            "status = %(status)s, appeal_lodged_at = %(at)s, appeal_due = %(at)s + "
            "(SELECT f.appeal_decision_period FROM public_complaint_files f "
            "WHERE f.complaints_id = %(id)s)",
            {
                "status": GrievanceStatus.APPEALED.value,
                "at": event.timestamp,
                "id": event.originator_id,
            },
            event,
            tracking,
        ),
        *_patch_on_the_award(
            {"status": GrievanceStatus.APPEALED.value, "appealed_at": event.timestamp.isoformat()},
            event,
            tracking,
        ),
    ]


@statements_for.register
def _appeal_decided(event: TenderComplaints.AppealDecided, tracking: Tracking) -> list[Statement]:
    status = GrievanceStatus.APPEAL_UPHELD if event.upheld else GrievanceStatus.APPEAL_DISMISSED
    return [
        _complaint(
            "status = %(status)s, appeal_decided_at = %(at)s, appeal_upheld = %(upheld)s, "
            "appeal_remedy = %(remedy)s, appeal_reasons = %(reasons)s",
            {
                "status": status.value,
                "at": event.timestamp,
                "upheld": event.upheld,
                "remedy": _remedy(event.remedy),
                "reasons": event.reasons,
            },
            event,
            tracking,
        ),
        *_patch_on_the_award(
            {
                "status": status.value,
                "appeal_remedy": _remedy(event.remedy),
                "appeal_reasons": event.reasons,
                "appeal_decided_at": event.timestamp.isoformat(),
            },
            event,
            tracking,
        ),
    ]


@statements_for.register
def _appeal_overdue(event: TenderComplaints.AppealOverdue, tracking: Tracking) -> list[Statement]:
    return [
        _complaint(
            "status = %(status)s, appeal_overdue = true",
            {"status": GrievanceStatus.APPEAL_OVERDUE.value},
            event,
            tracking,
        ),
        *_patch_on_the_award({"status": GrievanceStatus.APPEAL_OVERDUE.value}, event, tracking),
    ]


# Grievance committees ---------------------------------------------------------------------


def _members(members: Any) -> Jsonb:
    """The members' names and the chair, in the order named; not their accounts."""
    return Jsonb([{"name": m.name, "chair": bool(m.chair)} for m in members])


@statements_for.register
def _named(event: GrievanceCommittee.CommitteeNamed, tracking: Tracking) -> list[Statement]:
    return [
        (
            """
            INSERT INTO public_grievance_committees (
                entity, committee_id, members, named_at, version, position
            ) VALUES (%(entity)s, %(id)s, %(members)s, %(at)s, %(version)s, %(position)s)
            """,
            {
                "entity": event.entity,
                "id": event.originator_id,
                "members": _members(event.members),
                "at": event.timestamp,
                "version": event.originator_version,
                "position": tracking.notification_id,
            },
        )
    ]


@statements_for.register
def _reconstituted(
    event: GrievanceCommittee.CommitteeReconstituted, tracking: Tracking
) -> list[Statement]:
    return [
        (
            """
            UPDATE public_grievance_committees SET members = %(members)s, named_at = %(at)s,
                version = %(version)s, position = %(position)s
            WHERE committee_id = %(id)s
            """,
            {
                "id": event.originator_id,
                "members": _members(event.members),
                "at": event.timestamp,
                "version": event.originator_version,
                "position": tracking.notification_id,
            },
        )
    ]


# Debarments -------------------------------------------------------------------------------


@statements_for.register
def _record_opened(event: Debarment.RecordOpened, tracking: Tracking) -> list[Statement]:  # noqa: ARG001
    return [
        (
            """
            INSERT INTO public_debarment_records (
                debarment_id, vendor_id, vendor_name, hearing_period
            ) VALUES (
                %(id)s, %(vendor_id)s, %(vendor_name)s, make_interval(secs => %(hearing)s)
            )
            """,
            {
                "id": event.originator_id,
                "vendor_id": event.vendor_id,
                "vendor_name": event.vendor_name,
                "hearing": _seconds(event.rules.hearing_period),
            },
        )
    ]


@statements_for.register
def _case_opened(event: Debarment.CaseOpened, tracking: Tracking) -> list[Statement]:
    return [
        (
            """
            INSERT INTO public_debarments (
                case_id, debarment_id, vendor_id, vendor_name, grounds, referred_by_entity,
                opened_at, hearing_closes, status, position
            )
            SELECT %(case_id)s, r.debarment_id, r.vendor_id, r.vendor_name, %(grounds)s,
                %(entity)s, %(at)s, %(at)s + r.hearing_period, %(status)s, %(position)s
            FROM public_debarment_records r WHERE r.debarment_id = %(id)s
            """,
            {
                "case_id": event.case_id,
                "id": event.originator_id,
                "grounds": event.grounds,
                "entity": event.referred_by_entity,
                "at": event.timestamp,
                "status": CaseStatus.HEARING.value,
                "position": tracking.notification_id,
            },
        )
    ]


@statements_for.register
def _case_decided(event: Debarment.CaseDecided, tracking: Tracking) -> list[Statement]:
    # The vendor's answer (CaseAnswered) is not published: the decision's reasons are.
    status = CaseStatus.DISMISSED if event.debarred_until is None else CaseStatus.DEBARRED
    return [
        (
            """
            UPDATE public_debarments SET status = %(status)s, decided_at = %(at)s,
                debarred_until = %(until)s, reasons = %(reasons)s, position = %(position)s
            WHERE case_id = %(case_id)s
            """,
            {
                "case_id": event.case_id,
                "status": status.value,
                "at": event.timestamp,
                "until": event.debarred_until,
                "reasons": event.reasons,
                "position": tracking.notification_id,
            },
        )
    ]
