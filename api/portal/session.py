"""Who is using the portal: a signed-in account's token in an encrypted session cookie.

The portal signs in with the same accounts and the same tokens as the API. The token lives in
a client-side session cookie encrypted and authenticated with AES-GCM (litestar's cookie
backend); the cookie is HttpOnly, SameSite=Lax, and Secure whenever the platform's public URL
is https. Forms carry a CSRF token bound to the session on every POST (``api/portal/csrf.py``).

A session ends with its account's session epoch like any token (``ended_sessions_dropped``):
on each request, before any page reads it, a session whose token was issued under an older
epoch (a sign-out anywhere, a password change or reset, a disable, a second factor changed)
is emptied.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.values import Role
from procurement.security import InvalidTokenError, Principal, TokenService
from procurement.session_epochs import SessionEpochs
from procurement.settings import Settings

SESSION_COOKIE = "portal_session"
LANGUAGES = ("en", "ur")
PORTAL_SESSION_TTL = timedelta(hours=2)
PORTAL_SESSION_LONGEST = timedelta(hours=12)
"""However busy, a session ends this long after its password was typed: renewals stop, and a
copy of its cookie (taken before a sign-out, say) stops working."""


def derived_key(settings: Settings, label: str) -> bytes:
    """A 32-byte key for one portal purpose, derived from the platform's token secret."""
    return hashlib.sha256(
        f"sindh-procurement/portal/{label}/v1|".encode() + settings.jwt_key.encode()
    ).digest()


def served_over_tls(settings: Settings) -> bool:
    return settings.base_url.startswith("https://")


def session_config(settings: Settings) -> CookieBackendConfig:
    return CookieBackendConfig(
        secret=derived_key(settings, "session"),
        key=SESSION_COOKIE,
        max_age=int(PORTAL_SESSION_TTL.total_seconds()),
        httponly=True,
        secure=served_over_tls(settings),
        samesite="lax",
        path="/",
    )


def portal_tokens(settings: Settings) -> TokenService:
    """The API's token service with the portal's session lifetime: a bid form takes longer
    to fill in than an API token lives."""
    return TokenService(
        key=settings.jwt_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=PORTAL_SESSION_TTL,
    )


def session_of(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    session = connection.scope.get("session")
    return session if isinstance(session, dict) else {}


def portal_user(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The signed-in account, or None (no session, or its token expired or was forged).
    Verified once per request: the guard, the handler and the page all ask."""
    session = session_of(connection)
    token = session.get("token")
    if not isinstance(token, str) or not _within_longest(connection, session):
        return None
    request_state = connection.scope.setdefault("state", {})
    cached = request_state.get("portal_principal")
    if isinstance(cached, tuple) and cached[0] == token:
        principal: Principal | None = cached[1]
        return principal
    state = connection.app.state
    try:
        principal = state.portal_tokens.verify(token, state.clock.now())
    except InvalidTokenError:
        principal = None
    request_state["portal_principal"] = (token, principal)
    return principal


def ended_sessions_dropped(app: ASGIApp) -> ASGIApp:
    """Inside the session middleware: a session whose account has moved to a later session
    epoch is emptied (its language kept) before the CSRF check and any page see it, and the
    answer's cookie says so. A live session's principal is kept for ``portal_user``."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get("session")
        token = session.get("token") if isinstance(session, dict) else None
        if isinstance(session, dict) and isinstance(token, str):
            state = scope["app"].state
            try:
                principal: Principal | None = state.portal_tokens.verify(token, state.clock.now())
            except InvalidTokenError:
                principal = None
            epochs: SessionEpochs = state.epochs
            if principal is not None and not await epochs.is_current(
                principal.account_id, principal.epoch
            ):
                scope["session"] = {"lang": session.get("lang", "en")}
            else:
                scope.setdefault("state", {})["portal_principal"] = (token, principal)
        await app(scope, receive, send)

    return middleware


def _within_longest(
    connection: ASGIConnection[Any, Any, Any, Any], session: dict[str, Any]
) -> bool:
    signed_in = session.get("signed_in")
    if not isinstance(signed_in, int | float):
        return False
    now: float = connection.app.state.clock.now().timestamp()
    return now - float(signed_in) <= PORTAL_SESSION_LONGEST.total_seconds()


def sign_in(
    connection: ASGIConnection[Any, Any, Any, Any], principal: Principal, *, renewal: bool = False
) -> None:
    """A session for ``principal``: a new one after a password (its longest life starts
    now), or a renewal of this one (the same start)."""
    state = connection.app.state
    now = state.clock.now()
    session = dict(session_of(connection))
    session.update(token=state.portal_tokens.issue(principal, now), issued=now.timestamp())
    if not renewal:
        session["signed_in"] = now.timestamp()
    connection.set_session(session)


def renew_if_half_spent(
    connection: ASGIConnection[Any, Any, Any, Any], principal: Principal
) -> None:
    """A session in use lasts: past half its life, each page renews it (so a vendor who
    keeps working is not signed out at the deadline; an idle one is, after two hours), up
    to ``PORTAL_SESSION_LONGEST`` after the password was typed."""
    issued = session_of(connection).get("issued")
    age = connection.app.state.clock.now().timestamp() - float(issued or 0)
    if age > PORTAL_SESSION_TTL.total_seconds() / 2:
        sign_in(connection, principal, renewal=True)


def sign_out(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    language = session_of(connection).get("lang", "en")
    connection.set_session({"lang": language})


def language_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    chosen = connection.query_params.get("lang") or session_of(connection).get("lang")
    return chosen if chosen in LANGUAGES else "en"


def has_role(principal: Principal | None, *roles: Role) -> bool:
    return principal is not None and principal.role in roles
