"""The OpenAPI document: what every operation takes and answers, as the server does it.

Litestar builds the paths from the controllers; ``finish`` then completes them in one place:

- Request and response bodies are described by pydantic's own JSON Schema of the models the
  server validates with (``additionalProperties: false``, patterns, lengths, the text rule),
  not by Litestar's rendering of them, which drops all that; the answers that are msgspec
  structs (``api/schemas/public.py``), by msgspec's own.
- Every operation lists every status it answers with a problem (``application/problem+json``,
  the ``Problem`` schema) and, for each, the codes in ``x-codes`` and in words. The answers a
  route declares (``responses=problems(...)`` in its decorator: its domain errors) are joined
  by the ones its shape implies, added here rather than repeated: 503 for every operation; 401
  and 403 for the guarded ones (``security``); 400, 413, 415 and 422 for a JSON body; 422 for
  query parameters; 404 for ids in the path; 400 and 412 with ``If-Match``; the
  ``Idempotency-Key`` header and its answers on every POST the middleware keys.
- ``securitySchemes``: the bearer JWT (its requirement names the roles), and the operators'
  token of ``/metrics``.

The document is served at ``/schema/openapi.json`` (``OpenAPIDocument``) and checked against
the running server by ``tests/api/test_openapi_conformance.py`` (schemathesis).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.params import ParameterKwarg
from litestar.routes import HTTPRoute
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from api.body import REQUEST_MAX_BODY_SIZE
from api.circuit import ALWAYS_ANSWERED
from api.errors import status_of
from api.idempotency import EXEMPT_PATHS, KEY_PATTERN
from api.schemas import Problem
from domain.errors import (
    AccountDisabledError,
    BiddingPeriodTooShortError,
    BidSecurityTooHighError,
    BidValidityError,
    DeadlineExtensionRequiredError,
    DeadlineInPastError,
    FrameworkPeriodTooLongError,
    InvalidCredentialsError,
    InvalidPreBidMeetingError,
    InvalidSecondFactorError,
    InvalidTermsError,
    InvalidTimelineError,
    JustificationRequiredError,
    MethodNotAllowedForValueError,
    NoticeTranslationMissingError,
    OpeningTimeOutOfWindowError,
    ProcurementError,
    SecondFactorRequiredError,
    TenderCancelledError,
    TenderNotFoundError,
    VersionConflictError,
    VersionMismatchError,
)
from domain.values import Role

PROBLEM_JSON = "application/problem+json"
BEARER = "bearer"
METRICS_TOKEN = "metricsToken"  # noqa: S105 (a scheme's name)
SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token from POST /auth/token: `Authorization: Bearer <token>`. The "
        "requirement of an operation names the roles it is for.",
    },
    METRICS_TOKEN: {
        "type": "http",
        "scheme": "bearer",
        "description": "The operators' token (PROCUREMENT_METRICS_TOKEN), for /metrics only.",
    },
}


def bearer(*roles: Role) -> list[dict[str, list[str]]]:
    """A controller's ``security``: the bearer token of one of ``roles`` (its guard's)."""
    return [{BEARER: [role.value for role in roles]}]


METRICS_SECURITY: list[dict[str, list[str]]] = [{METRICS_TOKEN: []}]


@dataclass(frozen=True)
class Refusal:
    """One problem an operation may answer: its status and its stable code."""

    status: int
    code: str


def refusal(error: type[ProcurementError] | Refusal) -> Refusal:
    if isinstance(error, Refusal):
        return error
    return Refusal(status_of(error), error.code)


# The answers of the layers every request goes through (api/body.py, api/auth.py,
# api/idempotency.py, api/dependencies.py, api/circuit.py, api/rate_limits.py).
MALFORMED_JSON = Refusal(400, "malformed_json")
PAYLOAD_TOO_LARGE = Refusal(413, "payload_too_large")
UNSUPPORTED_MEDIA_TYPE = Refusal(415, "unsupported_media_type")
VALIDATION_FAILED = Refusal(422, "validation_failed")
NOT_FOUND = Refusal(404, "not_found")
UNAUTHENTICATED = Refusal(401, "unauthenticated")
INVALID_TOKEN = Refusal(401, "invalid_token")
SESSION_ENDED = Refusal(401, "session_ended")
ENROLMENT_REQUIRED = Refusal(403, "second_factor_enrolment_required")
FORBIDDEN = Refusal(403, "forbidden")
INVALID_IF_MATCH = Refusal(400, "invalid_if_match")
INVALID_IDEMPOTENCY_KEY = Refusal(400, "invalid_idempotency_key")
IDEMPOTENCY_KEY_IN_USE = Refusal(409, "idempotency_key_in_use")
IDEMPOTENCY_KEY_REUSED = Refusal(422, "idempotency_key_reused")
TOO_MANY_REQUESTS = Refusal(429, "too_many_requests")
DATABASE_UNAVAILABLE = Refusal(503, "database_unavailable")
READ_MODEL_LAGGING = Refusal(503, "read_model_lagging")


@dataclass
class ProblemSpec(ResponseSpec):
    """A problem answer a route declares, with the codes it may carry."""

    codes: tuple[str, ...] = ()


def problems(*errors: type[ProcurementError] | Refusal) -> dict[int, ResponseSpec]:
    """A route's own problem answers (``responses=`` in its decorator), by status. The ones
    its shape implies (authentication, body, parameters, outage) are added by ``finish``."""
    codes: dict[int, list[str]] = {}
    for found in map(refusal, errors):
        codes.setdefault(found.status, []).append(found.code)
    return {
        status: ProblemSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=_described(status, found),
            generate_examples=False,
            codes=tuple(found),
        )
        for status, found in sorted(codes.items())
    }


WRITE = (VersionConflictError,)
"""A write to an aggregate another write may have saved first (409 ``version_conflict``)."""
SIGN_IN = (
    InvalidCredentialsError,
    SecondFactorRequiredError,
    InvalidSecondFactorError,
    AccountDisabledError,
    ENROLMENT_REQUIRED,
    TOO_MANY_REQUESTS,
)
TENDER = (TenderNotFoundError, TenderCancelledError)
"""A tender the caller may act on (404 for another entity's, or a draft the public cannot
see), and not cancelled."""
TIMELINE_RULES = (
    DeadlineInPastError,
    BiddingPeriodTooShortError,
    InvalidTimelineError,
    OpeningTimeOutOfWindowError,
    InvalidPreBidMeetingError,
)
"""A timeline checked against the rule profile (publishing and amending)."""
TERMS_RULES = (
    BidSecurityTooHighError,
    BidValidityError,
    MethodNotAllowedForValueError,
    NoticeTranslationMissingError,
    InvalidTermsError,
    JustificationRequiredError,
    FrameworkPeriodTooLongError,
)
"""A notice's terms checked against the rule profile (publishing)."""
AMENDMENT_RULES = (DeadlineExtensionRequiredError, InvalidTermsError)


