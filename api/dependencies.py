"""What handlers receive: the application, the read pool, the caller, the If-Match version,
the read tokens their answers carry."""

from __future__ import annotations

import re
from typing import Annotated, Any

import asyncpg
from litestar import Request
from litestar.di import Provide
from litestar.params import Parameter

from api.auth import current_actor
from api.errors import ApiProblem
from api.read_tokens import ReadTokens, read_tokens_of
from procurement.commands.application import ProcurementApplication

_VERSION = re.compile(r'^(?:W/)?"?([0-9]{1,18})"?$')  # ASCII digits only, not \d


def _procurement(request: Request[Any, Any, Any]) -> ProcurementApplication:
    app: ProcurementApplication = request.app.state.procurement
    return app


def _pool(request: Request[Any, Any, Any]) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def _read_tokens(request: Request[Any, Any, Any]) -> ReadTokens:
    return read_tokens_of(request.app.state)


IF_MATCH_PATTERN = r'^(\*|(W/)?"?[0-9]{1,18}"?)$'
"""What ``If-Match`` takes, as the OpenAPI document states it: ``*`` or ``_VERSION``."""


def _expected_version(
    if_match: Annotated[
        str | None,
        Parameter(
            header="If-Match",
            description='the version you hold, e.g. "3": the write is made only if the '
            "object is still at it (412 version_mismatch if not; 400 invalid_if_match if "
            "it is not a version). Without it, or with *, no check.",
            # Stated, not checked here: the dependency refuses a malformed one with its own
            # problem (400 invalid_if_match), where Litestar's check would say 422.
            schema_extra={"pattern": IF_MATCH_PATTERN},
        ),
    ] = None,
) -> int | None:
    """The ``If-Match`` header as a version number; absent means "any version"."""
    raw = if_match
    if raw is None or raw.strip() == "*":
        return None
    match = _VERSION.match(raw.strip())
    if match is None:
        raise ApiProblem(400, "invalid_if_match", 'If-Match takes a version number, e.g. "3"')
    return int(match.group(1))


def _idempotency_key(request: Request[Any, Any, Any]) -> str | None:
    """The ``Idempotency-Key`` header; the middleware has already checked its form."""
    return request.headers.get("idempotency-key")


DEPENDENCIES = {
    "procurement": Provide(_procurement, sync_to_thread=False),
    "pool": Provide(_pool, sync_to_thread=False),
    "actor": Provide(current_actor, sync_to_thread=False),
    "expected_version": Provide(_expected_version, sync_to_thread=False),
    "idempotency_key": Provide(_idempotency_key, sync_to_thread=False),
    "read_tokens": Provide(_read_tokens, sync_to_thread=False),
}
