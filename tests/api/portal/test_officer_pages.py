"""The officers' pages through HTTP with real accounts: draft through the form, publish, only
the actions the tender's state allows, refusals at their fields with nothing written, other
entities and roles refused, and a least-cost tender from the opening to the signed contract.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import GRIEVANCE, Api
from tests.api.portal.conftest import Browser
from tests.api.scenarios import MEMBERS, Scenario, offer
from tests.support import FakeClock

NEW = "/portal/officer/tenders/new"
# Typed in Pakistan time (UTC+5); the clock starts on 1 December 2026, 05:00 UTC.
DRAFT = {
    "reference": "WSD/RD/2026/077",
    "title": "Resurfacing of the Kotri link road",
    "description": "12 km of asphalt resurfacing",
    "translations.ur.title": "کوٹری لنک روڈ کی مرمت",
    "translations.ur.description": "12 کلومیٹر سڑک",
    "translations.sd.title": "ڪوٽڙي لنڪ روڊ جي مرمت",
    "translations.sd.description": "12 ڪلوميٽر رستو",
    "category": "works",
    "method": "single_stage_one_envelope",
    "scope": "national",
    "estimated_value.amount": "10000000.00",
    "estimated_value.currency": "PKR",
    "bid_security.amount.amount": "200000.00",
    "bid_validity_days": "90",
    "timeline.clarification_deadline": "2026-12-14T10:00",
    "timeline.submission_deadline": "2026-12-21T10:00",
    "timeline.opening_time": "2026-12-21T10:30",
    "lots.0.id": "1",
    "lots.0.title": "Asphalt",
    "lots.0.items.0.id": "1-1",
    "lots.0.items.0.description": "Asphalt wearing course",
    "lots.0.items.0.quantity": "12",
    "lots.0.items.0.unit": "km",
    "lots.1.id": "",  # a blank trailing row vanishes
    "lots.1.title": "",
}
FORMS = {
    "edit": 'id="edit-link"',
    "publish": 'id="publish-form"',
    "amend": 'id="amend-form"',
    "cancel": 'id="cancel-form"',
    "cancel_blocked": 'id="cancel-blocked"',  # the award stands: it is cancelled first
    "open": 'id="open-form"',
    "committee": 'id="committee-form"',
    "declare": 'id="declare-form"',
    "finalise": 'id="finalise-form"',
    "award": 'id="award-form"',
    "contract": 'id="contract-form"',
}


def actions(page: httpx.Response) -> set[str]:
    """The actions a page offers."""
    return {name for name, marker in FORMS.items() if marker in page.text}


def location_id(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    match = re.match(
        r"^/portal/officer/tenders/([0-9a-f-]{36})\?after=[A-Za-z0-9_-]{34}$",
        answer.headers["location"],
    )
    assert match, answer.headers["location"]
    return match.group(1)


def post(browser: Browser, page: str, action: str, fields: dict[str, Any]) -> httpx.Response:
    """A form with repeated fields (``members[]``), posted with the page's CSRF token."""
    data = {"_csrf_token": browser.csrf(page), **fields}
    return browser.client.post(action, data=data, follow_redirects=False)


def error_at(page: httpx.Response, field: str) -> str:
    match = re.search(
        rf'<p class="error" id="[^"]*" data-field="{re.escape(field)}">([^<]*)</p>', page.text
    )
    assert match, f"no error at {field}"
    return match.group(1)


def draft(browser: Browser, **changes: str) -> str:
    return location_id(browser.submit(NEW, NEW, {**DRAFT, **changes}))


