"""Regressions found by the adversarial review of issue 20 (lots, securities, plans,
methods): each attack refused through HTTP with real tokens, nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.api.test_documents import PDF, add, uploaded
from tests.api.test_methods import _meeting
from tests.api.test_plans import PLAN, YEAR, line, made_head, published_plan, tender
from tests.support import FakeClock, tender_json


def test_minutes_come_only_through_their_own_command(api: Api, clock: FakeClock) -> None:
    """An ordinary addendum or draft edit adding a document of kind pre_bid_minutes would
    publish minutes before the meeting (and mark it met in OCDS): refused, naming the kind."""
    officer = api.login("officer@works")
    start = clock.now()
    with_meeting = api.post(
        "/tenders", officer, json=tender_json(start, pre_bid_meeting=_meeting(start))
    ).json()["id"]
    file = uploaded(api, officer, PDF, "minutes.pdf")
    changes = {"changes": [add(file, "pre_bid_minutes", "Minutes")]}
    before = api.event_count()
    drafted = api.post(f"/tenders/{with_meeting}/documents", officer, json=changes)
    assert "changes[0]" in assert_problem(drafted, 422, "invalid_documents")["detail"]
    assert api.post(f"/tenders/{with_meeting}/publish", officer).status_code == 200
    before = api.event_count()
    amendment = {"text": "Minutes", "documents": changes}
    early = api.post(f"/tenders/{with_meeting}/amendments", officer, json=amendment)
    assert_problem(early, 422, "invalid_documents")
    assert api.event_count() == before
    # After the meeting too: the minutes' own command is the one way (it checks the meeting).
    clock.set(start + timedelta(days=6))
    officer = api.login("officer@works")
    late = api.post(f"/tenders/{with_meeting}/amendments", officer, json=amendment)
    assert_problem(late, 422, "invalid_documents")
    assert api.event_count() == before
    # Published by their command, the minutes are not withdrawn by an ordinary addendum.
    minutes = {"sha256": file["sha256"], "file_name": "minutes.pdf"}
    written = api.post(f"/tenders/{with_meeting}/pre-bid-minutes", officer, json=minutes)
    assert written.status_code == 201, written.text
    [document_id] = written.json()["added"]
    withdrawal = {
        "text": "Withdrawn",
        "documents": {"changes": [{"action": "withdraw", "document_id": document_id}]},
    }
    before = api.event_count()
    gone = api.post(f"/tenders/{with_meeting}/amendments", officer, json=withdrawal)
    assert_problem(gone, 422, "invalid_documents")
    assert api.event_count() == before


@pytest.fixture
def plan_head(api: Api) -> dict[str, str]:
    """The entity's head, as tests/api/test_plans.py names it."""
    return made_head(api)


def test_a_cited_plan_line_must_fit_the_tender(
    api: Api, clock: FakeClock, plan_head: dict[str, str]
) -> None:
    """A works tender by open bidding may not cite a goods line, a quotations line, or a line
    of a far fiscal year: each refused naming the field, the tender left a draft."""
    published_plan(api, plan_head)
    officer = api.login("officer@works")
    amendment = {
        "kind": "add",
        "line_id": "G1",
        "line": line("G1", "100000.00", category="goods", method="request_for_quotations"),
        "reason": "Stationery for the year",
    }
    assert api.post(f"{PLAN}/amendments", plan_head, json=amendment).status_code == 201
    before = api.event_count()
    _, answer = tender(api, clock, plan_line={"fiscal_year": YEAR, "line_id": "G1"})
    problem = assert_problem(answer, 422, "invalid_plan_line")
    assert problem["errors"][0]["loc"] == ["plan_line", "line_id"]
    _, far = tender(api, clock, plan_line={"fiscal_year": "2030-31", "line_id": "L1"})
    problem = assert_problem(far, 422, "invalid_plan_line")
    assert problem["errors"][0]["loc"] == ["plan_line", "fiscal_year"]
    assert api.event_count() == before + 2  # the two drafts, neither published
    _, fits = tender(api, clock, plan_line={"fiscal_year": YEAR, "line_id": "L1"})
    assert fits.status_code == 200, fits.text
    assert officer  # the officer's login stays valid throughout
