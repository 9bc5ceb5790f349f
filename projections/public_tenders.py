"""The public tender read model: published notices, addenda and answered questions.

Drafts never reach the public tables, and neither does the asker of a question. Every event of
the store moves its tracking position, including the ones it ignores, so that "the projection
has passed position N" is exact for any N a write returns.

Beside them, ``entity_tenders`` lists every tender with its entity, drafts included, for the
officers' dashboard: kept in the same transactions, never served publicly.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import singledispatch
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from domain.framework import FrameworkCallOffs
from domain.public_status import PublicTenderStatus
from domain.tender import Tender
from domain.values import TenderTerms
from projections import public_awards, public_frameworks, public_plans, tender_documents

Statement = tuple[str, dict[str, Any]]

NAME = "public_tenders"
TABLES = (
    "public_securities",
    "public_security_requests",
    "public_performance_securities",
    "public_tender_plans",
    "public_plan_lines",
    "public_plans",
    "public_complaints",
    "public_complaint_files",
    "public_grievance_committees",
    "public_debarments",
    "public_debarment_records",
    "entity_tenders",
    "public_tender_documents",
    "public_awards",
    "public_tender_questions",
    "public_tender_amendments",
    "public_tenders",
)
CHANNEL = "public_tenders_position"
"""Each transaction of the view NOTIFYs here (on commit only) the position it reached and
whether the view changed: ``"<position> <1|0>"``. The API's read caches listen
(``api/read_cache.py``)."""


class PublicTendersView(PostgresTrackingRecorder):
    """Runs a projection's statements and its tracking insert in one transaction."""

    def apply(self, statements: Sequence[Statement], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            for query, params in statements:
                cursor.execute(query.encode(), params)
            self._insert_tracking(cursor, tracking)
            notify(cursor, tracking.notification_id, changed=changes_public(statements))

    def reset(self) -> None:
        """Empty the read model and its tracking: the start of a rebuild."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)}".encode())
            cursor.execute(
                f"DELETE FROM {self.tracking_table_name}".encode()  # noqa: S608 (fixed name)
            )
            notify(cursor, 0, changed=True)


def notify(cursor: Any, position: int, *, changed: bool) -> None:
    """Tell the read caches that this transaction, once committed, takes the view to
    ``position``: a paged rebuild's commits should say so too (the caches otherwise notice
    within about two seconds, by reading the position)."""
    cursor.execute(b"SELECT pg_notify(%s, %s)", (CHANNEL, f"{position} {int(changed)}"))


class PublicTendersProjection(Projection[PublicTendersView]):
    name = NAME

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The event's statements (``statements_for``) and its position, in one transaction:
        the events this read model does not show still move its position."""
        self.view.apply(statements_for(domain_event, tracking), tracking)


@singledispatch
def statements_for(event: Any, tracking: Tracking) -> list[Statement]:
    """The read-model changes an event makes, not yet run: evaluation and award events in
    ``public_awards.py``, complaints, committees and debarments in ``public_grievances.py``,
    procurement plans in ``public_plans.py``; none for the events this read model does not show.

    The live projection runs them with the tracking position, one event per transaction; a
    rebuild (``procurement/jobs/rebuild.py``) runs a whole page of events' statements in one."""
    return public_awards.statements_for(event, tracking)


# Not public: the officers' list of their entity's tenders. The migration that made the
# table filled it from the events already stored, hence ON CONFLICT.
ENTITY_TENDER = (
    "INSERT INTO entity_tenders (tender_id, entity, position) "
    "VALUES (%(id)s, %(entity)s, %(position)s) ON CONFLICT (tender_id) DO NOTHING"
)
ENTITY_TENDER_PUBLISHED = "UPDATE entity_tenders SET published = true WHERE tender_id = %(id)s"
NOT_PUBLIC = frozenset({ENTITY_TENDER, ENTITY_TENDER_PUBLISHED})


def changes_public(statements: Sequence[Statement]) -> bool:
    """Whether the statements change what the public reads (the read caches then drop their
    answers): not when they only keep ``entity_tenders``."""
    return any(query not in NOT_PUBLIC for query, _ in statements)


@statements_for.register
def _drafted(event: Tender.TenderDrafted, tracking: Tracking) -> list[Statement]:
    return [
        (
            ENTITY_TENDER,
            {
                "id": event.originator_id,
                "entity": event.entity,
                "position": tracking.notification_id,
            },
        )
    ]


