"""Who is calling: the bearer token, checked by guards; and the request id."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiProblem
from domain.values import Actor, Role
from procurement.logs import REQUEST_ID
from procurement.security import InvalidTokenError, Principal

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


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


def requires_role(*roles: Role) -> Guard:
    """A guard: the caller is authenticated and holds one of ``roles``."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = authenticate(connection)
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
