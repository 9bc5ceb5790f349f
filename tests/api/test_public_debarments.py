"""The public debarment list through HTTP: JSON and CSV, only decisions, the active filter,
a debarment lapsing on its date (the fake clock), cells a spreadsheet would run made safe,
and its query parameters refused as the house rules say."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from uuid import uuid4

from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.grievances import debar, open_case
from tests.support import FakeClock

INJECTED = '=HYPERLINK("http://evil.example","Click")'


def _token(api: Api, position: int) -> str:
    token: str = api.client.app.state.read_tokens.issue(position)
    return token


def _debarments(api: Api, clock: FakeClock) -> tuple[str, str, str]:
    """A vendor debarred for a year, one for ten days (both named so a spreadsheet would
    run them), a case dismissed and one in hearing; the last position's read token."""
    _, year, _ = debar(
        api.application,
        clock,
        uuid4(),
        INJECTED,
        until=clock.now() + timedelta(days=365),
        grounds='+Forged "bank" guarantee, twice\nand a false NTN',
    )
    clock.advance(timedelta(minutes=1))
    short, days, _ = debar(
        api.application, clock, uuid4(), "@Short Ltd", until=clock.now() + timedelta(days=10)
    )
    debar(api.application, clock, uuid4(), "Cleared Ltd", until=None, grounds="Hearsay")
    _, position = open_case(api.application, clock, short, entity="health-department")
    return str(year), str(days), _token(api, position)


def test_the_list_has_the_decided_debarments_and_whether_each_is_in_force(
    api: Api, clock: FakeClock
) -> None:
    year, days, token = _debarments(api, clock)
    answer = api.client.get(f"/public/debarments?read_token={token}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    page = answer.json()
    assert [d["case_id"] for d in page["items"]] == [days, year]  # the latest decision first
    assert page["total"] == 2  # neither the dismissed case nor the one in hearing
    assert all(d["active"] for d in page["items"])
    assert "Hearsay" not in answer.text
    assert "IN HEARING" not in answer.text
    assert "SECRET" not in answer.text  # the vendor's answer
    first = page["items"][1]
    assert first["vendor"]["name"] == INJECTED  # JSON carries the text as it is
    assert first["reasons"].startswith("Decided: ")
    assert page["as_of"] == clock.now().isoformat().replace("+00:00", "Z")

    active = api.client.get("/public/debarments?active=true").json()
    assert [d["case_id"] for d in active["items"]] == [days, year]
    assert api.client.get("/public/debarments?active=false").json()["items"] == []

    clock.advance(timedelta(days=10))  # the short debarment ends by itself
    page = api.client.get("/public/debarments").json()
    assert {d["case_id"]: d["active"] for d in page["items"]} == {days: False, year: True}
    assert [
        d["case_id"] for d in api.client.get("/public/debarments?active=true").json()["items"]
    ] == [year]
    ended = api.client.get("/public/debarments?active=false").json()
    assert [d["case_id"] for d in ended["items"]] == [days]
    assert ended["total"] == 1
    paged = api.client.get("/public/debarments?limit=1&offset=1").json()
    assert [d["case_id"] for d in paged["items"]] == [year]
    assert paged["total"] == 2


def test_the_list_as_csv_has_a_header_quoting_and_no_formulas(api: Api, clock: FakeClock) -> None:
    year, days, token = _debarments(api, clock)
    answer = api.client.get(
        f"/public/debarments?read_token={token}", headers={"Accept": "text/csv"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text, newline="")))
    header, *body = rows
    assert header == [
        "case_id",
        "vendor_id",
        "vendor_name",
        "grounds",
        "referred_by_entity",
        "opened_at",
        "decided_at",
        "debarred_until",
        "reasons",
        "active",
    ]
    cells = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(cells) == {year, days}
    assert cells[year]["vendor_name"] == "'" + INJECTED
    assert cells[year]["grounds"] == '\'+Forged "bank" guarantee, twice\nand a false NTN'
    assert cells[days]["vendor_name"] == "'@Short Ltd"
    assert cells[year]["active"] == "true"
    assert cells[year]["referred_by_entity"] == ""
    json_first = api.client.get("/public/debarments").json()["items"]
    assert [row[0] for row in body] == [d["case_id"] for d in json_first]
    # The same page, whichever the client prefers.
    assert (
        api.client.get("/public/debarments", headers={"Accept": "text/csv;q=0.5, application/json"})
        .headers["content-type"]
        .startswith("application/json")
    )
    assert (
        api.client.get("/public/debarments?active=true", headers={"Accept": "text/csv"}).text.count(
            "\r\n"
        )
        == 3
    )


def test_bad_query_parameters_are_422_naming_them(api: Api) -> None:
    for query in (
        "active=null",
        "active=maybe",
        "active=true&active=false",
        "limit=0",
        "limit=10001",
        "offset=-1",
    ):
        answer = api.client.get(f"/public/debarments?{query}")
        problem = assert_problem(answer, 422, "validation_failed")
        name = query.split("=")[0]
        assert [e["loc"] for e in problem["errors"]] == [[name]], (query, problem)
    assert_problem(
        api.client.get("/public/debarments?min_position=1"), 422, "min_position_withdrawn"
    )
    assert_problem(api.client.get("/public/debarments?read_token=x"), 422, "invalid_read_token")
