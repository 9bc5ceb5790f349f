"""Signing in, and vendors registering themselves."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.openapi import SIGN_IN, TOO_MANY_REQUESTS, problems
from api.rate_limits import limiter_of
from api.schemas import TokenOut, TokenRequest, VendorRegistration, WriteOut
from domain.account import account_id_for
from domain.errors import InvalidTermsError, UsernameTakenError
from domain.values import Actor, Role
from procurement.application import ProcurementApplication


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
        limiter_of(request).check_sign_in(request, data.username)
        principal = procurement.authenticate(data.username, data.password)
        state = request.app.state
        token = state.tokens.issue(principal, state.clock.now())
        return TokenOut(access_token=token, expires_in=int(state.tokens.ttl.total_seconds()))

    @post(
        "/vendors/register",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Register a vendor account",
        responses=problems(UsernameTakenError, InvalidTermsError, TOO_MANY_REQUESTS),
    )
    def register_vendor(
        self,
        data: JSONBody[VendorRegistration],
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
    ) -> WriteOut:
        limiter_of(request).check_registration(request)
        request_id = request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex
        # The vendor acts for itself: the actor is the account being created.
        actor = Actor(
            account_id=account_id_for(data.username), role=Role.VENDOR, request_id=request_id
        )
        result = procurement.register_account(
            actor,
            username=data.username,
            password=data.password,
            role=Role.VENDOR,
            vendor=data.profile(),
        )
        return WriteOut.of(result)
