"""Signing in and out, vendors registering themselves, and an account's own keys: its
password and its second factor."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from litestar import Controller, Request, post
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.account_schemas import (
    PasswordChange,
    PasswordReset,
    SecondFactorConfirmation,
    SecondFactorEnabledOut,
    SecondFactorOffer,
)
from api.auth import requires_account
from api.errors import ApiProblem
from api.openapi import SIGN_IN, TOO_MANY_REQUESTS, WRITE, bearer, problems
from api.rate_limits import limiter_of
from api.read_tokens import ReadTokens, read_tokens_of
from api.schemas import TokenOut, TokenRequest, VendorRegistration, WriteOut
from api.schemas.standing import StandingOut, VendorRegisteredOut
from api.standing import before_registration, registered
from domain.account import account_id_for
from domain.errors import (
    InvalidResetCodeError,
    InvalidSecondFactorError,
    InvalidTermsError,
    NoEnrolmentError,
    UsernameTakenError,
    WrongCurrentPasswordError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from procurement.crypto.passwords_and_tokens import Principal


def request_id_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    request_id: str = connection.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
    return request_id


def token_for(connection: ASGIConnection[Any, Any, Any, Any], principal: Principal) -> TokenOut:
    state = connection.app.state
    token = state.tokens.issue(principal, state.clock.now())
    return TokenOut(access_token=token, expires_in=int(state.tokens.ttl.total_seconds()))


def sessions_ended(connection: ASGIConnection[Any, Any, Any, Any], account_id: uuid.UUID) -> None:
    """This process wrote an event that ends the account's sessions: its epoch cache
    forgets the account, so the next request of an old session is refused at once."""
    connection.app.state.epochs.forget(account_id)


class AuthController(Controller):
    path = "/"
    tags = ["auth"]  # noqa: RUF012

    @post(
        "/auth/token",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Sign in",
        responses=problems(*SIGN_IN),
    )
    def token(
        self,
        data: JSONBody[TokenRequest],
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
    ) -> TokenOut:
        """A bearer token for the password, and for an account with a second factor a
        `totp_code` (or a `recovery_code`, which works once). Staff whose role needs a
        second factor and who have none get 403 `second_factor_enrolment_required` with an
        `enrolment_token` that serves only to enrol one."""
        with limiter_of(request).sign_in_from_thread(request, data.username):
            principal = procurement.authenticate(
                data.username,
                data.password,
                totp_code=data.totp_code,
                recovery_code=data.recovery_code,
                request_id=request_id_of(request),
            )
        if principal.enrolment_only:
            enrolment = token_for(request, principal)
            raise ApiProblem(
                403,
                "second_factor_enrolment_required",
                "this account signs in with a second factor and has none yet: enrol one with "
                "the enrolment_token (POST /auth/second-factor, then "
                "POST /auth/second-factor/confirm), or in the portal",
                extra={"enrolment_token": enrolment.access_token},
            )
        return token_for(request, principal)

    @post(
        "/auth/sign-out",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        guards=[requires_account(enrolment=True)],
        security=bearer(*Role),
        responses=problems(*WRITE),
        summary="End every token and portal session of your account",
    )
    def sign_out(
        self,
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> WriteOut:
        result = procurement.sign_out(actor)
        sessions_ended(request, actor.account_id)
        return WriteOut.of(result, read_tokens_of(request.app.state))

    @post(
        "/auth/password",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        guards=[requires_account()],
        security=bearer(*Role),
        responses=problems(WrongCurrentPasswordError, InvalidTermsError, TOO_MANY_REQUESTS, *WRITE),
        summary="Change your password (every session ends)",
    )
    def change_password(
        self,
        data: JSONBody[PasswordChange],
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> WriteOut:
        # A stolen token must not become a way to guess the password: counted as sign-ins.
        with limiter_of(request).sign_in_from_thread(request, str(actor.account_id)):
            result = procurement.change_password(
                actor, current_password=data.current_password, new_password=data.new_password
            )
        sessions_ended(request, actor.account_id)
        return WriteOut.of(result, read_tokens_of(request.app.state))

    @post(
        "/auth/password-reset",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Set a new password with the one-time code an administrator gave you",
        responses=problems(InvalidResetCodeError, InvalidTermsError, TOO_MANY_REQUESTS, *WRITE),
    )
    def reset_password(
        self,
        data: JSONBody[PasswordReset],
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
    ) -> WriteOut:
        with limiter_of(request).sign_in_from_thread(request, data.username):
            result = procurement.complete_password_reset(
                data.username, data.code, data.new_password, request_id_of(request)
            )
        sessions_ended(request, result.id)
        return WriteOut.of(result, read_tokens_of(request.app.state))

    @post(
        "/auth/second-factor",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        guards=[requires_account(enrolment=True)],
        security=bearer(*Role),
        responses=problems(*WRITE),
        summary="Start enrolling a second factor: a new TOTP secret to confirm",
    )
    def start_second_factor(
        self, actor: NamedDependency[Actor], procurement: NamedDependency[ProcurementApplication]
    ) -> SecondFactorOffer:
        secret, uri, written = procurement.start_second_factor(actor)
        return SecondFactorOffer(
            secret=secret, otpauth_uri=uri, version=written.version, position=written.position
        )

    @post(
        "/auth/second-factor/confirm",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        guards=[requires_account(enrolment=True)],
        security=bearer(*Role),
        responses=problems(NoEnrolmentError, InvalidSecondFactorError, TOO_MANY_REQUESTS, *WRITE),
        summary="Confirm the second factor with a code: recovery codes and a new token",
    )
    def confirm_second_factor(
        self,
        data: JSONBody[SecondFactorConfirmation],
        request: Request[Any, Any, Any],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> SecondFactorEnabledOut:
        with limiter_of(request).sign_in_from_thread(request, str(actor.account_id)):
            codes, principal, _ = procurement.confirm_second_factor(
                actor, data.code, data.current_password
            )
        sessions_ended(request, actor.account_id)
        token = token_for(request, principal)
        return SecondFactorEnabledOut(
            recovery_codes=codes, access_token=token.access_token, expires_in=token.expires_in
        )

    @post(
        "/vendors/register",
        status_code=HTTP_201_CREATED,
        summary="Register a vendor account",
        responses=problems(UsernameTakenError, InvalidTermsError, TOO_MANY_REQUESTS),
    )
    async def register_vendor(
        self,
        data: JSONBody[VendorRegistration],
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> VendorRegisteredOut:
        """The answer carries the vendor's standing on the Active Taxpayer List now: advice,
        not a condition (a vendor not on the list registers all the same)."""
        await limiter_of(request).check_registration(request)
        # The vendor acts for itself: the actor is the account being created.
        actor = Actor(
            account_id=account_id_for(data.username),
            role=Role.VENDOR,
            request_id=request_id_of(request),
        )
        standing = await before_registration(request, data.ntn)
        result = await sync_to_thread(
            partial(
                procurement.register_account,
                actor,
                username=data.username,
                password=data.password,
                role=Role.VENDOR,
                vendor=data.profile(),
            )
        )
        registered(request, actor, data.ntn, standing)
        written = WriteOut.of(result, read_tokens)
        return VendorRegisteredOut(**written.model_dump(), standing=StandingOut.of(standing))
