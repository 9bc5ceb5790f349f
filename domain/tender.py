"""The Tender aggregate: from draft to publication, addenda, clarifications, cancellation.

Command methods carry ``@event``: their bodies run when the command is called and again
on every replay, so they start with ``check_...`` guards that read only the aggregate and
the arguments. The time of the command (``timestamp``) is an argument: the application
passes its clock's ``now`` in, the event records it, and replay sees the same value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event
from pydantic import Field

from domain.bid import BidContents, envelopes_for, read_sealed_bid
from domain.documents import (
    NO_CHANGES,
    NO_DOCUMENTS,
    DocumentChanges,
    Documents,
    NoticeDocuments,
    applied,
    check_changes,
    published,
)
from domain.errors import (
    AlreadyOpenedError,
    AlreadyPublishedError,
    BiddingClosedError,
    BiddingPeriodTooShortError,
    BidSecurityTooHighError,
    BidsSealedError,
    BidValidityError,
    CancelledLotPricedError,
    ClarificationPeriodClosedError,
    DeadlineExtensionRequiredError,
    DeadlineInPastError,
    DeadlineNotReachedError,
    DeadlinePassedError,
    InvalidPreBidMeetingError,
    InvalidStateError,
    InvalidTermsError,
    InvalidTimelineError,
    JustificationRequiredError,
    LastOpenLotError,
    LotCancelledError,
    MethodNotAllowedForValueError,
    NoPreBidMeetingError,
    NotAwardedByLotError,
    NoticeTranslationMissingError,
    NotStageOneError,
    OpeningTimeOutOfWindowError,
    PreBidMeetingNotHeldError,
    QuestionAlreadyAnsweredError,
    QuestionNotFoundError,
    StageTwoIssuedError,
    TenderCancelledError,
    TenderNotDraftError,
    TenderNotPublishedError,
    TooFewQuotationsError,
    UnknownLotError,
)
from domain.opening import OpeningRecord
from domain.public_status import PublicTenderStatus
from domain.rules import OPENING_GRACE, MethodRules, human_period
from domain.sealing import SealingKeySet
from domain.text import says_nothing
from domain.values import (
    Actor,
    Method,
    PreBidMeeting,
    TenderTerms,
    Timeline,
    ValueObject,
    language_names,
)

MAX_TEXT = 20000


class TenderStatus(StrEnum):
    """The tender's own status; once published, spelt as the public sees it."""

    DRAFT = "draft"
    ACTIVE = PublicTenderStatus.ACTIVE.value  # the notice is public and bids may be prepared
    CLOSED = PublicTenderStatus.CLOSED.value  # the deadline passed; bids await the opening
    OPENED = PublicTenderStatus.OPENED.value  # the bids (or technical envelopes) were opened
    CANCELLED = PublicTenderStatus.CANCELLED.value
    COMPLETED = PublicTenderStatus.COMPLETED.value  # stage one, its stage two published


class Amendment(ValueObject):
    number: int
    text: Annotated[str, Field(min_length=1, max_length=20000)]
    issued_at: datetime
    timeline: Timeline | None = None


class LotCancellation(ValueObject):
    """One lot of a tender awarded by lot, cancelled with its published reason."""

    lot_id: str
    reason: str
    cancelled_at: datetime


