"""``Idempotency-Key`` on POST: a retry with the same key and body gets the first answer and
writes nothing; the same key with another body is 422. See
``procurement/store/idempotency_keys.py``.

It is ASGI middleware because it must see the raw body and the whole answer; it identifies
the key's owner by verifying the bearer token the same way the guards do (and leaves the
verified principal where the guards look first, so a keyed request verifies its token once).
Claims and answers of concurrent requests are stored in batches (``idempotency.Batches``, one
per process, made at start-up), and a claim lives exactly as long as the request holding it.

A request that takes over the claim of an earlier attempt that ended without an answer finds
that attempt in its scope's state (``RETRY_OF``): a command reads it to recognise the earlier
attempt's write, if it landed (``api.controllers.bids``).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from api.body import REQUEST_MAX_BODY_SIZE
from procurement.crypto.passwords_and_tokens import InvalidTokenError
from procurement.store import idempotency_keys as idempotency

log = logging.getLogger(__name__)
HEADER = b"idempotency-key"
KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"
"""An Idempotency-Key: 1 to 128 visible ASCII characters."""
_KEY = re.compile(KEY_PATTERN)
EXEMPT_PATHS = frozenset(
    {
        "/auth/token",  # writes nothing; its answer is a secret
        "/documents",  # an upload: stored by its hash, so a retry stores nothing twice
    }
)
RETRY_OF = "idempotency_retry_of"
"""The scope state's key for the earlier attempt a claim took over (``idempotency.Attempt``)."""
RETRYABLE_CONFLICTS = frozenset({"version_conflict"})
"""409 answers that ask the client to try again: not kept as a key's answer."""


@dataclass(frozen=True)
class _Problem:
    status: int
    code: str
    title: str
    detail: str
    headers: dict[str, str] = field(default_factory=dict)


_REFUSALS = {
    idempotency.Mismatch: _Problem(
        422,
        "idempotency_key_reused",
        "Unprocessable Content",
        "this Idempotency-Key was used with another request; use a new key",
    ),
    idempotency.InProgress: _Problem(
        409,
        "idempotency_key_in_use",
        "Conflict",
        "the first request with this Idempotency-Key is still running; retry shortly",
        {"retry-after": "1"},
    ),
}
_TOO_LARGE = _Problem(
    413,
    "payload_too_large",
    "Content Too Large",
    f"the body is over the route's limit ({REQUEST_MAX_BODY_SIZE:,} bytes for JSON)",
)
_BAD_KEY = _Problem(
    400,
    "invalid_idempotency_key",
    "Bad Request",
    "Idempotency-Key takes 1 to 128 visible ASCII characters, e.g. a UUID",
)