@statements_for.register
def _published(event: Tender.TenderPublished, tracking: Tracking) -> list[Statement]:
    notice = event.notice
    timeline = notice.timeline
    insert = """
        INSERT INTO public_tenders (
            tender_id, reference, title, description, translations, entity, category,
            method, scope, estimated_amount, currency, lots, bid_security, bid_validity_days,
            clarification_deadline, submission_deadline, opening_time, rules, sealing,
            status, published_at, version, position, direct_contracting, pre_bid_meeting,
            award_by_lot, performance_security_percent, related, invited_vendors,
            bundle_discounts
        ) VALUES (
            %(id)s, %(reference)s, %(title)s, %(description)s, %(translations)s,
            %(entity)s, %(category)s, %(method)s, %(scope)s, %(amount)s, %(currency)s,
            %(lots)s, %(bid_security)s, %(validity)s, %(clarification)s, %(deadline)s,
            %(opening)s, %(rules)s, %(sealing)s, %(status)s, %(at)s, %(version)s, %(position)s,
            %(direct_contracting)s, %(pre_bid_meeting)s, %(award_by_lot)s,
            %(performance_security_percent)s, %(related)s, %(invited_vendors)s,
            %(bundle_discounts)s
        )
    """
    return [
        (
            insert,
            {
                "id": event.originator_id,
                "status": PublicTenderStatus.ACTIVE.value,
                "reference": notice.reference,
                "title": notice.title,
                "description": notice.description,
                "translations": Jsonb(
                    {
                        language: text.model_dump(mode="json")
                        for language, text in sorted(notice.translations.items())
                    }
                ),
                "entity": event.actor.entity or "",
                "category": notice.category.value,
                "method": notice.method.value,
                "scope": notice.scope.value,
                "amount": notice.estimated_value.amount,
                "currency": notice.estimated_value.currency,
                "lots": Jsonb([lot.model_dump(mode="json") for lot in notice.lots]),
                "bid_security": Jsonb(notice.bid_security.model_dump(mode="json"))
                if notice.bid_security
                else None,
                "validity": notice.bid_validity_days,
                "direct_contracting": _json_or_none(notice.direct_contracting),
                "pre_bid_meeting": _json_or_none(notice.pre_bid_meeting),
                "award_by_lot": notice.award_by_lot,
                "bundle_discounts": notice.bundle_discounts,
                "performance_security_percent": notice.performance_security_percent,
                "related": _json_or_none(notice.related),
                "invited_vendors": _invited(notice),
                "clarification": timeline.clarification_deadline,
                "deadline": timeline.submission_deadline,
                "opening": timeline.opening_time,
                "rules": Jsonb(event.rules.model_dump(mode="json")),
                "sealing": Jsonb(
                    [
                        {
                            "envelope": key.envelope.value,
                            "suite": key.suite,
                            "public_key": key.public_key,
                        }
                        for key in event.sealing_keys.keys
                    ]
                ),
                "at": event.timestamp,
                "version": event.originator_version,
                "position": tracking.notification_id,
            },
        ),
        (ENTITY_TENDER_PUBLISHED, {"id": event.originator_id}),
        public_plans.tender_published(event),
        *public_frameworks.published(event),
        *(
            tender_documents.published(event.originator_id, document.id, version, event.timestamp)
            for document in event.documents.items
            for version in document.versions
        ),
    ]


@statements_for.register
def _direct_order(
    event: FrameworkCallOffs.DirectOrderPlaced, _tracking: Tracking
) -> list[Statement]:
    return public_frameworks.direct_order(event)


@statements_for.register
def _mini_competition(
    event: FrameworkCallOffs.MiniCompetitionAwarded, _tracking: Tracking
) -> list[Statement]:
    return public_frameworks.mini_competition(event)


def _json_or_none(value: BaseModel | None) -> Jsonb | None:
    return None if value is None else Jsonb(value.model_dump(mode="json"))


@statements_for.register
def _amended(event: Tender.TenderAmended, tracking: Tracking) -> list[Statement]:
    timeline = event.timeline
    statements: list[Statement] = [
        (
            """
            INSERT INTO public_tender_amendments (
                tender_id, number, text, issued_at,
                clarification_deadline, submission_deadline, opening_time
            ) VALUES (%(id)s, %(number)s, %(text)s, %(at)s,
                      %(clarification)s, %(deadline)s, %(opening)s)
            """,
            {
                "id": event.originator_id,
                "number": event.number,
                "text": event.text,
                "at": event.timestamp,
                "clarification": timeline.clarification_deadline if timeline else None,
                "deadline": timeline.submission_deadline if timeline else None,
                "opening": timeline.opening_time if timeline else None,
            },
        )
    ]
    if timeline is not None:
        statements.append(
            (
                """
                UPDATE public_tenders SET clarification_deadline = %(clarification)s,
                    submission_deadline = %(deadline)s, opening_time = %(opening)s
                WHERE tender_id = %(id)s
                """,
                {
                    "id": event.originator_id,
                    "clarification": timeline.clarification_deadline,
                    "deadline": timeline.submission_deadline,
                    "opening": timeline.opening_time,
                },
            )
        )
    statements += tender_documents.amended(
        event.originator_id, event.documents, event.timestamp, event.number
    )
    statements.append(_touch(event.originator_id, event.originator_version, tracking))
    return statements


