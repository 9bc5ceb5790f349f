"""An entity's annual procurement plan: given events, when a command, then new events or an
error (with its code); the fiscal year; a tender's terms against the plans. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain import errors
from domain.plan import (
    AmendmentKind,
    PlanLine,
    PlanStatus,
    ProcurementPlan,
    fiscal_year_of,
    plan_id_for,
    planned_terms,
)
from domain.rules import planning_rules
from domain.values import Category, Method, Money, PlanLineRef, TenderTerms
from tests.support import START, officer, terms

ENTITY = "wsd"
YEAR = "2026-27"
ACTOR = officer(ENTITY)


def line(line_id: str = "L1", amount: str = "2000000.00", **changes: object) -> PlanLine:
    fields: dict[str, object] = {
        "id": line_id,
        "description": f"Purchase {line_id}",
        "category": Category.GOODS,
        "estimated_value": Money(amount=Decimal(amount)),
        "method": Method.REQUEST_FOR_QUOTATIONS,
        "quarter": 2,
    }
    return PlanLine.model_validate(fields | changes)


def drafted(*lines: PlanLine) -> ProcurementPlan:
    plan = ProcurementPlan(entity=ENTITY, fiscal_year=YEAR, actor=ACTOR, timestamp=START)
    for each in lines:
        plan.draft_line(line=each, actor=ACTOR, timestamp=START)
    return plan


def published(*lines: PlanLine) -> ProcurementPlan:
    plan = drafted(*lines)
    plan.publish(
        fiscal_year=plan.fiscal_year, lines=list(plan.lines.values()), actor=ACTOR, timestamp=START
    )
    return plan


def amend(
    plan: ProcurementPlan, kind: str, line_id: str, new: PlanLine | None, reason: str
) -> None:
    plan.amend(
        number=len(plan.amendments) + 1,
        kind=AmendmentKind(kind),
        line_id=line_id,
        line=new,
        reason=reason,
        actor=ACTOR,
        timestamp=START + timedelta(days=30),
    )


def test_the_plan_of_an_entity_and_year_has_one_id() -> None:
    plan = drafted(line())
    assert plan.id == plan_id_for(ENTITY, YEAR) != plan_id_for(ENTITY, "2027-28")
    assert plan.id != plan_id_for("health", YEAR)
    assert plan.status is PlanStatus.DRAFT


@pytest.mark.parametrize("year", ["2026-28", "2026/27", "26-27", "2026-2027", "abcd-ef"])
def test_a_fiscal_year_is_written_as_pakistan_writes_it(year: str) -> None:
    with pytest.raises(errors.InvalidTermsError):
        ProcurementPlan(entity=ENTITY, fiscal_year=year, actor=ACTOR, timestamp=START)
    with pytest.raises(ValidationError):
        PlanLineRef(fiscal_year=year, line_id="L1")


def test_the_fiscal_year_turns_at_midnight_of_1_july_in_pakistan() -> None:
    assert fiscal_year_of(datetime(2026, 6, 30, 18, 59, tzinfo=UTC)) == "2025-26"
    assert fiscal_year_of(datetime(2026, 6, 30, 19, 0, tzinfo=UTC)) == "2026-27"  # 00:00 PKT
    assert fiscal_year_of(datetime(2099, 12, 31, tzinfo=UTC)) == "2099-00"


def test_a_draft_line_is_replaced_by_its_id_and_removed() -> None:
    plan = drafted(line("L1"), line("L2"))
    plan.draft_line(line=line("L1", "100.00"), actor=ACTOR, timestamp=START)
    assert plan.lines["L1"].estimated_value.amount == Decimal("100.00")
    plan.remove_line(line_id="L2", actor=ACTOR, timestamp=START)
    assert list(plan.lines) == ["L1"]
    with pytest.raises(errors.PlanLineNotFoundError):
        plan.remove_line(line_id="L2", actor=ACTOR, timestamp=START)


def test_an_empty_plan_is_not_published() -> None:
    plan = drafted()
    with pytest.raises(errors.InvalidTermsError):
        plan.publish(fiscal_year=plan.fiscal_year, lines=[], actor=ACTOR, timestamp=START)


def test_the_plan_published_is_the_drafts_lines() -> None:
    plan = drafted(line("L1"))
    with pytest.raises(errors.InvalidTermsError):
        plan.publish(fiscal_year=plan.fiscal_year, lines=[line("L9")], actor=ACTOR, timestamp=START)


def test_a_published_plan_is_not_drafted_again_but_amended_with_a_reason() -> None:
    plan = published(line("L1"), line("L2"))
    with pytest.raises(errors.PlanNotDraftError) as raised:
        plan.draft_line(line=line("L3"), actor=ACTOR, timestamp=START)
    assert raised.value.code == "plan_not_draft"
    with pytest.raises(errors.ReasonRequiredError):
        amend(plan, "add", "L3", line("L3"), "  ")
    amend(plan, "add", "L3", line("L3"), "A new ward opened")
    amend(plan, "change", "L1", line("L1", "2400000.00"), "Prices rose")
    amend(plan, "withdraw", "L2", None, "Funds cut")
    assert [a.kind for a in plan.amendments] == ["add", "change", "withdraw"]
    assert plan.withdrawn == {"L2"}
    assert plan.lines["L1"].estimated_value.amount == Decimal("2400000.00")
    new_events = [type(e).__name__ for e in plan.collect_events()]
    assert new_events[-3:] == ["PlanAmended"] * 3  # every version stays in the record


@pytest.mark.parametrize(
    ("kind", "line_id", "new", "error"),
    [
        ("add", "L1", line("L1"), errors.PlanLineExistsError),
        ("change", "L9", line("L9"), errors.PlanLineNotFoundError),
        ("withdraw", "L9", None, errors.PlanLineNotFoundError),
        ("change", "L1", line("L2"), errors.InvalidTermsError),
        ("withdraw", "L1", line("L1"), errors.InvalidTermsError),
        ("add", "L3", None, errors.InvalidTermsError),
    ],
)
def test_an_amendment_that_does_not_fit_the_plan_is_refused(
    kind: str, line_id: str, new: PlanLine | None, error: type[errors.ProcurementError]
) -> None:
    plan = published(line("L1"))
    with pytest.raises(error):
        amend(plan, kind, line_id, new, "a reason")
    assert plan.amendments == []


def test_a_withdrawn_line_is_not_changed_nor_cited() -> None:
    plan = published(line("L1"))
    amend(plan, "withdraw", "L1", None, "Funds cut")
    with pytest.raises(errors.InvalidPlanLineError):
        amend(plan, "change", "L1", line("L1"), "again")
    with pytest.raises(errors.InvalidPlanLineError) as raised:
        plan.line_citable("L1")
    assert raised.value.field == "plan_line.line_id"


def test_a_draft_plan_is_not_amended() -> None:
    with pytest.raises(errors.PlanNotPublishedError):
        amend(drafted(line()), "add", "L3", line("L3"), "why")


# A tender's terms against the entity's plans ------------------------------------------------


def tender_terms(**changes: object) -> TenderTerms:
    return terms(START).model_copy(update=changes)


def plans(*known: ProcurementPlan) -> dict[str, ProcurementPlan]:
    return {plan.fiscal_year: plan for plan in known}


def fitting(line_id: str) -> PlanLine:
    """A line the test tender (works, single stage one envelope) carries out."""
    return line(line_id, category=Category.WORKS, method=Method.SINGLE_STAGE_ONE_ENVELOPE)


def test_a_cited_line_is_filled_in_from_the_published_plan() -> None:
    plan = published(fitting("L1"))
    cited = tender_terms(plan_line=PlanLineRef(fiscal_year=YEAR, line_id="L1"))
    planned = planned_terms(cited, plans(plan).get, YEAR)
    assert planned.plan_line is not None
    assert planned.plan_line.description == "Purchase L1"
    assert planned.plan_line.estimated_value == Money(amount=Decimal("2000000.00"))


@pytest.mark.parametrize(
    "changes",
    [
        {"category": Category.GOODS},
        {"method": Method.REQUEST_FOR_QUOTATIONS},
        {"estimated_value": Money(amount=Decimal(1), currency="USD")},
    ],
)
def test_a_cited_line_fits_the_tender(changes: dict[str, object]) -> None:
    """Category, method and currency: a works tender does not cite a goods line, nor an open
    tender a quotations line (how a procurement is split)."""
    plan = published(fitting("L1").model_copy(update=changes))
    cited = tender_terms(plan_line=PlanLineRef(fiscal_year=YEAR, line_id="L1"))
    with pytest.raises(errors.InvalidPlanLineError) as raised:
        planned_terms(cited, plans(plan).get, YEAR)
    assert raised.value.field == "plan_line.line_id"


def test_a_line_of_a_far_year_is_not_cited() -> None:
    plan = published(fitting("L1"))
    cited = tender_terms(plan_line=PlanLineRef(fiscal_year=YEAR, line_id="L1"))
    later = f"{int(YEAR[:4]) + 2}-{(int(YEAR[:4]) + 3) % 100:02d}"
    with pytest.raises(errors.InvalidPlanLineError) as raised:
        planned_terms(cited, plans(plan).get, later)
    assert raised.value.field == "plan_line.fiscal_year"


@pytest.mark.parametrize(
    ("known", "ref", "field"),
    [
        ((), PlanLineRef(fiscal_year=YEAR, line_id="L1"), "plan_line.fiscal_year"),
        (("draft",), PlanLineRef(fiscal_year=YEAR, line_id="L1"), "plan_line"),
        (("published",), PlanLineRef(fiscal_year=YEAR, line_id="L9"), "plan_line.line_id"),
    ],
)
def test_a_line_not_in_a_published_plan_is_not_cited(
    known: tuple[str, ...], ref: PlanLineRef, field: str
) -> None:
    made = [published(line("L1")) if k == "published" else drafted(line("L1")) for k in known]
    with pytest.raises(errors.InvalidPlanLineError) as raised:
        planned_terms(tender_terms(plan_line=ref), plans(*made).get, YEAR)
    assert raised.value.field == field


def test_an_unplanned_tender_of_an_entity_with_a_published_plan_needs_a_reason() -> None:
    plan = published(line("L1"))
    with pytest.raises(errors.UnplannedReasonRequiredError) as raised:
        planned_terms(tender_terms(), plans(plan).get, YEAR)
    assert raised.value.code == "unplanned_reason_required"
    reasoned = tender_terms(unplanned_reason="Flood damage")
    assert planned_terms(reasoned, plans(plan).get, YEAR) == reasoned


def test_an_entity_without_a_published_plan_publishes_as_before() -> None:
    bare = tender_terms()
    assert planned_terms(bare, plans().get, YEAR) == bare
    assert planned_terms(bare, plans(drafted(line())).get, YEAR) == bare
    assert planned_terms(bare, plans(published(line())).get, "2027-28") == bare


def test_a_tender_cites_a_line_or_gives_a_reason_not_both() -> None:
    with pytest.raises(ValidationError):
        tender_terms().model_validate(
            tender_terms().model_dump()
            | {"plan_line": {"fiscal_year": YEAR, "line_id": "L1"}, "unplanned_reason": "x"}
        )


def test_the_splitting_rule_names_the_rfq_ceiling_and_its_citations() -> None:
    rules = planning_rules()
    assert rules.thresholds == {Method.REQUEST_FOR_QUOTATIONS: Money(amount=Decimal(2500000))}
    assert {"annual_plan", "splitting"} <= set(rules.citations)
    assert not any(c.verified for c in rules.citations.values())
