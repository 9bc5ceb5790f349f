"""A notice's opening time is the time its bids can be opened: publishing and amending refuse
an opening inside the grace after the deadline, the grace is part of the published rules, and
the officer opens at the opening time itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.rules import OPENING_GRACE
from tests.api.conftest import Api
from tests.support import FakeClock, tender_json


def _timeline(deadline: datetime, opening: datetime) -> dict[str, str]:
    return {
        "clarification_deadline": (deadline - timedelta(days=7)).isoformat(),
        "submission_deadline": deadline.isoformat(),
        "opening_time": opening.isoformat(),
    }


def _refused_for_the_opening_time(answer: Any) -> None:
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "opening_time_out_of_window"
    assert problem["errors"][0]["loc"] == ["timeline", "opening_time"]
    assert "1 minute" in problem["detail"]


def test_publishing_refuses_an_opening_inside_the_grace(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    deadline = clock.now() + timedelta(days=20)
    body = tender_json(clock.now()) | {
        "timeline": _timeline(deadline, deadline + timedelta(seconds=30))
    }
    drafted = api.post("/tenders", officer, json=body)
    assert drafted.status_code == 201, drafted.text
    tender_id = drafted.json()["id"]
    events = api.event_count()

    _refused_for_the_opening_time(api.post(f"/tenders/{tender_id}/publish", officer))

    assert api.event_count() == events  # nothing written
    assert api.client.get(f"/tenders/{tender_id}", headers=officer).json()["status"] == "draft"


def test_the_officer_opens_at_the_notice_opening_time(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    deadline = clock.now() + timedelta(days=20)
    opening = deadline + OPENING_GRACE
    body = tender_json(clock.now()) | {"timeline": _timeline(deadline, opening)}
    tender_id = api.post("/tenders", officer, json=body).json()["id"]
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text
    notice = api.client.get(
        f"/public/tenders/{tender_id}?read_token={published.json()['read_token']}"
    ).json()
    assert notice["rules"]["min_opening_delay"] == "PT1M"  # the grace, shown with the rules

    later = deadline + timedelta(days=1)
    moved = api.post(
        f"/tenders/{tender_id}/amendments",
        officer,
        json={"text": "Addendum 1: deadline extended.", "timeline": _timeline(later, later)},
    )
    _refused_for_the_opening_time(moved)
    assert api.client.get(f"/tenders/{tender_id}", headers=officer).json()["amendments"] == []

    clock.set(opening - timedelta(microseconds=1))
    officer = api.login("officer@works")
    early = api.post(f"/tenders/{tender_id}/opening", officer)
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "bids_sealed"
    clock.set(opening)
    opened = api.post(f"/tenders/{tender_id}/opening", officer)
    assert opened.status_code == 200, opened.text
