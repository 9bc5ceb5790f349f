"""Complaints at every stage: vendors complain and appeal, the entity's grievance committee
decides, the entity's head names the committee. (The regulator's side is in
``regulator.py``; the public's in ``public.py``.)"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.openapi import WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.schemas import DecisionIn, WriteOut
from api.schemas.grievances import (
    AppealIn,
    ComplaintRecordsOut,
    GrievanceCommitteeIn,
    StageComplaintIn,
)
from domain.errors import (
    AppealPendingError,
    AwardNotActiveError,
    AwardNotFoundError,
    ComplaintDecidedError,
    ComplaintExistsError,
    ComplaintNotAppealableError,
    ComplaintNotFoundError,
    ComplaintPeriodClosedError,
    ComplaintStageClosedError,
    ForbiddenError,
    GrievanceCommitteeNotFoundError,
    GrievancePanelConflictError,
    InvalidCommitteeError,
    InvalidTermsError,
    NotABidderError,
    NotEntityHeadError,
    NotGrievanceChairError,
    ReasonRequiredError,
    TenderCancelledError,
    TenderNotFoundError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication

DECIDING = (
    ComplaintNotFoundError,
    GrievanceCommitteeNotFoundError,
    NotGrievanceChairError,
    GrievancePanelConflictError,
    InvalidCommitteeError,
    ComplaintDecidedError,
    AppealPendingError,
    ReasonRequiredError,
    InvalidTermsError,
    AwardNotActiveError,
    *WRITE,
)
"""What a grievance committee's decision may be refused with."""


class VendorComplaintController(Controller):
    path = "/tenders/{tender_id:uuid}/complaints"
    tags = ["vendor"]  # noqa: RUF012
    guards = [requires_role(Role.VENDOR)]  # noqa: RUF012
    security = bearer(Role.VENDOR)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Complain about a stage of the tender: its documents, a report, the award",
        responses=problems(
            TenderNotFoundError,
            TenderCancelledError,
            AwardNotFoundError,
            AwardNotActiveError,
            ComplaintStageClosedError,
            ComplaintPeriodClosedError,
            NotABidderError,
            ComplaintExistsError,
            InvalidTermsError,
            ReasonRequiredError,
            *WRITE,
        ),
    )
    def lodge(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[StageComplaintIn],
        actor: NamedDependency[Actor],
        idempotency_key: NamedDependency[str | None],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        """The complaint holds the step its stage concerns until it is settled: the opening
        (documents), the financial opening (technical report), the award (final report),
        the contract (award)."""
        result = procurement.lodge_complaint(
            actor,
            tender_id,
            data.stage,
            data.grounds,
            award_id=data.award_id,
            idempotency_key=idempotency_key,
        )
        return WriteOut.of(result, read_tokens)

    @get(
        "/mine",
        sync_to_thread=True,
        summary="The vendor's own complaints about the tender, with their decisions",
        responses=problems(TenderNotFoundError),
    )
    def mine(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> ComplaintRecordsOut:
        found = procurement.complaints_about(actor, tender_id)
        return ComplaintRecordsOut.of(tender_id, found)

    @post(
        "/{complaint_id:uuid}/appeal",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Appeal to the regulator: a dismissal, or no decision in the rules' time",
        responses=problems(
            ComplaintNotFoundError,
            ComplaintNotAppealableError,
            ForbiddenError,
            ReasonRequiredError,
            *WRITE,
        ),
    )
    def appeal(
        self,
        tender_id: FromPath[UUID],
        complaint_id: FromPath[UUID],
        data: JSONBody[AppealIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.appeal_complaint(actor, tender_id, complaint_id, data.grounds)
        return WriteOut.of(result, read_tokens)


class OfficerComplaintController(Controller):
    path = "/tenders/{tender_id:uuid}/complaints"
    tags = ["officer"]  # noqa: RUF012
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @get(
        "/all",
        sync_to_thread=True,
        summary="The tender's complaints with their grounds (the entity's officers)",
        responses=problems(TenderNotFoundError),
    )
    def list_complaints(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> ComplaintRecordsOut:
        found = procurement.complaints_about(actor, tender_id)
        return ComplaintRecordsOut.of(tender_id, found)

    @post(
        "/{complaint_id:uuid}/decision",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="The grievance committee's decision, recorded by its chair, with reasons",
        responses=problems(*DECIDING, TenderCancelledError),
    )
    def decide(
        self,
        tender_id: FromPath[UUID],
        complaint_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        """Upheld with a remedy the stage allows (carried out with the decision; an
        amendment of the documents is the entity's to issue), or dismissed."""
        result = procurement.decide_complaint(
            actor,
            tender_id,
            complaint_id,
            upheld=data.outcome == "upheld",
            remedy=data.remedy,
            reasons=data.reasons,
        )
        return WriteOut.of(result, read_tokens)


class GrievanceCommitteeController(Controller):
    path = "/entity/grievance-committee"
    tags = ["officer"]  # noqa: RUF012
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @put(
        "/",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="The head names the entity's grievance committee (its composition is public)",
        responses=problems(NotEntityHeadError, InvalidCommitteeError, InvalidTermsError, *WRITE),
    )
    def name(
        self,
        data: JSONBody[GrievanceCommitteeIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.name_grievance_committee(actor, data.members, data.chair)
        return WriteOut.of(result, read_tokens)