# The document ---------------------------------------------------------------------------

_STATUS_WORDS = {
    400: "The request is malformed",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible in the current state",
    412: "The object has changed since the version in If-Match",
    413: f"The body is over {REQUEST_MAX_BODY_SIZE:,} bytes",
    415: "The body is not JSON",
    422: "The request is not valid",
    429: "Too many requests: retry after Retry-After",
    503: "Unavailable for now: retry after Retry-After",
}


def _described(status: int, codes: Iterable[str], words: str | None = None) -> str:
    listed = ", ".join(f"`{code}`" for code in codes)
    return f"{words or _STATUS_WORDS.get(status, 'A problem')}. Codes: {listed}."


_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id, as in the log lines and the problem's request_id.",
        "required": True,
        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,64}$"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "WWW-Authenticate": {
        "description": "The authentication scheme: Bearer. With a refusal of the token "
        "(unauthenticated, invalid_token, session_ended); not with a wrong password or code.",
        "required": False,
        "schema": {"type": "string"},
    },
}
_RETRY_AFTER_STATUSES = frozenset({429, 503})


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def finish(app: Litestar, generated: dict[str, Any]) -> dict[str, Any]:
    """The served document: Litestar's ``generated`` one, completed (a copy)."""
    document = copy.deepcopy(generated)
    document["openapi"] = "3.1.0"
    models: dict[tuple[type[BaseModel], JsonSchemaMode], list[dict[str, Any]]] = {}
    structs: dict[type[msgspec.Struct], list[dict[str, Any]]] = {}
    for handler, method, path in _operations(app):
        operation = document["paths"][path][method]
        _bodies(handler, operation, models, structs)
        _parameters(handler, method, path, operation)
        _answers(handler, path, operation)
    models.setdefault((Problem, "serialization"), [])
    schemas = _model_schemas(models)
    struct_schemas = _struct_schemas(structs)
    if clash := set(schemas) & set(struct_schemas):
        msg = f"pydantic and msgspec both name a schema {sorted(clash)}: rename one"
        raise RuntimeError(msg)
    schemas.update(struct_schemas)
    components = document.setdefault("components", {})
    components["schemas"] = {**_referenced(document, components.get("schemas", {})), **schemas}
    components["securitySchemes"] = SECURITY_SCHEMES
    components["headers"] = _HEADERS
    return document


