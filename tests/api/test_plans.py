"""Annual procurement plans through HTTP with real tokens: a plan drafted by an officer,
published and amended (with reasons) by the entity's head; tenders citing its lines,
refused when the line is withdrawn or unknown, and an unplanned tender refused without a
reason and published with one; the public list (JSON and CSV), plan-against-actual, the
OCDS planning section against the official schemas, and the plan's red flags."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.account import account_id_for
from domain.values import Role
from procurement.commands.application import system_actor
from tests.api.conftest import ENTITY, Api
from tests.api.test_bad_input import assert_problem
from tests.api.test_ocds import assert_codelists, follow, wait_for_ocds
from tests.support import FakeClock, tender_json

YEAR = "2026-27"
HEAD = "plan.head@works"
PLAN = f"/entity/plans/{YEAR}"


def line(line_id: str, amount: str, **more: Any) -> dict[str, Any]:
    return {
        "id": line_id,
        "description": f"Planned purchase {line_id}",
        "category": "works",
        "estimated_value": {"amount": amount, "currency": "PKR"},
        "method": "single_stage_one_envelope",
        "quarter": 2,
        **more,
    }


def made_head(api: Api) -> dict[str, str]:
    """The entity's head: an officer an administrator designated; its login."""
    api.add_staff(HEAD, Role.OFFICER, ENTITY)
    api.application.designate_head(system_actor("test"), account_id_for(HEAD), head=True)
    return api.login(HEAD)


@pytest.fixture
def head(api: Api) -> dict[str, str]:
    return made_head(api)


def published_plan(api: Api, head: dict[str, str]) -> str:
    """Three lines drafted by an officer, published by the head; the read token."""
    officer = api.login("officer@works")
    for line_id, amount in (("L1", "10000000.00"), ("L2", "5000000.00"), ("L3", "3000000.00")):
        answer = api.post(f"{PLAN}/lines", officer, json=line(line_id, amount))
        assert answer.status_code == 201, answer.text
    assert_problem(api.post(f"{PLAN}/publish", officer), 403, "not_entity_head")
    answer = api.post(f"{PLAN}/publish", head)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["read_token"]
    return token


def tender(api: Api, clock: FakeClock, officer: str = "officer@works", **changes: Any) -> Any:
    """A draft tender; its id and the publication's answer."""
    headers = api.login(officer)
    body = tender_json(clock.now(), **changes)
    drafted = api.post("/tenders", headers, json=body)
    assert drafted.status_code == 201, drafted.text
    tender_id = drafted.json()["id"]
    return tender_id, api.post(f"/tenders/{tender_id}/publish", headers)


def test_a_plan_is_published_with_three_lines_and_amended_with_reasons(
    api: Api, head: dict[str, str]
) -> None:
    published_plan(api, head)
    officer = api.login("officer@works")
    assert_problem(
        api.post(f"{PLAN}/lines", officer, json=line("L4", "1.00")), 409, "plan_not_draft"
    )
    amendment = {"kind": "add", "line_id": "L4", "line": line("L4", "750000.00")}
    assert_problem(api.post(f"{PLAN}/amendments", head, json=amendment), 422, "validation_failed")
    assert_problem(
        api.post(f"{PLAN}/amendments", officer, json=amendment | {"reason": "x"}),
        403,
        "not_entity_head",
    )
    for body in (
        amendment | {"reason": "A new ward was sanctioned"},
        {
            "kind": "change",
            "line_id": "L2",
            "line": line("L2", "5500000.00"),
            "reason": "Prices rose",
        },
        {"kind": "withdraw", "line_id": "L3", "reason": "Funds cut"},
    ):
        answer = api.post(f"{PLAN}/amendments", head, json=body)
        assert answer.status_code == 201, answer.text
    problem = assert_problem(
        api.post(
            f"{PLAN}/amendments",
            head,
            json={"kind": "withdraw", "line_id": "L3", "reason": "again"},
        ),
        422,
        "invalid_plan_line",
    )
    assert "withdrawn" in problem["detail"]

    plan = api.client.get(PLAN, headers=officer).json()
    assert plan["status"] == "published"
    assert [(li["id"], li["withdrawn"]) for li in plan["lines"]] == [
        ("L1", False),
        ("L2", False),
        ("L3", True),
        ("L4", False),
    ]
    assert plan["lines"][1]["estimated_value"] == {"amount": "5500000.00", "currency": "PKR"}
    assert [(a["number"], a["kind"], a["reason"]) for a in plan["amendments"]] == [
        (1, "add", "A new ward was sanctioned"),
        (2, "change", "Prices rose"),
        (3, "withdraw", "Funds cut"),
    ]
    health = api.login("officer@health")
    assert_problem(api.client.get(PLAN, headers=health), 404, "plan_not_found")


