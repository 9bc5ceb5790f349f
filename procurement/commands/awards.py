"""Award, complaints and contract. Where one decision changes two aggregates (an award
records itself on the evaluation; an upheld complaint cancels the award and reopens the
evaluation) both are saved together.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.award import Award, AwardStatus, ComplaintStatus, ContractPeriod
from domain.errors import (
    AwardHeldError,
    AwardNotFoundError,
    ComplaintPendingError,
    ContractHeldError,
    EvaluationNotFoundError,
    ReasonRequiredError,
    ReportNotFinalError,
    StageOneNotAwardedError,
)
from domain.evaluation import Evaluation, EvaluationStatus, award_id_for, evaluation_id_for
from domain.grievance import ComplaintStage
from domain.opening import OpenedStatus
from domain.tender import Tender
from domain.values import Actor, Money, Role
from procurement.store.application_base import ProcurementStore, WriteResult


class AwardCommands(ProcurementStore):
    """Award, complaints and contract (mixed into ``ProcurementApplication``)."""

    def award_tender(
        self,
        actor: Actor,
        tender_id: UUID,
        bid_id: UUID,
        reason: str,
        lot_id: str | None = None,
    ) -> WriteResult:
        """Award on the latest report (the whole tender, or one lot of a tender awarded by
        lot); the award's standstill starts now."""
        tender = self._officers_tender(actor, tender_id, None)
        tender.check_not_cancelled()
        tender.check_lot_open(lot_id)
        if tender.terms.method.is_stage_one:
            raise StageOneNotAwardedError("award stage two, the tender of the priced bids")
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            raise ReportNotFinalError("the evaluation report is not finalised") from None
        if evaluation.status is EvaluationStatus.IN_PROGRESS:
            raise ReportNotFinalError("the evaluation report is not finalised")
        report = evaluation.check_can_award(lot_id)
        tender.check_enough_quotations(reason, evaluation.quotations_for(lot_id))
        entry = report.entry(bid_id)
        rank, _ = evaluation.ranked(report, bid_id, lot_id)
        # Less its bundle's discount, if the report's combination gives it the whole bundle.
        value = evaluation.award_value(report, bid_id, lot_id)
        if not reason.strip() and self._fell_on_a_complaint(tender_id, evaluation, bid_id, lot_id):
            raise ReasonRequiredError(
                "this bid's earlier award fell on an upheld complaint: give the reason for "
                "awarding it again"
            )
        award_id = award_id_for(tender_id, evaluation.awards_made + 1)
        now = self._now()
        held = self._check_not_held(tender_id, ComplaintStage.FINAL_REPORT, AwardHeldError, now)
        held |= self._check_not_debarred(entry.vendor_id, now)
        held |= self._check_bid_valid(tender, bid_id, now)
        # A mini-competition's award is a call-off of its framework: within its period and
        # ceiling, recorded on it in this transaction (docs/frameworks.md).
        call_offs = []
        framework = self._framework_of(tender)
        if framework is not None:
            framework_call_offs = self._call_offs_of(framework, actor, now)
            framework_call_offs.record_mini_competition(
                framework_id=framework.id,
                call_off_id=tender.id,
                award_id=award_id,
                vendor_id=entry.vendor_id,
                supplier_name=entry.vendor_name,
                value=value,
                actor=actor,
                timestamp=now,
            )
            call_offs.append(framework_call_offs)
        evaluation.record_award(
            award_id=award_id,
            bid_id=bid_id,
            reason=reason,
            actor=actor,
            timestamp=now,
            lot_id=lot_id,
        )
        award = Award(
            id=award_id,
            tender_id=tender_id,
            entity=tender.entity,
            report_number=report.number,
            bid_id=bid_id,
            vendor_id=entry.vendor_id,
            vendor_name=entry.vendor_name,
            value=value,
            rank=rank,
            reason=reason,
            standstill_ends=now + tender.published_rules.standstill_period,
            # Of a lot's award: the bidders who priced that lot (docs/lots.md).
            bidders=[
                e.vendor_id
                for e in report.entries
                if e.status != OpenedStatus.WITHDRAWN
                and lot_id in evaluation.competes_for(e.bid_id)
            ],
            actor=actor,
            timestamp=now,
            lot_id=lot_id,
        )
        # Decided from a tender that is not cancelled: it must still be as read.
        return self._save(
            award, evaluation, *call_offs, unless_changed={tender.id: tender.version, **held}
        )

    def _fell_on_a_complaint(
        self, tender_id: UUID, evaluation: Evaluation, bid_id: UUID, lot_id: str | None
    ) -> bool:
        """Whether an earlier award of the tender (of the lot) to ``bid_id`` was cancelled
        by an upheld complaint (awarded again without a word, the complaint would be undone
        at once)."""
        earlier = [
            award
            for number in range(1, evaluation.awards_made + 1)
            if (award := self._load(Award, award_id_for(tender_id, number))).bid_id == bid_id
            and award.lot_id == lot_id
        ]
        for award in earlier:
            if any(
                complaint.status is ComplaintStatus.UPHELD
                for complaint in award.complaints.values()
            ):
                return True
        complaints = self._complaints_of(tender_id)
        fallen = {
            c.award_id
            for c in (complaints.complaints.values() if complaints else ())
            if c.stage is ComplaintStage.AWARD and (d := c.final_decision) and d.upheld
        }
        return any(award.id in fallen for award in earlier)

    def cancel_award(self, actor: Actor, award_id: UUID, reason: str) -> WriteResult:
        award = self._officers_award(actor, award_id)
        now = self._now()
        held = self._check_not_held(
            award.tender_id, ComplaintStage.AWARD, ComplaintPendingError, now, award.id
        )
        award.cancel(reason=reason, actor=actor, timestamp=now)
        evaluation = self._load(Evaluation, evaluation_id_for(award.tender_id))
        evaluation.release_award(award_id=award.id, reason=reason, actor=actor, timestamp=now)
        return self._save(award, evaluation, unless_changed=held)

    def sign_contract(
        self,
        actor: Actor,
        award_id: UUID,
        value: Money,
        period: ContractPeriod,
    ) -> WriteResult:
        award = self._officers_award(actor, award_id)
        now = self._now()
        held = self._check_not_held(
            award.tender_id, ComplaintStage.AWARD, ContractHeldError, now, award.id
        )
        held |= self._check_not_debarred(award.vendor_id, now)
        # The state's refusals (not active, standstill, a pending complaint) come first,
        # from the command itself; the value is checked once the contract could be signed.
        signable = award.status is AwardStatus.STANDSTILL and now >= award.standstill_ends
        if signable and not award.pending_complaints():
            award.check_contract_value(value)
            tender = self._load(Tender, award.tender_id)
            held |= self._check_performance_security(award, tender)
            # The winner's bid is still valid (it may have declined an extension since).
            held |= self._check_bid_valid(tender, award.bid_id, now)
        award.sign_contract(value=value, period=period, actor=actor, timestamp=now)
        return self._save(award, unless_changed=held)

    def _officers_award(self, actor: Actor, award_id: UUID) -> Award:
        """The award, if this officer's entity made it: otherwise, as if it did not exist."""
        award = self._load(Award, award_id)
        if actor.role is not Role.OFFICER or actor.entity != award.entity:
            raise AwardNotFoundError(f"no award {award_id}")
        self._officers_tender(actor, award.tender_id, None).check_not_cancelled()
        return award

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
            "lot_id": award.lot_id,
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
