"""Complaints and grievance committees through HTTP: the public tender page's complaints
(decisions with reasons, overdue marks, appeals; never the complainant or the grounds), an
entity's committee, and their OCDS releases valid against the official schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.award import Remedy
from domain.grievance import ComplaintStage
from tests.api.conftest import ENTITY, Api
from tests.api.scenarios import Scenario
from tests.api.test_bad_input import assert_problem
from tests.api.test_ocds import assert_codelists, assert_valid, follow, wait_for_ocds
from tests.grievances import RULES, Grievances, later
from tests.support import FakeClock, vendor


def complained(api: Api, clock: FakeClock) -> tuple[Scenario, Grievances, list[UUID]]:
    """A published tender with a complaint upheld, one overdue then appealed and decided on
    appeal, and one pending; its entity's committee named."""
    tender = Scenario(api, clock)
    grievances = Grievances(api.application, clock, UUID(tender.id), ENTITY)
    grievances.name_committee("Ayesha Khan", "Bilal Shah", "Chandni Memon")
    alpha, beta = vendor(), vendor()
    upheld = grievances.lodge(ComplaintStage.DOCUMENTS, alpha)
    grievances.decide(upheld, Remedy.AMEND_DOCUMENTS, "Clause 4 names one maker: amend it.")
    clock.advance(timedelta(minutes=1))
    silent = grievances.lodge(ComplaintStage.DOCUMENTS, beta)
    later(clock, RULES.decision_period)
    grievances.overdue(silent)
    grievances.appeal(silent, beta)
    grievances.decide_appeal(silent, Remedy.CANCEL_PROCUREMENT, "The regulator annuls it.")
    pending = grievances.lodge(ComplaintStage.DOCUMENTS, alpha)
    return tender, grievances, [upheld, silent, pending]


def _page(api: Api, tender: Scenario, position: int) -> dict[str, Any]:
    token = api.client.app.state.read_tokens.issue(position)
    answer = api.client.get(f"/public/tenders/{tender.id}?read_token={token}")
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


@pytest.mark.usefixtures("committee")
def test_the_tender_page_shows_each_complaint_and_its_decisions(api: Api, clock: FakeClock) -> None:
    tender, grievances, (upheld, silent, pending) = complained(api, clock)
    answer = _page(api, tender, grievances.position)
    assert "SECRET" not in str(answer)  # neither the grounds of a complaint nor an appeal's
    complaints = {c["id"]: c for c in answer["complaints"]}
    assert list(complaints) == [str(upheld), str(silent), str(pending)]
    first = complaints[str(upheld)]
    assert first["stage"] == "documents"
    assert first["status"] == "upheld"
    assert first["overdue"] is False
    assert first["panel_size"] == 3
    assert first["decision"]["remedy"] == "amend_documents"
    assert first["decision"]["reasons"] == "Clause 4 names one maker: amend it."
    assert first["appeal"] is None
    second = complaints[str(silent)]
    assert second["status"] == "appeal_upheld"
    assert second["overdue"] is True
    assert second["decision"] is None
    assert second["appeal"]["decision"]["remedy"] == "cancel_procurement"
    assert second["appeal"]["overdue"] is False
    assert complaints[str(pending)]["status"] == "pending"
    assert not {"vendor_id", "grounds", "complainant"} & set(first)


def test_an_entitys_grievance_committee_is_public(api: Api, clock: FakeClock) -> None:
    assert_problem(
        api.client.get(f"/public/entities/{ENTITY}/grievance-committee"),
        404,
        "grievance_committee_not_found",
    )
    for odd in ("%00", "x" * 5000, "a%0Ab"):
        assert_problem(
            api.client.get(f"/public/entities/{odd}/grievance-committee"),
            404,
            "grievance_committee_not_found",
        )
    grievances = Grievances(api.application, clock, UUID(int=1), ENTITY)
    grievances.name_committee("Ayesha Khan", "Bilal Shah", "Chandni Memon")
    token = api.client.app.state.read_tokens.issue(grievances.position)
    answer = api.client.get(f"/public/entities/{ENTITY}/grievance-committee?read_token={token}")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "entity": ENTITY,
        "members": [
            {"name": "Ayesha Khan", "chair": True},
            {"name": "Bilal Shah", "chair": False},
            {"name": "Chandni Memon", "chair": False},
        ],
        "named_at": clock.now().isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.usefixtures("committee")
def test_complaints_are_in_valid_ocds_releases(api: Api, clock: FakeClock) -> None:
    tender, _, (upheld, silent, pending) = complained(api, clock)
    wait_for_ocds(api)
    releases = [r for r in follow(api) if r["tender"]["id"] == tender.id]
    for release in releases:
        assert_codelists(release)
        assert "SECRET" not in str(release)
    tags = [release["tag"] for release in releases]
    # published; lodged, decided; lodged, overdue, appealed, decided on appeal; lodged
    assert tags == [["tender"]] + [["tenderUpdate"]] * 7
    last = releases[-1]["tender"]["complaints"]
    assert [c["id"] for c in last] == [str(upheld), str(silent), str(pending)]
    assert last[0]["decision"] == {
        "date": last[0]["decision"]["date"],
        "decidedBy": "grievanceCommittee",
        "outcome": "upheld",
        "remedy": "amend_documents",
        "rationale": "Clause 4 names one maker: amend it.",
    }
    assert last[1]["overdue"] is True
    assert last[1]["status"] == "appeal_upheld"
    assert last[1]["appeal"]["decision"]["decidedBy"] == "regulator"
    assert last[2]["status"] == "pending"
    assert last[2]["decisionDueDate"] > last[2]["dateSubmitted"]
    record = api.client.get(f"/ocds/records/{releases[0]['ocid']}")
    assert record.status_code == 200, record.text
    assert_valid(record.json(), "record-package-schema.json")
    compiled = record.json()["records"][0]["compiledRelease"]
    assert compiled["tender"]["complaints"] == last
