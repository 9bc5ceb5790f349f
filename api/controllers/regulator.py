"""The regulator (the authority's staff, across every entity): appeals against grievance
decisions, and debarment cases."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.openapi import WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.schemas import DecisionIn, WriteOut
from api.schemas.grievances import (
    ComplaintRecordsOut,
    DebarmentCaseIn,
    DebarmentDecisionIn,
    DebarmentRecordOut,
)
from domain.errors import (
    AccountNotFoundError,
    AwardNotActiveError,
    ComplaintNotAppealableError,
    ComplaintNotFoundError,
    DebarmentCaseDecidedError,
    DebarmentCaseNotFoundError,
    HearingOpenError,
    InvalidTermsError,
    ReasonRequiredError,
    TenderCancelledError,
    TenderNotFoundError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication


class RegulatorController(Controller):
    path = "/regulator"
    tags = ["regulator"]  # noqa: RUF012
    guards = [requires_role(Role.REGULATOR)]  # noqa: RUF012
    security = bearer(Role.REGULATOR)

    @get(
        "/tenders/{tender_id:uuid}/complaints",
        sync_to_thread=True,
        summary="A tender's complaints, grounds and appeals included",
        responses=problems(TenderNotFoundError),
    )
    def complaints(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> ComplaintRecordsOut:
        found = procurement.complaints_about(actor, tender_id)
        return ComplaintRecordsOut.of(tender_id, found)

    @post(
        "/tenders/{tender_id:uuid}/complaints/{complaint_id:uuid}/appeal-decision",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Decide an appeal: binding, published with its reasons; may order any remedy",
        responses=problems(
            ComplaintNotFoundError,
            ComplaintNotAppealableError,
            ReasonRequiredError,
            InvalidTermsError,
            AwardNotActiveError,
            TenderCancelledError,
            *WRITE,
        ),
    )
    def decide_appeal(
        self,
        tender_id: FromPath[UUID],
        complaint_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.decide_appeal(
            actor,
            tender_id,
            complaint_id,
            upheld=data.outcome == "upheld",
            remedy=data.remedy,
            reasons=data.reasons,
        )
        return WriteOut.of(result, read_tokens)

    @post(
        "/debarments",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Open a debarment case against a vendor, with its grounds (its hearing starts)",
        responses=problems(AccountNotFoundError, ReasonRequiredError, InvalidTermsError, *WRITE),
    )
    def open_case(
        self,
        data: JSONBody[DebarmentCaseIn],
        actor: NamedDependency[Actor],
        idempotency_key: NamedDependency[str | None],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.open_debarment_case(
            actor, data.vendor_id, data.grounds, idempotency_key
        )
        return WriteOut.of(result, read_tokens)

    @get(
        "/debarments/{vendor_id:uuid}",
        sync_to_thread=True,
        summary="A vendor's debarment record: every case, with grounds and answers",
        responses=problems(DebarmentCaseNotFoundError),
    )
    def record(
        self,
        vendor_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> DebarmentRecordOut:
        found = procurement.debarment_record(actor, vendor_id)
        return DebarmentRecordOut.of(found, procurement.clock.now())

    @post(
        "/debarments/{vendor_id:uuid}/cases/{case_id:uuid}/decision",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Decide a case after the hearing: debarred until a date, or dismissed",
        responses=problems(
            DebarmentCaseNotFoundError,
            DebarmentCaseDecidedError,
            HearingOpenError,
            InvalidTermsError,
            ReasonRequiredError,
            *WRITE,
        ),
    )
    def decide_case(
        self,
        vendor_id: FromPath[UUID],
        case_id: FromPath[UUID],
        data: JSONBody[DebarmentDecisionIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.decide_debarment_case(
            actor,
            vendor_id,
            case_id,
            debarred_until=data.debarred_until,
            reasons=data.reasons,
        )
        return WriteOut.of(result, read_tokens)
