"""No query makes the API or the portal answer 5xx. Every integer query parameter of every
route is bounded above and below; out of its range, or not an integer, it is 422 naming
the parameter, before anything reaches the database or waits for a read model."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass

from litestar import Litestar
from litestar.params import ParameterKwarg

from api.params import BIGINT_MAX
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.test_bad_input import assert_problem

SOME_ID = "00000000-0000-4000-8000-000000000000"
OUT_OF_RANGE = (str(BIGINT_MAX + 1), "99999999999999999999999", "1e23", "-1", "1.5", "NaN")


@dataclass(frozen=True)
class IntegerParameter:
    path: str  # with its ids filled in
    name: str
    bounds: tuple[int | float | None, int | float | None]

    @property
    def portal(self) -> bool:
        return self.path.startswith("/portal")


def integer_parameters(app: Litestar) -> Iterator[IntegerParameter]:
    """Every integer query parameter of every GET route, the portal's included."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" not in handler.http_methods:
                continue
            injected = set(handler.resolve_dependencies()) | set(route.path_parameters)
            for name, field in handler.parsed_fn_signature.parameters.items():
                kinds = typing.get_args(field.annotation) or (field.annotation,)
                if name in injected or int not in kinds:
                    continue
                given = field.kwarg_definition
                bounds = (given.ge, given.le) if isinstance(given, ParameterKwarg) else (None, None)
                path = re.sub(r"\{[^}]+\}", SOME_ID, route.path)
                yield IntegerParameter(path, getattr(given, "query", None) or name, bounds)


def test_every_integer_query_parameter_is_bounded(api: Api) -> None:
    app = typing.cast("Litestar", api.client.app)
    found = list(integer_parameters(app))
    assert {p.name for p in found} >= {"after", "limit", "offset", "version"}
    for parameter in found:
        low, high = parameter.bounds
        assert low is not None, parameter
        assert high is not None, parameter
        assert high <= BIGINT_MAX, parameter


def test_every_integer_query_parameter_out_of_range_is_422_naming_it(api: Api) -> None:
    """As every role, with a bearer token and a portal session: whoever the route lets in
    gets the 422; nobody gets a 5xx."""
    app = typing.cast("Litestar", api.client.app)
    parameters = list(integer_parameters(app))
    browser = Browser(api.client, api.dsn, api)
    api.register_vendor("query.vendor")
    refused: set[tuple[str, str, str]] = set()
    for username in (None, "officer@works", "query.vendor", "auditor@sindh"):
        api.client.cookies.clear()
        headers: dict[str, str] = {}
        if username is not None:
            headers = api.login(username)
            browser.sign_in(username)
        for parameter in parameters:
            for value in OUT_OF_RANGE:
                # The route's other integers in range: only this one is refused.
                query = {p.name: str(p.bounds[0]) for p in parameters if p.path == parameter.path}
                query[parameter.name] = value
                answer = api.client.get(parameter.path, params=query, headers=headers)
                assert answer.status_code < 500, (parameter, value, answer.text)
                if answer.status_code != 422:
                    continue
                if parameter.portal:
                    assert "validation_failed" in answer.text
                    assert parameter.name in answer.text
                else:
                    problem = assert_problem(answer, 422, "validation_failed")
                    assert [e["loc"] for e in problem["errors"]] == [[parameter.name]]
                refused.add((parameter.path, parameter.name, value))
    expected = {(p.path, p.name, v) for p in parameters for v in OUT_OF_RANGE}
    assert refused == expected


QUERIES = [
    ("/ocds/releases?after=99999999999999999999999", 422),
    ("/ocds/releases?after=9223372036854775808", 422),
    ("/ocds/releases?after=9223372036854775807", 200),  # in range: nothing after it
    ("/ocds/releases?limit=1e23", 422),
    ("/public/tenders?min_position=1e23", 422),
    ("/public/tenders?min_position=99999999999999999999999", 422),
    ("/public/tenders?offset=1e23&limit=1e23", 422),
    ("/public/awards?min_position=9223372036854775808", 422),
    ("/public/tenders/" + SOME_ID + "?min_position=9223372036854775808", 422),
    ("/ocds/records/%00", 404),
    ("/ocds/records/%ff%fe", 404),
    ("/ocds/records/" + "x" * 5000, 404),
    ("/portal/tenders?after=99999999999999999999999", 422),
    ("/portal/tenders?page=1e23", 422),
    ("/portal/tenders/" + SOME_ID + "?after=9223372036854775808", 422),
    ("/static/%00", 404),
    ("/static/portal%00.css", 404),
    # Text the text rule refuses (domain/text.py), in the query parameters that take text.
    ("/public/tenders?q=%00", 422),
    ("/public/tenders?entity=%00", 422),
    ("/public/tenders?method=%00", 422),
    ("/portal/tenders?q=%00", 422),
    ("/portal/tenders?entity=%00", 422),
]


def test_no_query_is_a_5xx(api: Api) -> None:
    answers = {query: api.client.get(query).status_code for query, _ in QUERIES}
    assert answers == dict(QUERIES)


def test_a_required_query_parameter_missing_is_422_naming_it(api: Api) -> None:
    headers = api.login("auditor@sindh")
    answer = api.client.get("/audit/proofs/inclusion", params={"size": "1"}, headers=headers)
    problem = assert_problem(answer, 422, "validation_failed")
    assert problem["errors"] == [
        {"loc": ["index"], "message": "a required query parameter, missing"}
    ]


def test_a_parameter_given_twice_is_422_naming_it(api: Api) -> None:
    """It used to be the last value given, silently; a list parameter is not affected."""
    answer = api.client.get("/public/tenders?status=active&status=closed&limit=5")
    problem = assert_problem(answer, 422, "validation_failed")
    assert [e["loc"] for e in problem["errors"]] == [["status"]]
    assert api.client.get("/public/tenders?status=active&limit=5").status_code == 200
    assert api.client.get("/portal/tenders?q=a&q=b").status_code == 422


def test_null_is_not_a_value_of_a_parameter_that_takes_no_text(api: Api) -> None:
    """Litestar read ``null`` as "not given": every tender, for ``status=null``."""
    problem = assert_problem(
        api.client.get("/public/tenders?status=null"), 422, "validation_failed"
    )
    assert [e["loc"] for e in problem["errors"]] == [["status"]]
    assert api.client.get("/public/tenders?q=null").status_code == 200  # text: a word
