"""The evaluation's commands: committee, declarations, scores, the second opening,
the report.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from domain.bid import Bid, EnvelopeName, envelopes_for
from domain.errors import (
    EvaluationNotFoundError,
    EvaluationStateError,
    FinancialOpeningHeldError,
    InvalidCommitteeError,
    ReportNotFinalError,
    UnreadableBidError,
    VersionConflictError,
)
from domain.evaluation import (
    Candidate,
    CriterionScore,
    Evaluation,
    EvaluationStatus,
    FinancialBid,
    Member,
    evaluation_id_for,
)
from domain.grievance import ComplaintStage
from domain.tender import Tender
from domain.values import Actor, Money
from procurement.commands.opening import READ_FAULTS
from procurement.commands.views import EvaluationView
from procurement.crypto import hpke as sealing
from procurement.store.application_base import ProcurementStore, WriteResult

log = logging.getLogger("procurement.evaluation")


class EvaluationCommands(ProcurementStore):
    """The committee's evaluation (mixed into ``ProcurementApplication``)."""

    def start_evaluation(
        self,
        actor: Actor,
        tender_id: UUID,
        members: list[str],
        chair: str,
    ) -> WriteResult:
        """Name the committee and take up the opened bids."""
        tender = self._officers_tender(actor, tender_id, None)
        tender.check_not_cancelled()
        if tender.opening is None:
            raise EvaluationStateError("the bids are not opened yet")
        committee = self._committee(tender, members, chair)
        two_envelopes = len(envelopes_for(tender.terms.method)) == 2  # noqa: PLR2004
        evaluation = Evaluation(
            tender_id=tender.id,
            entity=tender.entity,
            terms=tender.terms.evaluation_terms,
            currency=tender.terms.estimated_value.currency,
            lot_ids=[lot.id for lot in tender.terms.lots],
            award_by_lot=tender.terms.award_by_lot,
            bundle_discounts=tender.terms.bundle_discounts,
            max_awards=framework.max_suppliers if (framework := tender.terms.framework) else 1,
            bid_validity_days=tender.terms.bid_validity_days,
            two_envelopes=two_envelopes,
            min_committee_size=tender.published_rules.min_committee_size,
            committee=committee,
            candidates=[
                Candidate.from_opening(bid, prices_known=not two_envelopes)
                for bid in tender.opening.bids
            ],
            actor=actor,
            timestamp=self._now(),
        )
        try:
            return self._save(evaluation)
        except VersionConflictError:
            raise EvaluationStateError("the committee is already formed") from None

    def reform_committee(
        self,
        actor: Actor,
        tender_id: UUID,
        members: list[str],
        chair: str,
        reason: str,
    ) -> WriteResult:
        """Name a new committee before it has done any work (every member declares again)."""
        tender = self._officers_tender(actor, tender_id, None)
        tender.check_not_cancelled()
        evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        evaluation.reform_committee(
            committee=self._committee(tender, members, chair),
            min_committee_size=tender.published_rules.min_committee_size,
            reason=reason,
            actor=actor,
            timestamp=self._now(),
        )
        return self._save(evaluation)

    def _committee(self, tender: Tender, members: list[str], chair: str) -> list[Member]:
        if chair not in members:
            raise InvalidCommitteeError("the chair must be one of the members")
        return [
            Member(
                account_id=self._entity_officer(tender.entity, username).id,
                name=username,
                chair=username == chair,
            )
            for username in members
        ]

    def declare_interests(
        self,
        actor: Actor,
        tender_id: UUID,
        *,
        conflict: bool,
        statement: str,
    ) -> WriteResult:
        evaluation = self._evaluation(actor, tender_id)
        evaluation.declare(
            conflict=conflict, statement=statement, actor=actor, timestamp=self._now()
        )
        return self._save(evaluation)

    def score_bid(
        self,
        actor: Actor,
        tender_id: UUID,
        bid_id: UUID,
        scores: list[CriterionScore],
    ) -> WriteResult:
        evaluation = self._committee_work(actor, tender_id)
        evaluation.score(bid_id=bid_id, scores=scores, actor=actor, timestamp=self._now())
        return self._save(evaluation)

    def disqualify_bid(
        self, actor: Actor, tender_id: UUID, bid_id: UUID, reason: str
    ) -> WriteResult:
        evaluation = self._committee_work(actor, tender_id)
        evaluation.disqualify(bid_id=bid_id, reason=reason, actor=actor, timestamp=self._now())
        return self._save(evaluation)

    def reinstate_bid(
        self, actor: Actor, tender_id: UUID, bid_id: UUID, reason: str
    ) -> WriteResult:
        evaluation = self._committee_work(actor, tender_id)
        evaluation.check_chair(actor.account_id)
        evaluation.candidate(bid_id)
        evaluation.check_reinstatable(bid_id)
        evaluation.reinstate(bid_id=bid_id, reason=reason, actor=actor, timestamp=self._now())
        return self._save(evaluation)

    def correct_price(
        self,
        actor: Actor,
        tender_id: UUID,
        bid_id: UUID,
        *,
        lot_id: str,
        corrected_price: Money,
        reason: str,
    ) -> WriteResult:
        evaluation = self._committee_work(actor, tender_id)
        evaluation.check_chair(actor.account_id)
        evaluation.check_corrected_total(bid_id, lot_id, corrected_price)
        evaluation.correct_price(
            bid_id=bid_id,
            lot_id=lot_id,
            corrected_price=corrected_price,
            reason=reason,
            actor=actor,
            timestamp=self._now(),
        )
        return self._save(evaluation)

    def open_financial_envelopes(self, actor: Actor, tender_id: UUID) -> WriteResult:
        """The second opening: decrypt the financial envelopes of the technically qualified
        bids, and of no other. Their key is not released: the rest stay sealed.

        A committee act: a declared, unrecused member's (the chair is one). Checked here,
        before anything is decrypted, and not in the event's body, which replays stored
        openings too."""
        tender = self._officers_tender(actor, tender_id, None)
        tender.check_not_cancelled()
        evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        evaluation.check_in_progress()
        evaluation.check_declared_member(actor.account_id)
        if not evaluation.two_envelopes:
            raise EvaluationStateError("this tender has one envelope: its prices are open")
        evaluation.check_technical_work_done()
        evaluation.check_committee_ready()
        now = self._now()
        held = self._check_not_held(
            tender_id, ComplaintStage.TECHNICAL_REPORT, FinancialOpeningHeldError, now
        )
        private = self._unwrapped_key(tender, EnvelopeName.FINANCIAL)
        bids = [
            self._open_financial_or_marked(tender, bid_id, private)
            for bid_id in evaluation.to_open_financially()
        ]
        evaluation.open_financial(bids=bids, actor=actor, timestamp=now)
        return self._save(evaluation, unless_changed=held)

    def _unwrapped_key(self, tender: Tender, name: EnvelopeName) -> bytes:
        keys = tender.sealing_keys.keys if tender.sealing_keys else ()
        [key] = [k for k in keys if k.envelope == name]
        return sealing.unwrap(self.kek, tender.id, key)

    def _open_financial_or_marked(
        self, tender: Tender, bid_id: UUID, private: bytes
    ) -> FinancialBid:
        """``_open_financial``, or the envelope marked with the fault (logged): one bid never
        fails the financial opening of the others (as ``OpeningCommands._opened_or_marked``)."""
        try:
            return self._open_financial(tender, bid_id, private)
        except READ_FAULTS as fault:
            log.exception("the financial opening could not read bid %s", bid_id)
            bid = self._load(Bid, bid_id)
            envelope = next(e for e in bid.envelopes.envelopes if e.name == EnvelopeName.FINANCIAL)
            return FinancialBid(
                bid_id=bid_id,
                commitment=envelope.commitment,
                problem=f"the platform could not read it ({type(fault).__name__})",
            )

    def _open_financial(self, tender: Tender, bid_id: UUID, private: bytes) -> FinancialBid:
        bid = self._load(Bid, bid_id)
        envelope = next(e for e in bid.envelopes.envelopes if e.name == EnvelopeName.FINANCIAL)
        opened = (
            next(b for b in tender.opening.bids if b.bid_id == bid_id) if tender.opening else None
        )
        recorded = dict(opened.commitments) if opened else {}
        if recorded.get(EnvelopeName.FINANCIAL) != envelope.commitment:
            return FinancialBid(
                bid_id=bid_id,
                commitment=envelope.commitment,
                problem="the envelope is not the one listed at the opening",
            )
        try:
            # Sealed on the vendor's machine: unchecked so far.
            contents = tender.read_sealed_bid(
                sealing.open_envelope(private, tender.id, bid.vendor_id, envelope)
            )
        except (sealing.SealingError, UnreadableBidError) as problem:
            return FinancialBid(bid_id=bid_id, commitment=envelope.commitment, problem=str(problem))
        return FinancialBid(
            bid_id=bid_id,
            commitment=envelope.commitment,
            prices=contents.prices,
            rate_totals=contents.rate_totals(tender.terms.lots),
            discounts=contents.discounts,
        )

    def finalise_evaluation(self, actor: Actor, tender_id: UUID) -> WriteResult:
        """The report, published: only if the tender still stands when it is saved (a
        cancellation at the same moment would otherwise be followed, in public, by the
        tender shown evaluated)."""
        tender, evaluation = self._standing_evaluation(actor, tender_id)
        report = evaluation.compute_report(tuple(tender.cancelled_lots))
        evaluation.finalise(report=report, actor=actor, timestamp=self._now())
        return self._save(evaluation, unless_changed={tender.id: tender.version})

    def evaluation_for_officer(self, actor: Actor, tender_id: UUID) -> EvaluationView:
        tender, evaluation = self._standing_evaluation(actor, tender_id)
        report = evaluation.compute_report(tuple(tender.cancelled_lots))
        return EvaluationView(
            tender_id=tender_id,
            version=evaluation.version,
            status=evaluation.status,
            state={
                "committee": [m.model_dump(mode="json") for m in evaluation.committee],
                "declarations": [
                    d.model_dump(mode="json") for d in evaluation.declarations.values()
                ],
                "to_open_financially": [str(b) for b in evaluation.to_open_financially()]
                if evaluation.two_envelopes
                else [],
                "current_award": str(award) if (award := evaluation.current_award) else None,
                "max_awards": evaluation.max_awards,
                "live_awards": [
                    {
                        "lot_id": live.lot_id,
                        "award_id": str(award_id),
                        "bid_id": str(live.bid_id),
                        "discount_percent": None
                        if live.discount_percent is None
                        else str(live.discount_percent),
                    }
                    for award_id, live in evaluation.live_awards.items()
                ],
                "draft_report": report.model_dump(mode="json"),
                "reports": [r.model_dump(mode="json") for r in evaluation.reports],
            },
        )

    def my_evaluation(self, actor: Actor, tender_id: UUID) -> dict[str, Any]:
        """A vendor's own result in the latest published report."""
        bid = self._vendors_bid(actor, tender_id)
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            raise ReportNotFinalError("the evaluation report is not published yet") from None
        report = evaluation.latest_report
        if report is None:
            raise ReportNotFinalError("the evaluation report is not published yet")
        entry = report.entry(bid.id)
        return {
            "report_number": report.number,
            "method": report.method.value,
            "bids_ranked": sum(1 for e in report.entries if e.ranked),
            "recommended": report.recommended_bid == bid.id
            or any(lot.recommended_bid == bid.id for lot in report.lots),
            "superseded": evaluation.status is EvaluationStatus.IN_PROGRESS,
            **entry.model_dump(mode="json"),
            # Its parts of the cheapest combination, when the notice allows bundle discounts.
            "combination": [
                part.model_dump(mode="json") for part in report.combination if part.bid_id == bid.id
            ],
        }

    def _committee_work(self, actor: Actor, tender_id: UUID) -> Evaluation:
        """The evaluation, for a declared, unrecused member's act on the bids, once the
        committee is ready (``Evaluation.check_committee_ready``)."""
        evaluation = self._evaluation(actor, tender_id)
        evaluation.check_in_progress()
        evaluation.check_declared_member(actor.account_id)
        evaluation.check_committee_ready()
        return evaluation

    def _evaluation(self, actor: Actor, tender_id: UUID) -> Evaluation:
        """The tender's evaluation, for an officer of its entity, while the tender stands."""
        return self._standing_evaluation(actor, tender_id)[1]

    def _standing_evaluation(self, actor: Actor, tender_id: UUID) -> tuple[Tender, Evaluation]:
        tender = self._officers_tender(actor, tender_id, None)
        tender.check_not_cancelled()
        return tender, self._load(Evaluation, evaluation_id_for(tender_id))
