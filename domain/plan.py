"""An entity's annual procurement plan: one ``ProcurementPlan`` per procuring entity and
fiscal year (1 July to 30 June, named "2026-27").

An officer of the entity drafts its lines (each a purchase: description, category,
estimated value, method, quarter); the entity's head publishes it; after publication a line
is added, changed or withdrawn only by an amendment with its reason, and the earlier
version of every line stays in the record (the events). Whether a tender may cite a line is
asked of the published plan by the application (``line_citable``), before the tender's own
command, so old tenders replay unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from domain.errors import (
    InvalidPlanLineError,
    InvalidTermsError,
    PlanLineExistsError,
    PlanLineNotFoundError,
    PlanNotDraftError,
    PlanNotPublishedError,
    ReasonRequiredError,
    UnplannedReasonRequiredError,
)
from domain.fields import ItemDescription, ShortId
from domain.values import (
    Actor,
    Category,
    Method,
    Money,
    TenderTerms,
    ValueObject,
    check_fiscal_year,
)

PLAN_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:plan")
PAKISTAN_TIME = timezone(timedelta(hours=5), "PKT")
"""Pakistan Standard Time, which keeps no daylight saving: the fiscal year turns at
midnight of 1 July there."""
MAX_LINES = 500
MAX_REASON = 5000
Quarter = Annotated[int, Field(ge=1, le=4)]
"""A quarter of the fiscal year: 1 is July to September."""


def fiscal_year_of(moment: datetime) -> str:
    """The fiscal year a moment falls in, in Pakistan's time: "2026-27" from 1 July 2026."""
    local = moment.astimezone(PAKISTAN_TIME)
    start = local.year if local.month >= 7 else local.year - 1  # noqa: PLR2004 (July)
    return f"{start}-{(start + 1) % 100:02d}"


def plan_id_for(entity: str, fiscal_year: str) -> UUID:
    return uuid5(PLAN_NAMESPACE, f"plan:{entity}:{fiscal_year}")


class PlanLine(ValueObject):
    """One planned procurement."""

    id: ShortId
    description: ItemDescription
    category: Category
    estimated_value: Money
    method: Method
    quarter: Quarter


class AmendmentKind(StrEnum):
    ADD = "add"
    CHANGE = "change"
    WITHDRAW = "withdraw"


