"""Two-stage tendering (docs/two-stage.md): stage two drafted from stage one's report, and
stage one completed when stage two is published."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.errors import (
    EvaluationNotFoundError,
    InvalidTermsError,
    InvitedVendorsChangedError,
    NoQualifiedBiddersError,
    ReportNotFinalError,
    StageTwoHeldError,
    StageTwoIssuedError,
    TenderNotFoundError,
)
from domain.evaluation import Evaluation, EvaluationStatus, evaluation_id_for
from domain.grievance import ComplaintStage
from domain.rules import grievance_rules
from domain.tender import Tender, TenderStatus
from domain.values import Actor, RelatedProcess, Relationship, TenderTerms
from procurement.commands.tenders import TenderCommands
from procurement.store.application_base import WriteResult

STAGE_TWO_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:stage-two")


def stage_two_id_for(stage_one_id: UUID) -> UUID:
    """Stage two's id, from stage one's: a stage one has one stage two, even when two
    officers issue it at once."""
    return uuid5(STAGE_TWO_NAMESPACE, str(stage_one_id))


class TwoStageCommands(TenderCommands):
    """Stage two of a two-stage tender (mixed into ``ProcurementApplication``)."""

    def draft_stage_two(self, actor: Actor, stage_one_id: UUID, terms: TenderTerms) -> WriteResult:
        """Stage two's draft: the revised specifications (``terms``, then its documents),
        inviting the bidders stage one's finalised report qualifies. The officer adds the
        documents (the revised specifications) and publishes it; publishing it completes
        stage one. A draft whose invited vendors the report no longer qualifies (withdrawn on
        a complaint and redone) is drafted again, with these terms."""
        stage_one = self._officers_tender(actor, stage_one_id, None)
        stage_one.check_not_cancelled()
        stage_one.check_stage_one()
        stage_one.check_no_stage_two()
        check_stage_two_method(stage_one, terms)
        qualified, read = self._qualified(stage_one, self._now())
        invited = self.follow_on_terms(
            terms,
            RelatedProcess(tender_id=stage_one.id, relationship=Relationship.PRIOR),
            qualified,
        )
        # Decided from stage one's report: a report, a complaint or stage two changed
        # meanwhile is a 409.
        read[stage_one.id] = stage_one.version
        drafted = self._stage_two_draft(stage_one.id)
        if drafted is None:
            stage_two = Tender(
                id=stage_two_id_for(stage_one.id),
                entity=stage_one.entity,
                terms=invited,
                actor=actor,
                timestamp=self._now(),
            )
            return self._save(stage_two, unless_changed=read)
        if drafted.status is not TenderStatus.DRAFT or set(drafted.terms.invited_vendors) == set(
            qualified
        ):
            raise StageTwoIssuedError(f"stage two is drafted already: tender {drafted.id}")
        drafted.edit_draft(terms=invited, actor=actor, timestamp=self._now())
        return self._save(drafted, unless_changed=read)

    def _followed(
        self, tender: Tender, actor: Actor, now: datetime
    ) -> tuple[list[Tender], dict[UUID, int]]:
        """Stage two published: stage one ends, on its report as it stands now (finalised,
        no complaint holding it, qualifying the vendors stage two invites)."""
        related = tender.terms.related
        if related is None or related.relationship is not Relationship.PRIOR:
            return super()._followed(tender, actor, now)
        stage_one = self._load(Tender, related.tender_id)
        stage_one.check_not_cancelled()
        check_stage_two_method(stage_one, tender.terms)
        qualified, read = self._qualified(stage_one, now, publishing=True)
        if set(qualified) != set(tender.terms.invited_vendors):
            raise InvitedVendorsChangedError(
                "stage one's report now qualifies other vendors than this draft invites: "
                f"draft stage two again (POST /tenders/{stage_one.id}/stage-two)"
            )
        stage_one.issue_stage_two(stage_two_id=tender.id, actor=actor, timestamp=now)
        return [stage_one], read

    def _stage_two_draft(self, stage_one_id: UUID) -> Tender | None:
        try:
            return self._load(Tender, stage_two_id_for(stage_one_id))
        except TenderNotFoundError:
            return None

    def _qualified(
        self, stage_one: Tender, now: datetime, *, publishing: bool = False
    ) -> tuple[list[UUID], dict[UUID, int]]:
        """The vendors stage one's finalised report qualifies, in the order they bid, and
        what that was read from (the evaluation's and the complaints file's versions): a
        report withdrawn or a complaint lodged before the write makes it fail. Stage two is
        ``publishing`` only once the report's complaint period is over: a complaint lodged
        after it was published could withdraw the report stage two invites from."""
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(stage_one.id))
        except EvaluationNotFoundError:
            raise ReportNotFinalError("stage one's qualification report is not finalised") from None
        if evaluation.status is EvaluationStatus.IN_PROGRESS or evaluation.latest_report is None:
            raise ReportNotFinalError("stage one's qualification report is not finalised")
        closes = evaluation.finalised_at
        if publishing and closes is not None:
            closes += grievance_rules(self.rule_profile).report_complaint_period
            if now < closes:
                raise StageTwoHeldError(
                    "bidders may complain about stage one's qualification report until "
                    f"{closes.isoformat()}: stage two is published after that"
                )
        read = self._check_not_held(
            stage_one.id, ComplaintStage.FINAL_REPORT, StageTwoHeldError, now
        )
        qualified = [entry.vendor_id for entry in evaluation.qualified()]
        if not qualified:
            raise NoQualifiedBiddersError("the report qualifies no bidder for stage two")
        return qualified, {**read, evaluation.id: evaluation.version}


def check_stage_two_method(stage_one: Tender, terms: TenderTerms) -> None:
    """Stage two is a tender of stage one's stage-two method (its published rules)."""
    method = stage_one.published_rules.stage_two_method
    if terms.method is not method:
        raise InvalidTermsError(
            f"stage two of a {stage_one.terms.method.value} tender is a "
            f"{method.value if method else 'single stage'} tender: set method to it"
        )