def test_an_officer_drafts_through_the_form_publishes_and_sees_only_what_the_state_allows(
    api: Api, browser: Browser
) -> None:
    browser.sign_in("officer@works")
    form = browser.get(NEW)
    assert form.status_code == 200, form.text
    assert 'name="translations.ur.title"' in form.text
    assert 'name="lots.2.items.0.unit"' in form.text  # three lot rows

    tender_id = draft(browser)
    page = browser.page(f"/portal/officer/tenders/{tender_id}")
    assert page.status_code == 200, page.text
    assert "Resurfacing of the Kotri link road" in page.text
    assert actions(page) == {"edit", "publish"}
    dashboard = browser.page("/portal/officer")
    assert f"/portal/officer/tenders/{tender_id}" in dashboard.text
    assert browser.get(f"/portal/tenders/{tender_id}").status_code == 404  # not public yet

    stored = api.client.get(f"/tenders/{tender_id}", headers=api.login("officer@works")).json()
    assert stored["terms"]["timeline"]["submission_deadline"] == "2026-12-21T05:00:00Z"
    assert stored["terms"]["bid_validity_days"] == 90
    assert [lot["id"] for lot in stored["terms"]["lots"]] == ["1"]
    assert stored["terms"]["translations"]["ur"]["title"] == DRAFT["translations.ur.title"]

    edit = browser.get(f"/portal/officer/tenders/{tender_id}/edit")
    assert 'value="2026-12-21T10:00"' in edit.text  # shown again in Pakistan time
    edited = browser.submit(
        f"/portal/officer/tenders/{tender_id}/edit",
        f"/portal/officer/tenders/{tender_id}/edit",
        {**DRAFT, "title": "Resurfacing of the Kotri link road (phase 1)"},
    )
    assert location_id(edited) == tender_id

    page_path = f"/portal/officer/tenders/{tender_id}"
    published = browser.submit(page_path, f"{page_path}/publish", {})
    assert location_id(published) == tender_id
    page = browser.page(page_path)
    assert actions(page) == {"amend", "cancel"}  # not yet the opening time
    assert "(phase 1)" in page.text
    assert browser.page(f"/portal/tenders/{tender_id}").status_code == 200
    dashboard = browser.page("/portal/officer")
    assert 'id="published"' in dashboard.text
    assert f"/portal/officer/tenders/{tender_id}" in dashboard.text


def test_bad_input_is_shown_at_its_field_keeps_what_was_typed_and_writes_nothing(
    api: Api, browser: Browser
) -> None:
    browser.sign_in("officer@works")
    before = api.event_count()
    answer = browser.submit(NEW, NEW, {**DRAFT, "reference": "", "bid_validity_days": "400"})
    assert answer.status_code == 422
    assert error_at(answer, "bid_validity_days") == "Input should be less than or equal to 365"
    assert error_at(answer, "reference") == "Field required"
    assert 'value="Resurfacing of the Kotri link road"' in answer.text
    assert 'value="2026-12-21T10:00"' in answer.text  # as typed, in Pakistan time
    assert api.event_count() == before

    # A draft without its Urdu and Sindhi notice is kept, but not published.
    tender_id = draft(
        browser,
        **{
            f"translations.{k}": ""
            for k in ("ur.title", "ur.description", "sd.title", "sd.description")
        },
    )
    page_path = f"/portal/officer/tenders/{tender_id}"
    before = api.event_count()
    refused = browser.submit(page_path, f"{page_path}/publish", {})
    assert refused.status_code == 422
    assert "notice_translation_missing" in refused.text
    assert 'id="publish-form"' in refused.text
    assert api.event_count() == before


