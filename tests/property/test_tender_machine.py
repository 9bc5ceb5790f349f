"""Stateful property tests: the Tender and Account aggregates under random command sequences.

A hypothesis state machine drives one Tender with every command, valid and invalid, on a
simulated clock. Each outcome is checked against a small model: which errors the command
may raise in the model's state, and what it changes when it succeeds. A refused command
must change nothing. After every step the tender rebuilt from its events, after a round
trip through the real JSON transcoder, must equal the live one. Pure: no database, no I/O.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain import errors
from domain.account import SESSION_ENDING_TOPICS, Account, VendorProfile, account_id_for
from domain.documents import NO_CHANGES, NoticeDocuments
from domain.rules import PROFILE_NAMES, MethodRules, rules_for
from domain.tender import Tender, TenderStatus
from domain.values import (
    Actor,
    BidSecurity,
    Method,
    Money,
    Role,
    Scope,
    TenderTerms,
    Timeline,
    TranslationLanguage,
)
from procurement.store.transcodings import register_all
from tests.snapshot_check import SnapshotWatch
from tests.support import (
    START,
    TRANSLATIONS,
    officer,
    sealing_keys,
    terms,
    timeline,
    vendor,
)

ErrorType = type[errors.ProcurementError]

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
CENT = Decimal("0.01")

# Serialisation: the transcodings the application registers, and nothing else -----------


def make_mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    # What eventsourcing's Application.register_transcodings registers ...
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    # ... and what ProcurementApplication adds.
    register_all(transcoder)
    return Mapper(transcoder=transcoder)


MAPPER = make_mapper()


def store(event: object) -> StoredEvent:
    """The event as the event store would hold it, checked to come back equal."""
    stored = MAPPER.to_stored_event(cast("CanMutateAggregate[UUID]", event))
    assert stored.topic.startswith("procurement:"), f"unstable topic {stored.topic!r}"
    assert MAPPER.to_domain_event(stored) == event, f"{stored.topic} does not round-trip"
    return stored


def replay(stored_events: Sequence[StoredEvent]) -> Any:
    """Decode every stored event and fold them, from nothing, into an aggregate."""
    aggregate: Any = None
    for stored in stored_events:
        event = cast("CanMutateAggregate[UUID]", MAPPER.to_domain_event(stored))
        aggregate = event.mutate(aggregate)
    return aggregate


def state_of(aggregate: Aggregate) -> dict[str, Any]:
    return {name: value for name, value in vars(aggregate).items() if name != "_pending_events"}


def assert_replay_equals_live(stored: Sequence[StoredEvent], live: Aggregate) -> None:
    """The aggregate folded from its stored events equals the live one, field by field."""
    replayed = replay(stored)
    assert isinstance(replayed, type(live))
    rebuilt, current = state_of(replayed), state_of(live)
    differ = sorted(name for name in {*rebuilt, *current} if rebuilt.get(name) != current.get(name))
    assert not differ, f"the replayed {type(live).__name__} differs from the live one in {differ}"


def names(kinds: set[ErrorType]) -> str:
    return ", ".join(sorted(kind.__name__ for kind in kinds)) or "no error"


def is_blank(text: str) -> bool:
    return not text.strip()


# Strategies ------------------------------------------------------------------------------


def _seconds(count: int) -> timedelta:
    return count * SECOND


def _days_give_or_take(days: int, seconds: int) -> timedelta:
    return days * DAY + seconds * SECOND


def _seconds_give_or_take(count: int, seconds: int) -> timedelta:
    return (count + seconds) * SECOND


def _negated(span: timedelta) -> timedelta:
    return -span


clock_steps = st.one_of(
    st.integers(1, 120).map(_seconds),
    st.integers(1, 48 * 3600).map(_seconds),
    st.integers(1, 48 * 3600).map(_seconds),
    st.integers(1, 40 * 86400).map(_seconds),
)
"""How far the clock moves in one step: from a second to forty days."""

RULE_PERIODS = (1, 5, 7, 15, 30)
"""The periods the rules are written in, in "days": a day under sppra, a second under relaxed."""


def spans(max_days: int) -> st.SearchStrategy[timedelta]:
    """A span at either profile's scale, often one of the rules' periods give or take a
    second, to land on the rules' boundaries."""
    jitter = st.integers(-1, 1)
    return st.one_of(
        st.builds(_days_give_or_take, st.sampled_from(RULE_PERIODS), jitter),
        st.builds(_seconds_give_or_take, st.sampled_from(RULE_PERIODS), jitter),
        st.builds(_days_give_or_take, st.integers(0, max_days), jitter),
        st.integers(0, max_days * 86400).map(_seconds),
        st.integers(0, 120).map(_seconds),
    )


