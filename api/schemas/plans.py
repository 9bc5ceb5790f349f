"""Bodies and answers of annual procurement plans: an officer's lines and amendments, the
officers' view of a plan, the public list (JSON and CSV) and plan-against-actual."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Self

import msgspec
from pydantic import Field, model_validator

from api.schemas.common import (
    Body,
    MoneyText,
    StatedText,
    StrictCount,
    TimeText,
    UuidText,
    enum_text,
)
from api.schemas.public import MoneyOut, _money, _safe_cell
from api.schemas.tenders import MoneyIn
from domain.fields import ItemDescription, ShortId
from domain.plan import AmendmentKind, PlanLine, PlanStatus, ProcurementPlan
from domain.values import Category, Method
from projections import reads

Reason = StatedText


class PlanLineIn(Body):
    id: ShortId
    description: ItemDescription
    category: Category
    estimated_value: MoneyIn
    method: Method
    quarter: Annotated[StrictCount, Field(ge=1, le=4)]
    """The quarter of the fiscal year: 1 is July to September."""

    def to_domain(self) -> PlanLine:
        return PlanLine(
            id=self.id,
            description=self.description,
            category=self.category,
            estimated_value=self.estimated_value.to_domain(),
            method=self.method,
            quarter=self.quarter,
        )


class PlanAmendmentIn(Body):
    kind: AmendmentKind
    line_id: ShortId
    line: PlanLineIn | None = None
    """The line as it is to be (with ``add`` and ``change``, its id ``line_id``)."""
    reason: Reason

    @model_validator(mode="after")
    def _line_with_kind(self) -> Self:
        if (self.kind is AmendmentKind.WITHDRAW) != (self.line is None):
            msg = "line goes with add and change, and not with withdraw"
            raise ValueError(msg)
        if self.line is not None and self.line.id != self.line_id:
            msg = "the line keeps its id: line.id is line_id"
            raise ValueError(msg)
        return self


# Answers ----------------------------------------------------------------------------------


class PlanLineOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: str
    description: str
    category: Annotated[str, enum_text(Category)]
    estimated_value: MoneyOut
    method: Annotated[str, enum_text(Method)]
    quarter: int
    withdrawn: bool


class PlanAmendmentOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    number: int
    kind: Annotated[str, enum_text(AmendmentKind)]
    line_id: str
    reason: str
    amended_at: TimeText


class PlanOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An entity's plan for a fiscal year: its lines as they stand and its amendments."""

    entity: str
    fiscal_year: str
    status: Annotated[str, enum_text(PlanStatus)]
    published_at: TimeText | None
    lines: list[PlanLineOut]
    amendments: list[PlanAmendmentOut]

    @classmethod
    def of(cls, plan: ProcurementPlan) -> PlanOut:
        """The officers' view, from the aggregate (a draft too)."""
        return cls(
            entity=plan.entity,
            fiscal_year=plan.fiscal_year,
            status=plan.status.value,
            published_at=reads.as_utc(plan.published_at),
            lines=[
                PlanLineOut(
                    id=line.id,
                    description=line.description,
                    category=line.category.value,
                    estimated_value=_money(
                        line.estimated_value.amount, line.estimated_value.currency
                    ),
                    method=line.method.value,
                    quarter=line.quarter,
                    withdrawn=line.id in plan.withdrawn,
                )
                for line in plan.lines.values()
            ],
            amendments=[
                PlanAmendmentOut(
                    number=a.number,
                    kind=a.kind.value,
                    line_id=a.line_id,
                    reason=a.reason,
                    amended_at=reads.as_utc(a.amended_at) or "",
                )
                for a in plan.amendments
            ],
        )


def _line_of(row: dict[str, Any]) -> PlanLineOut:
    return PlanLineOut(
        id=row["line_id"],
        description=row["description"],
        category=row["category"],
        estimated_value=_money(row["amount"], row["currency"]),
        method=row["method"],
        quarter=row["quarter"],
        withdrawn=row["withdrawn"],
    )


def plan_of(row: dict[str, Any]) -> PlanOut:
    """A published plan, from its read model's rows (``reads.list_plans``)."""
    return PlanOut(
        entity=row["entity"],
        fiscal_year=row["fiscal_year"],
        status=PlanStatus.PUBLISHED.value,
        published_at=reads.as_utc(row["published_at"]),
        lines=[_line_of(line) for line in row["lines"]],
        amendments=[PlanAmendmentOut(**a) for a in row["amendments"]],
    )


class PlanPageOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    items: list[PlanOut]
    total: int
    limit: int
    offset: int


PLAN_CSV_COLUMNS = (
    "entity",
    "fiscal_year",
    "published_at",
    "line_id",
    "description",
    "category",
    "amount",
    "currency",
    "method",
    "quarter",
    "withdrawn",
    "amendments",
)


def plans_csv(page: PlanPageOut) -> str:
    """The page as CSV: a row per line of each plan (with the number of amendments of that
    line), each cell a spreadsheet would read as a formula prefixed with a quote."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PLAN_CSV_COLUMNS)
    for plan in page.items:
        for line in plan.lines:
            cells = (
                plan.entity,
                plan.fiscal_year,
                plan.published_at or "",
                line.id,
                line.description,
                line.category,
                line.estimated_value.amount,
                line.estimated_value.currency,
                line.method,
                str(line.quarter),
                "true" if line.withdrawn else "false",
                str(sum(a.line_id == line.id for a in plan.amendments)),
            )
            writer.writerow(map(_safe_cell, cells))
    return out.getvalue()


class ActualTenderOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A tender as plan-against-actual shows it."""

    tender_id: UuidText
    reference: str
    title: str
    status: str
    estimated_value: MoneyOut
    awarded: Annotated[
        MoneyText | None, msgspec.Meta(description="the awards not cancelled, summed")
    ]
    published_at: TimeText
    unplanned_reason: str | None


class ActualLineOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    line: PlanLineOut
    tenders: list[ActualTenderOut]


class PlanAgainstActualOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An entity's published plan for a year, each line with the tenders citing it; and the
    entity's tenders of that year citing none (unplanned), with their reasons."""

    entity: str
    fiscal_year: str
    published_at: TimeText | None
    lines: list[ActualLineOut]
    unplanned: list[ActualTenderOut]


def _tender_of(row: dict[str, Any]) -> ActualTenderOut:
    awarded = row["awarded"]
    return ActualTenderOut(
        tender_id=str(row["tender_id"]),
        reference=row["reference"],
        title=row["title"],
        status=row["status"],
        estimated_value=_money(row["estimated_amount"], row["currency"]),
        awarded=None if awarded is None else f"{awarded:.2f}",
        published_at=reads.as_utc(row["published_at"]) or "",
        unplanned_reason=row["unplanned_reason"],
    )


def against_actual_of(
    entity: str, fiscal_year: str, plan: dict[str, Any] | None, tenders: list[dict[str, Any]]
) -> PlanAgainstActualOut:
    by_line: dict[str, list[ActualTenderOut]] = {}
    unplanned: list[ActualTenderOut] = []
    for row in tenders:
        if row["line_id"] is None:
            unplanned.append(_tender_of(row))
        else:
            by_line.setdefault(row["line_id"], []).append(_tender_of(row))
    return PlanAgainstActualOut(
        entity=entity,
        fiscal_year=fiscal_year,
        published_at=reads.as_utc(plan["published_at"]) if plan else None,
        lines=[
            ActualLineOut(line=_line_of(line), tenders=by_line.get(line["line_id"], []))
            for line in (plan["lines"] if plan else [])
        ],
        unplanned=unplanned,
    )
