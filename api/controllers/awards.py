"""Awards after they are made: vendors' complaints, and the entity's decisions on them, the
cancellation of an award and the signature of the contract."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.controllers.grievances import DECIDING
from api.openapi import WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.schemas import CancelIn, ComplaintIn, ContractIn, DecisionIn, WriteOut
from domain.errors import (
    AwardNotActiveError,
    AwardNotFoundError,
    BidValidityExpiredError,
    ComplaintExistsError,
    ComplaintPendingError,
    ComplaintPeriodClosedError,
    ContractHeldError,
    ContractValueMismatchError,
    InvalidTermsError,
    NotABidderError,
    PerformanceSecurityRequiredError,
    ReasonRequiredError,
    StandstillError,
    TenderCancelledError,
    VendorDebarredError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication

AWARD = (AwardNotFoundError, AwardNotActiveError, *WRITE)
"""An award of the caller's entity (for officers; any, for bidders) that still stands."""


class ComplaintController(Controller):
    path = "/awards/{award_id:uuid}/complaints"
    tags = ["vendor"]  # noqa: RUF012
    guards = [requires_role(Role.VENDOR)]  # noqa: RUF012
    security = bearer(Role.VENDOR)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="A bidder's complaint, during the standstill (its grounds stay private)",
        responses=problems(
            *AWARD,
            ComplaintPeriodClosedError,
            NotABidderError,
            ComplaintExistsError,
            TenderCancelledError,
        ),
    )
    def lodge(
        self,
        award_id: FromPath[UUID],
        data: JSONBody[ComplaintIn],
        actor: NamedDependency[Actor],
        idempotency_key: NamedDependency[str | None],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.lodge_award_complaint(actor, award_id, data.grounds, idempotency_key),
            read_tokens,
        )


class OfficerAwardController(Controller):
    path = "/awards/{award_id:uuid}"
    tags = ["officer"]  # noqa: RUF012
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/complaints/{complaint_id:uuid}/decision",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="The grievance committee's decision on a complaint about the award",
        responses=problems(*AWARD, *DECIDING),
    )
    def decide(
        self,
        award_id: FromPath[UUID],
        complaint_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.decide_award_complaint(
                actor,
                award_id,
                complaint_id,
                upheld=data.outcome == "upheld",
                remedy=data.remedy,
                reasons=data.reasons,
            ),
            read_tokens,
        )

    @post(
        "/cancel",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Cancel the award with a reason",
        responses=problems(*AWARD, ComplaintPendingError, ReasonRequiredError),
    )
    def cancel(
        self,
        award_id: FromPath[UUID],
        data: JSONBody[CancelIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(procurement.cancel_award(actor, award_id, data.reason), read_tokens)

    @post(
        "/contract",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Sign the contract (after the standstill, with no complaint about the award "
        "unsettled)",
        responses=problems(
            *AWARD,
            StandstillError,
            ContractHeldError,
            VendorDebarredError,
            ComplaintPendingError,
            ContractValueMismatchError,
            InvalidTermsError,
            PerformanceSecurityRequiredError,
            BidValidityExpiredError,
        ),
    )
    def contract(
        self,
        award_id: FromPath[UUID],
        data: JSONBody[ContractIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.sign_contract(
                actor, award_id, data.value.to_domain(), data.period_domain()
            ),
            read_tokens,
        )