class PlanAmendment(ValueObject):
    """One amendment of a published plan, as the record keeps it."""

    number: int
    kind: AmendmentKind
    line_id: ShortId
    line: PlanLine | None
    reason: str
    amended_at: datetime


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ProcurementPlan(Aggregate):
    """An entity's plan for one fiscal year."""

    TOPIC = "procurement:ProcurementPlan"

    class Created(Aggregate.Created):
        TOPIC = "procurement:ProcurementPlan.Created"

    class PlanOpened(Aggregate.Created):
        TOPIC = "procurement:ProcurementPlan.PlanOpened"
        entity: str
        fiscal_year: str
        actor: Actor

    class LineDrafted(Aggregate.Event):
        TOPIC = "procurement:ProcurementPlan.LineDrafted"
        line: PlanLine
        actor: Actor

    class LineRemoved(Aggregate.Event):
        TOPIC = "procurement:ProcurementPlan.LineRemoved"
        line_id: str
        actor: Actor

    class PlanPublished(Aggregate.Event):
        TOPIC = "procurement:ProcurementPlan.PlanPublished"
        fiscal_year: str
        lines: list[PlanLine]
        actor: Actor

    class PlanAmended(Aggregate.Event):
        TOPIC = "procurement:ProcurementPlan.PlanAmended"
        number: int
        kind: AmendmentKind
        line_id: str
        line: PlanLine | None
        reason: str
        actor: Actor

    @staticmethod
    def create_id(entity: str, fiscal_year: str, **_: object) -> UUID:
        return plan_id_for(entity, fiscal_year)

    @event(PlanOpened)
    def __init__(self, *, entity: str, fiscal_year: str, actor: Actor, timestamp: datetime) -> None:
        if not entity:
            raise InvalidTermsError("a plan is an entity's")
        self.entity = entity
        try:
            self.fiscal_year = check_fiscal_year(fiscal_year)
        except ValueError as error:
            raise InvalidTermsError(str(error)) from None
        self.status = PlanStatus.DRAFT
        self.lines: dict[str, PlanLine] = {}
        self.withdrawn: set[str] = set()
        self.amendments: list[PlanAmendment] = []
        self.published_at: datetime | None = None

    # Guards -------------------------------------------------------------------------------

    def check_draft(self) -> None:
        if self.status is not PlanStatus.DRAFT:
            raise PlanNotDraftError("the plan is published: amend it, with a reason")

    def check_published(self) -> None:
        if self.status is not PlanStatus.PUBLISHED:
            raise PlanNotPublishedError("the plan is not published yet")

    def check_line(self, line_id: str) -> PlanLine:
        found = self.lines.get(line_id)
        if found is None:
            raise PlanLineNotFoundError(f"no line {line_id!r} in the plan")
        return found

    @staticmethod
    def check_reason(reason: str) -> None:
        if not reason.strip() or len(reason) > MAX_REASON:
            raise ReasonRequiredError(
                f"an amendment of a published plan needs its reason, at most {MAX_REASON} "
                "characters"
            )

    # Commands -----------------------------------------------------------------------------

    @event(LineDrafted)
    def draft_line(self, *, line: PlanLine, actor: Actor, timestamp: datetime) -> None:
        """Add a line to the draft, or replace the draft's line of that id."""
        self.check_draft()
        if line.id not in self.lines and len(self.lines) >= MAX_LINES:
            raise InvalidTermsError(f"a plan has at most {MAX_LINES} lines")
        self.lines[line.id] = line

    @event(LineRemoved)
    def remove_line(self, *, line_id: str, actor: Actor, timestamp: datetime) -> None:
        self.check_draft()
        self.check_line(line_id)
        del self.lines[line_id]

    @event(PlanPublished)
    def publish(
        self, *, fiscal_year: str, lines: list[PlanLine], actor: Actor, timestamp: datetime
    ) -> None:
        """Publish the draft's lines; the event names the year, for the public's read."""
        self.check_draft()
        if fiscal_year != self.fiscal_year:
            raise InvalidTermsError(f"this is the plan for {self.fiscal_year}")
        if not lines:
            raise InvalidTermsError("a plan is published with at least one line")
        if list(lines) != list(self.lines.values()):
            raise InvalidTermsError("the plan published is the draft's lines")
        self.status = PlanStatus.PUBLISHED
        self.published_at = timestamp

    @event(PlanAmended)
    def amend(
        self,
        *,
        number: int,
        kind: AmendmentKind,
        line_id: str,
        line: PlanLine | None,
        reason: str,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.check_published()
        self.check_reason(reason)
        kind = AmendmentKind(kind)
        if number != len(self.amendments) + 1:
            raise InvalidTermsError("amendments are numbered in order")
        if (kind is AmendmentKind.WITHDRAW) != (line is None):
            raise InvalidTermsError(
                "an added or changed line is given whole; a withdrawal names it"
            )
        if line is not None and line.id != line_id:
            raise InvalidTermsError("the line keeps its id")
        if kind is AmendmentKind.ADD:
            if line_id in self.lines:
                raise PlanLineExistsError(f"the plan has a line {line_id!r} already")
            if len(self.lines) >= MAX_LINES:
                raise InvalidTermsError(f"a plan has at most {MAX_LINES} lines")
        else:
            self.check_line(line_id)
            if line_id in self.withdrawn:
                raise InvalidPlanLineError(f"the line {line_id!r} was withdrawn")
        if line is not None:
            self.lines[line_id] = line
        else:
            self.withdrawn.add(line_id)
        self.amendments.append(
            PlanAmendment(
                number=number,
                kind=kind,
                line_id=line_id,
                line=line,
                reason=reason,
                amended_at=timestamp,
            )
        )

    # Queries ------------------------------------------------------------------------------

    def line_citable(self, line_id: str) -> PlanLine:
        """The line a tender may cite: in the published plan, not withdrawn."""
        if self.status is not PlanStatus.PUBLISHED:
            raise InvalidPlanLineError(
                f"the entity's plan for {self.fiscal_year} is not published", field="plan_line"
            )
        found = self.lines.get(line_id)
        if found is None:
            raise InvalidPlanLineError(
                f"no line {line_id!r} in the entity's plan for {self.fiscal_year}",
                field="plan_line.line_id",
            )
        if line_id in self.withdrawn:
            raise InvalidPlanLineError(
                f"the line {line_id!r} of the plan for {self.fiscal_year} was withdrawn",
                field="plan_line.line_id",
            )
        return found


def previous_fiscal_year(fiscal_year: str) -> str:
    """ "2025-26" from "2026-27"."""
    start = int(fiscal_year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def check_line_fits(line: PlanLine, terms: TenderTerms) -> None:
    """A tender carries out the line it cites: the same category, method and currency. A
    tender that needs another method (a line planned as open bidding bought by quotations is
    how a procurement is split) first has the plan amended, with the reason published."""
    for what, planned, tendered in (
        ("category", line.category, terms.category),
        ("method", line.method, terms.method),
        ("currency", line.estimated_value.currency, terms.estimated_value.currency),
    ):
        if planned != tendered:
            raise InvalidPlanLineError(
                f"the line {line.id!r} plans {what} {planned}, the tender's is {tendered}: "
                "cite the line it carries out, or amend the plan with the reason first",
                field="plan_line.line_id",
            )


def planned_terms(
    terms: TenderTerms,
    plan_for: Callable[[str], ProcurementPlan | None],
    fiscal_year: str,
) -> TenderTerms:
    """The terms a tender is published with, checked against the entity's plans (by
    ``plan_for``, from a fiscal year): a cited line must be in the published plan of its
    year and not withdrawn, and is filled in with what the plan says of it; a tender citing
    none, when the entity published a plan for ``fiscal_year`` (the year it is published
    in), says why it was not planned. An entity with no published plan publishes as before:
    the tender is unplanned, and flagged so."""
    cited = terms.plan_line
    if cited is not None:
        if cited.fiscal_year not in (fiscal_year, previous_fiscal_year(fiscal_year)):
            raise InvalidPlanLineError(
                f"a tender published in {fiscal_year} cites a line of that year's plan (or of "
                f"the year before, carried over), not of {cited.fiscal_year}",
                field="plan_line.fiscal_year",
            )
        plan = plan_for(cited.fiscal_year)
        if plan is None:
            raise InvalidPlanLineError(
                f"the entity has no plan for {cited.fiscal_year}", field="plan_line.fiscal_year"
            )
        line = plan.line_citable(cited.line_id)
        check_line_fits(line, terms)
        filled = cited.model_copy(
            update={"description": line.description, "estimated_value": line.estimated_value}
        )
        return terms.model_copy(update={"plan_line": filled})
    plan = plan_for(fiscal_year)
    reason = terms.unplanned_reason
    if plan is not None and plan.status is PlanStatus.PUBLISHED and not (reason or "").strip():
        raise UnplannedReasonRequiredError(
            f"the entity's plan for {fiscal_year} is published: cite its line (plan_line) or "
            "say why this tender is not in it (unplanned_reason)"
        )
    return terms
