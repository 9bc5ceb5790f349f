"""The one exception mapper: everything that leaves the API as an error is RFC 9457
``application/problem+json`` with a stable ``code`` and the request id.
"""

from __future__ import annotations

import logging
import re
import traceback
from http import HTTPStatus
from typing import Any

import asyncpg
import psycopg
from eventsourcing import persistence as es_persistence
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from pydantic import ValidationError

from domain.errors import (
    AccountDisabledError,
    ConflictError,
    DocumentTypeError,
    ForbiddenError,
    InvalidCredentialsError,
    InvalidStateError,
    NotFoundError,
    ProcurementError,
    RuleViolationError,
    VersionMismatchError,
)

log = logging.getLogger(__name__)

_STATUS_BY_KIND: tuple[tuple[type[ProcurementError], int], ...] = (
    (NotFoundError, 404),
    (DocumentTypeError, 415),
    (RuleViolationError, 422),
    (InvalidStateError, 409),
    (ConflictError, 409),
    (VersionMismatchError, 412),
    (InvalidCredentialsError, 401),
    (AccountDisabledError, 403),
    (ForbiddenError, 403),
)

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiProblem(HTTPException):
    """An error raised by the API layer itself, with its code."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail=detail, status_code=status, headers=headers)
        self.code = code
        self.more = extra or {}


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    members: dict[str, Any] = {
        "code": code,
        "request_id": request.scope.get("state", {}).get("request_id"),
        **(extra or {}),
    }
    return ProblemDetailsException(
        detail=detail,
        status_code=status,
        headers=headers,
        extra=members,
        type_=f"urn:sindh-procurement:problem:{code}",
        title=title,
        instance=request.url.path,
    ).to_response(request)


def status_of(kind: type[ProcurementError]) -> int:
    """The HTTP status of a kind of domain error."""
    for base, status in _STATUS_BY_KIND:
        if issubclass(kind, base):
            return status
    return 400


def status_for(error: ProcurementError) -> int:
    return status_of(type(error))


def _domain_error(request: Request[Any, Any, Any], error: ProcurementError) -> Response[Any]:
    """The error as a problem; one about a field of the request (``field``, dotted) names it
    as a validation problem does: ``errors: [{"loc": [...], "message": ...}]``."""
    field = getattr(error, "field", None)
    errors = [{"loc": field.split("."), "message": str(error)}] if field else None
    return problem(
        request,
        status=status_for(error),
        code=error.code,
        title=error.title,
        detail=str(error),
        extra={"errors": errors} if errors else None,
    )


def _errors_of(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in item["loc"]], "message": item["msg"]}
        for item in error.errors(include_url=False, include_input=False)
    ]


def _model_error(request: Request[Any, Any, Any], error: ValidationError) -> Response[Any]:
    return problem(
        request,
        status=422,
        code="validation_failed",
        title="The request is not valid",
        detail="; ".join(f"{'.'.join(e['loc'])}: {e['message']}" for e in _errors_of(error)),
        extra={"errors": _errors_of(error)},
    )


_MISSING = re.compile(r"^Missing required (\w+) parameter '([^']*)'")
"""Litestar's words for a required parameter not given (a ValidationException with no list)."""


def _validation_errors(error: ValidationException) -> list[dict[str, Any]]:
    """Each refused parameter, named: ``loc`` its name, as for a body's field."""
    errors = error.extra if isinstance(error.extra, list) else []
    cleaned = [
        {"loc": [str(e.get("key", ""))], "message": str(e.get("message", ""))}
        for e in errors
        if isinstance(e, dict)
    ]
    missing = _MISSING.match(str(error.detail))
    if not cleaned and missing:
        kind, name = missing.groups()
        cleaned = [{"loc": [name], "message": f"a required {kind} parameter, missing"}]
    return cleaned


def _validation_error(request: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    cleaned = _validation_errors(error)
    return problem(
        request,
        status=422,
        code="validation_failed",
        title="The request is not valid",
        detail="; ".join(f"{e['loc'][0]}: {e['message']}" for e in cleaned) or str(error.detail),
        extra={"errors": cleaned},
    )


def _http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    detail = str(error.detail)
    code = getattr(error, "code", None) or _CODE_BY_STATUS.get(status, "http_error")
    if status == 400 and "malformed" in detail.lower():  # noqa: PLR2004
        code = "malformed_json"
    return problem(
        request,
        status=status,
        code=code,
        title=HTTPStatus(status).phrase,
        detail=detail,
        headers=error.headers,
        extra=getattr(error, "more", None),
    )


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    if database_unreachable(error):  # raised as, or wrapped in, something else
        return _database_down(request, error)
    request_id = request.scope.get("state", {}).get("request_id")
    log.error("unexpected error (request %s)", request_id, exc_info=error)
    return problem(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        title="Internal error",
        detail=f"Something went wrong on our side. Quote request id {request_id}.",
    )


DATABASE_DOWN: tuple[type[BaseException], ...] = (
    # eventsourcing's recorders (psycopg underneath): a broken connection, an exhausted pool
    es_persistence.OperationalError,
    es_persistence.InterfaceError,
    # psycopg and its pool (PoolTimeout, PoolClosed, AdminShutdown, ... are OperationalErrors)
    psycopg.OperationalError,
    psycopg.InterfaceError,
    # asyncpg: a lost or refused connection (SQLSTATE class 08, ConnectionDoesNotExistError),
    # a server starting up, shutting down or crashed (57P01-57P03), one out of connections
    # (53300), and the client's own errors about its connection (closed, released, broken)
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    # the socket itself: refused, reset, aborted, a broken pipe
    ConnectionError,
)
"""What means "the database is unreachable" wherever it is raised. ``database_unreachable``
also counts any ``OSError`` raised inside a database driver (the Unix socket's
``FileNotFoundError`` while the server is down, a connect timeout, a name that does not
resolve) and any of these found as the cause or context of another exception."""

_DRIVERS = ("asyncpg", "psycopg", "psycopg_pool", "eventsourcing")


def database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached (so: 503, retry), whatever
    wraps it. The one place that decides it, for the API, the portal and the watch."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, DATABASE_DOWN) or (
            isinstance(current, OSError) and _raised_in_driver(current)
        ):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def _raised_in_driver(error: BaseException) -> bool:
    for frame, _ in traceback.walk_tb(error.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in _DRIVERS:
            return True
    return False


def database_unavailable(request: Request[Any, Any, Any]) -> Response[Any]:
    """The answer while the database is unreachable (restarting, failing over): fail fast and
    say when to retry. Nothing was acknowledged, so a retry with the same Idempotency-Key is
    safe."""
    return problem(
        request,
        status=503,
        code="database_unavailable",
        title="Service Unavailable",
        detail="The database is not reachable just now. Retry shortly: with the same "
        "Idempotency-Key a retry never writes twice.",
        headers={"Retry-After": "2"},
    )


def database_down_met(request: Request[Any, Any, Any], error: BaseException) -> None:
    """A request met the database unreachable: say so, and have the watch look now rather
    than at its next ping, so that the next requests are answered 503 at once."""
    log.warning("database unavailable: %s: %s", type(error).__name__, error)
    watch = request.app.state.get("database_watch")
    if watch is not None:
        watch.check_now()


def _database_down(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    database_down_met(request, error)
    return database_unavailable(request)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    **dict.fromkeys(DATABASE_DOWN, _database_down),
    ProcurementError: _domain_error,
    ValidationError: _model_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
