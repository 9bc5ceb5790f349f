"""Tender: given events, when a command, then new events or an error. No I/O."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain import errors
from domain.bid import BidContents, LotPrice
from domain.documents import NO_CHANGES, NoticeDocuments
from domain.rules import OPENING_GRACE, PROFILE_NAMES, MethodRules, rules_for
from domain.tender import Tender, TenderStatus
from domain.values import BidSecurity, Method, Money, NoticeText, Scope
from tests.property.test_tender_machine import replay, state_of, store
from tests.support import START, TRANSLATIONS, officer, sealing_keys, terms, timeline, vendor

NOW = START
SPPRA = rules_for("sppra", Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.NATIONAL)


def publish(tender: Tender, rules: MethodRules, at: datetime) -> None:
    tender.publish(
        notice=tender.terms,
        rules=rules,
        sealing_keys=sealing_keys(tender.terms),
        actor=officer("wsd"),
        timestamp=at,
        documents=NoticeDocuments(items=tuple(tender.documents.values())),
    )


def drafted() -> Tender:
    tender = Tender(id=uuid4(), entity="wsd", terms=terms(NOW), actor=officer("wsd"), timestamp=NOW)
    tender.collect_events()
    return tender


def published() -> Tender:
    tender = drafted()
    publish(tender, SPPRA, NOW)
    tender.collect_events()
    return tender


def event_names(tender: Tender) -> list[str]:
    return [type(e).__name__ for e in tender.collect_events()]


def test_drafting_records_the_terms_the_entity_and_the_actor() -> None:
    actor = officer("wsd")
    tender = Tender(id=uuid4(), entity="wsd", terms=terms(NOW), actor=actor, timestamp=NOW)
    [created] = tender.collect_events()
    assert type(created).__name__ == "TenderDrafted"
    assert created.actor == actor  # type: ignore[attr-defined]
    assert created.timestamp == NOW
    assert tender.status is TenderStatus.DRAFT
    assert tender.entity == "wsd"


def test_a_draft_can_be_edited() -> None:
    tender = drafted()
    tender.edit_draft(terms=terms(NOW, title="New title"), actor=officer("wsd"), timestamp=NOW)
    assert event_names(tender) == ["TenderDraftEdited"]
    assert tender.terms.title == "New title"


def test_publishing_records_the_notice_and_its_rules() -> None:
    tender = drafted()
    publish(tender, SPPRA, NOW)
    [event] = tender.collect_events()
    assert type(event).__name__ == "TenderPublished"
    assert event.notice == terms(NOW)  # type: ignore[attr-defined]
    assert event.rules == SPPRA  # type: ignore[attr-defined]
    assert tender.status is TenderStatus.ACTIVE
    assert tender.published_at == NOW


def test_publishing_twice_is_refused() -> None:
    tender = published()
    with pytest.raises(errors.AlreadyPublishedError):
        publish(tender, SPPRA, NOW)
    assert tender.collect_events() == []


def test_a_published_tender_cannot_be_edited() -> None:
    tender = published()
    with pytest.raises(errors.TenderNotDraftError):
        tender.edit_draft(terms=terms(NOW), actor=officer("wsd"), timestamp=NOW)


@pytest.mark.parametrize(
    ("days", "error"),
    [
        (14, errors.BiddingPeriodTooShortError),  # national open tendering needs 15 days
        (-1, errors.DeadlineInPastError),
    ],
)
def test_the_bidding_period_follows_the_rules(days: int, error: type[Exception]) -> None:
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, timeline=timeline(NOW, days=days)),
        actor=officer("wsd"),
        timestamp=NOW - timedelta(days=30),
    )
    with pytest.raises(error):
        publish(tender, SPPRA, NOW)
    assert tender.status is TenderStatus.DRAFT


def test_international_bidding_needs_thirty_days() -> None:
    rules = rules_for("sppra", Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.INTERNATIONAL)
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, scope=Scope.INTERNATIONAL, timeline=timeline(NOW, days=20)),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    with pytest.raises(errors.BiddingPeriodTooShortError, match="30 days"):
        publish(tender, rules, NOW)


def test_relaxed_rules_count_seconds() -> None:
    rules = rules_for("relaxed", Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.NATIONAL)
    deadline = NOW + timedelta(seconds=20)
    short = timeline(NOW).model_copy(
        update={
            "clarification_deadline": NOW + timedelta(seconds=10),
            "submission_deadline": deadline,
            "opening_time": deadline + OPENING_GRACE,
        }
    )
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, timeline=short),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    publish(tender, rules, NOW)
    assert tender.status is TenderStatus.ACTIVE


def test_bid_security_above_the_ceiling_is_refused() -> None:
    too_much = BidSecurity(amount=Money(amount=Decimal("500000.01")))  # 5% of 10 million
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, bid_security=too_much),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    with pytest.raises(errors.BidSecurityTooHighError):
        publish(tender, SPPRA, NOW)


def test_a_request_for_quotations_above_its_ceiling_is_refused() -> None:
    rules = rules_for("sppra", Method.REQUEST_FOR_QUOTATIONS, Scope.NATIONAL)
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, method=Method.REQUEST_FOR_QUOTATIONS),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    with pytest.raises(errors.MethodNotAllowedForValueError):
        publish(tender, rules, NOW)


def test_the_opening_must_follow_the_deadline_within_the_rules_window() -> None:
    late_opening = timeline(NOW).model_copy(
        update={"opening_time": timeline(NOW).submission_deadline + timedelta(hours=2)}
    )
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, timeline=late_opening),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    with pytest.raises(errors.InvalidTimelineError, match="opening"):
        publish(tender, SPPRA, NOW)


def test_an_early_amendment_may_keep_the_deadline() -> None:
    tender = published()
    tender.amend(
        number=1,
        text="Revised BOQ",
        timeline=None,
        actor=officer("wsd"),
        timestamp=NOW,
        documents=NO_CHANGES,
    )
    assert event_names(tender) == ["TenderAmended"]
    assert tender.amendments[0].number == 1


def test_a_late_amendment_must_extend_the_deadline_by_the_rules_minimum() -> None:
    tender = published()
    late = tender.terms.timeline.submission_deadline - timedelta(days=2)
    with pytest.raises(errors.DeadlineExtensionRequiredError):
        tender.amend(
            number=1,
            text="Late",
            timeline=None,
            actor=officer("wsd"),
            timestamp=late,
            documents=NO_CHANGES,
        )
    old = tender.terms.timeline
    short = old.model_copy(
        update={
            "submission_deadline": old.submission_deadline + timedelta(days=4),
            "opening_time": old.submission_deadline + timedelta(days=4, minutes=1),
        }
    )
    with pytest.raises(errors.DeadlineExtensionRequiredError):
        tender.amend(
            number=1,
            text="Late",
            timeline=short,
            actor=officer("wsd"),
            timestamp=late,
            documents=NO_CHANGES,
        )
    enough = old.model_copy(
        update={
            "submission_deadline": old.submission_deadline + timedelta(days=5),
            "opening_time": old.submission_deadline + timedelta(days=5, minutes=1),
        }
    )
    tender.amend(
        number=1,
        text="Late",
        timeline=enough,
        actor=officer("wsd"),
        timestamp=late,
        documents=NO_CHANGES,
    )
    assert tender.terms.timeline == enough
    assert event_names(tender) == ["TenderAmended"]


def test_an_amendment_cannot_bring_the_deadline_forward() -> None:
    tender = published()
    old = tender.terms.timeline
    earlier = old.model_copy(
        update={
            "submission_deadline": old.submission_deadline - timedelta(days=1),
            "opening_time": old.submission_deadline - timedelta(days=1),
        }
    )
    with pytest.raises(errors.InvalidTimelineError):
        tender.amend(
            number=1,
            text="x",
            timeline=earlier,
            actor=officer("wsd"),
            timestamp=NOW,
            documents=NO_CHANGES,
        )


def test_no_amendment_after_the_deadline() -> None:
    tender = published()
    after = tender.terms.timeline.submission_deadline
    with pytest.raises(errors.DeadlinePassedError):
        tender.amend(
            number=1,
            text="x",
            timeline=None,
            actor=officer("wsd"),
            timestamp=after,
            documents=NO_CHANGES,
        )


def test_questions_close_at_the_clarification_deadline() -> None:
    tender = published()
    closed = tender.terms.timeline.clarification_deadline
    with pytest.raises(errors.ClarificationPeriodClosedError):
        tender.ask_question(question_id=uuid4(), text="?", actor=vendor(), timestamp=closed)


def test_a_question_is_answered_once() -> None:
    tender = published()
    asker = vendor()
    qid = uuid4()
    tender.ask_question(question_id=qid, text="Which quarry?", actor=asker, timestamp=NOW)
    tender.answer_question(question_id=qid, answer="Any.", actor=officer("wsd"), timestamp=NOW)
    assert event_names(tender) == ["QuestionAsked", "QuestionAnswered"]
    assert tender.questions[qid].asked_by == asker.account_id
    with pytest.raises(errors.QuestionAlreadyAnsweredError):
        tender.answer_question(question_id=qid, answer="x", actor=officer("wsd"), timestamp=NOW)
    with pytest.raises(errors.QuestionNotFoundError):
        tender.answer_question(question_id=uuid4(), answer="x", actor=officer(), timestamp=NOW)


def test_questions_need_a_published_tender() -> None:
    with pytest.raises(errors.TenderNotPublishedError):
        drafted().ask_question(question_id=uuid4(), text="?", actor=vendor(), timestamp=NOW)


def test_cancelling_needs_a_reason_and_happens_once() -> None:
    tender = published()
    with pytest.raises(errors.InvalidTermsError):
        tender.cancel(reason="  ", actor=officer("wsd"), timestamp=NOW)
    tender.cancel(reason="Budget withdrawn", actor=officer("wsd"), timestamp=NOW)
    assert tender.status is TenderStatus.CANCELLED
    assert event_names(tender) == ["TenderCancelled"]
    with pytest.raises(errors.TenderCancelledError):
        tender.cancel(reason="again", actor=officer("wsd"), timestamp=NOW)
    with pytest.raises(errors.TenderCancelledError):
        tender.amend(
            number=1,
            text="x",
            timeline=None,
            actor=officer("wsd"),
            timestamp=NOW,
            documents=NO_CHANGES,
        )


def test_every_event_class_has_an_explicit_stable_topic() -> None:
    names = [
        "Created",
        "TenderDrafted",
        "TenderDraftEdited",
        "TenderPublished",
        "TenderAmended",
        "QuestionAsked",
        "QuestionAnswered",
        "BiddingClosed",
        "TenderCancelled",
    ]
    for name in names:
        assert f"procurement:Tender.{name}" == getattr(Tender, name).TOPIC


def test_bidding_closes_only_at_the_deadline_and_then_refuses_changes() -> None:
    tender = published()
    deadline = tender.terms.timeline.submission_deadline
    with pytest.raises(errors.DeadlineNotReachedError):
        tender.close_bidding(actor=officer(), timestamp=deadline - timedelta(seconds=1))
    tender.close_bidding(actor=officer(), timestamp=deadline)
    assert tender.status is TenderStatus.CLOSED
    assert event_names(tender) == ["BiddingClosed"]
    with pytest.raises(errors.BiddingClosedError):
        tender.close_bidding(actor=officer(), timestamp=deadline)
    with pytest.raises(errors.AlreadyPublishedError):
        publish(tender, SPPRA, deadline)
    tender.cancel(reason="No funds", actor=officer("wsd"), timestamp=deadline)
    assert event_names(tender) == ["TenderCancelled"]


def test_a_request_for_quotations_in_another_currency_is_refused() -> None:
    rules = rules_for("sppra", Method.REQUEST_FOR_QUOTATIONS, Scope.NATIONAL)
    dollars = Money(amount=Decimal("1000.00"), currency="USD")
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(
            NOW, method=Method.REQUEST_FOR_QUOTATIONS, estimated_value=dollars, bid_security=None
        ),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    with pytest.raises(errors.MethodNotAllowedForValueError):
        publish(tender, rules, NOW)


def test_an_amendment_keeps_the_clarification_rules() -> None:
    tender = published()
    old = tender.terms.timeline
    squeezed = old.model_copy(
        update={"clarification_deadline": old.submission_deadline - timedelta(hours=1)}
    )
    with pytest.raises(errors.InvalidTimelineError, match="clarification"):
        tender.amend(
            number=1,
            text="x",
            timeline=squeezed,
            actor=officer(),
            timestamp=NOW,
            documents=NO_CHANGES,
        )
    past = old.model_copy(update={"clarification_deadline": NOW - timedelta(days=1)})
    with pytest.raises(errors.InvalidTimelineError, match="future"):
        tender.amend(
            number=1, text="x", timeline=past, actor=officer(), timestamp=NOW, documents=NO_CHANGES
        )
    with pytest.raises(errors.InvalidTermsError):
        tender.amend(
            number=1,
            text="x" * 20001,
            timeline=None,
            actor=officer(),
            timestamp=NOW,
            documents=NO_CHANGES,
        )
    assert tender.amendments == []


def _draft_opening(after_deadline: timedelta) -> tuple[Tender, datetime]:
    deadline = NOW + timedelta(days=20)
    line = timeline(NOW).model_copy(
        update={"submission_deadline": deadline, "opening_time": deadline + after_deadline}
    )
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, timeline=line),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    tender.collect_events()
    return tender, deadline


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_the_rules_keep_the_opening_a_grace_after_the_deadline(profile: str) -> None:
    rules = rules_for(profile, Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.NATIONAL)
    assert rules.min_opening_delay == OPENING_GRACE


@pytest.mark.parametrize("after", [timedelta(0), OPENING_GRACE - timedelta(microseconds=1)])
def test_publishing_refuses_an_opening_time_inside_the_grace(after: timedelta) -> None:
    tender, _ = _draft_opening(after)
    with pytest.raises(errors.OpeningTimeOutOfWindowError, match="1 minute") as refused:
        publish(tender, SPPRA, NOW)
    assert refused.value.field == "timeline.opening_time"
    assert refused.value.code == "opening_time_out_of_window"
    assert event_names(tender) == []
    assert tender.status is TenderStatus.DRAFT


def test_the_bids_open_at_the_notice_opening_time() -> None:
    tender, deadline = _draft_opening(OPENING_GRACE)
    publish(tender, SPPRA, NOW)
    with pytest.raises(errors.BidsSealedError):
        tender.check_can_open(deadline + OPENING_GRACE - timedelta(microseconds=1))
    tender.check_can_open(tender.terms.timeline.opening_time)


def test_amending_refuses_an_opening_time_inside_the_grace() -> None:
    tender = published()
    old = tender.terms.timeline
    later = old.submission_deadline + timedelta(days=1)
    for opening in (later, later + timedelta(seconds=59)):
        moved = old.model_copy(update={"submission_deadline": later, "opening_time": opening})
        with pytest.raises(errors.OpeningTimeOutOfWindowError):
            tender.amend(
                number=1,
                text="x",
                timeline=moved,
                actor=officer("wsd"),
                timestamp=NOW,
                documents=NO_CHANGES,
            )
    assert event_names(tender) == []
    moved = old.model_copy(
        update={"submission_deadline": later, "opening_time": later + OPENING_GRACE}
    )
    tender.amend(
        number=1,
        text="x",
        timeline=moved,
        actor=officer("wsd"),
        timestamp=NOW,
        documents=NO_CHANGES,
    )
    assert event_names(tender) == ["TenderAmended"]


def test_a_tender_published_under_rules_without_the_grace_still_waits_for_it() -> None:
    """Published before the rules had the grace (recorded: no least delay), its notice may
    name the deadline itself as the opening time: it replays, and opens a grace later."""
    deadline = NOW + timedelta(days=20)
    line = timeline(NOW).model_copy(
        update={"submission_deadline": deadline, "opening_time": deadline}
    )
    live = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, timeline=line),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    publish(live, SPPRA.model_copy(update={"min_opening_delay": timedelta(0)}), NOW)
    tender = replay([store(event) for event in live.collect_events()])
    assert tender.status is TenderStatus.ACTIVE
    with pytest.raises(errors.BidsSealedError):
        tender.check_can_open(deadline)
    with pytest.raises(errors.BidsSealedError):
        tender.check_can_open(deadline + OPENING_GRACE - timedelta(microseconds=1))
    tender.check_can_open(deadline + OPENING_GRACE)


# Notices in English, Urdu and Sindhi -----------------------------------------------------


@pytest.mark.parametrize(
    ("kept", "missing"),
    [
        ({"sd"}, "the Urdu text is missing (ur)"),
        ({"ur"}, "the Sindhi text is missing (sd)"),
        (set(), "the Urdu and Sindhi texts are missing (ur, sd)"),
    ],
)
@pytest.mark.parametrize(
    "method",
    [Method.SINGLE_STAGE_ONE_ENVELOPE, Method.SINGLE_STAGE_TWO_ENVELOPE, Method.TWO_STAGE],
)
def test_an_open_competitive_notice_without_its_urdu_or_sindhi_text_is_refused(
    kept: set[str], missing: str, method: Method
) -> None:
    # Given a draft of an open competitive tender lacking a translation
    partial = {language: text for language, text in TRANSLATIONS.items() if language in kept}
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, method=method, translations=partial),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    tender.collect_events()
    # When it is published
    with pytest.raises(errors.NoticeTranslationMissingError) as refused:
        publish(tender, rules_for("sppra", method, Scope.NATIONAL), NOW)
    # Then it is refused, by its code and in words naming the missing languages ...
    assert refused.value.code == "notice_translation_missing"
    assert isinstance(refused.value, errors.RuleViolationError)
    assert "published in English, Urdu and Sindhi" in str(refused.value)
    assert missing in str(refused.value)
    # ... and nothing is recorded
    assert tender.collect_events() == []
    assert tender.status is TenderStatus.DRAFT
    assert tender.rules is None


@pytest.mark.parametrize("method", [Method.REQUEST_FOR_QUOTATIONS, Method.DIRECT_CONTRACTING])
def test_quotations_and_direct_contracting_are_published_in_english_alone(
    method: Method,
) -> None:
    # Given a draft request for quotations or direct contract with no translation
    rules = rules_for("sppra", method, Scope.NATIONAL)
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(
            NOW,
            method=method,
            estimated_value=Money(amount=Decimal("1000000.00")),
            bid_security=None,
            translations={},
        ),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    tender.collect_events()
    # When it is published
    publish(tender, rules, NOW)
    # Then it is, under rules that ask for English only
    assert event_names(tender) == ["TenderPublished"]
    assert rules.notice_languages == ("en",)
    assert tender.status is TenderStatus.ACTIVE


def test_the_rules_of_open_competitive_bidding_ask_for_three_languages() -> None:
    for profile in PROFILE_NAMES:
        for method in Method:
            rules = rules_for(profile, method, Scope.NATIONAL)
            open_competitive = method not in {
                Method.REQUEST_FOR_QUOTATIONS,
                Method.DIRECT_CONTRACTING,
            }
            expected = ("en", "ur", "sd") if open_competitive else ("en",)
            assert rules.notice_languages == expected
            assert "notice_languages" in rules.citations


def test_the_translated_texts_survive_replay() -> None:
    # Given a tender drafted, edited and published in three languages
    tender = Tender(id=uuid4(), entity="wsd", terms=terms(NOW), actor=officer("wsd"), timestamp=NOW)
    edited = terms(
        NOW,
        translations={**TRANSLATIONS, "ur": NoticeText(title="پل کی مرمت", description="")},
    )
    tender.edit_draft(terms=edited, actor=officer("wsd"), timestamp=NOW)
    publish(tender, SPPRA, NOW)
    stored = [store(event) for event in tender.collect_events()]
    # When it is rebuilt from its stored events
    rebuilt = replay(stored)
    # Then its notice carries the same texts
    assert rebuilt.terms.translations == edited.translations
    assert rebuilt.terms.translations["ur"].title == "پل کی مرمت"
    assert rebuilt.terms.translations["sd"] == TRANSLATIONS["sd"]
    assert rebuilt.rules.notice_languages == ("en", "ur", "sd")
    assert state_of(rebuilt) == state_of(tender)


def test_a_notice_published_before_the_language_rule_still_replays() -> None:
    # Given events stored before notices had translations and rules had languages
    tender = Tender(
        id=uuid4(),
        entity="wsd",
        terms=terms(NOW, translations={}),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    old_rules = SPPRA.model_copy(update={"notice_languages": ("en",)})
    publish(tender, old_rules, NOW)
    stored, removed = [], []
    for event in tender.collect_events():
        record = store(event)
        state = json.loads(record.state)
        for value in state.values():
            fields = {"tender_terms": "translations", "method_rules": "notice_languages"}
            if isinstance(value, dict) and value.get("_type_") in fields:
                removed.append(value["_data_"].pop(fields[value["_type_"]]))
        stored.append(dataclasses.replace(record, state=json.dumps(state).encode()))
    assert removed == [{}, {}, ["en"]]
    # When it is rebuilt
    rebuilt = replay(stored)
    # Then it is the English-only notice it was
    assert rebuilt.status is TenderStatus.ACTIVE
    assert rebuilt.terms.translations == {}
    assert rebuilt.rules.notice_languages == ("en",)


def test_a_translated_notice_needs_a_title() -> None:
    with pytest.raises(ValidationError):
        NoticeText(title="  ", description="متن")
    with pytest.raises(ValidationError):
        terms(NOW).model_validate(
            {**terms(NOW).model_dump(), "translations": {"en": {"title": "English"}}}
        )


def test_a_bids_prices_are_checked_against_the_tenders_own_lots() -> None:
    lots = published().lot_ids()
    price = Money(amount=Decimal("100.00"))
    BidContents(prices=(LotPrice(lot_id="1", price=price),)).check_prices(lots)
    with pytest.raises(errors.InvalidTermsError, match="no such lot on this tender: 2"):
        BidContents(prices=(LotPrice(lot_id="2", price=price),)).check_prices(lots)
    twice = BidContents(prices=(LotPrice(lot_id="1", price=price),) * 2)
    with pytest.raises(errors.InvalidTermsError, match="price each lot once"):
        twice.check_prices(lots)


def test_the_tender_reads_a_sealed_bid_against_its_own_lots() -> None:
    tender = published()
    bid = BidContents(prices=(LotPrice(lot_id="1", price=Money(amount=Decimal("5.00"))),))
    assert tender.read_sealed_bid(bid.model_dump_json().encode()) == bid
    other = BidContents(prices=(LotPrice(lot_id="9", price=Money(amount=Decimal("5.00"))),))
    with pytest.raises(errors.UnreadableBidError, match="prices break the tender's rules"):
        tender.read_sealed_bid(other.model_dump_json().encode())