def _operations(app: Litestar) -> Iterator[tuple[HTTPRouteHandler, str, str]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in sorted(handler.http_methods):
                if method in {"HEAD", "OPTIONS"}:
                    continue
                yield handler, method.lower(), route.path_format or "/"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    return None


def _bodies(
    handler: HTTPRouteHandler,
    operation: dict[str, Any],
    models: dict[tuple[type[BaseModel], JsonSchemaMode], list[dict[str, Any]]],
    structs: dict[type[msgspec.Struct], list[dict[str, Any]]],
) -> None:
    """Point the request and response bodies at pydantic's schemas of their models, and the
    answers that are msgspec structs at msgspec's."""
    signature = handler.parsed_fn_signature
    data = signature.parameters.get("data")
    raw = handler.opt.get("raw_body")
    if raw is not None:  # a file's bytes, streamed: not JSON
        limit = handler.resolve_request_max_body_size()
        operation["requestBody"] = {
            "required": True,
            "description": f"The file's bytes, at most {limit:,} (413 beyond).",
            "content": {
                raw: {"schema": {"type": "string", "format": "binary", "maxLength": limit}}
            },
        }
    if data is not None and (model := _model_of(data.annotation)) is not None:
        body = operation["requestBody"]
        body["description"] = (
            "JSON (Content-Type: application/json, UTF-8), at most "
            f"{REQUEST_MAX_BODY_SIZE:,} bytes (413 beyond). Unknown fields are refused (422)."
        )
        models.setdefault((model, "validation"), []).append(
            body["content"]["application/json"]["schema"]
        )
    responses = operation["responses"]
    success = responses.get(str(handler.status_code), {})
    if "application/json" in success.get("content", {}):
        place = success["content"]["application/json"]["schema"]
        annotation = signature.return_type.annotation
        if (returned := _model_of(annotation)) is not None:
            models.setdefault((returned, "serialization"), []).append(place)
        elif (struct := _struct_of(annotation)) is not None:
            structs.setdefault(struct, []).append(place)
    _declared(handler, responses, models, structs)
    # Another representation of the same answer, by the request's Accept header.
    for media_type, description in handler.opt.get("also", {}).items():
        success.setdefault("content", {})[media_type] = {
            "schema": {"type": "string", "description": description}
        }


def _declared(
    handler: HTTPRouteHandler,
    responses: dict[str, Any],
    models: dict[tuple[type[BaseModel], JsonSchemaMode], list[dict[str, Any]]],
    structs: dict[type[msgspec.Struct], list[dict[str, Any]]],
) -> None:
    """The answers a route declares with a model or a struct (``responses=``): pointed at
    its schema."""
    for status, spec in (handler.responses or {}).items():
        if isinstance(spec, ProblemSpec):
            continue
        places = [c["schema"] for c in responses.get(str(status), {}).get("content", {}).values()]
        if (container := _model_of(spec.data_container)) is not None:
            models.setdefault((container, "serialization"), []).extend(places)
        elif (struct := _struct_of(spec.data_container)) is not None:
            structs.setdefault(struct, []).extend(places)


def _model_schemas(
    models: dict[tuple[type[BaseModel], JsonSchemaMode], list[dict[str, Any]]],
) -> dict[str, Any]:
    """pydantic's JSON Schemas of ``models``, as components; each place that uses one is
    made a reference to it."""
    keys = sorted(models, key=lambda key: (key[0].__name__, key[1]))
    references, definitions = models_json_schema(keys, ref_template="#/components/schemas/{model}")
    for key in keys:
        for place in models[key]:
            place.clear()
            place.update(references[key])
    found: dict[str, Any] = definitions.get("$defs", {})
    _json_schema_bounds(found)
    return found


def _struct_schemas(structs: dict[type[msgspec.Struct], list[dict[str, Any]]]) -> dict[str, Any]:
    """msgspec's JSON Schemas of ``structs``, as components; each place that uses one is made
    a reference to it."""
    kinds = sorted(structs, key=lambda kind: kind.__name__)
    references, found = msgspec.json.schema_components(
        kinds, ref_template="#/components/schemas/{name}"
    )
    for kind, reference in zip(kinds, references, strict=True):
        for place in structs[kind]:
            place.clear()
            place.update(reference)
    return found


def _json_schema_bounds(schema: Any) -> None:
    """pydantic writes a bound it cannot apply to the type itself (a constrained integer
    behind a before-validator, ``api.schemas.StrictCount``) under its own name (``ge``):
    JSON Schema's names, so that the bound is stated."""
    if isinstance(schema, dict):
        for name, keyword in _BOUNDS.items():
            if name in schema and "type" in schema:
                schema.setdefault(keyword, schema.pop(name))
        for value in schema.values():
            _json_schema_bounds(value)
    elif isinstance(schema, list):
        for value in schema:
            _json_schema_bounds(value)


def _referenced(document: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Litestar's components still referenced after the models were replaced."""
    text = json.dumps(document["paths"])
    return {
        name: schema for name, schema in schemas.items() if f'"#/components/schemas/{name}"' in text
    }


def _parameters(
    handler: HTTPRouteHandler, method: str, path: str, operation: dict[str, Any]
) -> None:
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    bounds = _declared_bounds(handler)
    for parameter in parameters:
        parameter["schema"] = _never_null(parameter.get("schema", {}))
        parameter["schema"].update(bounds.get((parameter["in"], parameter["name"]), {}))
    if method == "post" and path not in EXEMPT_PATHS:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "A retry with the same key and body gets the first answer and "
                "writes nothing (Idempotent-Replayed: true); the same key with another body "
                "is 422 idempotency_key_reused.",
                "schema": {"type": "string", "pattern": KEY_PATTERN},
            }
        )
    if not parameters:
        del operation["parameters"]


