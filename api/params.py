"""The upper bound of every integer query parameter, for the API and the portal alike.

Every integer a client passes is bounded above as well as below: a store position, a
version, a tree size can never exceed PostgreSQL's ``bigint``, and a value past it used to
reach the database and fail there (500). Out of its range, or not an integer, a parameter is
422 naming it. ``tests/api/test_query_parameters.py`` checks every route for a bound.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import QueryParameter

from domain.text import LINE_PATTERN

BIGINT_MAX = 2**63 - 1
"""The largest store position (a ``bigint`` notification id), version or ledger size."""

Position = Annotated[
    int | None,
    QueryParameter(ge=0, le=BIGINT_MAX, description="the store position to wait (bounded) for"),
]
"""A portal page's ``after``: read-your-writes after a form's write."""


def text_query(max_length: int, description: str | None = None) -> Any:
    """A text query parameter's declaration: its length, and the text rule (a single line,
    ``domain/text.py``) stated as its pattern; ``api.schemas.query_text`` applies the rule."""
    return QueryParameter(
        max_length=max_length, description=description, schema_extra={"pattern": LINE_PATTERN}
    )
