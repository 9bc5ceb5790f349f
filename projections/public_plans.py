"""What the public sees of annual procurement plans, and which plan line each tender cites.
Part of the public tenders projection (same transaction, same position): the fallback chain
``public_tenders`` → ``public_awards`` → ``public_grievances`` ends here; the tender's row of
``public_tender_plans`` is written with its publication (``tender_published``).

A draft plan is not public: its lines reach the tables when the plan is published, and each
amendment then changes its line and is appended, with its reason, to the plan's row.
"""

from __future__ import annotations

import json
from functools import singledispatch
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from domain.plan import PlanLine, ProcurementPlan, fiscal_year_of
from domain.tender import Tender

Statement = tuple[str, dict[str, Any]]


@singledispatch
def statements_for(event: Any, tracking: Tracking) -> list[Statement]:  # noqa: ARG001
    """The read-model changes an event makes; none for the events it does not show."""
    return []


_LINE = """
    INSERT INTO public_plan_lines (
        plan_id, line_id, ordinal, entity, fiscal_year, description, category, amount,
        currency, method, quarter
    )
    SELECT %(plan)s, %(line_id)s,
        (SELECT count(*) FROM public_plan_lines WHERE plan_id = %(plan)s),
        p.entity, p.fiscal_year, %(description)s, %(category)s, %(amount)s, %(currency)s,
        %(method)s, %(quarter)s
    FROM public_plans p WHERE p.plan_id = %(plan)s
    ON CONFLICT (plan_id, line_id) DO UPDATE SET description = excluded.description,
        category = excluded.category, amount = excluded.amount, currency = excluded.currency,
        method = excluded.method, quarter = excluded.quarter
"""


def _line(plan_id: UUID, line: PlanLine) -> Statement:
    return (
        _LINE,
        {
            "plan": plan_id,
            "line_id": line.id,
            "description": line.description,
            "category": str(line.category),
            "amount": line.estimated_value.amount,
            "currency": line.estimated_value.currency,
            "method": str(line.method),
            "quarter": line.quarter,
        },
    )


def _touch(event: Any, tracking: Tracking) -> Statement:
    return (
        (
            "UPDATE public_plans SET version = %(version)s, position = %(position)s "
            "WHERE plan_id = %(plan)s"
        ),
        {
            "plan": event.originator_id,
            "version": event.originator_version,
            "position": tracking.notification_id,
        },
    )


@statements_for.register
def _published(event: ProcurementPlan.PlanPublished, tracking: Tracking) -> list[Statement]:
    entity = event.actor.entity or ""
    return [
        (
            """
            INSERT INTO public_plans (
                plan_id, entity, fiscal_year, published_at, version, position
            ) VALUES (%(plan)s, %(entity)s, %(year)s, %(at)s, %(version)s, %(position)s)
            """,
            {
                "plan": event.originator_id,
                "entity": entity,
                "year": event.fiscal_year,
                "at": event.timestamp,
                "version": event.originator_version,
                "position": tracking.notification_id,
            },
        ),
        *(_line(event.originator_id, line) for line in event.lines),
    ]


@statements_for.register
def _amended(event: ProcurementPlan.PlanAmended, tracking: Tracking) -> list[Statement]:
    line: PlanLine | None = event.line
    change = (
        _line(event.originator_id, line)
        if line is not None
        else (
            (
                "UPDATE public_plan_lines SET withdrawn = true "
                "WHERE plan_id = %(plan)s AND line_id = %(line_id)s"
            ),
            {"plan": event.originator_id, "line_id": event.line_id},
        )
    )
    amendment = {
        "number": event.number,
        "kind": str(event.kind),
        "line_id": event.line_id,
        "reason": event.reason,
        "amended_at": event.timestamp.isoformat(),
    }
    return [
        change,
        (
            (
                "UPDATE public_plans SET amendments = amendments || %(item)s::jsonb "
                "WHERE plan_id = %(plan)s"
            ),
            {"plan": event.originator_id, "item": json.dumps([amendment])},
        ),
        _touch(event, tracking),
    ]


def tender_published(event: Tender.TenderPublished) -> Statement:
    """The tender's plan line, or its fiscal year and reason if it cites none."""
    cited = event.notice.plan_line
    return (
        """
        INSERT INTO public_tender_plans (
            tender_id, entity, fiscal_year, line_id, unplanned_reason, published_at
        ) VALUES (%(id)s, %(entity)s, %(year)s, %(line)s, %(reason)s, %(at)s)
        ON CONFLICT (tender_id) DO NOTHING
        """,
        {
            "id": event.originator_id,
            "entity": event.actor.entity or "",
            "year": cited.fiscal_year if cited else fiscal_year_of(event.timestamp),
            "line": cited.line_id if cited else None,
            "reason": event.notice.unplanned_reason,
            "at": event.timestamp,
        },
    )