def _never_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter is absent or has a value: Litestar's ``null`` for an optional one, out."""
    schema = dict(schema)
    branches = [b for b in schema.pop("oneOf", []) if b != {"type": "null"}]
    if len(branches) == 1:
        schema = {**branches[0], **schema}
    elif branches:
        schema["oneOf"] = branches
    if isinstance(schema.get("type"), list):
        kinds = [kind for kind in schema["type"] if kind != "null"]
        schema["type"] = kinds[0] if len(kinds) == 1 else kinds
    if "enum" in schema:
        schema["enum"] = [value for value in schema["enum"] if value is not None]
    return schema


_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}


def _declared_bounds(handler: HTTPRouteHandler) -> dict[tuple[str, str], dict[str, Any]]:
    """The bounds of each parameter as its handler declares them. Litestar writes them as
    floats (2**63 - 1 became 2**63) and drops a bound of 0 on an optional one."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if not isinstance(kwarg, ParameterKwarg):
            continue
        where, key = ("header", kwarg.header) if kwarg.header else ("query", kwarg.query or name)
        declared = {_BOUNDS[b]: getattr(kwarg, b) for b in _BOUNDS if getattr(kwarg, b) is not None}
        if declared:
            found[(where, key)] = declared
    return found


def _implied(path: str, operation: dict[str, Any]) -> list[Refusal]:
    """The problems an operation's shape implies, whatever its route declares."""
    # While the database is down every request is 503 at once, but the probes (api/circuit.py).
    implied = [] if path in ALWAYS_ANSWERED else [DATABASE_UNAVAILABLE]
    names = {(p["in"], p["name"].lower()) for p in operation.get("parameters", [])}
    if any(BEARER in requirement for requirement in operation.get("security", [])):
        implied += [UNAUTHENTICATED, INVALID_TOKEN, SESSION_ENDED, FORBIDDEN, ENROLMENT_REQUIRED]
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        implied += [MALFORMED_JSON, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, VALIDATION_FAILED]
    elif body:
        implied += [PAYLOAD_TOO_LARGE]
    if any(where == "query" for where, _ in names):
        implied.append(VALIDATION_FAILED)
    if any(where == "path" for where, _ in names):
        implied.append(NOT_FOUND)
    if ("header", "if-match") in names:
        implied += [INVALID_IF_MATCH, refusal(VersionMismatchError)]
    if ("header", "idempotency-key") in names:
        implied += [INVALID_IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_IN_USE, IDEMPOTENCY_KEY_REUSED]
    return implied


