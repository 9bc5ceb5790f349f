"""The upper bound of every integer query parameter, for the API and the portal alike.

Every integer a client passes is bounded above as well as below: a store position, a
version, a tree size can never exceed PostgreSQL's ``bigint``, and a value past it used to
reach the database and fail there (500). Out of its range, or not an integer, a parameter is
422 naming it. ``tests/api/test_query_parameters.py`` checks every route for a bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.params import ParameterKwarg, QueryParameter

from api.errors import ApiProblem
from domain.text import LINE_PATTERN

BIGINT_MAX = 2**63 - 1
"""The largest store position (a ``bigint`` notification id), version or ledger size."""


def text_query(max_length: int, description: str | None = None) -> Any:
    """A text query parameter's declaration: its length, and the text rule (a single line,
    ``domain/text.py``) stated as its pattern; ``api.schemas.query_text`` applies the rule."""
    return QueryParameter(
        max_length=max_length, description=description, schema_extra={"pattern": LINE_PATTERN}
    )


_NOT_QUERY = frozenset(
    {"request", "data", "state", "scope", "headers", "cookies", "query", "socket", "body"}
)


@dataclass(frozen=True)
class _QueryShape:
    single: frozenset[str]
    """The query parameters that take one value (not a list)."""
    null_is_none: frozenset[str]
    """The optional ones that take no text: Litestar reads their value ``null`` as absent."""


@cache
def _shape(handler: HTTPRouteHandler) -> _QueryShape:
    injected = set(handler.resolve_dependencies()) | _NOT_QUERY
    single: set[str] = set()
    null_is_none: set[str] = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if name in injected or field.is_non_string_sequence:
            continue
        if isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie):
            continue
        query = (kwarg.query if isinstance(kwarg, ParameterKwarg) else None) or name
        single.add(query)
        kinds = get_args(field.annotation)
        if type(None) in kinds and str not in kinds:
            null_is_none.add(query)
    return _QueryShape(frozenset(single), frozenset(null_is_none))


def refuse_odd_parameters(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: a parameter that takes one value, given twice (it used to
    be the last one, silently), and an optional one that is not text given as ``null`` (it
    used to mean "not given"), are 422 naming the parameter."""
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler):
        return
    shape = _shape(handler)
    path = set(request.path_params)
    refused: list[tuple[str, str]] = []
    for name, values in sorted(request.query_params.dict().items()):
        if name in path or name not in shape.single:
            continue
        if len(values) > 1:
            refused.append((name, "given more than once; it takes one value"))
        elif name in shape.null_is_none and values == ["null"]:
            refused.append((name, "null is not one of its values: leave it out instead"))
    if refused:
        raise ApiProblem(
            422,
            "validation_failed",
            "; ".join(f"{name}: {message}" for name, message in refused),
            extra={"errors": [{"loc": [name], "message": message} for name, message in refused]},
        )