signed_spans = st.one_of(spans(45), spans(3).map(_negated))

opening_delays = st.one_of(
    st.sampled_from([_seconds(s) for s in (0, 1, 1800, 3599, 3600, 3601, 7200)]),
    st.integers(0, 7200).map(_seconds),
)

blanks = st.sampled_from(["", " ", "\t\n", "\u2003"])  # blank, in several ways
texts = st.one_of(blanks, st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
cancellation_reasons = st.one_of(blanks, blanks, blanks, texts)
"""Mostly blank: a cancelled tender refuses everything else, so cancel it only now and then."""


@st.composite
def timelines(draw: st.DrawFn, now: datetime) -> Timeline:
    """A well-formed timeline placed anywhere around now: in the past, too short, fine."""
    submission = now + draw(signed_spans)
    gap = max(draw(spans(10)), SECOND)
    delay = draw(opening_delays)
    return Timeline(
        clarification_deadline=submission - gap,
        submission_deadline=submission,
        opening_time=submission + delay,
    )


@st.composite
def compliant_timelines(draw: st.DrawFn, now: datetime) -> Timeline:
    """A timeline that every method and scope allows under either profile, when drawn."""
    submission = now + draw(st.integers(31, 45)) * DAY
    return Timeline(
        clarification_deadline=submission - draw(st.integers(5, 10)) * DAY,
        submission_deadline=submission,
        opening_time=submission + draw(st.integers(0, 3600)) * SECOND,
    )


@st.composite
def edge_timelines(draw: st.DrawFn, now: datetime, method: Method, scope: Scope) -> Timeline:
    """A timeline on the edges of what a profile's rules allow for this method and scope:
    the shortest bidding period and clarification gap, the shortest or longest opening
    delay, each give or take a second."""
    rules = rules_for(draw(st.sampled_from(PROFILE_NAMES)), method, scope)
    nudges = st.sampled_from([0, -1, 1]).map(_seconds)
    submission = now + rules.min_bidding_period + draw(nudges)
    gap = max(rules.min_clarification_gap + draw(nudges), SECOND)
    delay = draw(st.sampled_from([rules.max_opening_delay, rules.min_opening_delay]))
    return Timeline(
        clarification_deadline=submission - gap,
        submission_deadline=submission,
        opening_time=submission + max(delay + draw(nudges), timedelta(0)),
    )


CEILING = Decimal("2500000.00")  # of a request for quotations
ESTIMATES_WITHIN = [Decimal("1000000.00"), CEILING]
ESTIMATES_ABOVE = [CEILING + CENT, Decimal("10000000.00")]


def _security(estimate: Decimal, kind: str) -> BidSecurity | None:
    at_limit = (estimate * 5 / 100).quantize(CENT, rounding=ROUND_FLOOR)
    amounts = {"within": (estimate / 100).quantize(CENT), "at limit": at_limit}
    amounts["over"] = at_limit + CENT
    if kind == "none":
        return None
    return BidSecurity(amount=Money(amount=amounts[kind]))


ASPECTS = ("value", "security", "validity", "timeline", "translations")
broken_aspects = st.one_of(
    st.just(frozenset[str]()),
    st.just(frozenset({"edge"})),
    st.frozensets(st.sampled_from(ASPECTS), min_size=1, max_size=2),
)
"""Which aspects of the terms break the rules: none (a third), or the timeline alone set on
the rules' edges (a third), or one or two aspects (a third)."""


@st.composite
def tender_terms(draw: st.DrawFn, now: datetime) -> TenderTerms:
    """Well-formed terms that follow every rule, under both profiles and for every method,
    except in the aspects drawn to be broken."""
    broken = draw(broken_aspects)
    estimate = draw(st.sampled_from(ESTIMATES_ABOVE if "value" in broken else ESTIMATES_WITHIN))
    security = ["over"] if "security" in broken else ["within", "none", "at limit"]
    validity = [91, 365] if "validity" in broken else [90, 1, 30]
    method, scope = draw(st.sampled_from(Method)), draw(st.sampled_from(Scope))
    if "edge" in broken:
        line = edge_timelines(now, method, scope)
    elif "timeline" in broken:
        line = st.one_of(st.just(timeline(now)), timelines(now), edge_timelines(now, method, scope))
    else:
        line = compliant_timelines(now)
    # Fewer than the two translations: refused for the open competitive methods only.
    languages: list[tuple[TranslationLanguage, ...]] = (
        [(), ("ur",), ("sd",)] if "translations" in broken else [("ur", "sd")]
    )
    kept = draw(st.sampled_from(languages))
    changes = {
        "title": draw(st.sampled_from(["Rehabilitation of a district road", "A new bridge"])),
        "method": method,
        "scope": scope,
        "estimated_value": Money(amount=estimate),
        "bid_security": _security(estimate, draw(st.sampled_from(security))),
        "bid_validity_days": draw(st.sampled_from(validity)),
        "timeline": draw(line),
        "translations": {language: TRANSLATIONS[language] for language in kept},
    }
    return TenderTerms.model_validate({**terms(now).model_dump(), **changes})


# The model --------------------------------------------------------------------------------


@dataclass
class TenderModel:
    terms: TenderTerms
    status: TenderStatus = TenderStatus.DRAFT
    published_at: datetime | None = None
    rules: MethodRules | None = None
    amendments: int = 0
    answered: dict[UUID, bool] = field(default_factory=dict)  # question id: answered yet
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def cancelled(self) -> bool:
        return self.status is TenderStatus.CANCELLED

    @property
    def timeline(self) -> Timeline:
        return self.terms.timeline

    def state_errors(self, *, needs: TenderStatus) -> set[ErrorType]:
        """The errors a command that needs a tender in status ``needs`` may raise."""
        if self.cancelled:
            return {errors.TenderCancelledError}
        if self.status is needs:
            return set()
        if needs is TenderStatus.DRAFT:
            return {errors.TenderNotDraftError}
        if self.status is TenderStatus.CLOSED:
            return {errors.BiddingClosedError}
        return {errors.TenderNotPublishedError}

    def publish_errors(
        self, notice: TenderTerms, rules: MethodRules, now: datetime
    ) -> set[ErrorType]:
        found: set[ErrorType] = set()
        if self.cancelled:
            found.add(errors.TenderCancelledError)
        if self.published_at is not None:
            found.add(errors.AlreadyPublishedError)
        if notice != self.terms or (notice.method, notice.scope) != (rules.method, rules.scope):
            found.add(errors.InvalidTermsError)
        ceiling = rules.max_estimated_value
        if ceiling is not None and (
            notice.estimated_value.currency != ceiling.currency
            or notice.estimated_value.amount > ceiling.amount
        ):
            found.add(errors.MethodNotAllowedForValueError)
        security = notice.bid_security
        if security is not None and security.amount.amount * 100 > (
            notice.estimated_value.amount * rules.bid_security_max_percent
        ):
            found.add(errors.BidSecurityTooHighError)
        if notice.bid_validity_days > rules.bid_validity_max_days:
            found.add(errors.BidValidityError)
        return found | timeline_errors(notice.timeline, rules, now) | language_errors(notice, rules)

    def amend_errors(
        self, number: int, text: str, new: Timeline | None, now: datetime
    ) -> set[ErrorType]:
        found = self.state_errors(needs=TenderStatus.ACTIVE)
        deadline = self.timeline.submission_deadline
        if now >= deadline:
            found.add(errors.DeadlinePassedError)
        if number != self.amendments + 1 or is_blank(text):
            found.add(errors.InvalidTermsError)
        if self.rules is None:
            return found
        late = now + self.rules.late_amendment_window > deadline
        extended_enough = new is not None and (
            new.submission_deadline >= deadline + self.rules.late_amendment_min_extension
        )
        if late and not extended_enough:
            found.add(errors.DeadlineExtensionRequiredError)
        if new is not None:
            if new.submission_deadline <= now:
                found.add(errors.DeadlineInPastError)
            moved_into_past = (
                new.clarification_deadline != self.timeline.clarification_deadline
                and new.clarification_deadline <= now
            )
            if (
                new.submission_deadline < deadline
                or moved_into_past
                or new.clarification_deadline + self.rules.min_clarification_gap
                > new.submission_deadline
            ):
                found.add(errors.InvalidTimelineError)
            if not opening_delay_allowed(new, self.rules):
                found.add(errors.OpeningTimeOutOfWindowError)
        return found

    def ask_errors(self, question_id: UUID, text: str, now: datetime) -> set[ErrorType]:
        found = self.state_errors(needs=TenderStatus.ACTIVE)
        if now >= self.timeline.clarification_deadline:
            found.add(errors.ClarificationPeriodClosedError)
        if question_id in self.answered or is_blank(text):
            found.add(errors.InvalidTermsError)
        return found

    def answer_errors(self, question_id: UUID, answer: str) -> set[ErrorType]:
        found = self.state_errors(needs=TenderStatus.ACTIVE)
        if question_id not in self.answered:
            found.add(errors.QuestionNotFoundError)
        elif self.answered[question_id]:
            found.add(errors.QuestionAlreadyAnsweredError)
        if is_blank(answer):
            found.add(errors.InvalidTermsError)
        return found

    def close_errors(self, now: datetime) -> set[ErrorType]:
        found = self.state_errors(needs=TenderStatus.ACTIVE)
        if now < self.timeline.submission_deadline:
            found.add(errors.DeadlineNotReachedError)
        return found

    def cancel_errors(self, reason: str) -> set[ErrorType]:
        found: set[ErrorType] = set()
        if self.cancelled:
            found.add(errors.TenderCancelledError)
        if is_blank(reason):
            found.add(errors.InvalidTermsError)
        return found


def language_errors(notice: TenderTerms, rules: MethodRules) -> set[ErrorType]:
    """English is the notice itself; every other language the rules ask for is a text."""
    languages = set(rules.notice_languages) - {"en"}
    if languages <= set(notice.translations):
        return set()
    return {errors.NoticeTranslationMissingError}


def timeline_errors(line: Timeline, rules: MethodRules, now: datetime) -> set[ErrorType]:
    """What publishing refuses in a notice's timeline."""
    found: set[ErrorType] = set()
    if line.submission_deadline <= now:
        found.add(errors.DeadlineInPastError)
    elif line.submission_deadline < now + rules.min_bidding_period:
        found.add(errors.BiddingPeriodTooShortError)
    if (
        line.clarification_deadline <= now
        or line.clarification_deadline + rules.min_clarification_gap > line.submission_deadline
    ):
        found.add(errors.InvalidTimelineError)
    if not opening_delay_allowed(line, rules):
        found.add(errors.OpeningTimeOutOfWindowError)
    return found


def opening_delay_allowed(line: Timeline, rules: MethodRules) -> bool:
    delay = line.opening_time - line.submission_deadline
    return rules.min_opening_delay <= delay <= rules.max_opening_delay


def other_method(method: Method) -> Method:
    methods = list(Method)
    return methods[(methods.index(method) + 1) % len(methods)]


def other_scope(scope: Scope) -> Scope:
    return Scope.INTERNATIONAL if scope is Scope.NATIONAL else Scope.NATIONAL


# The machine -----------------------------------------------------------------------------


@settings(max_examples=300, stateful_step_count=50, deadline=None)
class TenderMachine(RuleBasedStateMachine):
    tender: Tender
    model: TenderModel

    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.officer = officer("wsd")
        self.vendor = vendor()
        self.stored: list[StoredEvent] = []
        self.snapshots = SnapshotWatch(MAPPER.transcoder)
        self.commands_done = 0  # successful commands after the draft
        self.seen_cancelled = False

    @initialize(
        data=st.data(),
        tender_id=st.uuids(),
        publish_at_once=st.sampled_from((*PROFILE_NAMES, None)),
    )
    def draft(self, data: st.DataObject, tender_id: UUID, publish_at_once: str | None) -> None:
        """Draft a tender, and in two runs in three try to publish it at once: the published
        states are then explored whichever rules a run enables, and every run that tries
        checks the publication rules on fresh terms (two in three break or skirt a rule)."""
        drafted = data.draw(tender_terms(self.now), label="terms")
        self.tender = Tender(
            id=tender_id, entity="wsd", terms=drafted, actor=self.officer, timestamp=self.now
        )
        assert self.tender.id == tender_id
        self.model = TenderModel(terms=drafted)
        self.stored.extend(store(drafted_event) for drafted_event in self.tender.collect_events())
        if publish_at_once is not None:
            self.publish(profile=publish_at_once, which_rules="own", stale_notice=False)

    # Running one command ------------------------------------------------------------------

    def attempt(self, command: Callable[[], None], expected: set[ErrorType]) -> bool:
        """Run the command; check it raised one of the expected errors and changed nothing,
        or (when no error was expected) that it emitted exactly one event."""
        tender = self.tender
        version = tender.version
        pending = len(tender._pending_events)
        before = copy.deepcopy(state_of(tender))
        refused: errors.ProcurementError | None = None
        try:
            command()
        except errors.ProcurementError as error:
            refused = error
        if refused is not None:
            event(f"{command.__name__}: {type(refused).__name__}")
            assert type(refused) in expected, (
                f"raised {type(refused).__name__} ({refused}); expected {names(expected)}"
            )
            assert tender.version == version, "a refused command changed the version"
            assert len(tender._pending_events) == pending, "a refused command left an event"
            assert state_of(tender) == before, "a refused command changed the state"
            return False
        event(f"{command.__name__}: done")
        assert not expected, f"the command succeeded; expected {names(expected)}"
        events = tender.collect_events()
        assert len(events) == 1, f"one command emitted {len(events)} events"
        assert tender.version == version + 1
        self.stored.append(store(events[0]))
        self.commands_done += 1
        return True

    # The clock ----------------------------------------------------------------------------

    @rule(
        step=clock_steps,
        boundary=st.sampled_from(
            [None, None, None, "clarification", "submission", "opening", "late window"]
        ),
        jitter=st.sampled_from([0, -1, 1]),
    )
    def advance_clock(self, step: timedelta, boundary: str | None, jitter: int) -> None:
        """Move the clock on by the step, or to a second either side of one of the tender's
        moments (its deadlines, the start of the late-amendment window) if that is ahead."""
        line = self.model.timeline
        window = self.model.rules.late_amendment_window if self.model.rules else DAY
        moments = {
            "clarification": line.clarification_deadline,
            "submission": line.submission_deadline,
            "opening": line.opening_time,
            "late window": line.submission_deadline - window,
        }
        target = moments[boundary] + jitter * SECOND if boundary else self.now
        self.now = target if target > self.now else self.now + step

    # The commands -------------------------------------------------------------------------

    @rule(data=st.data())
    def edit_draft(self, data: st.DataObject) -> None:
        edited = data.draw(tender_terms(self.now), label="terms")
        expected = self.model.state_errors(needs=TenderStatus.DRAFT)

        def editing() -> None:
            self.tender.edit_draft(terms=edited, actor=self.officer, timestamp=self.now)

        if self.attempt(editing, expected):
            self.model.terms = edited

    @rule(
        profile=st.sampled_from(PROFILE_NAMES),
        which_rules=st.sampled_from(["own"] * 6 + ["other method", "other scope"]),
        stale_notice=st.sampled_from([False] * 7 + [True]),
    )
    def publish(self, profile: str, which_rules: str, stale_notice: bool) -> None:
        current = self.tender.terms
        method, scope = current.method, current.scope
        if which_rules == "other method":
            method = other_method(method)
        elif which_rules == "other scope":
            scope = other_scope(scope)
        rules = rules_for(profile, method, scope)
        notice = current.model_copy(update={"title": "Old title"}) if stale_notice else current
        expected = self.model.publish_errors(notice, rules, self.now)

        def publishing() -> None:
            self.tender.publish(
                notice=notice,
                rules=rules,
                sealing_keys=sealing_keys(notice),
                actor=self.officer,
                timestamp=self.now,
                documents=NoticeDocuments(items=tuple(self.tender.documents.values())),
            )

        if self.attempt(publishing, expected):
            self.model.status = TenderStatus.ACTIVE
            self.model.published_at = self.now
            self.model.rules = rules

    @precondition(lambda self: self.model.status is TenderStatus.DRAFT)
    @rule(data=st.data(), profile=st.sampled_from(PROFILE_NAMES))
    def edit_then_publish(self, data: st.DataObject, profile: str) -> None:
        """An officer's usual path: edit the draft, then publish it at once (the new terms
        break one or two rules in half the draws)."""
        self.edit_draft(data)
        self.publish(profile=profile, which_rules="own", stale_notice=False)

    @rule(
        misnumber=st.sampled_from([0] * 6 + [-1, 1, 2]),
        text=texts,
        shift=st.none() | signed_spans,
        delay=st.none() | opening_delays,
    )
    def amend(
        self, misnumber: int, text: str, shift: timedelta | None, delay: timedelta | None
    ) -> None:
        number = len(self.tender.amendments) + 1 + misnumber
        new: Timeline | None = None
        if shift is not None:
            line = self.model.timeline
            submission = line.submission_deadline + shift
            new = Timeline(
                clarification_deadline=line.clarification_deadline + shift,
                submission_deadline=submission,
                opening_time=line.opening_time + shift if delay is None else submission + delay,
            )
        expected = self.model.amend_errors(number, text, new, self.now)

        def amending() -> None:
            self.tender.amend(
                number=number,
                text=text,
                timeline=new,
                actor=self.officer,
                timestamp=self.now,
                documents=NO_CHANGES,
            )

        if self.attempt(amending, expected):
            self.model.amendments += 1
            if new is not None:
                self.model.terms = self.model.terms.model_copy(update={"timeline": new})
            amendment = self.tender.amendments[-1]
            assert (amendment.number, amendment.text) == (number, text)
            assert (amendment.issued_at, amendment.timeline) == (self.now, new)

    @rule(data=st.data(), text=texts, reuse_id=st.sampled_from([False] * 4 + [True]))
    def ask_question(self, data: st.DataObject, text: str, reuse_id: bool) -> None:
        asked = sorted(self.model.answered)
        pick = st.sampled_from(asked) if reuse_id and asked else st.uuids()
        question_id = data.draw(pick, label="question id")
        expected = self.model.ask_errors(question_id, text, self.now)

        def asking() -> None:
            self.tender.ask_question(
                question_id=question_id, text=text, actor=self.vendor, timestamp=self.now
            )

        if self.attempt(asking, expected):
            self.model.answered[question_id] = False
            question = self.tender.questions[question_id]
            assert (question.text, question.asked_at) == (text, self.now)
            assert question.asked_by == self.vendor.account_id
            assert question.answer is None

    @precondition(lambda self: bool(self.model.answered))
    @rule(data=st.data(), answer=texts)
    def answer_question(self, data: st.DataObject, answer: str) -> None:
        question_id = data.draw(st.sampled_from(sorted(self.model.answered)), label="question")
        self.answer(question_id, answer)

    @rule(question_id=st.uuids(), answer=texts)
    def answer_unknown_question(self, question_id: UUID, answer: str) -> None:
        self.answer(question_id, answer)

    def answer(self, question_id: UUID, answer: str) -> None:
        expected = self.model.answer_errors(question_id, answer)

        def answering() -> None:
            self.tender.answer_question(
                question_id=question_id, answer=answer, actor=self.officer, timestamp=self.now
            )

        if self.attempt(answering, expected):
            self.model.answered[question_id] = True
            question = self.tender.questions[question_id]
            assert (question.answer, question.answered_at) == (answer, self.now)

    @rule()
    def close_bidding(self) -> None:
        expected = self.model.close_errors(self.now)

        def closing() -> None:
            self.tender.close_bidding(actor=self.officer, timestamp=self.now)

        if self.attempt(closing, expected):
            self.model.status = TenderStatus.CLOSED
            self.model.closed_at = self.now

    @rule(reason=cancellation_reasons)
    def cancel(self, reason: str) -> None:
        expected = self.model.cancel_errors(reason)

        def cancelling() -> None:
            self.tender.cancel(reason=reason, actor=self.officer, timestamp=self.now)

        if self.attempt(cancelling, expected):
            self.model.status = TenderStatus.CANCELLED
            self.model.cancelled_at = self.now
            assert self.tender.cancellation_reason == reason

    # Invariants ---------------------------------------------------------------------------

    @invariant()
    def status_follows_the_model(self) -> None:
        tender = self.tender
        assert tender.status in set(TenderStatus)
        assert tender.status is self.model.status
        assert tender.terms == self.model.terms
        assert tender.cancelled_at == self.model.cancelled_at
        assert (tender.cancellation_reason is not None) == self.model.cancelled

    @invariant()
    def cancellation_is_final(self) -> None:
        if self.tender.status is TenderStatus.CANCELLED:
            self.seen_cancelled = True
        if self.seen_cancelled:
            assert self.tender.status is TenderStatus.CANCELLED

    @invariant()
    def publication_is_recorded(self) -> None:
        tender, published = self.tender, self.model.published_at is not None
        assert (tender.published_at is not None) == published
        assert tender.published_at == self.model.published_at
        assert (tender.rules is not None) == published
        assert tender.rules == self.model.rules
        if published:
            assert tender.status is not TenderStatus.DRAFT
        if tender.status in {TenderStatus.ACTIVE, TenderStatus.CLOSED}:
            assert published

    @invariant()
    def bidding_closes_only_after_the_deadline(self) -> None:
        closed_at = self.model.closed_at
        if closed_at is not None:
            assert closed_at >= self.tender.terms.timeline.submission_deadline

    @invariant()
    def amendments_are_numbered_in_order(self) -> None:
        amendments = self.tender.amendments
        assert [a.number for a in amendments] == list(range(1, self.model.amendments + 1))
        issued = [a.issued_at for a in amendments]
        assert issued == sorted(issued)

    @invariant()
    def questions_are_answered_after_they_are_asked(self) -> None:
        questions = self.tender.questions
        assert {key: q.answer is not None for key, q in questions.items()} == self.model.answered
        for key, question in questions.items():
            assert question.id == key
            assert (question.answered_at is None) == (question.answer is None)
            if question.answered_at is not None:
                assert question.answered_at >= question.asked_at

    @invariant()
    def timeline_is_ordered(self) -> None:
        line = self.tender.terms.timeline
        assert line.clarification_deadline < line.submission_deadline <= line.opening_time

    @invariant()
    def version_counts_the_events(self) -> None:
        assert self.tender.version == 1 + self.commands_done
        assert len(self.stored) == self.tender.version
        assert self.tender._pending_events == []

    @invariant()
    def snapshots_restore_the_live_state(self) -> None:
        """Time travel's snapshot of every version, decoded, is the live tender."""
        self.snapshots.check(self.tender)

    @invariant()
    def replay_equals_live_state(self) -> None:
        replayed = replay(self.stored)
        assert isinstance(replayed, Tender)
        rebuilt, live = state_of(replayed), state_of(self.tender)
        differ = sorted(name for name in {*rebuilt, *live} if rebuilt.get(name) != live.get(name))
        assert not differ, f"the replayed tender differs from the live one in {differ}"


TestTenderMachine = TenderMachine.TestCase


@pytest.mark.parametrize("entity", ["", "   ", "\t"])
def test_a_tender_needs_an_entity(entity: str) -> None:
    with pytest.raises(errors.InvalidTermsError):
        Tender(id=uuid4(), entity=entity, terms=terms(START), actor=officer(), timestamp=START)


# Accounts --------------------------------------------------------------------------------

VENDOR_PROFILE = VendorProfile(
    legal_name="Indus Builders (Pvt) Ltd", ntn="1234567-8", contact_email="bids@indus.example"
)


def role_fits(username: str, role: Role, entity: str | None, has_vendor: bool) -> bool:
    """A plain username; officers have an entity, vendors their details, the rest neither."""
    if not re.fullmatch(r"[a-z0-9._-]{3,64}", username.strip().lower()):
        return False
    if role is Role.OFFICER:
        return bool(entity and entity.strip()) and not has_vendor
    if role is Role.VENDOR:
        return has_vendor and not entity
    return role in {Role.AUDITOR, Role.ADMIN, Role.REGULATOR} and not entity and not has_vendor


ACCOUNT_COMMANDS = [
    "change password",
    "disable",
    "enable",
    "sign out",
    "issue reset",
    "complete reset",
    "start enrolment",
    "enable second factor",
    "remove second factor",
    "use recovery code",
]


@dataclass
class AccountModel:
    """What the account's commands should do, kept beside the aggregate."""

    disabled: bool = False
    epoch: int = 0
    pending: str | None = None
    factor: str | None = None
    recovery: list[str] = field(default_factory=list)
    reset: tuple[str, datetime] | None = None

    def expected(  # noqa: C901, PLR0911, PLR0912 (one branch per command)
        self, name: str, argument: str, now: datetime
    ) -> type[errors.ProcurementError] | None:
        """The error the command must be refused with, or None (then the model applies it)."""
        if name in {"change password", "disable", "start enrolment"} and self.disabled:
            return errors.AccountDisabledError
        if name == "enable" and not self.disabled:
            return errors.AccountEnabledError
        if name == "complete reset":
            if self.disabled:
                return errors.AccountDisabledError
            if self.reset is None or argument != self.reset[0] or now > self.reset[1]:
                return errors.InvalidResetCodeError
        if name == "enable second factor":
            if self.disabled:
                return errors.AccountDisabledError
            if self.pending is None:
                return errors.NoEnrolmentError
        if name == "remove second factor" and self.factor is None:
            return errors.NoSecondFactorError
        if name == "use recovery code":
            if self.disabled:
                return errors.AccountDisabledError
            if self.factor is None:
                return errors.NoSecondFactorError
            if argument not in self.recovery:
                return errors.InvalidSecondFactorError
        return None

    def apply(self, name: str, argument: str, now: datetime) -> None:
        if name in SESSION_ENDING_COMMANDS:
            self.epoch += 1
        if name == "disable":
            self.disabled = True
        elif name == "enable":
            self.disabled = False
        elif name == "issue reset":
            self.reset = (argument, now + timedelta(hours=1))
        elif name in {"complete reset", "change password"}:
            self.reset = None  # a password the owner chose spends any reset code
        elif name == "start enrolment":
            self.pending = argument
        elif name == "enable second factor":
            self.factor, self.pending = self.pending, None
            self.recovery = [f"{argument}-1", f"{argument}-2"]
        elif name == "remove second factor":
            self.factor, self.pending, self.recovery = None, None, []
        elif name == "use recovery code":
            self.recovery.remove(argument)


SESSION_ENDING_COMMANDS = {
    "change password",
    "disable",
    "sign out",
    "issue reset",
    "complete reset",
    "enable second factor",
    "remove second factor",
}


def run_account_command(
    account: Account, name: str, argument: str, actor: Actor, now: datetime
) -> None:
    """The command on the aggregate (a code argument of "" stands for the one that works)."""
    if name == "change password":
        account.change_password(password_hash=argument, actor=actor, timestamp=now)
    elif name == "disable":
        account.disable(reason=argument, actor=actor, timestamp=now)
    elif name == "enable":
        account.enable(reason=argument, actor=actor, timestamp=now)
    elif name == "sign out":
        account.sign_out(actor=actor, timestamp=now)
    elif name == "issue reset":
        account.issue_password_reset(
            code_hash=argument, expires_at=now + timedelta(hours=1), actor=actor, timestamp=now
        )
    elif name == "complete reset":
        account.complete_password_reset(
            code_hash=argument, password_hash="$argon2id$new", actor=actor, timestamp=now
        )
    elif name == "start enrolment":
        account.start_second_factor_enrolment(encrypted_secret=argument, actor=actor, timestamp=now)
    elif name == "enable second factor":
        account.enable_second_factor(
            recovery_code_hashes=[f"{argument}-1", f"{argument}-2"], actor=actor, timestamp=now
        )
    elif name == "remove second factor":
        account.remove_second_factor(reason=argument, actor=actor, timestamp=now)
    else:
        account.use_recovery_code(code_hash=argument, actor=actor, timestamp=now)


def working_argument(model: AccountModel, name: str, argument: str) -> str:
    """An empty argument stands for the code that works, where there is one."""
    if argument:
        return argument
    if name == "complete reset" and model.reset is not None:
        return model.reset[0]
    if name == "use recovery code" and model.recovery:
        return model.recovery[0]
    return argument


@settings(max_examples=150, deadline=None)
@given(
    username=st.one_of(
        st.from_regex(r"[A-Za-z0-9._-]{3,24}", fullmatch=True), st.text(max_size=24)
    ),
    role=st.sampled_from(Role),
    entity=st.sampled_from([None, "", "   ", "wsd"]),
    has_vendor=st.booleans(),
    commands=st.lists(
        st.tuples(st.sampled_from(ACCOUNT_COMMANDS), st.sampled_from(["", "a", "b", "a-1"])),
        max_size=12,
    ),
)
def test_account_commands_keep_their_rules_and_replay(
    username: str,
    role: Role,
    entity: str | None,
    has_vendor: bool,
    commands: list[tuple[str, str]],
) -> None:
    actor = vendor() if role is Role.VENDOR else officer()
    now = START
    try:
        account = Account(
            username=username,
            role=role,
            entity=entity,
            vendor=VENDOR_PROFILE if has_vendor else None,
            password_hash="$argon2id$first",
            actor=actor,
            timestamp=now,
        )
    except errors.InvalidTermsError:
        assert not role_fits(username, role, entity, has_vendor), "a fitting account was refused"
        return
    assert role_fits(username, role, entity, has_vendor), "an unfitting account was registered"
    assert account.id == account_id_for(username) == account_id_for(f" {username.lower()} ")
    assert account.username == username.strip().lower()
    assert account.role is role
    stored = [store(registered) for registered in account.collect_events()]

    model = AccountModel()
    for name, given_argument in commands:
        now += timedelta(minutes=1)
        argument = working_argument(model, name, given_argument)
        refusal = model.expected(name, argument, now)
        version, before = account.version, copy.deepcopy(state_of(account))
        refused: errors.ProcurementError | None = None
        try:
            run_account_command(account, name, argument, actor, now)
        except errors.ProcurementError as error:
            refused = error
        if refused is not None:
            assert type(refused) is refusal, f"{name} refused with {refused!r}, not {refusal}"
            assert account.version == version
            assert state_of(account) == before
            assert account._pending_events == []
            continue
        assert refusal is None, f"{name} was not refused with {refusal}"
        model.apply(name, argument, now)
        [emitted] = account.collect_events()
        stored.append(store(emitted))
        if name == "change password":
            assert account.password_hash == argument
        assert account.disabled is model.disabled
        assert account.session_epoch == model.epoch
        assert account.second_factor_enabled is (model.factor is not None)
        assert account.recovery_code_hashes == model.recovery
        assert account.pending_totp_secret == model.pending

    replayed = replay(stored)
    assert isinstance(replayed, Account)
    assert state_of(replayed) == state_of(account), "the replayed account differs"
    assert account.version == len(stored)
    ending = [e for e in stored if e.topic in SESSION_ENDING_TOPICS]
    assert account.session_epoch == len(ending), "the epoch is not the count of its events"
