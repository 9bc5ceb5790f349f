"""The methods' rule data and checks: quotations, direct contracting, pre-bid meetings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain.documents import NO_DOCUMENTS
from domain.errors import (
    InvalidPreBidMeetingError,
    JustificationRequiredError,
    NoPreBidMeetingError,
    PreBidMeetingNotHeldError,
    TooFewQuotationsError,
)
from domain.rules import DIRECT_CONTRACTING_CASES, rules_for
from domain.tender import Tender
from domain.values import (
    DirectContractingCase,
    DirectContractingJustification,
    Method,
    Money,
    PreBidMeeting,
    Scope,
)
from tests.support import START, officer, sealing_keys, terms

JUSTIFIED = DirectContractingJustification(
    case=DirectContractingCase.SINGLE_SOURCE, explanation="Only the maker services this plant."
)
MEETING = PreBidMeeting(at=START + timedelta(days=3), place="Committee room, Karachi")


def test_the_rules_of_each_method_say_its_quotations_and_cases() -> None:
    for profile in ("sppra", "relaxed"):
        rfq = rules_for(profile, Method.REQUEST_FOR_QUOTATIONS, Scope.NATIONAL)
        assert rfq.min_quotations == 3
        assert rfq.direct_contracting_cases == ()
        direct = rules_for(profile, Method.DIRECT_CONTRACTING, Scope.NATIONAL)
        assert direct.min_quotations is None
        assert set(direct.direct_contracting_cases) == set(DirectContractingCase)
        assert "min_quotations" in rfq.citations
        assert "direct_contracting_cases" in direct.citations
        assert not rfq.citations["min_quotations"].verified
    open_rules = rules_for("sppra", Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.NATIONAL)
    assert open_rules.min_quotations is None
    assert set(DIRECT_CONTRACTING_CASES) == set(DirectContractingCase)  # each case has words


def test_direct_contracting_needs_a_case_of_its_rules() -> None:
    rules = rules_for("sppra", Method.DIRECT_CONTRACTING, Scope.NATIONAL)
    bare = terms(START, method=Method.DIRECT_CONTRACTING, bid_security=None)
    with pytest.raises(JustificationRequiredError, match="single_source"):
        Tender.check_justification(bare, rules)
    Tender.check_justification(bare.model_copy(update={"direct_contracting": JUSTIFIED}), rules)
    fewer = rules.model_copy(update={"direct_contracting_cases": ()})
    with pytest.raises(JustificationRequiredError, match="not a case"):
        Tender.check_justification(bare.model_copy(update={"direct_contracting": JUSTIFIED}), fewer)
    # Other methods need none.
    open_rules = rules_for("sppra", Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.NATIONAL)
    Tender.check_justification(terms(START), open_rules)


def test_a_justification_is_for_direct_contracting_alone_and_explained() -> None:
    fields = terms(START).model_dump()
    with pytest.raises(ValidationError, match="only a direct_contracting tender"):
        type(terms(START)).model_validate({**fields, "direct_contracting": JUSTIFIED})
    with pytest.raises(ValidationError, match="explanation"):
        DirectContractingJustification(case=DirectContractingCase.EMERGENCY, explanation="  ")


def test_a_pre_bid_meeting_is_somewhere_in_the_future_and_before_the_clarifications() -> None:
    timeline = terms(START).timeline  # clarifications close 13 days on
    Tender.check_pre_bid_meeting(None, timeline, START)
    Tender.check_pre_bid_meeting(MEETING, timeline, START)
    with pytest.raises(InvalidPreBidMeetingError, match="future"):
        Tender.check_pre_bid_meeting(MEETING, timeline, MEETING.at)
    late = MEETING.model_copy(update={"at": timeline.clarification_deadline})
    with pytest.raises(InvalidPreBidMeetingError, match="before the clarification deadline"):
        Tender.check_pre_bid_meeting(late, timeline, START)
    assert InvalidPreBidMeetingError.field == "pre_bid_meeting.at"
    with pytest.raises(ValidationError, match="place or its online link"):
        PreBidMeeting(at=MEETING.at)
    with pytest.raises(ValidationError):
        PreBidMeeting(at=MEETING.at, link="http://plain.example.org/meeting")


def _published(**changes: object) -> Tender:
    """A tender drafted with ``changes`` and published, through the aggregate."""
    actor = officer()
    drafted = terms(START, **changes)
    tender = Tender(id=uuid4(), entity="wsd", terms=drafted, actor=actor, timestamp=START)
    tender.publish(
        notice=drafted,
        rules=rules_for("sppra", drafted.method, drafted.scope),
        sealing_keys=sealing_keys(drafted),
        actor=actor,
        timestamp=START,
        documents=NO_DOCUMENTS,
    )
    return tender


def test_minutes_come_after_the_meeting_of_a_notice_that_holds_one() -> None:
    with pytest.raises(NoPreBidMeetingError):
        _published().check_minutes_due(START + timedelta(days=4))
    tender = _published(pre_bid_meeting=MEETING)
    with pytest.raises(PreBidMeetingNotHeldError):
        tender.check_minutes_due(MEETING.at - timedelta(seconds=1))
    assert tender.check_minutes_due(MEETING.at) == MEETING


def _rfq(min_quotations: int | None = 3) -> Tender:
    """A request for quotations published under rules asking ``min_quotations``."""
    rfq = _published(
        method=Method.REQUEST_FOR_QUOTATIONS,
        estimated_value=Money(amount=Decimal("2000000.00")),
        bid_security=None,
    )
    assert rfq.rules is not None
    rfq.rules = rfq.rules.model_copy(update={"min_quotations": min_quotations})
    return rfq


def test_too_few_quotations_are_awarded_only_with_a_reason() -> None:
    # ``received``: the quotations the final report ranks (Evaluation.quotations_for).
    rfq = _rfq()
    with pytest.raises(TooFewQuotationsError, match="2 responsive quotations"):
        rfq.check_enough_quotations("", 2)
    with pytest.raises(TooFewQuotationsError, match="1 responsive quotation,"):
        rfq.check_enough_quotations(" \n", 1)
    rfq.check_enough_quotations("No third supplier stocks these in Sindh.", 2)
    rfq.check_enough_quotations("", 3)
    # RFQs published before the rule was recorded (and other methods) have no minimum.
    _rfq(min_quotations=None).check_enough_quotations("", 1)