def test_other_entities_vendors_and_strangers_are_refused(api: Api, browser: Browser) -> None:
    browser.sign_in("officer@works")
    tender_id = draft(browser)
    page_path = f"/portal/officer/tenders/{tender_id}"
    browser.sign_in("officer@health")
    other = browser.get(page_path)
    assert other.status_code == 404
    assert "tender_not_found" in other.text
    assert tender_id not in browser.get("/portal/officer").text
    before = api.event_count()
    assert browser.submit("/portal/officer", f"{page_path}/publish", {}).status_code == 404
    assert api.event_count() == before

    api.register_vendor("alpha")
    browser.sign_in("alpha")
    refused = browser.get("/portal/officer")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert browser.get(page_path).status_code == 403

    browser.client.cookies.clear()
    anonymous = browser.get("/portal/officer", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/portal/login")


def test_a_form_posted_without_its_csrf_token_is_refused_and_writes_nothing(
    api: Api, browser: Browser
) -> None:
    browser.sign_in("officer@works")
    before = api.event_count()
    answer = browser.client.post(NEW, data=DRAFT, follow_redirects=False)
    assert answer.status_code == 403
    assert api.event_count() == before


@pytest.mark.usefixtures("committee")
def test_least_cost_from_the_opening_to_the_signed_contract_through_the_pages(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00", security=False))
    tender.bid("beta", offer("1000000.00"))
    tender.bid("gamma", offer("1100000.00"))
    page_path = f"/portal/officer/tenders/{tender.id}"
    browser.sign_in("officer@works")
    assert actions(browser.page(page_path)) == {"amend", "cancel"}

    clock.set(tender.deadline + timedelta(minutes=31))
    browser.sign_in("officer@works")  # the session's token expired as the clock moved
    assert actions(browser.page(page_path)) == {"open", "cancel"}
    location_id(browser.submit(page_path, f"{page_path}/open", {}))
    page = browser.page(page_path)
    assert 'id="opening-record"' in page.text
    assert actions(page) == {"committee", "cancel"}

    _name_the_committee(api, browser, page_path)
    _declare_and_finalise(api, browser, page_path)
    award_id = _award(api, browser, tender, page_path)
    _complaint_then_contract(api, browser, clock, tender, page_path, award_id)


def _name_the_committee(api: Api, browser: Browser, page_path: str) -> None:
    before = api.event_count()
    bad = post(
        browser,
        page_path,
        f"{page_path}/committee",
        {
            "members[]": ["member.chair@works", "nobody.here", "member.three@works"],
            "chair": "member.chair@works",
        },
    )
    assert bad.status_code == 422
    assert "invalid_committee" in error_at(bad, "chair")
    assert 'value="nobody.here"' in bad.text
    assert api.event_count() == before
    named = post(
        browser,
        page_path,
        f"{page_path}/committee",
        {"members[]": list(MEMBERS), "chair": MEMBERS[0]},
    )
    location_id(named)


def _declare_and_finalise(api: Api, browser: Browser, page_path: str) -> None:
    browser.sign_in("officer@works")  # not on the committee: no committee acts
    assert actions(browser.page(page_path)) == {"cancel"}
    browser.sign_in(MEMBERS[0])
    assert actions(browser.page(page_path)) == {"declare", "finalise", "cancel"}
    location_id(
        browser.submit(page_path, f"{page_path}/declaration", {"conflict_of_interest": "false"})
    )
    before = api.event_count()
    early = browser.submit(page_path, f"{page_path}/finalise", {})
    assert early.status_code == 409
    assert "scoring_incomplete" in early.text
    assert api.event_count() == before

    for member in MEMBERS[1:]:
        browser.sign_in(member)
        assert actions(browser.page(page_path)) == {"declare", "cancel"}
        location_id(
            browser.submit(
                page_path,
                f"{page_path}/declaration",
                {"conflict_of_interest": "false", "statement": "No links with any bidder."},
            )
        )
        assert actions(browser.page(page_path)) == {"cancel"}

    browser.sign_in(MEMBERS[0])
    location_id(browser.submit(page_path, f"{page_path}/finalise", {}))
    page = browser.page(page_path)
    assert actions(page) == {"award", "cancel"}
    assert "bid security missing or below the required amount" in page.text


def _award(api: Api, browser: Browser, tender: Scenario, page_path: str) -> str:
    browser.sign_in("officer@works")
    before = api.event_count()
    second = browser.submit(
        page_path, f"{page_path}/award", {"bid_id": tender.bids["gamma"], "reason": ""}
    )
    assert second.status_code == 422
    assert "reason_required" in error_at(second, "reason")
    assert api.event_count() == before
    location_id(browser.submit(page_path, f"{page_path}/award", {"bid_id": tender.bids["beta"]}))
    page = browser.page(page_path)
    assert actions(page) == {"cancel_blocked"}  # the standstill runs: the award stands
    match = re.search(r'data-award-id="([0-9a-f-]{36})"', page.text)
    assert match
    return match.group(1)


def _complaint_then_contract(  # noqa: PLR0917 (the scenario's whole context)
    api: Api, browser: Browser, clock: FakeClock, tender: Scenario, page_path: str, award_id: str
) -> None:
    complaint = tender.complain(award_id, "alpha", "Our guarantee was sent by courier.")
    assert complaint.status_code == 201, complaint.text
    clock.set(clock.now() + timedelta(days=8))
    browser.sign_in("officer@works")
    page = browser.page(page_path)
    # Only the grievance committee and the head read the grounds, not the evaluating officers.
    assert "Our guarantee was sent by courier." not in page.text
    assert actions(page) == {"cancel_blocked"}  # no contract while a complaint is pending
    complaint_id = complaint.json()["id"]
    assert f'id="decide-{complaint_id}"' not in page.text  # the committee's chair decides
    decide = f"{page_path}/awards/{award_id}/complaints/{complaint_id}"
    before = api.event_count()
    not_chair = browser.submit(page_path, decide, {"outcome": "dismissed", "reasons": "No."})
    assert not_chair.status_code == 403  # not of the committee: refused, and shown nothing
    assert "Our guarantee was sent by courier." not in not_chair.text
    assert api.event_count() == before

    browser.sign_in(GRIEVANCE[0])
    chairs_page = browser.page(page_path).text
    assert f'id="decide-{complaint_id}"' in chairs_page
    assert "Our guarantee was sent by courier." in chairs_page  # the committee reads them
    unreasoned = browser.submit(page_path, decide, {"outcome": "dismissed", "reasons": ""})
    assert unreasoned.status_code == 422
    assert error_at(unreasoned, "reasons") == "Field required"
    assert api.event_count() == before
    location_id(
        browser.submit(
            page_path,
            decide,
            {"outcome": "dismissed", "reasons": "The bid security must come with the bid."},
        )
    )
    # Dismissed, it holds the contract until the complainant's time to appeal has passed.
    assert actions(browser.page(page_path)) == {"cancel_blocked"}
    clock.set(clock.now() + timedelta(days=10))
    browser.sign_in("officer@works")
    assert actions(browser.page(page_path)) == {"contract", "cancel_blocked"}

    contract = {
        "value.amount": "1000000.00",
        "value.currency": "PKR",
        "period.start": "2027-01-01T09:00",
        "period.end": "2027-06-30T17:00",
    }
    before = api.event_count()
    other = browser.submit(
        page_path,
        f"{page_path}/awards/{award_id}/contract",
        {**contract, "value.amount": "1200000.00"},
    )
    assert other.status_code == 422
    assert "contract_value_mismatch" in error_at(other, "value.amount")
    assert api.event_count() == before
    signed = browser.submit(page_path, f"{page_path}/awards/{award_id}/contract", contract)
    location_id(signed)
    page = browser.page(page_path)
    assert actions(page) == set()
    assert 'class="contract"' in page.text
    public = api.client.get(f"/public/awards/{award_id}").json()
    assert public["status"] == "contracted"
    assert public["contract"]["period"]["start"] == "2027-01-01T04:00:00Z"


def test_an_edit_of_a_draft_changed_since_the_form_was_shown_is_refused(
    api: Api, browser: Browser
) -> None:
    browser.sign_in("officer@works")
    tender_id = draft(browser)
    edit_path = f"/portal/officer/tenders/{tender_id}/edit"
    form = browser.get(edit_path)
    assert 'name="_version" value="1"' in form.text
    first = browser.submit(edit_path, edit_path, {**DRAFT, "title": "First officer's title"})
    assert location_id(first) == tender_id
    before = api.event_count()
    # A second officer's form, shown at version 1, posted after the first edit.
    late = browser.client.post(
        edit_path,
        data={
            "_csrf_token": browser.csrf(edit_path),
            "_version": "1",
            **DRAFT,
            "title": "Second officer's title",
        },
    )
    assert late.status_code == 412, late.text
    assert api.event_count() == before
    assert "First officer&#39;s title" in browser.page(f"/portal/officer/tenders/{tender_id}").text


@pytest.mark.usefixtures("committee")
def test_the_financial_opening_is_offered_only_to_a_declared_unrecused_member(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender = Scenario(api, clock, method="single_stage_two_envelope")
    tender.bid("alpha", offer("900000.00"))
    tender.open()
    tender.declare(MEMBERS[0], MEMBERS[1])
    tender.recuse(MEMBERS[2], "Alpha's director is my brother")
    page_path = f"/portal/officer/tenders/{tender.id}"
    for username in ("officer@works", MEMBERS[2]):
        browser.sign_in(username)
        assert 'id="financial-form"' not in browser.page(page_path).text, username
        before = api.event_count()
        refused = browser.submit(page_path, f"{page_path}/financial-opening", {})
        assert refused.status_code == 403, username
        assert "not_committee_member" in refused.text, username
        assert api.event_count() == before
    browser.sign_in(MEMBERS[1])
    assert 'id="financial-form"' in browser.page(page_path).text
    location_id(browser.submit(page_path, f"{page_path}/financial-opening", {}))
