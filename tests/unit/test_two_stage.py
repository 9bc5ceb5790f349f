"""Two-stage tendering's domain rules (docs/two-stage.md): the methods, their rule data, the
invitations, and stage one's end."""

from __future__ import annotations

from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain.bid import EnvelopeName, envelopes_for
from domain.errors import InvalidStateError, NotStageOneError, StageTwoIssuedError
from domain.opening import OpeningRecord
from domain.rules import rules_for
from domain.tender import Tender, TenderStatus
from domain.values import (
    EvaluationMethod,
    EvaluationTerms,
    Method,
    RelatedProcess,
    Relationship,
    Scope,
)
from tests.support import START, officer, terms
from tests.unit.test_methods import _published


def test_the_legacy_two_stage_keeps_its_two_envelopes_and_the_new_methods_take_one() -> None:
    assert envelopes_for(Method.TWO_STAGE) == (EnvelopeName.TECHNICAL, EnvelopeName.FINANCIAL)
    for method in (Method.TWO_STAGE_ONE_ENVELOPE, Method.TWO_STAGE_TWO_ENVELOPE):
        assert method.is_stage_one
        assert envelopes_for(method) == (EnvelopeName.BID,)
    assert not Method.TWO_STAGE.is_stage_one
    assert rules_for("sppra", Method.TWO_STAGE, Scope.NATIONAL).stage_two_method is None


def test_each_two_stage_method_names_its_stage_two_with_a_citation() -> None:
    expected = {
        Method.TWO_STAGE_ONE_ENVELOPE: Method.SINGLE_STAGE_ONE_ENVELOPE,
        Method.TWO_STAGE_TWO_ENVELOPE: Method.SINGLE_STAGE_TWO_ENVELOPE,
    }
    for method, stage_two in expected.items():
        rules = rules_for("sppra", method, Scope.NATIONAL)
        assert rules.stage_two_method is stage_two
        assert rules.notice_languages == ("en", "ur", "sd")  # open competitive bidding
        assert rules.citations["two_stage"].verified is False
        assert "row 21" in rules.citations["two_stage"].note


def test_stage_one_is_evaluated_for_qualification_and_nothing_else_is() -> None:
    stage_one = terms(START, method=Method.TWO_STAGE_ONE_ENVELOPE)
    assert stage_one.evaluation_terms.method is EvaluationMethod.QUALIFICATION
    with pytest.raises(ValidationError, match="qualification"):
        terms(START).model_validate(
            {
                **terms(START).model_dump(),
                "evaluation": EvaluationTerms(method=EvaluationMethod.QUALIFICATION),
            }
        )
    with pytest.raises(ValidationError, match="evaluated by qualification"):
        terms(START).model_validate(
            {**stage_one.model_dump(), "evaluation": EvaluationTerms()}  # least cost
        )


def test_a_vendor_is_invited_once_and_each_with_its_name() -> None:
    alpha, beta = uuid4(), uuid4()
    related = RelatedProcess(tender_id=uuid4(), relationship=Relationship.PRIOR)
    base = terms(START).model_dump()
    invited = terms(START).model_validate(
        {**base, "related": related, "invited_vendors": (alpha, beta), "invited_names": ("A", "B")}
    )
    assert invited.invited_vendors == (alpha, beta)
    for vendors, names in (((alpha, alpha), ("A", "A")), ((alpha, beta), ("A",))):
        with pytest.raises(ValidationError):
            terms(START).model_validate(
                {**base, "invited_vendors": vendors, "invited_names": names}
            )
    assert terms(START).invited_vendors == ()  # every tender before: open to every vendor
    assert terms(START).related is None


def _opened_stage_one() -> Tender:
    stage_one = _published(method=Method.TWO_STAGE_ONE_ENVELOPE, bid_security=None)
    timeline = stage_one.terms.timeline
    stage_one.close_bidding(actor=officer(), timestamp=timeline.submission_deadline)
    record = OpeningRecord(envelope=EnvelopeName.BID, keys=(), bids=())
    stage_one.open_bids(record=record, actor=officer(), timestamp=timeline.opening_time)
    return stage_one


def test_stage_one_ends_once_when_its_stage_two_is_issued() -> None:
    stage_one = _opened_stage_one()
    at = stage_one.terms.timeline.opening_time
    stage_two_id = uuid4()
    stage_one.issue_stage_two(stage_two_id=stage_two_id, actor=officer(), timestamp=at)
    assert stage_one.status is TenderStatus.COMPLETED
    assert stage_one.stage_two_id == stage_two_id
    with pytest.raises(StageTwoIssuedError):
        stage_one.issue_stage_two(stage_two_id=uuid4(), actor=officer(), timestamp=at)
    with pytest.raises(StageTwoIssuedError):
        stage_one.cancel(reason="Too late for that.", actor=officer(), timestamp=at)
    # Replayed from its events, it is the same.
    replayed = None
    for event in stage_one.collect_events():
        replayed = event.mutate(replayed)
    assert isinstance(replayed, Tender)
    assert replayed.status is TenderStatus.COMPLETED
    assert replayed.stage_two_id == stage_two_id


def test_only_an_opened_stage_one_issues_a_stage_two() -> None:
    single = _published()
    with pytest.raises(NotStageOneError):
        single.issue_stage_two(stage_two_id=uuid4(), actor=officer(), timestamp=START)
    fresh = _published(method=Method.TWO_STAGE_TWO_ENVELOPE, bid_security=None)
    with pytest.raises(InvalidStateError):  # not opened, let alone evaluated
        fresh.issue_stage_two(stage_two_id=uuid4(), actor=officer(), timestamp=START)
