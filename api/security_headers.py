"""The browser security headers every answer carries (``security_headers``, around the whole
app, so 404s, cached reads and static files have them too).

- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin`` on everything: no
  answer is read as another type than it says, and no address (a page's query, a read token)
  leaves the platform in a ``Referer``.
- ``Strict-Transport-Security`` when the platform's public URL is https.
- ``Content-Security-Policy``: on the portal's HTML, scripts, styles, images, fonts and
  connections from the platform's own origin only (nothing inline: the pages carry no inline
  script, handler, ``javascript:`` URL or ``style`` attribute), forms posted to it only, no
  ``<base>``, no plugins, and never inside a frame; on everything else (the API's JSON, the
  assets) nothing at all may load and nothing may frame it.

A handler that sets one of these headers itself keeps its own.
"""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from procurement.settings import Settings

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
"""The portal's pages (any ``text/html`` answer)."""

OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
"""Everything that is not a page: JSON, CSV, the stylesheet and the script."""

ONE_YEAR = 365 * 24 * 3600
_CSP = b"content-security-policy"


def headers_for(settings: Settings) -> tuple[tuple[bytes, bytes], ...]:
    """The headers every answer carries (the policy aside)."""
    common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
    if settings.base_url.startswith("https://"):
        common.append((b"strict-transport-security", f"max-age={ONE_YEAR}".encode()))
    return tuple(common)


def security_headers(settings: Settings, app: ASGIApp) -> ASGIApp:
    """``app`` with the security headers added to every HTTP answer."""
    common = headers_for(settings)
    page, other = PAGE_POLICY.encode(), OTHER_POLICY.encode()

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {bytes(name).lower() for name, _ in headers}
                html = any(
                    bytes(name).lower() == b"content-type" and bytes(value).startswith(b"text/html")
                    for name, value in headers
                )
                extra = [*common, (_CSP, page if html else other)]
                headers.extend((name, value) for name, value in extra if name not in present)
                message["headers"] = headers
            await send(message)

        await app(scope, receive, sending)

    return middleware
