"""``OPTIONS``: its ``Allow`` header lists every method of the path.

Litestar 2 registers a controller's handlers one at a time; the ``OPTIONS`` handler it makes
for a path when its first handler is registered keeps answering with that handler's methods
only (litestar#4169, fixed in Litestar 3): ``OPTIONS /tenders/{id}/bids/mine`` said
``GET, OPTIONS`` although ``PUT`` and ``DELETE`` are there too. This middleware sets the
header from the app's own map of the path's handlers.
"""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

_NOT_METHODS = frozenset({"asgi", "websocket"})


def allowed_methods(app: Any, path_template: str) -> str:
    """The ``Allow`` header of a path (its route's ``path_format``): its methods."""
    for route in app.routes:
        if getattr(route, "path_format", None) == path_template:
            return ", ".join(sorted(set(route.methods) - _NOT_METHODS))
    return "OPTIONS"


def allow_header_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "OPTIONS" or "path_template" not in scope:
            await app(scope, receive, send)
            return
        allow = allowed_methods(scope["app"], scope["path_template"]).encode()

        async def send_allowed(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:  # noqa: PLR2004
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*kept, (b"allow", allow)]}
            await send(message)

        await app(scope, receive, send_allowed)

    return middleware