@statements_for.register
def _asked(event: Tender.QuestionAsked, tracking: Tracking) -> list[Statement]:
    return [
        (
            """
            INSERT INTO public_tender_questions (question_id, tender_id, text, asked_at)
            VALUES (%(qid)s, %(id)s, %(text)s, %(at)s)
            """,
            {
                "qid": event.question_id,
                "id": event.originator_id,
                "text": event.text,
                "at": event.timestamp,
            },
        ),
        _touch(event.originator_id, event.originator_version, tracking),
    ]


@statements_for.register
def _answered(event: Tender.QuestionAnswered, tracking: Tracking) -> list[Statement]:
    return [
        (
            """
            UPDATE public_tender_questions SET answer = %(answer)s, answered_at = %(at)s
            WHERE question_id = %(qid)s
            """,
            {"qid": event.question_id, "answer": event.answer, "at": event.timestamp},
        ),
        _touch(event.originator_id, event.originator_version, tracking),
    ]


@statements_for.register
def _closed(event: Tender.BiddingClosed, tracking: Tracking) -> list[Statement]:
    return [
        (
            "UPDATE public_tenders SET status = %(status)s WHERE tender_id = %(id)s",
            {"id": event.originator_id, "status": PublicTenderStatus.CLOSED.value},
        ),
        _touch(event.originator_id, event.originator_version, tracking),
    ]


@statements_for.register
def _opened(event: Tender.BidsOpened, tracking: Tracking) -> list[Statement]:
    return [
        (
            (
                "UPDATE public_tenders SET status = %(status)s, opening = %(opening)s "
                "WHERE tender_id = %(id)s"
            ),
            {
                "id": event.originator_id,
                "status": PublicTenderStatus.OPENED.value,
                "opening": Jsonb(
                    {
                        "opened_at": event.timestamp.isoformat(),
                        **event.record.model_dump(mode="json"),
                    }
                ),
            },
        ),
        _touch(event.originator_id, event.originator_version, tracking),
    ]


@statements_for.register
def _cancelled(event: Tender.TenderCancelled, tracking: Tracking) -> list[Statement]:
    # A draft cancelled before publication was never public: the UPDATE finds no row.
    return [
        (
            """
            UPDATE public_tenders SET status = %(status)s, cancelled_at = %(at)s,
                cancellation_reason = %(reason)s
            WHERE tender_id = %(id)s
            """,
            {
                "id": event.originator_id,
                "status": PublicTenderStatus.CANCELLED.value,
                "at": event.timestamp,
                "reason": event.reason,
            },
        ),
        _touch(event.originator_id, event.originator_version, tracking),
    ]


@statements_for.register
def _lot_cancelled(event: Tender.LotCancelled, tracking: Tracking) -> list[Statement]:
    """One lot cancelled alone: listed with its reason and time (the tender goes on)."""
    cancelled = {
        "lot_id": event.lot_id,
        "reason": event.reason,
        "cancelled_at": event.timestamp.isoformat(),
    }
    return [
        (
            """
            UPDATE public_tenders SET cancelled_lots = cancelled_lots || %(lot)s
            WHERE tender_id = %(id)s
            """,
            {"id": event.originator_id, "lot": Jsonb([cancelled])},
        ),
        _touch(event.originator_id, event.originator_version, tracking),
    ]


@statements_for.register
def _stage_two_issued(event: Tender.StageTwoIssued, tracking: Tracking) -> list[Statement]:
    return [
        (
            """
            UPDATE public_tenders SET status = %(status)s, stage_two = %(stage_two)s
            WHERE tender_id = %(id)s
            """,
            {
                "id": event.originator_id,
                "status": PublicTenderStatus.COMPLETED.value,
                "stage_two": event.stage_two_id,
            },
        ),
        _touch(event.originator_id, event.originator_version, tracking),
    ]


def _touch(tender_id: Any, version: int, tracking: Tracking) -> Statement:
    return (
        (
            "UPDATE public_tenders SET version = %(version)s, position = %(position)s "
            "WHERE tender_id = %(id)s"
        ),
        {"id": tender_id, "version": version, "position": tracking.notification_id},
    )


def _invited(notice: TenderTerms) -> Jsonb | None:
    """The vendors a notice invites, each its id and name; None: open to every vendor."""
    if not notice.invited_vendors:
        return None
    return Jsonb(
        [
            {"id": str(vendor_id), "name": name}
            for vendor_id, name in zip(notice.invited_vendors, notice.invited_names, strict=True)
        ]
    )