async def _send(
    send: Send, status: int, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    raw = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(name.encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_problem(scope: Scope, send: Send, problem: _Problem) -> None:
    body = {
        "type": f"urn:sindh-procurement:problem:{problem.code}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": scope["path"],
        "code": problem.code,
        "request_id": scope.get("state", {}).get("request_id"),
    }
    await _send(
        send,
        problem.status,
        json.dumps(body).encode(),
        "application/problem+json",
        problem.headers,
    )


def _owner(scope: Scope) -> str | None:
    """The verified account id, ``anonymous`` without a token, None with a bad token."""
    authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    if not authorization:
        return "anonymous"
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    state = scope["app"].state
    try:
        principal = state.tokens.verify(token.strip(), state.clock.now())
    except InvalidTokenError:
        return None
    scope.setdefault("state", {})["principal"] = principal  # as ``api.auth.authenticate``
    return str(principal.account_id)


async def _admitted(scope: Scope) -> bool:
    """Whether the route's guards let the caller in (they run again in the app, which then
    answers their 401 or 403)."""
    handler = scope.get("route_handler")
    if handler is None:
        return True
    connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
    try:
        for guard in handler.resolve_guards():
            checked = guard(connection, handler)
            if isawaitable(checked):
                await checked
    except HTTPException:
        return False
    return True


def _body_limit(scope: Scope) -> int:
    handler = scope.get("route_handler")
    limit = (
        handler.resolve_request_max_body_size() if isinstance(handler, HTTPRouteHandler) else None
    )
    return limit or REQUEST_MAX_BODY_SIZE


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it runs over ``limit``: it is held in memory to be
    hashed, so it is held only as far as the route would read it (413 beyond, as there)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        chunk = chunk if isinstance(chunk, bytes) else b""
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


class _HeldAnswer:
    """An HTTP answer kept back until its last byte."""

    def __init__(self) -> None:
        self.start: dict[str, Any] | None = None
        self.chunks: list[bytes] = []

    def hold(self, message: dict[str, Any]) -> bool:
        """Keep ``message``; True once the answer is complete."""
        if message["type"] == "http.response.start":
            self.start = message
            return False
        self.chunks.append(bytes(message.get("body", b"")))
        return not message.get("more_body", False)

    @property
    def status(self) -> int:
        return int(self.start["status"]) if self.start else 500

    def is_final(self) -> bool:
        """Whether a retry must get this answer again. Not our faults (5xx), and not the
        answers that say "try again": a rate limit (429) or another write saved first
        (409 ``version_conflict``). Remembered, they would refuse every retry for ever."""
        if self.status >= 500 or self.status == 429:  # noqa: PLR2004 (HTTP statuses)
            return False
        if self.status == 409:  # noqa: PLR2004
            try:
                code = json.loads(b"".join(self.chunks)).get("code")
            except (ValueError, AttributeError):
                return True
            return code not in RETRYABLE_CONFLICTS
        return True

    @property
    def content_type(self) -> str:
        headers = self.start.get("headers", []) if self.start else []
        for name, value in headers:
            if bytes(name).lower() == b"content-type":
                return bytes(value).decode("latin-1")
        return "application/json"

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def messages(self) -> list[dict[str, Any]]:
        body = {"type": "http.response.body", "body": self.body, "more_body": False}
        return [self.start, body] if self.start else [body]


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":  # reads: nothing to look at
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        owner = _owner(scope) if key is not None else None
        if key is None or owner is None or not await _admitted(scope):
            # Not asked for, or the route's guards answer 401 or 403 first: a caller who may
            # not make the request claims no key (nor learns that another used it).
            await self.app(scope, receive, send)
            return
        if not _KEY.match(key):
            await _send_problem(scope, send, _BAD_KEY)
            return
        body = await _read_body(receive, _body_limit(scope))
        if body is None:
            await _send_problem(scope, send, _TOO_LARGE)
            return
        state = scope["app"].state
        # Keyed: a plain bid's body would otherwise be guessable from its stored hash.
        digest = hmac.new(
            state.idempotency_secret, b"POST " + scope["path"].encode() + b"\n" + body, "sha256"
        ).hexdigest()
        batches: idempotency.Batches = state.idempotency
        request_id = str(scope.get("state", {}).get("request_id") or "")
        outcome = await batches.claim(owner, key, digest, request_id, state.clock.now())
        if isinstance(outcome, idempotency.Replay):
            await _send(
                send,
                outcome.status,
                outcome.body,
                outcome.content_type,
                {"idempotent-replayed": "true"},
            )
        elif isinstance(outcome, idempotency.Claimed):
            if outcome.earlier is not None:
                scope.setdefault("state", {})[RETRY_OF] = outcome.earlier
            await self._run_and_record(scope, body, send, batches, outcome.claim)
        else:
            await _send_problem(scope, send, _REFUSALS[type(outcome)])

    @staticmethod
    def _key(scope: Scope) -> str | None:
        if scope["type"] != ScopeType.HTTP or scope.get("method") != "POST":
            return None
        if scope["path"] in EXEMPT_PATHS:
            return None
        handler = scope.get("route_handler")
        if isinstance(handler, HTTPRouteHandler) and handler.opt.get("raw_body"):
            # An upload: its body is a file, which a key's hash would hold whole in memory,
            # and its answer may hold a document's key, which a stored answer would keep.
            # A file is stored by its hash: sent again, it is stored once.
            return None
        raw = dict(scope["headers"]).get(HEADER)
        return raw.decode("latin-1") if raw is not None else None

    async def _run_and_record(
        self,
        scope: Scope,
        body: bytes,
        send: Send,
        batches: idempotency.Batches,
        claim: idempotency.Claim,
    ) -> None:
        delivered = False

        async def receive_once() -> ReceiveMessage:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        held = _HeldAnswer()
        recorded = False

        async def record_then_send(message: Message) -> None:
            """Hold the answer until it is complete, store it, then let it go: a client
            that has its answer never finds the key still in progress."""
            nonlocal recorded
            if not held.hold(cast("dict[str, Any]", message)):
                return
            if held.is_final():
                recorded = True  # stored, or its claim let go trying: no release after it
                try:
                    await batches.complete(
                        claim, status=held.status, content_type=held.content_type, body=held.body
                    )
                except Exception as error:  # noqa: BLE001 (the answer is due all the same)
                    # Not kept, but its claim is let go: a retry runs the command again and
                    # finds its write (the same receipt, the same draft), or writes it.
                    log.warning("an idempotent answer was not stored (%r)", error)
            for out in held.messages():
                await send(cast("Message", out))

        try:
            await self.app(scope, receive_once, record_then_send)
        finally:
            if not recorded:
                await _release(batches, claim)


async def _release(batches: idempotency.Batches, claim: idempotency.Claim) -> None:
    """Let the claim of a request that failed on our side go. After its answer has left, so a
    failure here (the database down) is only logged: its lock is let go all the same, and the
    row it leaves is taken over by the next retry."""
    try:
        await batches.release(claim)
    except Exception as error:  # noqa: BLE001 (logged; the lock is let go regardless)
        log.warning("an idempotency claim's row was not released (%r)", error)
