"""Bid validity extensions, bid securities and performance securities (docs/securities.md):
the entity's officers ask and record, the bidders answer and read their own, the public
reads every tender's states."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.openapi import READ_MODEL_LAGGING, WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.read_your_writes import READ_TOKEN, MinPosition, ReadToken, caught_up
from api.schemas import WriteOut
from api.schemas.securities import (
    BidSecurityForfeitIn,
    BidSecurityRecordIn,
    BidSecurityReleaseIn,
    ExtensionAnswerIn,
    ExtensionRequestIn,
    PerformanceSecurityIn,
    PublicBidderSecurityOut,
    PublicExtensionRequestOut,
    PublicPerformanceSecurityOut,
    PublicSecuritiesOut,
    SecuritiesOut,
)
from domain.errors import (
    AwardNotActiveError,
    AwardNotFoundError,
    BidNotFoundError,
    BidsSealedError,
    ExtensionRequestError,
    ForbiddenError,
    ForfeitureNotDueError,
    InvalidTermsError,
    PerformanceSecurityNotAskedError,
    ReasonRequiredError,
    SecurityClosedError,
    SecurityInsufficientError,
    SecurityNotRecordedError,
    SecurityNotReleasableError,
    SecurityRecordedError,
    TenderCancelledError,
    TenderNotFoundError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from projections import reads

FILE = (TenderNotFoundError, TenderCancelledError, BidsSealedError, ForbiddenError, *WRITE)
"""A securities file of the officer's entity's tender, opened after the opening."""


class OfficerSecuritiesController(Controller):
    path = "/tenders/{tender_id:uuid}/securities"
    tags = ["officer"]  # noqa: RUF012
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @get(
        "/all",
        sync_to_thread=True,
        summary="The tender's bid validity, extension requests and securities (its officers)",
        responses=problems(TenderNotFoundError),
    )
    def file(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> SecuritiesOut:
        return SecuritiesOut(**procurement.securities_for_officer(actor, tender_id))

    @post(
        "/extension-requests",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Ask the remaining bidders, before their validity ends, to extend it",
        responses=problems(*FILE, ExtensionRequestError, InvalidTermsError, ReasonRequiredError),
    )
    def request_extension(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[ExtensionRequestIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.request_validity_extension(actor, tender_id, data.new_end, data.reason)
        return WriteOut.of(result, read_tokens)

    @post(
        "/bid-securities",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Record the bank's confirmation of a bidder's security (or of its extension)",
        responses=problems(
            *FILE,
            BidNotFoundError,
            SecurityRecordedError,
            SecurityClosedError,
            SecurityInsufficientError,
            InvalidTermsError,
        ),
    )
    def record(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[BidSecurityRecordIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.record_bid_security(
            actor, tender_id, data.vendor_id, data.instrument.to_domain()
        )
        return WriteOut.of(result, read_tokens)

    @post(
        "/bid-securities/release",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Release a bidder's security",
        responses=problems(
            *FILE,
            BidNotFoundError,
            SecurityNotRecordedError,
            SecurityClosedError,
            SecurityNotReleasableError,
        ),
    )
    def release(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[BidSecurityReleaseIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.release_bid_security(actor, tender_id, data.vendor_id)
        return WriteOut.of(result, read_tokens)

    @post(
        "/bid-securities/forfeit",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Forfeit a bidder's security, with a reason of the codelist and its text",
        responses=problems(
            *FILE,
            BidNotFoundError,
            SecurityNotRecordedError,
            SecurityClosedError,
            ReasonRequiredError,
            InvalidTermsError,
            ForfeitureNotDueError,
        ),
    )
    def forfeit(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[BidSecurityForfeitIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.forfeit_bid_security(
            actor, tender_id, data.vendor_id, data.reason, data.text
        )
        return WriteOut.of(result, read_tokens)


class PerformanceSecurityController(Controller):
    path = "/awards/{award_id:uuid}/performance-security"
    tags = ["officer"]  # noqa: RUF012
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Record the bank's confirmation of the winner's performance security",
        responses=problems(
            *FILE,
            AwardNotFoundError,
            AwardNotActiveError,
            SecurityRecordedError,
            SecurityInsufficientError,
            InvalidTermsError,
            PerformanceSecurityNotAskedError,
        ),
    )
    def record(
        self,
        award_id: FromPath[UUID],
        data: JSONBody[PerformanceSecurityIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        """At least the notice's percent of the award's value."""
        result = procurement.record_performance_security(
            actor, award_id, data.instrument.to_domain()
        )
        return WriteOut.of(result, read_tokens)


class VendorSecuritiesController(Controller):
    path = "/tenders/{tender_id:uuid}/securities"
    tags = ["vendor"]  # noqa: RUF012
    guards = [requires_role(Role.VENDOR)]  # noqa: RUF012
    security = bearer(Role.VENDOR)

    @get(
        "/mine",
        sync_to_thread=True,
        summary="The bidder's own validity, the extension request waiting for its answer, "
        "its securities",
        responses=problems(BidNotFoundError),
    )
    def mine(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> SecuritiesOut:
        return SecuritiesOut(**procurement.securities_for_vendor(actor, tender_id))

    @post(
        "/extension-answer",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Accept (with the extended bid security) or decline the validity extension",
        responses=problems(
            BidNotFoundError,
            ExtensionRequestError,
            SecurityNotRecordedError,
            SecurityInsufficientError,
            *WRITE,
        ),
    )
    def answer(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[ExtensionAnswerIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        """Declining, the bid leaves the competition without forfeiture."""
        result = procurement.answer_validity_extension(
            actor,
            tender_id,
            accepted=data.answer == "accept",
            instrument=None if data.security is None else data.security.to_domain(),
        )
        return WriteOut.of(result, read_tokens)


class PublicSecuritiesController(Controller):
    path = "/public/tenders/{tender_id:uuid}/securities"
    tags = ["public"]  # noqa: RUF012

    @get(
        "/",
        summary="A tender's bid validity, extension requests and securities: released, "
        "forfeited, overdue",
        responses=problems(TenderNotFoundError, READ_MODEL_LAGGING, *READ_TOKEN),
    )
    async def securities(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        tender_id: FromPath[UUID],
        read_token: ReadToken = None,
        min_position: MinPosition = None,
    ) -> PublicSecuritiesOut:
        await caught_up(request, pool, read_token, min_position)
        found = await reads.tender_securities(pool, tender_id)
        if found is None:
            raise TenderNotFoundError(f"no published tender {tender_id}")
        bidders, requests, performance = found
        return PublicSecuritiesOut(
            tender_id=tender_id,
            bidders=[PublicBidderSecurityOut(**row) for row in bidders],
            requests=[PublicExtensionRequestOut(**row) for row in requests],
            performance_securities=[PublicPerformanceSecurityOut(**row) for row in performance],
        )
