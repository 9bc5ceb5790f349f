"""Officers: the evaluation committee's work on a tender and the award.

Each handler names its tender; the application checks, on the same load, that the caller is
an officer of the tender's entity (and, for committee acts, a declared member or the chair).
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.openapi import TENDER, WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.schemas import (
    AwardIn,
    CommitteeChangeIn,
    CommitteeIn,
    DeclarationIn,
    EvaluationAction,
    EvaluationIn,
    EvaluationOut,
    WriteOut,
)
from domain.errors import (
    AlreadyScoredError,
    AwardHeldError,
    AwardNotActiveError,
    BidNotFoundError,
    BidNotRankedOnLotError,
    BidNotResponsiveError,
    BidValidityExpiredError,
    CommitteeNotReadyError,
    CorrectedTotalOutOfRangeError,
    DeclarationRequiredError,
    EvaluationNotFoundError,
    EvaluationStateError,
    FinancialOpeningHeldError,
    FinancialOpeningRequiredError,
    InvalidCommitteeError,
    InvalidScoresError,
    LotAwardedError,
    LotRequiredError,
    NoResponsiveBidError,
    NotChairError,
    NotCommitteeMemberError,
    PricesOpenError,
    ReasonRequiredError,
    ReportNotFinalError,
    ScoringIncompleteError,
    StageOneNotAwardedError,
    TooFewQuotationsError,
    UnknownLotError,
    VendorDebarredError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication

EVALUATION = (*TENDER, EvaluationNotFoundError, EvaluationStateError)
"""A tender under evaluation: its committee named, its report not yet final."""
COMMITTEE_ACT = (
    *EVALUATION,
    NotCommitteeMemberError,
    DeclarationRequiredError,
    CommitteeNotReadyError,
    *WRITE,
)
"""An act of a declared member of the committee, once the committee is ready."""


class EvaluationController(Controller):
    path = "/tenders/{tender_id:uuid}"
    tags = ["officer"]  # noqa: RUF012 (litestar reads a class attribute)
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/committee",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Name the evaluation committee (after the opening)",
        responses=problems(*TENDER, EvaluationStateError, InvalidCommitteeError, *WRITE),
    )
    def committee(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[CommitteeIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.start_evaluation(actor, tender_id, data.members, data.chair), read_tokens
        )

    @put(
        "/committee",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Name a new committee before it has started work (with the reason)",
        responses=problems(*EVALUATION, InvalidCommitteeError, ReasonRequiredError, *WRITE),
    )
    def reform(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[CommitteeChangeIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.reform_committee(actor, tender_id, data.members, data.chair, data.reason),
            read_tokens,
        )

    @post(
        "/committee/declaration",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="A member declares conflicts of interest with the bidders, before scoring",
        responses=problems(*EVALUATION, NotCommitteeMemberError, ReasonRequiredError, *WRITE),
    )
    def declare(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[DeclarationIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.declare_interests(
                actor, tender_id, conflict=data.conflict_of_interest, statement=data.statement
            ),
            read_tokens,
        )

    @post(
        "/evaluations",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Committee scores and responsiveness for a bid",
        responses=problems(
            *COMMITTEE_ACT,
            NotChairError,
            BidNotFoundError,
            BidNotResponsiveError,
            AlreadyScoredError,
            InvalidScoresError,
            ReasonRequiredError,
            PricesOpenError,
            FinancialOpeningRequiredError,
            CorrectedTotalOutOfRangeError,
        ),
    )
    def evaluate(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[EvaluationIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        reason = data.reason or ""
        match data.action:
            case EvaluationAction.SCORE:
                result = procurement.score_bid(
                    actor, tender_id, data.bid_id, data.criterion_scores()
                )
            case EvaluationAction.DISQUALIFY:
                result = procurement.disqualify_bid(actor, tender_id, data.bid_id, reason)
            case EvaluationAction.REINSTATE:
                result = procurement.reinstate_bid(actor, tender_id, data.bid_id, reason)
            case EvaluationAction.CORRECT_PRICE:
                if data.corrected_price is None or data.lot_id is None:  # pragma: no cover
                    msg = "validated by EvaluationIn"
                    raise AssertionError(msg)
                result = procurement.correct_price(
                    actor,
                    tender_id,
                    data.bid_id,
                    lot_id=data.lot_id,
                    corrected_price=data.corrected_price.to_domain(),
                    reason=reason,
                )
        return WriteOut.of(result, read_tokens)

    @post(
        "/financial-opening",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Open the financial envelopes of the technically qualified bids only",
        responses=problems(*COMMITTEE_ACT, ScoringIncompleteError, FinancialOpeningHeldError),
    )
    def open_financial(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(procurement.open_financial_envelopes(actor, tender_id), read_tokens)

    @post(
        "/evaluation-report",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Finalise and publish the evaluation report (the chair)",
        responses=problems(
            *COMMITTEE_ACT, NotChairError, ScoringIncompleteError, FinancialOpeningRequiredError
        ),
    )
    def finalise(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(procurement.finalise_evaluation(actor, tender_id), read_tokens)

    @get(
        "/evaluation",
        sync_to_thread=True,
        summary="The evaluation as it stands (officers)",
        responses=problems(*EVALUATION, NotCommitteeMemberError, DeclarationRequiredError),
    )
    def read(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> EvaluationOut:
        view = procurement.evaluation_for_officer(actor, tender_id)
        return EvaluationOut(
            tender_id=view.tender_id, version=view.version, status=view.status, **view.state
        )

    @post(
        "/award",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Award to a bid of the finalised report; the standstill starts",
        responses=problems(
            *EVALUATION,
            ReportNotFinalError,
            NoResponsiveBidError,
            BidNotFoundError,
            BidNotResponsiveError,
            ReasonRequiredError,
            TooFewQuotationsError,
            StageOneNotAwardedError,
            AwardNotActiveError,
            AwardHeldError,
            LotRequiredError,
            UnknownLotError,
            BidNotRankedOnLotError,
            LotAwardedError,
            VendorDebarredError,
            BidValidityExpiredError,
            *WRITE,
        ),
    )
    def award(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[AwardIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.award_tender(actor, tender_id, data.bid_id, data.reason, data.lot_id),
            read_tokens,
        )
