"""Vendors: clarification questions on published tenders."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from api.auth import requires_role
from api.openapi import TENDER, WRITE, bearer, problems
from api.read_tokens import ReadTokens
from api.schemas import QuestionIn, WriteOut
from domain.errors import (
    ClarificationPeriodClosedError,
    InvalidTermsError,
    VendorNotInvitedError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication


class VendorTenderController(Controller):
    path = "/tenders"
    tags = ["vendor"]  # noqa: RUF012
    guards = [requires_role(Role.VENDOR)]  # noqa: RUF012
    security = bearer(Role.VENDOR)

    @post(
        "/{tender_id:uuid}/questions",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Ask a clarification question (your name is never published)",
        responses=problems(
            *TENDER,
            ClarificationPeriodClosedError,
            InvalidTermsError,
            VendorNotInvitedError,
            *WRITE,
        ),
    )
    def ask(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[QuestionIn],
        actor: NamedDependency[Actor],
        idempotency_key: NamedDependency[str | None],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        result = procurement.ask_question(actor, tender_id, data.text, idempotency_key)
        return WriteOut.of(result, read_tokens)