def test_tenders_cite_their_plan_line_or_give_a_reason(
    api: Api, clock: FakeClock, head: dict[str, str]
) -> None:
    # Before the entity has a plan, a tender publishes as it always did.
    _, before = tender(api, clock, reference="WSD/0")
    assert before.status_code == 200, before.text
    published_plan(api, head)
    api.post(
        f"{PLAN}/amendments", head, json={"kind": "withdraw", "line_id": "L3", "reason": "Cut"}
    )

    planned, answer = tender(
        api, clock, reference="WSD/1", plan_line={"fiscal_year": YEAR, "line_id": "L1"}
    )
    assert answer.status_code == 200, answer.text
    officer = api.login("officer@works")
    cited = api.client.get(f"/tenders/{planned}", headers=officer).json()["terms"]["plan_line"]
    assert cited == {
        "fiscal_year": YEAR,
        "line_id": "L1",
        "description": "Planned purchase L1",
        "estimated_value": {"amount": "10000000.00", "currency": "PKR"},
    }

    for line_id, field in (("L3", "line_id"), ("L9", "line_id")):
        _, refused = tender(
            api, clock, reference="WSD/x", plan_line={"fiscal_year": YEAR, "line_id": line_id}
        )
        problem = assert_problem(refused, 422, "invalid_plan_line")
        assert problem["errors"][0]["loc"] == ["plan_line", field]
    _, refused = tender(
        api, clock, reference="WSD/y", plan_line={"fiscal_year": "2027-28", "line_id": "L1"}
    )
    assert assert_problem(refused, 422, "invalid_plan_line")["errors"][0]["loc"] == [
        "plan_line",
        "fiscal_year",
    ]

    unplanned, refused = tender(api, clock, reference="WSD/2")
    problem = assert_problem(refused, 422, "unplanned_reason_required")
    assert problem["errors"][0]["loc"] == ["unplanned_reason"]
    patched = api.client.patch(
        f"/tenders/{unplanned}", headers=officer, json={"unplanned_reason": "Flood damage"}
    )
    assert patched.status_code == 200, patched.text
    published = api.post(f"/tenders/{unplanned}/publish", officer)
    assert published.status_code == 200, published.text

    both = tender_json(
        clock.now(), plan_line={"fiscal_year": YEAR, "line_id": "L1"}, unplanned_reason="x"
    )
    assert_problem(api.post("/tenders", officer, json=both), 422, "validation_failed")

    # Another entity, without a plan, publishes as today.
    _, other = tender(api, clock, officer="officer@health", reference="HD/1")
    assert other.status_code == 200, other.text


def _planned_and_unplanned(
    api: Api, clock: FakeClock, head: dict[str, str]
) -> tuple[str, str, str]:
    published_plan(api, head)
    planned, answer = tender(
        api, clock, reference="WSD/1", plan_line={"fiscal_year": YEAR, "line_id": "L2"}
    )
    assert answer.status_code == 200, answer.text
    unplanned, answer = tender(api, clock, reference="WSD/2", unplanned_reason="Flood damage")
    assert answer.status_code == 200, answer.text
    return planned, unplanned, answer.json()["read_token"]


def test_the_public_reads_the_plans_and_the_plan_against_actual(
    api: Api, clock: FakeClock, head: dict[str, str]
) -> None:
    planned, unplanned, token = _planned_and_unplanned(api, clock, head)
    answer = api.client.get(f"/public/plans?read_token={token}")
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == 1
    (plan,) = page["items"]
    assert (plan["entity"], plan["fiscal_year"]) == (ENTITY, YEAR)
    assert [li["id"] for li in plan["lines"]] == ["L1", "L2", "L3"]
    assert plan["lines"][0]["estimated_value"] == {"amount": "10000000.00", "currency": "PKR"}
    for query in ("entity=health-department", "fiscal_year=2027-28", "offset=1"):
        other = api.client.get(f"/public/plans?{query}").json()
        assert other["items"] == []
    assert api.client.get("/public/plans?offset=1").json()["total"] == 1
    problem = assert_problem(
        api.client.get("/public/plans?fiscal_year=2026"), 422, "validation_failed"
    )
    assert problem["errors"][0]["loc"] == ["fiscal_year"]

    as_csv = api.client.get("/public/plans", headers={"Accept": "text/csv"})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["line_id"], r["amount"], r["withdrawn"]) for r in rows] == [
        ("L1", "10000000.00", "false"),
        ("L2", "5000000.00", "false"),
        ("L3", "3000000.00", "false"),
    ]

    url = f"/public/entities/{ENTITY}/plans/{YEAR}/against-actual"
    actual = api.client.get(url).json()
    by_line = {entry["line"]["id"]: entry["tenders"] for entry in actual["lines"]}
    assert by_line["L1"] == []
    assert by_line["L3"] == []
    (cited,) = by_line["L2"]
    assert cited["tender_id"] == planned
    assert cited["status"] == "active"
    assert cited["awarded"] is None
    assert [(t["tender_id"], t["unplanned_reason"]) for t in actual["unplanned"]] == [
        (unplanned, "Flood damage")
    ]
    assert_problem(
        api.client.get(f"/public/entities/{ENTITY}/plans/2030-31/against-actual"),
        404,
        "plan_not_found",
    )


