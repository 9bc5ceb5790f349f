"""No request body makes the API answer 5xx: every JSON endpoint refuses, as a problem and
writing nothing, a body that is not declared JSON (415), is not JSON or not UTF-8 or nests
too deeply (400), holds a number no type can (422, naming where), or is too large (413)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.body import REQUEST_MAX_BODY_SIZE
from domain.values import Role
from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock, tender_json

JSON = {"Content-Type": "application/json"}
SOME_ID = "00000000-0000-4000-8000-000000000000"
CREDENTIALS = b'{"username": "x", "password": "y"}'

NOT_DECLARED_JSON = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/json; charset=latin-1",
    None,  # undeclared
]
NOT_JSON = [
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested too deeply"),
    ('{"username": "caf\xe9"}'.encode("latin-1"), "not UTF-8"),
    (b'{"username": "\xff\xfe"}', "not UTF-8"),
    (b"\xef\xbb\xbf{}", "malformed"),  # a byte order mark
    (b'{"username": "x"', "truncated"),
    (b"{not json", "malformed"),
]
OUT_OF_RANGE = [
    (b'{"bid_validity_days": 1e400}', ["bid_validity_days"]),
    (b'{"estimated_value": {"amount": -1e999, "currency": "PKR"}}', ["estimated_value", "amount"]),
    (
        b'{"lots": [{"id": "1"}, {"items": [{"quantity": 9e9999}]}]}',
        ["lots", "1", "items", "0", "quantity"],
    ),
    (b'{"bid_validity_days": ' + b"9" * 5000 + b"}", ["bid_validity_days"]),
    (b"1e400", []),
]


def json_operations(api: Api) -> Iterator[tuple[str, str]]:
    """Every operation of the served OpenAPI document that takes a JSON body, its path's ids
    filled with one that names nothing (the body is read before the id is looked up). The
    uploads take a file's bytes, not JSON: their refusals are tests/api/test_documents.py's."""
    document = api.client.get("/schema/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                filled = path
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path":
                        filled = filled.replace("{" + parameter["name"] + "}", SOME_ID)
                yield method.upper(), filled


def test_every_json_operation_refuses_every_bad_body_with_its_4xx(api: Api) -> None:
    """Each bad body, to every operation that takes one, as a caller of every role (one of
    them passes the operation's guard, and gets the refusal): never a 5xx, nothing written."""
    cases = [
        *(
            (CREDENTIALS, {} if kind is None else {"Content-Type": kind}, 415)
            for kind in NOT_DECLARED_JSON
        ),
        *((body, JSON, 400) for body, _ in NOT_JSON),
        *((body, JSON, 422) for body, _ in OUT_OF_RANGE),
    ]
    api.add_staff("admin@sindh", Role.ADMIN)
    api.add_staff("regulator@sppra", Role.REGULATOR)
    callers = [
        {},
        api.login("officer@works"),
        api.register_vendor("body.vendor"),
        api.login("auditor@sindh"),
        api.login("admin@sindh"),
        api.login("regulator@sppra"),
    ]
    operations = list(json_operations(api))
    assert len(operations) > 15  # the API's writes, found
    before = api.event_count()
    for body, headers, status in cases:
        refused = set()
        for method, path in operations:
            for caller in callers:
                answer = api.client.request(
                    method, path, headers={**caller, **headers}, content=body
                )
                assert answer.status_code < 500, (method, path, body[:40], answer.text)
                if answer.status_code == status:
                    refused.add((method, path))
        assert refused == set(operations), (body[:40], headers, status)
    assert api.event_count() == before


@pytest.mark.parametrize("content_type", NOT_DECLARED_JSON)
def test_a_body_not_declared_json_is_415_saying_what_to_send(
    api: Api, clock: FakeClock, content_type: str | None
) -> None:
    officer = api.login("officer@works")
    headers = {**officer, **({} if content_type is None else {"Content-Type": content_type})}
    before = api.event_count()
    body = json.dumps(tender_json(clock.now())).encode()
    problem = assert_problem(
        api.post("/tenders", headers, content=body), 415, "unsupported_media_type"
    )
    assert "application/json" in problem["detail"]
    assert api.event_count() == before


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=UTF-8", "Application/JSON; charset=utf8"],
)
def test_json_in_utf8_is_taken_however_it_is_spelled(
    api: Api, clock: FakeClock, content_type: str
) -> None:
    officer = api.login("officer@works")
    body = json.dumps(tender_json(clock.now())).encode()
    answer = api.post("/tenders", {**officer, "Content-Type": content_type}, content=body)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(("body", "says"), NOT_JSON)
def test_a_body_that_is_not_json_is_400_saying_why(api: Api, body: bytes, says: str) -> None:
    officer = api.login("officer@works")
    answer = api.post("/tenders", {**officer, **JSON}, content=body)
    problem = assert_problem(answer, 400, "malformed_json")
    assert says in problem["detail"]


@pytest.mark.parametrize(("body", "loc"), OUT_OF_RANGE)
def test_a_number_out_of_range_is_422_naming_where(api: Api, body: bytes, loc: list[str]) -> None:
    officer = api.login("officer@works")
    answer = api.post("/tenders", {**officer, **JSON}, content=body)
    problem = assert_problem(answer, 422, "validation_failed")
    assert problem["errors"] == [{"loc": loc, "message": "Number out of range"}]


@pytest.mark.parametrize("number", ["99999999999999999999999", "-1e300", "1e308", "1e-400"])
def test_large_numbers_a_type_can_hold_are_checked_by_the_field(
    api: Api, clock: FakeClock, number: str
) -> None:
    officer = api.login("officer@works")
    before = api.event_count()
    body = json.dumps(tender_json(clock.now()))
    body = body.replace('"bid_validity_days": 90', f'"bid_validity_days": {number}')
    assert number in body
    answer = api.post("/tenders", {**officer, **JSON}, content=body.encode())
    problem = assert_problem(answer, 422, "validation_failed")
    assert [error["loc"] for error in problem["errors"]] == [["bid_validity_days"]]
    assert api.event_count() == before


def test_a_body_over_the_limit_is_413_before_it_is_read(api: Api) -> None:
    officer = api.login("officer@works")
    before = api.event_count()
    body = b'{"title": "' + b"a" * REQUEST_MAX_BODY_SIZE + b'"}'
    answer = api.post("/tenders", {**officer, **JSON}, content=body)
    assert_problem(answer, 413, "payload_too_large")
    assert api.event_count() == before


def test_the_body_limit_is_the_one_the_docs_state() -> None:
    api_doc = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    assert (
        f"413 | `payload_too_large` | the body is over {REQUEST_MAX_BODY_SIZE:,} bytes" in api_doc
    )


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-12:00",  # past the last year a datetime holds, in UTC
        "0001-01-01T00:00:00+14:00",  # before the first
        "9999-12-31T23:59:59Z",  # holds, but a deadline plus any period would not
        "1999-12-31T23:59:59Z",
    ],
)
@pytest.mark.parametrize("field", ["clarification_deadline", "opening_time"])
def test_a_time_no_tender_can_have_is_422_naming_it(
    api: Api, clock: FakeClock, moment: str, field: str
) -> None:
    officer = api.login("officer@works")
    before = api.event_count()
    body = tender_json(clock.now())
    body["timeline"][field] = moment
    problem = assert_problem(api.post("/tenders", officer, json=body), 422, "validation_failed")
    assert f"timeline.{field}" in [".".join(error["loc"]) for error in problem["errors"]]
    assert api.event_count() == before
