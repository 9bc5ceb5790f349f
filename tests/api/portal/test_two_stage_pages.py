"""Two-stage tendering on the portal: the officer drafts stage two from stage one's page, and
the notices link the stages (docs/two-stage.md)."""

from __future__ import annotations

from datetime import timedelta

from api.portal.actions import pkt_input
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_officer_pages import DRAFT, location_id
from tests.api.test_two_stage import _stage_one
from tests.support import FakeClock


def test_the_officer_drafts_stage_two_from_stage_one_in_english_and_urdu(
    api: Api, clock: FakeClock, committee: None, browser: Browser
) -> None:
    stage_one = _stage_one(api, clock, "two_stage_one_envelope")
    browser.sign_in("officer@works")
    page = browser.page(f"/portal/officer/tenders/{stage_one.id}")
    assert 'id="stage-two-link"' in page.text
    path = f"/portal/officer/tenders/{stage_one.id}/stage-two"
    form = browser.get(path)
    assert form.status_code == 200, form.text
    assert "WSD/RD/2026/001-II" in form.text  # stage one's terms, to revise
    assert "دوسرے مرحلے کا مسودہ" in browser.get(f"{path}?lang=ur").text

    deadline = clock.now() + timedelta(days=20)
    revised = {
        **DRAFT,
        "reference": "WSD/RD/2026/001-II",
        "timeline.clarification_deadline": pkt_input(deadline - timedelta(days=7)),
        "timeline.submission_deadline": pkt_input(deadline),
        "timeline.opening_time": pkt_input(deadline + timedelta(minutes=30)),
    }
    stage_two_id = location_id(browser.submit(path, path, revised))
    terms = api.client.get(f"/tenders/{stage_two_id}", headers=api.login("officer@works")).json()[
        "terms"
    ]
    assert terms["related"] == {"tender_id": stage_one.id, "relationship": "prior"}
    assert sorted(terms["invited_names"]) == ["alpha (Pvt) Ltd", "beta (Pvt) Ltd"]
    again = browser.submit(path, path, revised)
    assert again.status_code == 409
    assert "stage_two_issued" in again.text
