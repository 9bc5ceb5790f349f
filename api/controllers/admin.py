"""Administrators: disable and enable accounts, give out password reset codes, and remove a
lost second factor. Each is an event of the account (an auditor reads them in its stream)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.account_schemas import AdminAction, PasswordResetOut
from api.auth import requires_role
from api.controllers.auth import sessions_ended
from api.openapi import WRITE, bearer, problems
from api.read_tokens import ReadTokens, read_tokens_of
from api.schemas import WriteOut
from api.schemas.grievances import HeadIn
from domain.errors import (
    AccountDisabledError,
    AccountEnabledError,
    AccountNotFoundError,
    InvalidTermsError,
    NoSecondFactorError,
    OwnAccountError,
    ReasonRequiredError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication

ACCOUNT = (AccountNotFoundError, OwnAccountError, *WRITE)
"""Another account than the administrator's own, that exists."""


class AdminAccountController(Controller):
    path = "/admin/accounts/{account_id:uuid}"
    tags = ["admin"]  # noqa: RUF012
    guards = [requires_role(Role.ADMIN)]  # noqa: RUF012
    security = bearer(Role.ADMIN)

    @post(
        "/disable",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Disable",
        responses=problems(*ACCOUNT, ReasonRequiredError),
    )
    def disable(
        self,
        account_id: FromPath[UUID],
        data: JSONBody[AdminAction],
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> WriteOut:
        """The account can no longer sign in; its tokens and portal sessions end."""
        result = procurement.disable_account(actor, account_id, data.reason)
        sessions_ended(request, account_id)
        return WriteOut.of(result, read_tokens_of(request.app.state))

    @post(
        "/head",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Make an officer the head of its procuring entity, or no longer",
        responses=problems(*ACCOUNT, InvalidTermsError, AccountDisabledError),
    )
    def head(
        self,
        account_id: FromPath[UUID],
        data: JSONBody[HeadIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        """The head names the entity's grievance committee and refers vendors for
        debarment."""
        result = procurement.designate_head(actor, account_id, head=data.head)
        return WriteOut.of(result, read_tokens)

    @post(
        "/enable",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Enable again",
        responses=problems(*ACCOUNT, AccountEnabledError, ReasonRequiredError),
    )
    def enable(
        self,
        account_id: FromPath[UUID],
        data: JSONBody[AdminAction],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(procurement.enable_account(actor, account_id, data.reason), read_tokens)

    @post(
        "/password-reset",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="A one-time password reset code for the owner",
        responses=problems(*ACCOUNT),
    )
    def password_reset(
        self,
        account_id: FromPath[UUID],
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> PasswordResetOut:
        """The code (shown once, valid 24 hours, works once) goes to the owner out of band;
        the owner sets a new password with it at `POST /auth/password-reset`. The account's
        sessions end now."""
        code, expires_at, written = procurement.issue_password_reset(actor, account_id)
        sessions_ended(request, account_id)
        return PasswordResetOut(
            code=code, expires_at=expires_at, version=written.version, position=written.position
        )

    @post(
        "/second-factor-removal",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Remove a lost second factor",
        responses=problems(*ACCOUNT, NoSecondFactorError, ReasonRequiredError),
    )
    def remove_second_factor(
        self,
        account_id: FromPath[UUID],
        data: JSONBody[AdminAction],
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> WriteOut:
        """The owner enrols a new one at the next sign-in; the account's sessions end."""
        result = procurement.remove_second_factor(actor, account_id, data.reason)
        sessions_ended(request, account_id)
        return WriteOut.of(result, read_tokens_of(request.app.state))
