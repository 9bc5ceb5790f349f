"""Cross-site request forgery: every unsafe request to a portal route must come from the
platform's own pages.

Two checks, on every method but GET, HEAD, OPTIONS and TRACE (``csrf_guard``, inside the
session middleware):

- **Origin.** ``Origin`` (or, when a browser sends none, ``Referer``) must name the platform's
  public URL (``PROCUREMENT_PUBLIC_URL``): scheme, host and port. A request with neither (a
  program, not a browser: browsers send ``Origin`` on every POST) is left to the token.
- **A token bound to the session.** Each session holds a random id of its own, inside its
  encrypted cookie; the token is an HMAC of that id and the moment the session signed in,
  under a key derived from the token secret. A token taken from another session (another
  person's, or this browser's before it signed in) does not match, and the cookie that
  carries the id cannot be read by a script or another site. Forms send it as
  ``_csrf_token``, scripts as the ``X-CSRFToken`` header.

Both refusals are 403 pages with their own code; the request's handler never runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection, Request
from litestar.enums import RequestEncodingType, ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiProblem
from api.portal.session import derived_key, session_of
from procurement.settings import Settings

FIELD = "_csrf_token"
HEADER = "x-csrftoken"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SESSION_ID = "csrf_id"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _token(settings: Settings, session: dict[str, Any]) -> str | None:
    """The token of ``session``: None while it has no id."""
    session_id = session.get(_SESSION_ID)
    if not isinstance(session_id, str):
        return None
    bound = f"{session_id}|{session.get('signed_in', '')}".encode()
    mac = hmac.new(derived_key(settings, "csrf"), bound, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_token_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token this session's forms carry; a session without an id gets one now."""
    session = session_of(connection)
    if not isinstance(session.get(_SESSION_ID), str):
        session = {**session, _SESSION_ID: secrets.token_urlsafe(24)}
        connection.set_session(session)
    return _token(connection.app.state.settings, session) or ""


def token_matches(connection: ASGIConnection[Any, Any, Any, Any], presented: object) -> bool:
    expected = _token(connection.app.state.settings, session_of(connection))
    return (
        expected is not None
        and isinstance(presented, str)
        and hmac.compare_digest(presented.encode(), expected.encode())
    )


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL; None for anything else (``null``)."""
    try:
        parts = urlsplit(url.strip())
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if scheme not in _DEFAULT_PORTS or not host or port is None:
        return None
    return scheme, host, port


def same_origin(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> bool:
    """Whether the request says it comes from the platform's public URL (or says nothing)."""
    sent = connection.headers.get("origin")
    if sent is None:
        sent = connection.headers.get("referer")
    if sent is None:
        return True
    return origin_of(sent) == origin_of(settings.base_url)


async def _presented(request: Request[Any, Any, Any]) -> object:
    """The token the request carries: the header, else the form's field."""
    token = request.headers.get(HEADER)
    if token is None and request.content_type[0] in {
        RequestEncodingType.URL_ENCODED,
        RequestEncodingType.MULTI_PART,
    }:
        form = await request.form()  # kept in the scope: the handler reads it again
        token = form.get(FIELD)
    return token


def csrf_guard(app: ASGIApp) -> ASGIApp:
    """Refuse an unsafe request from another origin or without this session's token."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope.get("method", "GET") in SAFE_METHODS:
            await app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope, receive)
        settings: Settings = request.app.state.settings
        if not same_origin(request, settings):
            raise ApiProblem(
                403,
                "cross_origin_refused",
                f"this form must be sent from the platform's own pages ({settings.base_url})",
            )
        if not token_matches(request, await _presented(request)):
            raise ApiProblem(
                403,
                "csrf_token_invalid",
                "the form's security token does not belong to this session (it was signed "
                "in or out since the page was shown): reload the page and send it again",
            )
        await app(scope, receive, send)

    return middleware
