"""The application's evaluation, award, complaint and contract commands.

A mixin of ``ProcurementApplication`` (its methods type ``self`` as that class): the same
load, command, save-in-one-transaction steps, with the object-level checks done on the loads.
Where one decision changes two aggregates (an award records itself on the evaluation; an
upheld complaint cancels the award and reopens the evaluation) both are saved together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.account import Account, account_id_for
from domain.award import Award, AwardStatus, ComplaintStatus, ContractPeriod, Remedy
from domain.bid import Bid
from domain.errors import (
    AccountNotFoundError,
    AwardLiveError,
    AwardNotFoundError,
    BidNotResponsiveError,
    ComplaintPendingError,
    ContractSignedError,
    EvaluationNotFoundError,
    EvaluationStateError,
    InvalidCommitteeError,
    ReasonRequiredError,
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
    award_id_for,
    evaluation_id_for,
)
from domain.opening import OpenedStatus
from domain.sealing import EnvelopeName, envelopes_for
from domain.tender import Tender
from domain.values import Actor, Money, Role
from procurement.crypto import hpke as sealing
from procurement.store.aggregate_ids import id_key, new_id
from procurement.store.application_base import ProcurementStore, WriteResult


@dataclass(frozen=True)
class EvaluationView:
    """An evaluation as the entity's officers see it while it runs."""

    tender_id: UUID
    version: int
    status: EvaluationStatus
    state: dict[str, Any]


