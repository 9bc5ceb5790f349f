"""Who is calling: the bearer token, checked by guards (its signature, times, and the
account's session epoch); and the request id."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiProblem
from domain.values import Actor, Role
from procurement.logs import REQUEST_ID
from procurement.security import InvalidTokenError, Principal
from procurement.session_epochs import SessionEpochs

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None] | None]


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request an id (the client's ``X-Request-ID`` if it is sane) and echo it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        REQUEST_ID.set(request_id)  # for the log lines of this request

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller's principal from its bearer token, or a 401 problem."""
    cached = connection.scope.get("state", {}).get("principal")
    if isinstance(cached, Principal):
        return cached
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiProblem(
            401,
            "unauthenticated",
            "send a bearer token: Authorization: Bearer <token> (POST /auth/token)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state = connection.app.state
    try:
        principal: Principal = state.tokens.verify(token.strip(), state.clock.now())
    except InvalidTokenError:
        raise ApiProblem(
            401,
            "invalid_token",
            "the token is invalid or expired",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    connection.scope.setdefault("state", {})["principal"] = principal
    return principal


async def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller's principal, once its session epoch is checked: a token issued before the
    account's password changed, it was disabled, or it signed out is refused (401
    ``session_ended``). Checked once per request."""
    principal = authenticate(connection)
    request_state = connection.scope.setdefault("state", {})
    checked = (principal.account_id, principal.epoch)
    if request_state.get("epoch_checked") == checked:
        return principal
    epochs: SessionEpochs = connection.app.state.epochs
    if not await epochs.is_current(principal.account_id, principal.epoch):
        raise ApiProblem(
            401,
            "session_ended",
            "the session has ended (signed out, password changed or account disabled): "
            "sign in again",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request_state["epoch_checked"] = checked
    return principal


def requires_account(*, enrolment: bool = False) -> Guard:
    """A guard: any signed-in account acting on itself; with ``enrolment``, a token limited
    to enrolling a second factor will do too."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await current_principal(connection)
        if principal.enrolment_only and not enrolment:
            raise _enrolment_required()

    return guard


def _enrolment_required() -> ApiProblem:
    return ApiProblem(
        403,
        "second_factor_enrolment_required",
        "this account signs in with a second factor: enrol one first "
        "(POST /auth/second-factor, then POST /auth/second-factor/confirm)",
    )


def requires_role(*roles: Role) -> Guard:
    """A guard: the caller is authenticated, its session current, and holds one of
    ``roles`` with a token not limited to enrolment."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await current_principal(connection)
        if principal.enrolment_only:
            raise _enrolment_required()
        if principal.role not in roles:
            raise ApiProblem(
                403,
                "forbidden",
                f"this operation is for the role(s) {', '.join(r.value for r in roles)}",
            )

    return guard


def current_actor(request: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The authenticated caller as the events will record it (a dependency)."""
    principal = authenticate(request)
    return Actor(
        account_id=principal.account_id,
        role=principal.role,
        request_id=request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex,
        entity=principal.entity,
    )
