"""Complaints at every stage, the entity's grievance committee, appeals to the regulator.

Who may do what:

- the head of a procuring entity (an officer an administrator designated) names its grievance
  committee;
- a vendor complains: about the notice and documents until the deadline (any vendor), about
  a report or the award (a bidder), and appeals its own complaint's dismissal or silence;
- the committee's chair records the committee's decision, for a panel without the tender's
  evaluators;
- the regulator decides appeals, for every entity.

An upheld complaint's remedy is carried out in the same transaction as the decision (the award
cancelled, the evaluation reopened or its report withdrawn, the tender cancelled), except an
amendment of the documents, which the entity issues itself: the opening waits for it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.award import Award, AwardStatus, Remedy
from domain.errors import (
    AwardNotActiveError,
    AwardNotFoundError,
    ComplaintExistsError,
    ComplaintNotFoundError,
    ComplaintPeriodClosedError,
    ComplaintStageClosedError,
    EvaluationNotFoundError,
    ForbiddenError,
    GrievanceCommitteeNotFoundError,
    InvalidTermsError,
    NotABidderError,
    NotGrievanceChairError,
)
from domain.evaluation import Evaluation, EvaluationStatus, Member, evaluation_id_for
from domain.grievance import (
    ComplaintStage,
    Grievance,
    GrievanceCommittee,
    TenderComplaints,
    check_remedy,
    check_stage_window,
    committee_id_for,
    complaints_id_for,
)
from domain.opening import OpenedStatus
from domain.rules import GrievanceRules, grievance_rules
from domain.tender import Tender, TenderStatus
from domain.values import Actor, Role
from procurement.commands.bids import check_invited
from procurement.store.application_base import ProcurementStore, WriteResult


class GrievanceCommands(ProcurementStore):
    """Grievance committees, complaints and appeals (mixed into ``ProcurementApplication``)."""

    @property
    def grievance_rules(self) -> GrievanceRules:
        return grievance_rules(self.rule_profile)

    # The committee ------------------------------------------------------------------------

    def name_grievance_committee(self, actor: Actor, members: list[str], chair: str) -> WriteResult:
        """The head names (or names anew) the entity's committee: officers of the entity."""
        entity = self._check_head(actor)
        if chair not in members:
            raise InvalidTermsError("the chair is one of the members")
        named = [
            Member(
                account_id=self._entity_officer(entity, username).id,
                name=username,
                chair=username == chair,
            )
            for username in members
        ]
        now = self._now()
        min_size = self.grievance_rules.committee_min_size
        try:
            committee = self._load(GrievanceCommittee, committee_id_for(entity))
        except GrievanceCommitteeNotFoundError:
            committee = GrievanceCommittee(
                entity=entity, members=named, min_size=min_size, actor=actor, timestamp=now
            )
            return self._save(committee)
        committee.reconstitute(members=named, min_size=min_size, actor=actor, timestamp=now)
        return self._save(committee)

    def grievance_committee(self, entity: str) -> GrievanceCommittee:
        return self._load(GrievanceCommittee, committee_id_for(entity))

    # Complaints ---------------------------------------------------------------------------

    def lodge_complaint(
        self,
        actor: Actor,
        tender_id: UUID,
        stage: ComplaintStage,
        grounds: str,
        *,
        award_id: UUID | None = None,
        idempotency_key: str | None = None,
    ) -> WriteResult:
        """A vendor's complaint about a stage of the tender, if that stage takes complaints
        now and the vendor may make it."""
        if actor.role is not Role.VENDOR:
            raise ForbiddenError("complaints are made from a vendor's account")
        stage = ComplaintStage(stage)
        tender = self._public_tender(tender_id)
        tender.check_not_cancelled()
        now = self._now()
        complaints = self._complaints_of(tender_id)
        complaint_id = self._new_id(actor, idempotency_key)
        if complaints is not None:
            lodged = complaints.complaints.get(complaint_id)
            if lodged is not None and lodged.vendor_id == actor.account_id:
                # This key's complaint, lodged by an attempt that ended before its answer.
                return WriteResult(complaint_id, complaints.version, self._position_now(complaints))
        read, report_number = self._stage_open(actor, tender, stage, award_id, now)
        if stage is ComplaintStage.DOCUMENTS:  # a vendor that cannot bid has no standing:
            check_invited(tender, actor)  # one not invited to a restricted tender,
            read |= self._check_not_debarred(actor.account_id, now)  # or a debarred one
        if complaints is not None:
            self._check_first_complaint(complaints, actor, tender, stage, award_id, report_number)
        if complaints is None:
            complaints = TenderComplaints(
                tender_id=tender_id,
                entity=tender.entity,
                rules=self.grievance_rules,
                timestamp=now,
            )
        complaints.lodge(
            complaint_id=complaint_id,
            stage=stage,
            grounds=grounds,
            award_id=award_id,
            report_number=report_number,
            actor=actor,
            timestamp=now,
        )
        result = self._save(complaints, unless_changed=read)
        return WriteResult(id=complaint_id, version=result.version, position=result.position)

    def lodge_award_complaint(
        self, actor: Actor, award_id: UUID, grounds: str, idempotency_key: str | None = None
    ) -> WriteResult:
        """A complaint about an award, by the award's path (``POST /awards/{id}/complaints``)."""
        award = self._load(Award, award_id)
        return self.lodge_complaint(
            actor,
            award.tender_id,
            ComplaintStage.AWARD,
            grounds,
            award_id=award_id,
            idempotency_key=idempotency_key,
        )

    def decide_award_complaint(
        self,
        actor: Actor,
        award_id: UUID,
        complaint_id: UUID,
        *,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
    ) -> WriteResult:
        """The committee's decision, by the award's path."""
        award = self._load(Award, award_id)
        if actor.role is not Role.OFFICER or actor.entity != award.entity:
            raise AwardNotFoundError(f"no award {award_id}")
        if complaint_id in award.complaints:
            return self._decide_on_the_award(actor, award, complaint_id, upheld, remedy, reasons)
        complaints = self._entity_complaints(actor, award.tender_id)
        if complaints.complaint(complaint_id).award_id != award_id:
            raise ComplaintNotFoundError(f"no complaint {complaint_id} about award {award_id}")
        return self.decide_complaint(
            actor, award.tender_id, complaint_id, upheld=upheld, remedy=remedy, reasons=reasons
        )

    def _decide_on_the_award(  # noqa: PLR0917 (the decision's parts)
        self,
        actor: Actor,
        award: Award,
        complaint_id: UUID,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
    ) -> WriteResult:
        """A complaint lodged on the award itself, before complaints had a file of their own
        (its events replay as they were): decided there, by the committee's chair."""
        check_remedy(ComplaintStage.AWARD, upheld=upheld, remedy=remedy)
        if remedy is Remedy.CANCEL_PROCUREMENT:
            raise InvalidTermsError(
                "a complaint lodged on the award itself orders cancel_award or reopen_evaluation"
            )
        self._deciding_panel(actor, award.entity, award.tender_id, self.grievance_rules)
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

    @staticmethod
    def _check_first_complaint(  # noqa: PLR0917 (the complaint's subject)
        complaints: TenderComplaints,
        actor: Actor,
        tender: Tender,
        stage: ComplaintStage,
        award_id: UUID | None,
        report_number: int | None,
    ) -> None:
        """One complaint per vendor about one subject: the documents as last amended, the
        technical evaluation, a report, an award. All its grounds go in it; otherwise one
        vendor could hold a step for ever with a complaint after each dismissal."""
        amended = max((a.issued_at for a in tender.amendments), default=None)
        for earlier in complaints.complaints.values():
            if earlier.vendor_id != actor.account_id or earlier.stage is not stage:
                continue
            same = {
                ComplaintStage.DOCUMENTS: amended is None or earlier.lodged_at >= amended,
                ComplaintStage.TECHNICAL_REPORT: True,
                ComplaintStage.FINAL_REPORT: earlier.report_number == report_number,
                ComplaintStage.AWARD: earlier.award_id == award_id,
            }[stage]
            if same:
                raise ComplaintExistsError(
                    f"you complained about this already (complaint {earlier.id}): one "
                    "complaint with all its grounds; appeal its decision if need be"
                )

    def _position_now(self, aggregate: Aggregate) -> int:
        return self._position_of(aggregate.id, aggregate.version)

    def _stage_open(
        self,
        actor: Actor,
        tender: Tender,
        stage: ComplaintStage,
        award_id: UUID | None,
        now: datetime,
    ) -> tuple[dict[UUID, int], int | None]:
        """Refuse a complaint its stage does not take now, or this vendor may not make.
        Returns the versions it was decided from and the report it concerns."""
        read: dict[UUID, int] = {tender.id: tender.version}
        if (stage is ComplaintStage.AWARD) != (award_id is not None):
            raise InvalidTermsError("a complaint about the award names the award, and only it")
        if stage is ComplaintStage.DOCUMENTS:
            if tender.status is not TenderStatus.ACTIVE:
                raise ComplaintStageClosedError("complaints about the documents close with bids")
            check_stage_window(tender.published_at, tender.terms.timeline.submission_deadline, now)
            return read, None
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender.id))
        except EvaluationNotFoundError:
            raise ComplaintStageClosedError("the tender has no evaluation yet") from None
        read[evaluation.id] = evaluation.version
        if award_id is not None:
            award = self._load(Award, award_id)
            if award.tender_id != tender.id:
                raise AwardNotFoundError(f"no award {award_id} of this tender")
            self._check_award_open(actor, award, now)
            read[award.id] = award.version
            return read, award.report_number
        if not any(
            c.vendor_id == actor.account_id and c.status is not OpenedStatus.WITHDRAWN
            for c in evaluation.candidates.values()
        ):
            raise NotABidderError("only a bidder of this tender may complain about its reports")
        if stage is ComplaintStage.TECHNICAL_REPORT:
            self._check_technical_open(evaluation, now)
            return read, None
        return read, self._check_final_report_open(evaluation, now)

    @staticmethod
    def _check_award_open(actor: Actor, award: Award, now: datetime) -> None:
        if actor.account_id not in award.bidders:
            raise NotABidderError("only a bidder of this tender may complain about its award")
        if award.status is not AwardStatus.STANDSTILL:
            raise AwardNotActiveError(f"the award is {award.status.value}")
        if now >= award.standstill_ends:  # the award's own refusal, as clients know it
            raise ComplaintPeriodClosedError(
                f"complaints closed with the standstill at {award.standstill_ends.isoformat()}"
            )

    @staticmethod
    def _check_technical_open(evaluation: Evaluation, now: datetime) -> None:
        if not evaluation.two_envelopes:
            raise ComplaintStageClosedError("this tender has no separate technical report")
        if evaluation.financial:
            raise ComplaintStageClosedError(
                "the financial envelopes are open: complain about the final report"
            )
        check_stage_window(evaluation.created_on, None, now)

    def _check_final_report_open(self, evaluation: Evaluation, now: datetime) -> int:
        if evaluation.status is EvaluationStatus.AWARDED:
            raise ComplaintStageClosedError(
                "an award was made on the report: complain about the award"
            )
        if evaluation.status is not EvaluationStatus.FINALISED or evaluation.finalised_at is None:
            raise ComplaintStageClosedError("no evaluation report is published now")
        closes = evaluation.finalised_at + self.grievance_rules.report_complaint_period
        check_stage_window(evaluation.finalised_at, closes, now)
        return evaluation.reports[-1].number

    def decide_complaint(
        self,
        actor: Actor,
        tender_id: UUID,
        complaint_id: UUID,
        *,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
    ) -> WriteResult:
        """The committee's decision, recorded by its chair, for a panel without the tender's
        evaluators; an upheld complaint's remedy is carried out with it."""
        complaints = self._entity_complaints(actor, tender_id)
        committee, panel = self._deciding_panel(
            actor, complaints.entity, tender_id, complaints.rules
        )
        now = self._now()
        complaints.decide(
            complaint_id=complaint_id,
            upheld=upheld,
            remedy=remedy,
            reasons=reasons,
            panel=list(panel),
            actor=actor,
            timestamp=now,
        )
        others = self._carry_out(complaints.complaint(complaint_id), tender_id, actor, now)
        return self._save(complaints, *others, unless_changed={committee.id: committee.version})

    def appeal_complaint(
        self, actor: Actor, tender_id: UUID, complaint_id: UUID, grounds: str
    ) -> WriteResult:
        """The complainant appeals a dismissal, or the committee's silence past its date."""
        if actor.role is not Role.VENDOR:
            raise ForbiddenError("appeals are made from the complainant's account")
        self._public_tender(tender_id).check_not_cancelled()  # no remedy is left to order
        complaints = self._load(TenderComplaints, complaints_id_for(tender_id))
        complaints.appeal(
            complaint_id=complaint_id, grounds=grounds, actor=actor, timestamp=self._now()
        )
        return self._save(complaints)

    def decide_appeal(
        self,
        actor: Actor,
        tender_id: UUID,
        complaint_id: UUID,
        *,
        upheld: bool,
        remedy: Remedy | None,
        reasons: str,
    ) -> WriteResult:
        """The regulator's binding decision on an appeal; an upheld appeal's remedy is
        carried out with it."""
        if actor.role is not Role.REGULATOR:
            raise ForbiddenError("appeals are decided by the regulator")
        complaints = self._load(TenderComplaints, complaints_id_for(tender_id))
        now = self._now()
        complaints.decide_appeal(
            complaint_id=complaint_id,
            upheld=upheld,
            remedy=remedy,
            reasons=reasons,
            actor=actor,
            timestamp=now,
        )
        others = self._carry_out(complaints.complaint(complaint_id), tender_id, actor, now)
        return self._save(complaints, *others)

    def mark_complaints_overdue(self, tender_id: UUID, actor: Actor) -> int:
        """Mark the tender's complaints and appeals past their decision date (the
        scheduler): overdue in public, and the complainant may appeal."""
        complaints = self._complaints_of(tender_id)
        if complaints is None:
            return 0
        now = self._now()
        due = complaints.due(now)
        for complaint_id, is_appeal in due:
            if is_appeal:
                complaints.mark_appeal_overdue(
                    complaint_id=complaint_id, actor=actor, timestamp=now
                )
            else:
                complaints.mark_overdue(complaint_id=complaint_id, actor=actor, timestamp=now)
        if due:
            self._save(complaints)
        return len(due)

    # Reading ------------------------------------------------------------------------------

    def complaints_about(self, actor: Actor, tender_id: UUID) -> list[Grievance]:
        """The tender's complaints with their grounds: for the entity's officers and the
        regulator all of them, for a vendor its own."""
        if actor.role is Role.VENDOR:
            self._public_tender(tender_id)
            found = self._complaints_of(tender_id)
            mine = found.complaints.values() if found else ()
            return [c for c in mine if c.vendor_id == actor.account_id]
        if actor.role is Role.REGULATOR:
            self._public_tender(tender_id)
            found = self._complaints_of(tender_id)
            return list(found.complaints.values()) if found else []
        tender = self._officers_tender(actor, tender_id, None)
        self._check_hears_complaints(actor, tender.entity)
        found = self._complaints_of(tender_id)
        return list(found.complaints.values()) if found else []

    def contract_held(self, actor: Actor, award_id: UUID) -> bool:
        """Whether a complaint about the award still holds its contract: for the entity's
        officers, who need not read the complaints to know it."""
        award = self._load(Award, award_id)
        if actor.role is not Role.OFFICER or actor.entity != award.entity:
            raise AwardNotFoundError(f"no award {award_id}")
        complaints = self._complaints_of(award.tender_id)
        if complaints is None:
            return False
        return bool(complaints.holding(ComplaintStage.AWARD, self._now(), award_id))

    def _check_hears_complaints(self, actor: Actor, entity: str) -> None:
        """The grounds and the complainant are for those who decide (the grievance
        committee) and the head who names it; not for the evaluators complained of."""
        try:
            committee = self._load(GrievanceCommittee, committee_id_for(entity))
            if any(m.account_id == actor.account_id for m in committee.members):
                return
        except GrievanceCommitteeNotFoundError:
            pass
        account = self._load(Account, actor.account_id)
        if not (account.head_of_entity and account.entity == entity):
            raise NotGrievanceChairError(
                "a tender's complaints are read by its entity's grievance committee and head"
            )

    # Shared -------------------------------------------------------------------------------

    def _entity_complaints(self, actor: Actor, tender_id: UUID) -> TenderComplaints:
        """The tender's complaints, for an officer of its entity (404 otherwise)."""
        complaints = self._load(TenderComplaints, complaints_id_for(tender_id))
        if actor.role is not Role.OFFICER or actor.entity != complaints.entity:
            raise ComplaintNotFoundError(f"no complaints about tender {tender_id}")
        return complaints

    def _deciding_panel(
        self, actor: Actor, entity: str, tender_id: UUID, rules: GrievanceRules
    ) -> tuple[GrievanceCommittee, tuple[UUID, ...]]:
        """The entity's committee, if ``actor`` chairs it, and its panel for the tender:
        the members who do not evaluate it."""
        committee = self._load(GrievanceCommittee, committee_id_for(entity))
        if actor.account_id != committee.chair.account_id:
            raise NotGrievanceChairError(
                "only the chair of the entity's grievance committee records its decisions"
            )
        return committee, committee.panel_for(self._evaluators(tender_id), rules.committee_min_size)

    def _evaluators(self, tender_id: UUID) -> frozenset[UUID]:
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            return frozenset()
        members = {m.account_id for m in evaluation.committee}
        members |= {m.account_id for report in evaluation.reports for m in report.committee}
        return frozenset(members)

    def _carry_out(
        self, grievance: Grievance, tender_id: UUID, actor: Actor, now: datetime
    ) -> list[Aggregate]:
        """What an upheld decision orders, done to the aggregates it concerns (returned to
        be saved with the decision). A dismissal orders nothing."""
        decision = grievance.final_decision
        if decision is None or not decision.upheld or decision.remedy is None:
            return []
        remedy = Remedy(decision.remedy)
        reason = decision.reasons  # published with the decision; the events name it
        tender = self._load(Tender, tender_id)
        if remedy is Remedy.AMEND_DOCUMENTS:
            deadline = tender.terms.timeline.submission_deadline
            if tender.status is not TenderStatus.ACTIVE or now >= deadline:
                raise InvalidTermsError(
                    "bids are closed: the documents can no longer be amended; order "
                    "cancel_procurement to tender again"
                )
            return []
        evaluation, awards = self._evaluation_and_awards(tender_id)
        if remedy is Remedy.CANCEL_PROCUREMENT:
            changed = {
                aggregate.id: aggregate
                for live in awards
                for aggregate in self._award_fallen(
                    live, evaluation, reason, actor, now, reopen=False
                )
            }  # every live award falls (one per lot); the evaluation is saved once
            tender.cancel(reason=reason, actor=actor, timestamp=now)
            return [*changed.values(), tender]
        if evaluation is None:
            raise InvalidTermsError("the tender has no evaluation to reopen")
        if grievance.stage is ComplaintStage.AWARD:
            # Only the award complained of falls: in a tender awarded by lot, the other
            # lots' awards stand (docs/lots.md).
            award = next((a for a in awards if a.id == grievance.award_id), None)
            if award is None:
                raise AwardNotActiveError("the award complained of no longer stands")
            reopen = remedy is Remedy.REOPEN_EVALUATION
            return self._award_fallen(award, evaluation, reason, actor, now, reopen=reopen)
        if evaluation.status is EvaluationStatus.FINALISED:
            evaluation.withdraw_report(reason=reason, actor=actor, timestamp=now)
            return [evaluation]
        return []  # the technical evaluation is still open: the committee takes it up again

    def _evaluation_and_awards(self, tender_id: UUID) -> tuple[Evaluation | None, list[Award]]:
        """The tender's evaluation, if any, and its live awards (one per lot awarded)."""
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            return None, []
        return evaluation, [self._load(Award, live) for live in evaluation.live_awards]

    @staticmethod
    def _award_fallen(
        award: Award | None,
        evaluation: Evaluation | None,
        reason: str,
        actor: Actor,
        now: datetime,
        *,
        reopen: bool,
    ) -> list[Aggregate]:
        """The live award cancelled, and the evaluation reopened or left for another award."""
        if award is None or evaluation is None:
            return []
        award.cancel(reason=reason, actor=actor, timestamp=now)
        if reopen:
            evaluation.reopen(award_id=award.id, reason=reason, actor=actor, timestamp=now)
        else:
            evaluation.release_award(award_id=award.id, reason=reason, actor=actor, timestamp=now)
        return [award, evaluation]
