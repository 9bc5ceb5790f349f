"""Two-stage tendering (docs/two-stage.md): stage two drafted from stage one's report, and
stage one completed when stage two is published."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from domain.errors import (
    EvaluationNotFoundError,
    InvalidTermsError,
    NoQualifiedBiddersError,
    ReportNotFinalError,
    StageTwoIssuedError,
    TenderNotFoundError,
)
from domain.evaluation import Evaluation, EvaluationStatus, ReportEntry, evaluation_id_for
from domain.tender import Tender
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
        documents (revised specifications, minutes of the discussions) and publishes it;
        publishing it completes stage one."""
        stage_one = self._officers_tender(actor, stage_one_id, None)
        stage_one.check_not_cancelled()
        stage_one.check_stage_one()
        stage_one.check_no_stage_two()
        method = stage_one.published_rules.stage_two_method
        if terms.method is not method:
            raise InvalidTermsError(
                f"stage two of a {stage_one.terms.method.value} tender is a "
                f"{method.value if method else 'single stage'} tender: set method to it"
            )
        stage_two_id = stage_two_id_for(stage_one.id)
        if self._exists(stage_two_id):
            raise StageTwoIssuedError(f"stage two is drafted already: tender {stage_two_id}")
        qualified = self._qualified(stage_one.id)
        invited = self.follow_on_terms(
            terms,
            RelatedProcess(tender_id=stage_one.id, relationship=Relationship.PRIOR),
            [entry.vendor_id for entry in qualified],
        )
        stage_two = Tender(
            id=stage_two_id,
            entity=stage_one.entity,
            terms=invited,
            actor=actor,
            timestamp=self._now(),
        )
        # Decided from stage one's report: a report or stage two changed meanwhile is a 409.
        return self._save(stage_two, unless_changed={stage_one.id: stage_one.version})

    def _exists(self, tender_id: UUID) -> bool:
        try:
            self._load(Tender, tender_id)
        except TenderNotFoundError:
            return False
        return True

    def _qualified(self, stage_one_id: UUID) -> list[ReportEntry]:
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(stage_one_id))
        except EvaluationNotFoundError:
            raise ReportNotFinalError("stage one's qualification report is not finalised") from None
        if evaluation.status is EvaluationStatus.IN_PROGRESS or evaluation.latest_report is None:
            raise ReportNotFinalError("stage one's qualification report is not finalised")
        qualified = evaluation.qualified()
        if not qualified:
            raise NoQualifiedBiddersError("the report qualifies no bidder for stage two")
        return qualified
