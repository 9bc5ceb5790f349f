"""Debarment as vendors and entities meet it: a vendor reads its record and answers a case
(its hearing); an entity's head refers a vendor to the regulator; officers read a vendor's
record before they award."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.openapi import WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.schemas import WriteOut
from api.schemas.grievances import DebarmentAnswerIn, DebarmentCaseIn, DebarmentRecordOut
from domain.errors import (
    AccountNotFoundError,
    DebarmentCaseDecidedError,
    DebarmentCaseNotFoundError,
    HearingClosedError,
    InvalidTermsError,
    NotEntityHeadError,
    ReasonRequiredError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication


class VendorDebarmentController(Controller):
    path = "/debarment/mine"
    tags = ["vendor"]  # noqa: RUF012
    guards = [requires_role(Role.VENDOR)]  # noqa: RUF012
    security = bearer(Role.VENDOR)

    @get(
        "/",
        sync_to_thread=True,
        summary="The vendor's own debarment record (404 when it has none)",
        responses=problems(DebarmentCaseNotFoundError),
    )
    def mine(
        self,
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> DebarmentRecordOut:
        found = procurement.debarment_record(actor, actor.account_id)
        return DebarmentRecordOut.of(found, procurement.clock.now())

    @post(
        "/cases/{case_id:uuid}/answer",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Answer a case in writing, before the hearing closes",
        responses=problems(
            DebarmentCaseNotFoundError,
            DebarmentCaseDecidedError,
            HearingClosedError,
            ReasonRequiredError,
            *WRITE,
        ),
    )
    def answer(
        self,
        case_id: FromPath[UUID],
        data: JSONBody[DebarmentAnswerIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.answer_debarment_case(actor, case_id, data.answer)
        return WriteOut.of(result, read_tokens)


class OfficerDebarmentController(Controller):
    path = "/debarments"
    tags = ["officer"]  # noqa: RUF012
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/referrals",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="The entity's head refers a vendor to the regulator, with grounds",
        responses=problems(
            NotEntityHeadError,
            AccountNotFoundError,
            ReasonRequiredError,
            InvalidTermsError,
            *WRITE,
        ),
    )
    def refer(
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
        "/{vendor_id:uuid}",
        sync_to_thread=True,
        summary="A vendor's decided debarment cases (not a case in hearing, nor its answer)",
        responses=problems(DebarmentCaseNotFoundError),
    )
    def record(
        self,
        vendor_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> DebarmentRecordOut:
        found = procurement.debarment_record(actor, vendor_id)
        return DebarmentRecordOut.of(found, procurement.clock.now(), full=False)
