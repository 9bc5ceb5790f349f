"""A tender's commands: draft, edit, publish, amend, cancel, questions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid4

import msgspec

from domain.account import Account
from domain.bid import envelopes_for
from domain.documents import (
    NO_CHANGES,
    DocumentChange,
    DocumentChanges,
    DocumentKind,
    DocumentVersion,
    FileFacts,
    NoticeDocuments,
    check_no_minutes,
)
from domain.errors import (
    DocumentNotFoundError,
    FollowOnTermsFixedError,
    InvalidTermsError,
    OutsideFrameworkPeriodError,
    TenderNotFoundError,
    VersionConflictError,
)
from domain.framework import check_framework_period, framework_terms
from domain.plan import ProcurementPlan, fiscal_year_of, plan_id_for, planned_terms
from domain.rules import framework_rules, rules_for, security_rules
from domain.securities import check_performance_security_percent
from domain.tender import Tender
from domain.values import (
    Actor,
    NoticeLanguage,
    RelatedProcess,
    Relationship,
    Role,
    TenderTerms,
    Timeline,
)
from procurement.commands.access import system_actor
from procurement.commands.bids import check_invited
from procurement.commands.views import TenderView
from procurement.crypto import hpke as sealing
from procurement.store.application_base import ProcurementStore, WriteResult
from procurement.store.documents import SNIFF_SIZE, media_type_of, store_bytes
from procurement.store.recorder import StoreRecorder

FOLLOW_ON_FIELDS = ("method", "framework", "related", "invited_vendors", "invited_names")
"""What the application fills in on a follow-on tender (stage two, a call-off) from the
tender it follows: an edit of its draft keeps them (a mini-competition given a framework of its
own, or another method, would escape its parent's ceiling)."""


def check_follow_on_kept(current: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """Refuse an edit of a follow-on draft that changes one of ``FOLLOW_ON_FIELDS`` (an
    officer turning stage two into another stage one, an RFQ, or one envelope from two)."""
    for name in FOLLOW_ON_FIELDS:
        if name in changes and changes[name] != current[name]:
            raise FollowOnTermsFixedError(
                f"{name} of a follow-on tender comes from the tender it follows: it is not edited",
                field=name,
            )


class TenderCommands(ProcurementStore):
    """A tender's life before its opening (mixed into ``ProcurementApplication``)."""

    def draft_tender(
        self, actor: Actor, terms: TenderTerms, idempotency_key: str | None = None
    ) -> WriteResult:
        """A new draft. With an idempotency key its id is derived from the key, so a retry
        that slipped past the idempotency store conflicts instead of drafting twice."""
        if actor.role is not Role.OFFICER or actor.entity is None:
            raise TenderNotFoundError("only an entity's officers draft its tenders")
        terms.check_bundle_discounts()
        tender = Tender(
            id=self._new_id(actor, idempotency_key),
            entity=actor.entity,
            terms=terms,
            actor=actor,
            timestamp=self._now(),
        )
        try:
            return self._save(tender)
        except VersionConflictError:
            if idempotency_key is None:
                raise
        # The draft this account drafted with this key is stored already: an earlier attempt
        # made it and ended before its answer. Answer as it would have.
        drafted = self._load(Tender, tender.id)
        return WriteResult(id=drafted.id, version=1, position=self._position_of(drafted.id, 1))

    def follow_on_terms(
        self, terms: TenderTerms, related: RelatedProcess, vendor_ids: Sequence[UUID]
    ) -> TenderTerms:
        """``terms`` for a tender that follows ``related`` and takes bids from ``vendor_ids``
        alone (stage two from stage one, a call-off from its framework), with the vendors'
        names as their accounts give them now, for the public notice. Officers never type
        these: the command that creates the follow-on tender fills them in."""
        names = []
        for vendor_id in vendor_ids:
            vendor = self._load(Account, vendor_id)
            names.append(vendor.vendor.legal_name if vendor.vendor else vendor.username)
        current = {name: getattr(terms, name) for name in TenderTerms.model_fields}
        return TenderTerms.model_validate(
            {
                **current,
                "related": related,
                "invited_vendors": tuple(vendor_ids),
                "invited_names": tuple(names),
            }
        )

    def draft_mini_competition(
        self,
        actor: Actor,
        framework_id: UUID,
        terms: TenderTerms,
        idempotency_key: str | None = None,
    ) -> WriteResult:
        """A call-off by mini-competition: a draft tender linked to the framework and open
        only to its suppliers (those whose agreement is signed now), within its period."""
        framework = self._officers_tender(actor, framework_id, None)
        self._check_mini_competition(framework, terms, self._now())
        suppliers, _ = self._framework_suppliers(framework_id)
        related = RelatedProcess(tender_id=framework_id, relationship=Relationship.FRAMEWORK)
        linked = self.follow_on_terms(terms, related, sorted(suppliers))
        return self.draft_tender(actor, linked, idempotency_key)

    @staticmethod
    def _check_mini_competition(framework: Tender, terms: TenderTerms, now: datetime) -> None:
        """A mini-competition of ``framework`` with ``terms`` may be drafted (or published)
        ``now``: the framework stands, ``now`` is within its period, the amounts are in its
        ceiling's currency, and the call-off is no framework of its own."""
        framework.check_not_cancelled()
        ceiling = framework_terms(framework.terms).ceiling
        period = framework_terms(framework.terms).period
        if not period.start <= now <= period.end:
            raise OutsideFrameworkPeriodError(
                f"the framework's period is {period.start.isoformat()} to {period.end.isoformat()}"
            )
        if terms.framework is not None:
            raise InvalidTermsError("a call-off is not itself a framework agreement")
        if terms.estimated_value.currency != ceiling.currency:
            raise InvalidTermsError(
                f"a call-off of this framework is in its ceiling's currency, {ceiling.currency}"
            )

    def edit_tender(
        self,
        actor: Actor,
        tender_id: UUID,
        changes: Mapping[str, Any],
        expected_version: int | None,
    ) -> WriteResult:
        """Change some of a draft's terms; the rest stay as they are. A follow-on draft keeps
        what the application filled from its parent (``FOLLOW_ON_FIELDS``)."""
        tender = self._officers_tender(actor, tender_id, expected_version)
        current = {name: getattr(tender.terms, name) for name in TenderTerms.model_fields}
        if tender.terms.related is not None:
            check_follow_on_kept(current, changes)
        terms = TenderTerms.model_validate({**current, **changes})
        terms.check_bundle_discounts()
        tender.edit_draft(terms=terms, actor=actor, timestamp=self._now())
        return self._save(tender)

    def publish_tender(
        self, actor: Actor, tender_id: UUID, expected_version: int | None
    ) -> WriteResult:
        tender = self._officers_tender(actor, tender_id, expected_version)
        tender.check_not_published()  # a published tender answers so, before its plan
        now = self._now()
        plans_read: dict[UUID, int] = {}  # each plan as read: its version, 0 if none yet

        def plan_for(year: str) -> ProcurementPlan | None:
            plan = self._plan_of(tender.entity, year)
            plans_read[plan_id_for(tender.entity, year)] = 0 if plan is None else plan.version
            return plan

        terms = planned_terms(tender.terms, plan_for, fiscal_year_of(now))
        if terms != tender.terms:  # the cited line, as the plan says it now
            tender.edit_draft(terms=terms, actor=actor, timestamp=now)
        rules = rules_for(self.rule_profile, tender.terms.method, tender.terms.scope)
        check_performance_security_percent(tender.terms, security_rules(self.rule_profile))
        tender.check_justification(tender.terms, rules)
        check_framework_period(tender.terms, framework_rules())
        tender.terms.check_bundle_discounts()
        framework = self._framework_of(tender)
        if framework is not None:  # a mini-competition: its framework as it is now
            self._check_mini_competition(framework, tender.terms, now)
            plans_read[framework.id] = framework.version
        tender.check_pre_bid_meeting(tender.terms.pre_bid_meeting, tender.terms.timeline, now)
        keys = sealing.make_tender_keys(self.kek, tender.id, envelopes_for(tender.terms.method))
        tender.publish(
            notice=tender.terms,
            rules=rules,
            sealing_keys=keys,
            actor=actor,
            timestamp=now,
            documents=NoticeDocuments(items=tuple(tender.documents.values())),
        )
        # Published on the plan (and a mini-competition's framework) as read: a line
        # withdrawn, a plan published, or the framework cancelled meanwhile makes this write
        # fail (version_conflict), never slip past the check.
        followed, read = self._followed(tender, actor, now)
        return self._save(tender, *followed, unless_changed={**plans_read, **read})

    def _followed(
        self, tender: Tender, actor: Actor, now: datetime
    ) -> tuple[list[Tender], dict[UUID, int]]:
        """What publishing ``tender`` changes in the tender it follows, and what it was
        decided from (each aggregate's version as read). A tender that follows none changes
        nothing; stage two ends stage one (``TwoStageCommands``, docs/two-stage.md)."""
        del tender, actor, now  # the overrides' arguments
        return [], {}

    def amend_tender(
        self,
        actor: Actor,
        tender_id: UUID,
        text: str,
        timeline: Timeline | None,
        expected_version: int | None,
        *,
        documents: DocumentChanges = NO_CHANGES,
    ) -> WriteResult:
        """An addendum; ``documents``' files are in the document store already (the API
        measured them there: ``FileFacts``)."""
        tender = self._officers_tender(actor, tender_id, expected_version)
        check_no_minutes(tender.documents, documents)
        now = self._now()
        meeting = tender.terms.pre_bid_meeting
        if timeline is not None and meeting is not None and meeting.at > now:
            # A meeting still to come stays before a moved clarification deadline.
            tender.check_pre_bid_meeting(meeting, timeline, now)
        tender.amend(
            number=len(tender.amendments) + 1,
            text=text,
            timeline=timeline,
            actor=actor,
            timestamp=now,
            documents=documents,
        )
        return self._save(tender)

    def publish_pre_bid_minutes(
        self,
        actor: Actor,
        tender_id: UUID,
        minutes: FileFacts,
        title: str,
        expected_version: int | None,
        *,
        language: NoticeLanguage = "en",
        timeline: Timeline | None = None,
    ) -> tuple[WriteResult, UUID]:
        """The minutes of the notice's pre-bid meeting, once it is held: an addendum that
        adds them as a document (``pre_bid_minutes``). Answers the write and the document's
        id."""
        tender = self._officers_tender(actor, tender_id, expected_version)
        now = self._now()
        tender.check_is_active()
        meeting = tender.check_minutes_due(now)
        document_id = uuid4()
        change = DocumentChange(
            action="add",
            document_id=document_id,
            kind=DocumentKind.PRE_BID_MINUTES,
            title=title,
            language=language,
            file=minutes,
        )
        tender.amend(
            number=len(tender.amendments) + 1,
            text=f"Minutes of the pre-bid meeting of {meeting.at.isoformat()}: {title}",
            timeline=timeline,
            actor=actor,
            timestamp=now,
            documents=DocumentChanges(items=(change,)),
        )
        return self._save(tender), document_id

    def change_draft_documents(
        self,
        actor: Actor,
        tender_id: UUID,
        changes: DocumentChanges,
        expected_version: int | None,
    ) -> WriteResult:
        """Attach, replace or remove a draft's documents (files in the store already)."""
        tender = self._officers_tender(actor, tender_id, expected_version)
        check_no_minutes(tender.documents, changes)
        tender.change_draft_documents(changes=changes, actor=actor, timestamp=self._now())
        return self._save(tender)

    def stored_file(self, content: bytes, file_name: str) -> FileFacts:
        """A small file (the demo's) stored as an upload would be, its type read from its
        bytes: its facts, to attach to a tender."""
        media = media_type_of(content[:SNIFF_SIZE], file_name, None)
        datastore = cast("StoreRecorder", self.recorder).datastore
        stored = store_bytes(datastore, content, media.value)
        return FileFacts(
            sha256=stored.sha256, size=stored.size, media_type=media, file_name=file_name
        )

    def tender_document(
        self, actor: Actor, tender_id: UUID, document_id: UUID, version: int | None
    ) -> DocumentVersion:
        """One version of a document of the officer's entity's tender, drafts too (the
        current one if ``version`` is None). The public reads published ones from their
        read model (``projections/tender_documents.py``)."""
        tender = self._officers_tender(actor, tender_id, None)
        document = tender.documents.get(document_id)
        if document is None or not 1 <= (version or 1) <= len(document.versions):
            raise DocumentNotFoundError(f"no document {document_id} version {version}")
        return document.versions[(version or len(document.versions)) - 1]

    def cancel_tender(
        self, actor: Actor, tender_id: UUID, reason: str, expected_version: int | None
    ) -> WriteResult:
        tender = self._officers_tender(actor, tender_id, expected_version)
        read = self.check_tender_cancellable(tender_id)
        tender.cancel(reason=reason, actor=actor, timestamp=self._now())
        return self._save(tender, unless_changed=read)

    def cancel_lot(
        self,
        actor: Actor,
        tender_id: UUID,
        lot_id: str,
        reason: str,
        expected_version: int | None,
    ) -> WriteResult:
        """Cancel one lot of a tender awarded by lot (docs/lots.md): the tender's own
        refusals first (not awarded by lot, no such lot, cancelled, the last open lot), then
        the lot's awards and complaints, read as of the write."""
        tender = self._officers_tender(actor, tender_id, expected_version)
        tender.check_lot_cancellable(lot_id)
        now = self._now()
        read = self.check_lot_cancellable(tender_id, lot_id, now)
        tender.cancel_lot(lot_id=lot_id, reason=reason, actor=actor, timestamp=now)
        return self._save(tender, unless_changed=read)

    def close_bidding(self, tender_id: UUID, request_id: str) -> WriteResult:
        """The scheduler's command: record that the tender's deadline has passed."""
        tender = self._load(Tender, tender_id)
        tender.close_bidding(actor=system_actor(request_id), timestamp=self._now())
        return self._save(tender)

    def ask_question(
        self, actor: Actor, tender_id: UUID, text: str, idempotency_key: str | None = None
    ) -> WriteResult:
        """A vendor's clarification request. Returns the question's id, not the tender's. On
        a tender open to invited vendors alone, only they ask (``vendor_not_invited``)."""
        tender = self._public_tender(tender_id)
        check_invited(tender, actor)  # a restricted tender's questions are its invited's
        question_id = self._new_id(actor, idempotency_key)
        asked = tender.questions.get(question_id)
        if asked is not None and asked.asked_by == actor.account_id:
            # This key's question, asked by an attempt that ended before its answer.
            return self._written(tender, question_id)
        tender.ask_question(question_id=question_id, text=text, actor=actor, timestamp=self._now())
        result = self._save(tender)
        return WriteResult(id=question_id, version=result.version, position=result.position)

    def answer_question(
        self, actor: Actor, tender_id: UUID, question_id: UUID, answer: str
    ) -> WriteResult:
        tender = self._officers_tender(actor, tender_id, None)
        tender.answer_question(
            question_id=question_id, answer=answer, actor=actor, timestamp=self._now()
        )
        result = self._save(tender)
        return WriteResult(id=question_id, version=result.version, position=result.position)

    def tender_for_officer(self, actor: Actor, tender_id: UUID) -> TenderView:
        tender = self._officers_tender(actor, tender_id, None)
        return TenderView(
            id=tender.id,
            version=tender.version,
            entity=tender.entity,
            status=tender.status,
            terms=tender.terms,
            published_at=tender.published_at,
            amendments=[a.model_dump(mode="json") for a in tender.amendments],
            # Who asked is kept from the officers as from the public: it would tell them
            # which vendors are interested before the opening.
            questions=[
                {
                    name: value
                    for name, value in msgspec.to_builtins(question).items()
                    if name != "asked_by"
                }
                for question in tender.questions.values()
            ],
            cancellation_reason=tender.cancellation_reason,
            documents=tuple(tender.documents.values()),
            cancelled_lots=tuple(tender.cancelled_lots.values()),
        )