class EvaluationCommands(ProcurementStore):
    """Evaluation, award, complaints and contract (mixed into the application)."""

    # Committee and evaluation -------------------------------------------------------------

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
                account_id=self._committee_officer(tender, username).id,
                name=username,
                chair=username == chair,
            )
            for username in members
        ]

    def _committee_officer(self, tender: Tender, username: str) -> Account:
        # No account, a vendor's, another entity's: one answer, so that naming a committee
        # does not tell an officer which usernames exist on the platform.
        not_ours = InvalidCommitteeError(f"{username!r} is not an officer of {tender.entity}")
        try:
            account = self._load(Account, account_id_for(username))
        except AccountNotFoundError:
            raise not_ours from None
        if account.role is not Role.OFFICER or account.entity != tender.entity:
            raise not_ours
        if account.disabled:
            raise InvalidCommitteeError(f"{username!r} is disabled")
        return account

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
        private = self._unwrapped_key(tender, EnvelopeName.FINANCIAL)
        bids = [
            self._open_financial(tender, bid_id, private)
            for bid_id in evaluation.to_open_financially()
        ]
        evaluation.open_financial(bids=bids, actor=actor, timestamp=self._now())
        return self._save(evaluation)

    def _unwrapped_key(self, tender: Tender, name: EnvelopeName) -> bytes:
        keys = tender.sealing_keys.keys if tender.sealing_keys else ()
        [key] = [k for k in keys if k.envelope == name]
        return sealing.unwrap(self.kek, tender.id, key)

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
        return FinancialBid(bid_id=bid_id, commitment=envelope.commitment, prices=contents.prices)

    def finalise_evaluation(self, actor: Actor, tender_id: UUID) -> WriteResult:
        """The report, published: only if the tender still stands when it is saved (a
        cancellation at the same moment would otherwise be followed, in public, by the
        tender shown evaluated)."""
        tender, evaluation = self._standing_evaluation(actor, tender_id)
        evaluation.finalise(report=evaluation.compute_report(), actor=actor, timestamp=self._now())
        return self._save(evaluation, unless_changed={tender.id: tender.version})

    def evaluation_for_officer(self, actor: Actor, tender_id: UUID) -> EvaluationView:
        evaluation = self._evaluation(actor, tender_id)
        report = evaluation.compute_report()
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
                "current_award": str(evaluation.current_award)
                if evaluation.current_award
                else None,
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
            "bids_ranked": sum(1 for e in report.entries if e.rank is not None),
            "recommended": report.recommended_bid == bid.id,
            "superseded": evaluation.status is EvaluationStatus.IN_PROGRESS,
            **entry.model_dump(mode="json"),
        }

    def _committee_work(self, actor: Actor, tender_id: UUID) -> Evaluation:
        """The evaluation, for a declared, unrecused member's act on the bids, once the
        committee is ready (``Evaluation.check_committee_ready``)."""
        evaluation = self._evaluation(actor, tender_id)
        evaluation.check_in_progress()
        evaluation.check_declared_member(actor.account_id)
        evaluation.check_committee_ready()
        return evaluation

    def _new_id(self, actor: Actor, idempotency_key: str | None) -> UUID:
        """A new object's id: random, or keyed on the server's secret and the client's
        idempotency key (``procurement.store.aggregate_ids``)."""
        if idempotency_key is None:
            return new_id(actor, None, b"")
        return new_id(actor, idempotency_key, id_key(self.kek))

    def _evaluation(self, actor: Actor, tender_id: UUID) -> Evaluation:
        """The tender's evaluation, for an officer of its entity, while the tender stands."""
        return self._standing_evaluation(actor, tender_id)[1]

    def _standing_evaluation(self, actor: Actor, tender_id: UUID) -> tuple[Tender, Evaluation]:
        tender = self._officers_tender(actor, tender_id, None)
        tender.check_not_cancelled()
        return tender, self._load(Evaluation, evaluation_id_for(tender_id))

    # Award, complaints, contract ----------------------------------------------------------

    def award_tender(self, actor: Actor, tender_id: UUID, bid_id: UUID, reason: str) -> WriteResult:
        """Award on the latest report; the standstill starts now."""
        tender = self._officers_tender(actor, tender_id, None)
        tender.check_not_cancelled()
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            raise ReportNotFinalError("the evaluation report is not finalised") from None
        if evaluation.status is EvaluationStatus.IN_PROGRESS:
            raise ReportNotFinalError("the evaluation report is not finalised")
        report = evaluation.check_can_award()
        entry = report.entry(bid_id)
        if entry.rank is None or entry.evaluated_price is None:
            raise BidNotResponsiveError("only a responsive, ranked bid can be awarded")
        if not reason.strip() and self._fell_on_a_complaint(tender_id, evaluation, bid_id):
            raise ReasonRequiredError(
                "this bid's earlier award fell on an upheld complaint: give the reason for "
                "awarding it again"
            )
        award_id = award_id_for(tender_id, evaluation.awards_made + 1)
        now = self._now()
        evaluation.record_award(
            award_id=award_id, bid_id=bid_id, reason=reason, actor=actor, timestamp=now
        )
        award = Award(
            id=award_id,
            tender_id=tender_id,
            entity=tender.entity,
            report_number=report.number,
            bid_id=bid_id,
            vendor_id=entry.vendor_id,
            vendor_name=entry.vendor_name,
            value=entry.evaluated_price,
            rank=entry.rank,
            reason=reason,
            standstill_ends=now + tender.published_rules.standstill_period,
            bidders=[e.vendor_id for e in report.entries if e.status != OpenedStatus.WITHDRAWN],
            actor=actor,
            timestamp=now,
        )
        # Decided from a tender that is not cancelled: it must still be as read.
        return self._save(award, evaluation, unless_changed={tender.id: tender.version})

    def _fell_on_a_complaint(self, tender_id: UUID, evaluation: Evaluation, bid_id: UUID) -> bool:
        """Whether an earlier award of the tender to ``bid_id`` was cancelled by an upheld
        complaint (awarded again without a word, the complaint would be undone at once)."""
        for number in range(1, evaluation.awards_made + 1):
            award = self._load(Award, award_id_for(tender_id, number))
            if award.bid_id == bid_id and any(
                complaint.status is ComplaintStatus.UPHELD
                for complaint in award.complaints.values()
            ):
                return True
        return False

    def lodge_complaint(
        self,
        actor: Actor,
        award_id: UUID,
        grounds: str,
        idempotency_key: str | None = None,
    ) -> WriteResult:
        award = self._load(Award, award_id)
        # A cancelled tender's complaints could never be decided: refuse them as its
        # other acts are refused.
        self._load(Tender, award.tender_id).check_not_cancelled()
        complaint_id = self._new_id(actor, idempotency_key)
        lodged = award.complaints.get(complaint_id)
        if lodged is not None and lodged.vendor_id == actor.account_id:
            # This key's complaint, lodged by an attempt that ended before its answer.
            return self._written(award, complaint_id)
        award.lodge_complaint(
            complaint_id=complaint_id, grounds=grounds, actor=actor, timestamp=self._now()
        )
        result = self._save(award)
        return WriteResult(id=complaint_id, version=result.version, position=result.position)

    def decide_complaint(
        self,
        actor: Actor,
        award_id: UUID,
        complaint_id: UUID,
        *,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
    ) -> WriteResult:
        award = self._officers_award(actor, award_id)
        now = self._now()
        award.decide_complaint(
            complaint_id=complaint_id,
            upheld=upheld,
            remedy=remedy,
            reasons=reasons,
            actor=actor,
            timestamp=now,
        )
        if not upheld:
            return self._save(award)
        evaluation = self._load(Evaluation, evaluation_id_for(award.tender_id))
        if remedy is Remedy.REOPEN_EVALUATION:
            evaluation.reopen(award_id=award.id, reason=reasons, actor=actor, timestamp=now)
        else:
            evaluation.release_award(award_id=award.id, reason=reasons, actor=actor, timestamp=now)
        return self._save(award, evaluation)

    def cancel_award(self, actor: Actor, award_id: UUID, reason: str) -> WriteResult:
        award = self._officers_award(actor, award_id)
        now = self._now()
        award.cancel(reason=reason, actor=actor, timestamp=now)
        evaluation = self._load(Evaluation, evaluation_id_for(award.tender_id))
        evaluation.release_award(award_id=award.id, reason=reason, actor=actor, timestamp=now)
        return self._save(award, evaluation)

    def sign_contract(
        self,
        actor: Actor,
        award_id: UUID,
        value: Money,
        period: ContractPeriod,
    ) -> WriteResult:
        award = self._officers_award(actor, award_id)
        now = self._now()
        # The state's refusals (not active, standstill, a pending complaint) come first,
        # from the command itself; the value is checked once the contract could be signed.
        signable = award.status is AwardStatus.STANDSTILL and now >= award.standstill_ends
        if signable and not award.pending_complaints():
            award.check_contract_value(value)
        award.sign_contract(value=value, period=period, actor=actor, timestamp=now)
        return self._save(award)

    def _officers_award(self, actor: Actor, award_id: UUID) -> Award:
        """The award, if this officer's entity made it: otherwise, as if it did not exist."""
        award = self._load(Award, award_id)
        if actor.role is not Role.OFFICER or actor.entity != award.entity:
            raise AwardNotFoundError(f"no award {award_id}")
        self._officers_tender(actor, award.tender_id, None).check_not_cancelled()
        return award

    def check_tender_cancellable(self, tender_id: UUID) -> dict[UUID, int]:
        """A tender is cancelled only when no award of it stands and no complaint against
        one waits for its decision: a cancelled tender's award would stay public as made,
        and its complaints could never be decided (the tender's acts are refused).

        Returns the versions read (the evaluation, every award): the cancellation holds
        only if they are unchanged when it commits (``_save``'s ``unless_changed``)."""
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            return {}
        read = {evaluation.id: evaluation.version}
        if evaluation.current_award is not None:
            award = self._load(Award, evaluation.current_award)
            if award.status is AwardStatus.CONTRACTED:
                raise ContractSignedError(
                    "the contract is signed: the tender can no longer be cancelled"
                )
            raise AwardLiveError(
                f"the tender's award {award.id} stands: cancel the award first "
                f"(POST /awards/{award.id}/cancel), then the tender"
            )
        for number in range(1, evaluation.awards_made + 1):
            award = self._load(Award, award_id_for(tender_id, number))
            if award.pending_complaints():
                raise ComplaintPendingError(
                    f"a complaint against award {award.id} is pending: decide it first"
                )
            read[award.id] = award.version
        return read

    def award_for_officer(self, actor: Actor, award_id: UUID) -> dict[str, Any]:
        """An award as its entity's officers see it: the complaints' grounds included (the
        public sees only that a complaint was lodged and how it was decided)."""
        award = self._load(Award, award_id)
        if actor.role is not Role.OFFICER or actor.entity != award.entity:
            raise AwardNotFoundError(f"no award {award_id}")
        return {
            "id": str(award.id),
            "tender_id": str(award.tender_id),
            "version": award.version,
            "status": award.status.value,
            "bid_id": str(award.bid_id),
            "supplier_name": award.vendor_name,
            "value": award.value.model_dump(mode="json"),
            "rank": award.rank,
            "reason": award.reason,
            "made_at": award.made_at.isoformat(),
            "standstill_ends": award.standstill_ends.isoformat(),
            "complaints": [c.model_dump(mode="json") for c in award.complaints.values()],
            "contract": award.contract.model_dump(mode="json") if award.contract else None,
            "cancellation_reason": award.cancellation_reason,
        }