def test_the_ocds_releases_carry_the_planning_section(
    api: Api, clock: FakeClock, head: dict[str, str]
) -> None:
    planned, unplanned, _ = _planned_and_unplanned(api, clock, head)
    wait_for_ocds(api)
    releases = {r["tender"]["id"]: r for r in follow(api)}  # each package validated
    for release in releases.values():
        assert_codelists(release)
    assert releases[planned]["planning"] == {
        "budget": {
            "id": "L2",
            "project": f"Annual procurement plan {YEAR}",
            "description": "Planned purchase L2",
            "amount": {"amount": 5000000, "currency": "PKR"},
        }
    }
    assert releases[unplanned]["planning"] == {
        "rationale": "Not in the annual procurement plan: Flood damage"
    }


def test_red_flags_for_unplanned_and_split_tenders(
    api: Api, clock: FakeClock, head: dict[str, str]
) -> None:
    planned, unplanned, _ = _planned_and_unplanned(api, clock, head)
    quotations: dict[str, Any] = {
        "method": "request_for_quotations",
        "category": "goods",
        "bid_security": None,
        "translations": {},
    }
    split: list[str] = []
    for n, amount in enumerate(("2400000.00", "2100000.00")):
        tender_id, answer = tender(
            api,
            clock,
            officer="officer@health",
            reference=f"HD/{n}",
            estimated_value={"amount": amount, "currency": "PKR"},
            **quotations,
        )
        assert answer.status_code == 200, answer.text
        split.append(tender_id)
    below, answer = tender(  # under the band: not "just under" the ceiling
        api,
        clock,
        officer="officer@health",
        reference="HD/9",
        estimated_value={"amount": "1000000.00", "currency": "PKR"},
        **quotations,
    )
    assert answer.status_code == 200, answer.text

    auditor = api.login("auditor@sindh")
    answer = api.client.get("/audit/red-flags", headers=auditor)
    assert answer.status_code == 200, answer.text
    flags = {(f["tender_id"], f["indicator"]): f for f in answer.json()["flags"]}
    assert (planned, "S004") not in flags
    assert flags[unplanned, "S004"]["evidence"] == {"unplanned_reason": "Flood damage"}
    assert flags[split[0], "S004"]["evidence"] == {"unplanned_reason": None}
    assert {t for t, indicator in flags if indicator == "S005"} == set(split)
    assert (below, "S005") not in flags
    evidence = flags[split[1], "S005"]["evidence"]
    assert evidence["threshold"] == "2500000.00"
    assert evidence["threshold_method"] == "request_for_quotations"
    assert sorted(evidence["tenders"]) == sorted(split)
    assert evidence["total"] == "4500000.00"
    assert answer.json()["indicators"]["S005"] == "Procurement split under a method's threshold"
    only = api.client.get(
        f"/audit/red-flags?tender_id={split[0]}&indicator=S005", headers=auditor
    ).json()["flags"]
    assert [f["tender_id"] for f in only] == [split[0]]


@pytest.mark.parametrize(
    "year", ["%00", "2026%0027", "2026-2%00", "٢٠٢٦-٢٧", "2026-27x", "x" * 300]
)
def test_a_path_year_that_is_no_fiscal_year_is_not_found_never_a_server_error(
    api: Api, year: str
) -> None:
    """A NUL (which PostgreSQL refuses in text), other digits, or a long string in the
    year is no plan: 404, from the API and the portal alike."""
    found = api.client.get(f"/public/entities/{ENTITY}/plans/{year}/against-actual")
    assert_problem(found, 404, "plan_not_found")
    assert api.client.get(f"/portal/entities/{ENTITY}/plans/{year}").status_code == 404


def test_a_plan_of_a_year_already_over_is_neither_drafted_nor_amended(
    api: Api, clock: FakeClock, head: dict[str, str]
) -> None:
    """A plan written after its year would make a purchase bought without one look
    planned: refused, nothing written. The year's own plan is amended until it ends."""
    officer = api.login("officer@works")
    before = api.event_count()
    past = api.post("/entity/plans/2025-26/lines", officer, json=line("X", "1000000.00"))
    assert_problem(past, 409, "plan_year_ended")
    assert api.event_count() == before

    published_plan(api, head)
    clock.set(datetime(2027, 6, 30, 18, 59, tzinfo=UTC))  # 23:59 on 30 June in Karachi
    amend = {"kind": "add", "line_id": "L9", "line": line("L9", "1.00"), "reason": "Late need"}
    added = api.post(f"{PLAN}/amendments", api.login(HEAD), json=amend)
    assert added.status_code == 201, added.text
    clock.set(datetime(2027, 6, 30, 19, 0, tzinfo=UTC))  # 1 July 2027 in Karachi
    before = api.event_count()
    late = {**amend, "line_id": "L10", "line": line("L10", "1.00")}
    assert_problem(
        api.post(f"{PLAN}/amendments", api.login(HEAD), json=late), 409, "plan_year_ended"
    )
    assert api.event_count() == before
