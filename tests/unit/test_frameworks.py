"""A framework agreement's rules (docs/frameworks.md): awarded to up to its most suppliers in
rank order; call-offs within its period and ceiling, guards that re-run on replay. No I/O."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from domain import errors
from domain.evaluation import Evaluation, award_id_for
from domain.framework import FrameworkCallOffs, check_framework_period
from domain.rules import framework_rules
from domain.values import (
    SINGLE_STAGE_METHODS,
    FrameworkPeriod,
    FrameworkTerms,
    Method,
    Money,
    RelatedProcess,
    Relationship,
    TenderTerms,
)
from tests.support import officer, terms
from tests.unit.test_evaluation import (
    ENTITY,
    LEAST_COST,
    LOTS,
    NOW,
    VALIDITY,
    Case,
    bid,
    members,
    total,
)

PERIOD = FrameworkPeriod(start=NOW, end=NOW + timedelta(days=365))
CEILING = Money(amount=Decimal(1000))


def framework(*candidates: Any, max_awards: int = 2) -> Case:
    board = [officer(ENTITY) for _ in range(3)]
    tender_id = uuid4()
    evaluation = Evaluation(
        tender_id=tender_id,
        entity=ENTITY,
        terms=LEAST_COST,
        currency="PKR",
        lot_ids=list(LOTS),
        bid_validity_days=VALIDITY,
        two_envelopes=False,
        min_committee_size=3,
        committee=members(board),
        candidates=list(candidates),
        actor=officer(ENTITY),
        timestamp=NOW,
        max_awards=max_awards,
    )
    case = Case(evaluation=evaluation, board=board, bids=candidates, tender_id=tender_id)
    case.events()
    return case.declare_all()


def award(case: Case, candidate: Any, reason: str = "") -> UUID:
    award_id = award_id_for(case.tender_id, case.evaluation.awards_made + 1)
    case.evaluation.record_award(
        award_id=award_id,
        bid_id=candidate.bid_id,
        reason=reason,
        actor=officer(ENTITY),
        timestamp=NOW,
    )
    case.events()
    return award_id


def test_a_framework_is_awarded_to_its_most_suppliers_in_rank_order() -> None:
    first, second, third = bid(*total("100.00")), bid(*total("200.00")), bid(*total("300.00"))
    case = framework(first, second, third)
    case.finalise()
    with pytest.raises(errors.ReasonRequiredError):  # the second before the first
        award(case, second)
    one = award(case, first)
    with pytest.raises(errors.LotAwardedError):  # the same bid twice
        award(case, first, reason="again")
    two = award(case, second)  # next in rank order: no reason asked
    assert list(case.evaluation.live_awards) == [one, two]
    with pytest.raises(errors.LotAwardedError):  # at most two suppliers
        award(case, third, reason="a third")
    case.evaluation.release_award(award_id=one, reason="refused", actor=case.chair, timestamp=NOW)
    assert case.evaluation.current_award == two
    with pytest.raises(errors.ReasonRequiredError):  # rank 3, where rank 2 is next
        award(case, third)
    award(case, third, reason="the first refused to sign")

    replayed: Any = None
    for recorded in case.history:
        replayed = recorded.mutate(replayed)
    assert replayed.live_awards == case.evaluation.live_awards
    assert replayed.max_awards == 2


def test_any_other_tender_keeps_one_award() -> None:
    first, second = bid(*total("100.00")), bid(*total("200.00"))
    case = framework(first, second, max_awards=1)
    case.finalise()
    award(case, first)
    with pytest.raises(errors.EvaluationStateError):
        award(case, second, reason="a second")


def call_offs() -> FrameworkCallOffs:
    return FrameworkCallOffs(
        framework_id=uuid4(),
        entity=ENTITY,
        title="Road maintenance framework",
        period=PERIOD,
        ceiling=CEILING,
        actor=officer(ENTITY),
        timestamp=NOW,
    )


def order(agreement: FrameworkCallOffs, amount: str, days: int = 1) -> UUID:
    call_off_id = uuid4()
    agreement.place_direct_order(
        call_off_id=call_off_id,
        framework_id=agreement.framework_id,
        entity=ENTITY,
        category="works",
        title="Excavation",
        description="",
        agreement_id=uuid4(),
        vendor_id=uuid4(),
        supplier_name="beta (Pvt) Ltd",
        value=Money(amount=Decimal(amount)),
        reason="Urgent repairs",
        actor=officer(ENTITY),
        timestamp=NOW + timedelta(days=days),
    )
    return call_off_id


def test_call_offs_stay_within_the_period_and_the_ceiling() -> None:
    agreement = call_offs()
    order(agreement, "600.00")
    agreement.record_mini_competition(
        framework_id=agreement.framework_id,
        call_off_id=uuid4(),
        award_id=uuid4(),
        vendor_id=uuid4(),
        supplier_name="alpha (Pvt) Ltd",
        value=Money(amount=Decimal("400.00")),
        actor=officer(ENTITY),
        timestamp=NOW + timedelta(days=2),
    )
    assert agreement.used == CEILING  # exactly the ceiling is allowed
    version = agreement.version
    with pytest.raises(errors.OverFrameworkCeilingError):
        order(agreement, "0.01")
    fresh = call_offs()
    with pytest.raises(errors.OutsideFrameworkPeriodError):
        order(fresh, "1.00", days=366)
    with pytest.raises(errors.OutsideFrameworkPeriodError):
        order(fresh, "1.00", days=-1)
    with pytest.raises(errors.InvalidTermsError):
        fresh.place_direct_order(
            call_off_id=uuid4(),
            framework_id=fresh.framework_id,
            entity=ENTITY,
            category="works",
            title="In dollars",
            description="",
            agreement_id=uuid4(),
            vendor_id=uuid4(),
            supplier_name="beta (Pvt) Ltd",
            value=Money(amount=Decimal(1), currency="USD"),
            reason="Urgent repairs",
            actor=officer(ENTITY),
            timestamp=NOW,
        )
    with pytest.raises(errors.ReasonRequiredError):  # a direct order says why, published
        fresh.place_direct_order(
            call_off_id=uuid4(),
            framework_id=fresh.framework_id,
            entity=ENTITY,
            category="works",
            title="No reason",
            description="",
            agreement_id=uuid4(),
            vendor_id=uuid4(),
            supplier_name="beta (Pvt) Ltd",
            value=Money(amount=Decimal(1)),
            reason="  ",
            actor=officer(ENTITY),
            timestamp=NOW,
        )
    assert agreement.version == version  # a refusal records nothing

    replayed: Any = None
    for recorded in agreement.collect_events():
        replayed = recorded.mutate(replayed)
    assert replayed.used == CEILING


def test_the_framework_terms_are_checked() -> None:
    base = terms(NOW)
    framework_terms = FrameworkTerms(max_suppliers=3, period=PERIOD, ceiling=CEILING)
    assert TenderTerms.model_validate(base.model_dump() | {"framework": framework_terms})
    for changes in (
        {
            "framework": framework_terms.model_copy(
                update={"ceiling": Money(amount=1, currency="USD")}
            )
        },
        {"framework": framework_terms, "award_by_lot": True},
    ):
        with pytest.raises(ValidationError):
            TenderTerms.model_validate(base.model_dump() | changes)
    with pytest.raises(ValidationError):
        FrameworkPeriod(start=NOW, end=NOW)
    long = FrameworkPeriod(start=NOW, end=NOW + framework_rules().max_period + timedelta(days=1))
    with pytest.raises(errors.FrameworkPeriodTooLongError):
        check_framework_period(
            base.model_copy(
                update={"framework": framework_terms.model_copy(update={"period": long})}
            ),
            framework_rules(),
        )
    check_framework_period(
        base.model_copy(update={"framework": framework_terms}), framework_rules()
    )
    assert framework_rules().citations["max_period"].verified is False


def test_a_framework_ceiling_stays_within_its_estimate() -> None:
    base = terms(NOW)
    at_estimate = FrameworkTerms(max_suppliers=2, period=PERIOD, ceiling=base.estimated_value)
    assert TenderTerms.model_validate(base.model_dump() | {"framework": at_estimate})
    above = at_estimate.model_copy(
        update={"ceiling": Money(amount=base.estimated_value.amount + Decimal("0.01"))}
    )
    with pytest.raises(ValidationError, match=r"framework\.ceiling"):
        TenderTerms.model_validate(base.model_dump() | {"framework": above})


def test_a_mini_competition_is_a_single_competed_stage_and_no_framework() -> None:
    base = terms(NOW)
    link = RelatedProcess(tender_id=uuid4(), relationship=Relationship.FRAMEWORK)
    linked = base.model_dump() | {"related": link}
    assert TenderTerms.model_validate(linked)
    framework_terms = FrameworkTerms(max_suppliers=2, period=PERIOD, ceiling=CEILING)
    with pytest.raises(ValidationError, match="not itself a framework"):
        TenderTerms.model_validate(linked | {"framework": framework_terms})
    # Every other method, the two-stage ones too once merged, is refused.
    for method in Method:
        if method.value in SINGLE_STAGE_METHODS:
            continue
        with pytest.raises(ValidationError, match="mini-competition"):
            TenderTerms.model_validate(linked | {"method": method, "evaluation": None})
    assert {method.value for method in Method} > SINGLE_STAGE_METHODS


def test_a_framework_is_competed_in_a_single_stage() -> None:
    base = terms(NOW)
    framework_terms = FrameworkTerms(max_suppliers=2, period=PERIOD, ceiling=CEILING)
    for method in Method:
        changes = {"method": method, "evaluation": None, "framework": framework_terms}
        if method.value in SINGLE_STAGE_METHODS:
            assert TenderTerms.model_validate(base.model_dump() | changes)
            continue
        with pytest.raises(ValidationError, match="single stage"):
            TenderTerms.model_validate(base.model_dump() | changes)