class Question(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A vendor's question and its answer. Unlike the other value objects it is not a pydantic
    model: a tender holds one per question asked, thousands of them in a busy clarification
    period, and an auditor's time travel decodes them all from a snapshot. As a frozen msgspec
    struct one decodes in under a microsecond, in C (a pydantic model takes two), and the
    collector never walks them (``gc=False``: they hold no containers). Its fields are
    validated by the event that makes it (``QuestionAsked``, ``QuestionAnswered``)."""

    id: UUID
    text: str
    asked_at: datetime
    asked_by: UUID
    answer: str | None = None
    answered_at: datetime | None = None


class Tender(Aggregate):
    TOPIC = "procurement:Tender"

    class Created(Aggregate.Created):
        TOPIC = "procurement:Tender.Created"

    # Events, declared so that projections and type checkers know their fields. The
    # command methods below name them in @event; their bodies are the events' apply.

    class TenderDrafted(Aggregate.Created):
        TOPIC = "procurement:Tender.TenderDrafted"
        entity: str
        terms: TenderTerms
        actor: Actor

    class TenderDraftEdited(Aggregate.Event):
        TOPIC = "procurement:Tender.TenderDraftEdited"
        terms: TenderTerms
        actor: Actor

    class TenderPublished(Aggregate.Event):
        TOPIC = "procurement:Tender.TenderPublished"
        notice: TenderTerms
        rules: MethodRules
        sealing_keys: SealingKeySet
        actor: Actor
        documents: NoticeDocuments = NO_DOCUMENTS  # none in notices before documents

    class DraftDocumentsChanged(Aggregate.Event):
        TOPIC = "procurement:Tender.DraftDocumentsChanged"
        changes: DocumentChanges
        actor: Actor

    class TenderAmended(Aggregate.Event):
        TOPIC = "procurement:Tender.TenderAmended"
        number: int
        text: str
        timeline: Timeline | None
        actor: Actor
        documents: DocumentChanges = NO_CHANGES  # none in amendments before documents

    class QuestionAsked(Aggregate.Event):
        TOPIC = "procurement:Tender.QuestionAsked"
        question_id: UUID
        text: str
        actor: Actor

    class QuestionAnswered(Aggregate.Event):
        TOPIC = "procurement:Tender.QuestionAnswered"
        question_id: UUID
        answer: str
        actor: Actor

    class BiddingClosed(Aggregate.Event):
        TOPIC = "procurement:Tender.BiddingClosed"
        actor: Actor

    class BidsOpened(Aggregate.Event):
        TOPIC = "procurement:Tender.BidsOpened"
        record: OpeningRecord
        actor: Actor

    class TenderCancelled(Aggregate.Event):
        TOPIC = "procurement:Tender.TenderCancelled"
        reason: str
        actor: Actor

    class LotCancelled(Aggregate.Event):
        """One lot of a tender awarded by lot is cancelled; the others go on (docs/lots.md)."""

        TOPIC = "procurement:Tender.LotCancelled"
        lot_id: str
        reason: str
        actor: Actor

    class StageTwoIssued(Aggregate.Event):
        """Stage one ends: its stage two, inviting the qualified, is published."""

        TOPIC = "procurement:Tender.StageTwoIssued"
        stage_two_id: UUID
        actor: Actor

    @event(TenderDrafted)
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 (eventsourcing's name) the application chooses it
        entity: str,
        terms: TenderTerms,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.check_entity(entity)
        self.entity = entity
        self.terms = terms
        self.status = TenderStatus.DRAFT
        self.drafted_by = actor.account_id
        self.published_at: datetime | None = None
        self.rules: MethodRules | None = None
        self.sealing_keys: SealingKeySet | None = None
        self.opening: OpeningRecord | None = None
        self.amendments: list[Amendment] = []
        self.documents: Documents = {}
        self.questions: dict[UUID, Question] = {}
        self.cancelled_at: datetime | None = None
        self.cancellation_reason: str | None = None
        self.stage_two_id: UUID | None = None
        self.lot_cancellations: dict[str, LotCancellation] = {}

    # Guards -------------------------------------------------------------------------------

    @staticmethod
    def check_entity(entity: str) -> None:
        if not entity.strip():
            raise InvalidTermsError("a tender belongs to a procuring entity")

    def check_not_cancelled(self) -> None:
        if self.status is TenderStatus.CANCELLED:
            raise TenderCancelledError("the tender was cancelled")

    def check_is_draft(self) -> None:
        self.check_not_cancelled()
        if self.status is not TenderStatus.DRAFT:
            raise TenderNotDraftError("a published tender is changed only by an amendment")

    def check_not_published(self) -> None:
        self.check_not_cancelled()
        if self.status is not TenderStatus.DRAFT:
            raise AlreadyPublishedError("the tender is already published")

    def check_is_active(self) -> None:
        self.check_not_cancelled()
        if self.status in {TenderStatus.CLOSED, TenderStatus.OPENED, TenderStatus.COMPLETED}:
            raise BiddingClosedError("bidding on this tender has closed")
        if self.status is not TenderStatus.ACTIVE:
            raise TenderNotPublishedError("the tender is not published")

    def check_before_deadline(self, now: datetime) -> None:
        if now >= self.terms.timeline.submission_deadline:
            raise DeadlinePassedError("the submission deadline has passed")

    def check_before_clarification_deadline(self, now: datetime) -> None:
        if now >= self.terms.timeline.clarification_deadline:
            raise ClarificationPeriodClosedError("the clarification period has closed")

    @staticmethod
    def check_terms_follow_rules(terms: TenderTerms, rules: MethodRules) -> None:
        if (terms.method, terms.scope) != (rules.method, rules.scope):
            raise InvalidTermsError("the rules given are not the rules of this tender's method")
        ceiling = rules.max_estimated_value
        if ceiling is not None and (
            terms.estimated_value.currency != ceiling.currency
            or terms.estimated_value.amount > ceiling.amount
        ):
            raise MethodNotAllowedForValueError(
                f"{terms.method.value} is allowed only up to {ceiling.amount} {ceiling.currency}"
            )
        if terms.bid_security is not None:
            limit = terms.estimated_value.amount * rules.bid_security_max_percent / 100
            if terms.bid_security.amount.amount > limit:
                raise BidSecurityTooHighError(
                    f"bid security may be at most {rules.bid_security_max_percent}% of the "
                    f"estimated value ({limit:.2f} {terms.estimated_value.currency})"
                )
        if terms.bid_validity_days > rules.bid_validity_max_days:
            raise BidValidityError(
                f"bid validity may be at most {rules.bid_validity_max_days} days"
            )

    @staticmethod
    def check_notice_languages(terms: TenderTerms, rules: MethodRules) -> None:
        """The notice has a text in every language the rules publish it in."""
        missing = [
            lang
            for lang in rules.notice_languages
            if lang != "en" and lang not in terms.translations
        ]
        if missing:
            required = language_names(rules.notice_languages)
            absent = language_names(missing)
            text = "text is" if len(missing) == 1 else "texts are"
            raise NoticeTranslationMissingError(
                f"a {rules.method.value} notice is published in {required}: "
                f"the {absent} {text} missing ({', '.join(missing)})"
            )

    @staticmethod
    def check_timeline_follows_rules(timeline: Timeline, rules: MethodRules, now: datetime) -> None:
        if timeline.submission_deadline <= now:
            raise DeadlineInPastError("the submission deadline must be in the future")
        if timeline.submission_deadline - now < rules.min_bidding_period:
            raise BiddingPeriodTooShortError(
                f"the bidding period must be at least {human_period(rules.min_bidding_period)} "
                f"for {rules.method.value} ({rules.scope.value}) under the "
                f"{rules.profile} rules"
            )
        if timeline.clarification_deadline <= now:
            raise InvalidTimelineError("the clarification deadline must be in the future")
        Tender.check_windows(timeline, rules)

    @staticmethod
    def check_windows(timeline: Timeline, rules: MethodRules) -> None:
        """The clarification gap before, and the opening window after, the deadline."""
        gap = timeline.submission_deadline - timeline.clarification_deadline
        if gap < rules.min_clarification_gap:
            raise InvalidTimelineError(
                "the clarification deadline must be at least "
                f"{human_period(rules.min_clarification_gap)} before the submission deadline"
            )
        delay = timeline.opening_time - timeline.submission_deadline
        if not rules.min_opening_delay <= delay <= rules.max_opening_delay:
            raise OpeningTimeOutOfWindowError(
                f"the opening must be between {human_period(rules.min_opening_delay)} and "
                f"{human_period(rules.max_opening_delay)} after the submission deadline: the bids "
                "can be opened only in that window"
            )

    def check_amended_timeline(
        self, timeline: Timeline | None, rules: MethodRules, now: datetime
    ) -> None:
        current = self.terms.timeline
        late = current.submission_deadline - now < rules.late_amendment_window
        if timeline is None:
            if late:
                raise DeadlineExtensionRequiredError(
                    f"an amendment in the last {human_period(rules.late_amendment_window)} of "
                    "the bidding period must extend the deadline by at least "
                    f"{human_period(rules.late_amendment_min_extension)}"
                )
            return
        if timeline.submission_deadline <= now:
            raise DeadlineInPastError("the submission deadline must be in the future")
        if timeline.submission_deadline < current.submission_deadline:
            raise InvalidTimelineError("an amendment may not bring the deadline forward")
        if (
            timeline.clarification_deadline != current.clarification_deadline
            and timeline.clarification_deadline <= now
        ):
            raise InvalidTimelineError("a moved clarification deadline must be in the future")
        if late and (
            timeline.submission_deadline
            < current.submission_deadline + rules.late_amendment_min_extension
        ):
            raise DeadlineExtensionRequiredError(
                f"a late amendment must extend the deadline by at least "
                f"{human_period(rules.late_amendment_min_extension)}"
            )
        self.check_windows(timeline, rules)

    # The method's rules the application checks before a command, never on replay: notices
    # and awards made before they were recorded replay as they were made.

    @staticmethod
    def check_justification(terms: TenderTerms, rules: MethodRules) -> None:
        """A direct-contracting notice cites one of its rules' cases, and explains it."""
        if terms.method is not Method.DIRECT_CONTRACTING:
            return
        given = terms.direct_contracting
        if given is None:
            raise JustificationRequiredError(
                "a direct_contracting tender is published with its justification: one of "
                f"the rules' cases ({', '.join(rules.direct_contracting_cases)}) and an "
                "explanation"
            )
        if given.case not in rules.direct_contracting_cases:
            raise JustificationRequiredError(
                f"{given.case.value} is not a case of direct contracting under the "
                f"{rules.profile} rules"
            )

    @staticmethod
    def check_pre_bid_meeting(
        meeting: PreBidMeeting | None, timeline: Timeline, now: datetime
    ) -> None:
        """A notice's pre-bid meeting is still to come and before the clarification deadline,
        so that what it raises can still be asked and answered."""
        if meeting is None:
            return
        if meeting.at <= now:
            raise InvalidPreBidMeetingError("the pre-bid meeting must be in the future")
        if meeting.at >= timeline.clarification_deadline:
            raise InvalidPreBidMeetingError(
                "the pre-bid meeting must come before the clarification deadline "
                f"({timeline.clarification_deadline.isoformat()})"
            )

    def check_minutes_due(self, now: datetime) -> PreBidMeeting:
        """The notice's pre-bid meeting, once its time has come: its minutes may follow."""
        meeting = self.terms.pre_bid_meeting
        if meeting is None:
            raise NoPreBidMeetingError("the tender's notice holds no pre-bid meeting")
        if now < meeting.at:
            raise PreBidMeetingNotHeldError(
                f"the pre-bid meeting is at {meeting.at.isoformat()}: its minutes come after it"
            )
        return meeting

    def check_enough_quotations(self, reason: str, received: int) -> None:
        """A request for quotations with fewer than its rules' minimum is awarded only with
        a reason, which the award publishes. ``received``: the quotations the final report
        ranks (responsive, not disqualified), on the lot awarded for a tender awarded by lot
        (``Evaluation.quotations_for``)."""
        minimum = self.published_rules.min_quotations
        if minimum is not None and received < minimum and not reason.strip():
            raise TooFewQuotationsError(
                f"{received} responsive quotation{'s' if received != 1 else ''}, fewer than "
                f"the {minimum} the rules ask: give the reason for awarding all the same"
            )

    @staticmethod
    def check_sealing_keys(keys: SealingKeySet, terms: TenderTerms) -> None:
        if keys.names() != envelopes_for(terms.method):
            raise InvalidTermsError("one sealing key per envelope of the method is needed")

    def check_accepting_bids(self, now: datetime) -> None:
        """Bids are taken while the tender is active and its deadline has not come."""
        self.check_is_active()
        self.check_before_deadline(now)

    def lot_ids(self) -> list[str]:
        """The ids a bid's prices may name (``BidContents.check_prices``)."""
        return [lot.id for lot in self.terms.lots]

    def read_sealed_bid(self, plain: bytes) -> BidContents:
        """``read_sealed_bid`` against this tender's lots: a sealed bid, at an opening."""
        return read_sealed_bid(plain, self.lot_ids())

    def check_question_open(self, question_id: UUID) -> None:
        question = self.questions.get(question_id)
        if question is None:
            raise QuestionNotFoundError("no such question on this tender")
        if question.answer is not None:
            raise QuestionAlreadyAnsweredError("the question is already answered")

    # Commands -----------------------------------------------------------------------------

    @event(TenderDraftEdited)
    def edit_draft(self, *, terms: TenderTerms, actor: Actor, timestamp: datetime) -> None:
        self.check_is_draft()
        self.terms = terms

    @event(DraftDocumentsChanged)
    def change_draft_documents(
        self, *, changes: DocumentChanges, actor: Actor, timestamp: datetime
    ) -> None:
        """Attach, replace or remove a draft's documents (published with the notice)."""
        self.check_is_draft()
        check_changes(self.documents, changes)
        self.documents = applied(self.documents, changes, timestamp, None, draft=True)

    @event(TenderPublished)
    def publish(
        self,
        *,
        notice: TenderTerms,
        rules: MethodRules,
        sealing_keys: SealingKeySet,
        actor: Actor,
        timestamp: datetime,
        documents: NoticeDocuments = NO_DOCUMENTS,
    ) -> None:
        """Publish the notice with its documents, its rules and its sealing keys (public
        halves public)."""
        self.check_not_published()
        if notice != self.terms or documents.items != tuple(self.documents.values()):
            raise InvalidTermsError("the notice must be the draft's current terms and documents")
        self.check_terms_follow_rules(notice, rules)
        self.check_timeline_follows_rules(notice.timeline, rules, timestamp)
        self.check_sealing_keys(sealing_keys, notice)
        self.check_notice_languages(notice, rules)
        self.status = TenderStatus.ACTIVE
        self.published_at = timestamp
        self.documents = published(self.documents, timestamp)
        self.rules = rules
        self.sealing_keys = sealing_keys

    @event(TenderAmended)
    def amend(
        self,
        *,
        number: int,
        text: str,
        timeline: Timeline | None,
        actor: Actor,
        timestamp: datetime,
        documents: DocumentChanges = NO_CHANGES,
    ) -> None:
        """An addendum: its text, perhaps a new timeline, and perhaps documents added,
        replaced (a new version) or withdrawn."""
        self.check_is_active()
        self.check_before_deadline(timestamp)
        if documents.items:
            check_changes(self.documents, documents)
        if number != len(self.amendments) + 1:
            raise InvalidTermsError("amendments are numbered in order")
        if not text.strip() or len(text) > MAX_TEXT:
            raise InvalidTermsError(f"an amendment needs its text, at most {MAX_TEXT} characters")
        rules = self.published_rules
        self.check_amended_timeline(timeline, rules, timestamp)
        self.amendments.append(
            Amendment(number=number, text=text, issued_at=timestamp, timeline=timeline)
        )
        if timeline is not None:
            self.terms = self.terms.model_copy(update={"timeline": timeline})
        if documents.items:
            self.documents = applied(self.documents, documents, timestamp, number, draft=False)

    @event(QuestionAsked)
    def ask_question(
        self, *, question_id: UUID, text: str, actor: Actor, timestamp: datetime
    ) -> None:
        self.check_is_active()
        self.check_before_clarification_deadline(timestamp)
        if question_id in self.questions:
            raise InvalidTermsError("the question id is already used")
        if not text.strip():
            raise InvalidTermsError("a question needs its text")
        self.questions[question_id] = Question(
            id=question_id, text=text, asked_at=timestamp, asked_by=actor.account_id
        )

    @event(QuestionAnswered)
    def answer_question(
        self, *, question_id: UUID, answer: str, actor: Actor, timestamp: datetime
    ) -> None:
        self.check_is_active()
        self.check_question_open(question_id)
        if not answer.strip():
            raise InvalidTermsError("an answer needs its text")
        question = self.questions[question_id]
        self.questions[question_id] = msgspec.structs.replace(
            question, answer=answer, answered_at=timestamp
        )

    @event(BiddingClosed)
    def close_bidding(self, *, actor: Actor, timestamp: datetime) -> None:
        """Record that the submission deadline has passed (done by the scheduler)."""
        self.check_is_active()
        if timestamp < self.terms.timeline.submission_deadline:
            raise DeadlineNotReachedError("the submission deadline has not passed yet")
        self.status = TenderStatus.CLOSED

    @event(BidsOpened)
    def open_bids(self, *, record: OpeningRecord, actor: Actor, timestamp: datetime) -> None:
        """Record the public opening: the released key and every bid's contents."""
        self.check_can_open(timestamp)
        if record.envelope != envelopes_for(self.terms.method)[0]:
            raise InvalidTermsError("the first opening opens the method's first envelope")
        self.status = TenderStatus.OPENED
        self.opening = record

    def check_can_open(self, now: datetime) -> None:
        self.check_not_cancelled()
        if self.status is TenderStatus.OPENED:
            raise AlreadyOpenedError("the bids are already opened")
        if self.status is TenderStatus.DRAFT:
            raise TenderNotPublishedError("the tender is not published")
        timeline = self.terms.timeline
        # The notice's opening time: the rules keep it at least OPENING_GRACE after the
        # deadline. Tenders published before they did (their recorded rules allow less)
        # still wait for the grace.
        opens = max(timeline.opening_time, timeline.submission_deadline + OPENING_GRACE)
        if now < opens:
            raise BidsSealedError(f"the bids stay sealed until {opens.isoformat()}")

    @event(TenderCancelled)
    def cancel(self, *, reason: str, actor: Actor, timestamp: datetime) -> None:
        self.check_not_cancelled()
        self.check_no_stage_two()
        if not reason.strip():
            raise InvalidTermsError("a cancellation needs its reason")
        self.status = TenderStatus.CANCELLED
        self.cancelled_at = timestamp
        self.cancellation_reason = reason

    @event(LotCancelled)
    def cancel_lot(self, *, lot_id: str, reason: str, actor: Actor, timestamp: datetime) -> None:
        """Cancel one lot of a tender awarded by lot, with its reason: it is not awarded any
        more, and the tender's other lots go on (docs/lots.md)."""
        self.check_lot_cancellable(lot_id)
        if says_nothing(reason):
            raise InvalidTermsError("a lot's cancellation needs its reason")
        self.lot_cancellations = {
            **self.cancelled_lots,
            lot_id: LotCancellation(lot_id=lot_id, reason=reason, cancelled_at=timestamp),
        }

    def check_lot_cancellable(self, lot_id: str) -> None:
        """A published tender awarded by lot, not cancelled, with this lot open and another
        lot open beside it (the last is cancelled with the tender)."""
        self.check_not_cancelled()
        self.check_no_stage_two()
        if self.status is TenderStatus.DRAFT:
            raise TenderNotPublishedError("a draft's lots are changed by editing it")
        if not self.terms.award_by_lot:
            raise NotAwardedByLotError(
                "this tender is awarded whole: its lots are cancelled with the tender "
                f"(POST /tenders/{self.id}/cancel)"
            )
        if lot_id not in self.lot_ids():
            raise UnknownLotError(f"no lot {lot_id} on this tender")
        self.check_lot_open(lot_id)
        if self.open_lots() == [lot_id]:
            raise LastOpenLotError(
                f"lot {lot_id} is the tender's last open lot: cancel the tender instead "
                f"(POST /tenders/{self.id}/cancel)"
            )

    def check_lot_open(self, lot_id: str | None) -> None:
        """The lot (None: the whole tender) is not cancelled: it may still be awarded."""
        cancelled = self.cancelled_lots.get(lot_id) if lot_id is not None else None
        if cancelled is not None:
            raise LotCancelledError(
                f"lot {lot_id} was cancelled on {cancelled.cancelled_at.isoformat()}: "
                f"{cancelled.reason}"
            )

    def check_prices_open(self, priced: Iterable[str]) -> None:
        """A bid arriving in plain (new or replaced) prices no cancelled lot. Checked by the
        application, not in the bid's event: a bid sealed on the vendor's machine shows its
        prices only at the opening, where a cancelled lot's price is kept and not ranked."""
        cancelled = sorted(set(priced) & set(self.cancelled_lots))
        if cancelled:
            raise CancelledLotPricedError(
                f"lot {', '.join(cancelled)} is cancelled: price only the open lots "
                f"({', '.join(self.open_lots())})"
            )

    @property
    def cancelled_lots(self) -> dict[str, LotCancellation]:
        """The lots cancelled alone, by id (``getattr``: a tender loaded from a snapshot
        taken before lots were cancelled alone has none)."""
        cancelled: dict[str, LotCancellation] = getattr(self, "lot_cancellations", {})
        return cancelled

    def open_lots(self) -> list[str]:
        """The notice's lots not cancelled alone, in its order."""
        return [lot_id for lot_id in self.lot_ids() if lot_id not in self.cancelled_lots]

    @event(StageTwoIssued)
    def issue_stage_two(self, *, stage_two_id: UUID, actor: Actor, timestamp: datetime) -> None:
        """Stage one ends: its stage two is published (docs/two-stage.md)."""
        self.check_stage_one()
        self.check_no_stage_two()
        if self.status is not TenderStatus.OPENED:
            raise InvalidStateError("stage two follows stage one's opening and evaluation")
        self.status = TenderStatus.COMPLETED
        self.stage_two_id = stage_two_id

    def check_stage_one(self) -> None:
        if not self.terms.method.is_stage_one:
            raise NotStageOneError(
                f"a {self.terms.method.value} tender has no stage two: only "
                "two_stage_one_envelope and two_stage_two_envelope tenders do"
            )

    def check_no_stage_two(self) -> None:
        # ``getattr``: a tender loaded from a snapshot taken before two-stage tendering.
        if getattr(self, "stage_two_id", None) is not None:
            raise StageTwoIssuedError(f"stage two is tender {self.stage_two_id}")

    # Queries ------------------------------------------------------------------------------

    @property
    def published_rules(self) -> MethodRules:
        if self.rules is None:
            raise TenderNotPublishedError("the tender is not published")
        return self.rules