def _answers(handler: HTTPRouteHandler, path: str, operation: dict[str, Any]) -> None:
    """Every problem answer of the operation, each status once with all its codes."""
    codes: dict[int, list[str]] = {}
    declared = [
        Refusal(status, code)
        for status, spec in (handler.responses or {}).items()
        if isinstance(spec, ProblemSpec)
        for code in spec.codes
    ]
    for found in [*declared, *_implied(path, operation)]:
        if found.code not in codes.setdefault(found.status, []):
            codes[found.status].append(found.code)
    responses: dict[str, Any] = operation["responses"]
    for status in [s for s in responses if s.startswith(("4", "5"))]:
        del responses[status]  # Litestar's own, in its own format: replaced by the problems
    guarded = bool(operation.get("security"))
    for number, listed in sorted(codes.items()):
        headers = {"X-Request-ID": _header("X-Request-ID")}
        if number in _RETRY_AFTER_STATUSES:
            headers["Retry-After"] = _header("Retry-After")
        if number == 401 and guarded:  # noqa: PLR2004
            headers["WWW-Authenticate"] = _header("WWW-Authenticate")
        words = handler.opt.get("problem_words", {}).get(number)
        responses[str(number)] = {
            "description": _described(number, listed, words),
            "headers": headers,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "x-codes": listed,
        }
    for key, answer in responses.items():
        if key.startswith(("2", "3")):
            answer["headers"] = {
                **answer.get("headers", {}),
                "X-Request-ID": _header("X-Request-ID"),
            }


class OpenAPIDocument(JsonRenderPlugin):
    """Serves ``finish``'s document at ``/schema/openapi.json`` (made once per app)."""

    def __init__(self) -> None:
        super().__init__()
        self._rendered: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = self.render_json(request, finish(request.app, openapi_schema))
        return self._rendered
