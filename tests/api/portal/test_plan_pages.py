"""The annual plan in the portal, through HTTP with real sessions: an officer drafts a line,
is refused publishing (only the head publishes), the head publishes and withdraws a line with
a reason; an officer's tender cites a line from the tender form; the public's page shows the
plan against actual, in English and in Urdu."""

from __future__ import annotations

from uuid import UUID

from domain.account import account_id_for
from domain.values import Actor, Role
from procurement.commands.application import system_actor
from tests.api.conftest import ENTITY, Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_grievance_pages import followed
from tests.api.portal.test_officer_pages import error_at
from tests.support import FakeClock, tender_json

YEAR = "2026-27"
PAGE = f"/portal/officer/plans/{YEAR}"
HEAD = "plan.head@works"
LINE = {
    "id": "L1",
    "description": "Rehabilitation of district roads",
    "category": "works",
    "method": "single_stage_one_envelope",
    "estimated_value.amount": "10000000.00",
    "quarter": "2",
}


def test_a_plan_is_drafted_published_and_amended_in_the_portal(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    api.add_staff(HEAD, Role.OFFICER, ENTITY)
    api.application.designate_head(system_actor("test"), account_id_for(HEAD), head=True)
    browser.sign_in("officer@works")
    assert (
        browser.get("/portal/officer/plans", follow_redirects=False)
        .headers["location"]
        .endswith(PAGE)
    )
    page = browser.page(PAGE)
    assert 'id="no-plan"' in page.text

    before = api.event_count()
    bad = browser.submit(PAGE, f"{PAGE}/lines", LINE | {"quarter": "5"})
    assert bad.status_code == 422
    assert error_at(bad, "quarter")
    assert api.event_count() == before
    page = followed(browser, browser.submit(PAGE, f"{PAGE}/lines", LINE), PAGE)
    assert "Rehabilitation of district roads" in page.text
    refused = browser.submit(PAGE, f"{PAGE}/publish", {})
    assert refused.status_code == 403
    assert "head of a procuring entity" in refused.text

    browser.client.cookies.clear()
    browser.sign_in(HEAD)
    page = followed(browser, browser.submit(PAGE, f"{PAGE}/publish", {}), PAGE)
    assert 'id="plan-amend-form"' in page.text
    no_reason = browser.submit(
        PAGE, f"{PAGE}/amendments", {"kind": "withdraw", "line_id": "L1", "reason": ""}
    )
    assert no_reason.status_code == 422
    assert error_at(no_reason, "reason")
    amended = browser.submit(
        PAGE,
        f"{PAGE}/amendments",
        {
            "kind": "add",
            "line_id": "L2",
            "line.description": "School furniture",
            "line.category": "goods",
            "line.method": "request_for_quotations",
            "line.estimated_value.amount": "2000000.00",
            "line.quarter": "3",
            "reason": "A new school opened",
        },
    )
    page = followed(browser, amended, PAGE)
    assert "A new school opened" in page.text
    assert "School furniture" in page.text

    # The officer's tender form cites a line.
    browser.client.cookies.clear()
    browser.sign_in("officer@works")
    body = tender_json(clock.now())
    fields = {
        "reference": "WSD/PLAN/1",
        "title": body["title"],
        "category": "works",
        "method": "single_stage_one_envelope",
        "scope": "national",
        "estimated_value.amount": "10000000.00",
        "estimated_value.currency": "PKR",
        "bid_validity_days": "90",
        "timeline.clarification_deadline": "2026-12-20T10:00",
        "timeline.submission_deadline": "2026-12-27T10:00",
        "timeline.opening_time": "2026-12-27T10:30",
        "lots.0.id": "1",
        "lots.0.title": "Roads",
        "lots.0.items.0.id": "1-1",
        "lots.0.items.0.description": "Asphalt",
        "lots.0.items.0.quantity": "100",
        "lots.0.items.0.unit": "m2",
        "plan_line.fiscal_year": YEAR,
        "plan_line.line_id": "L1",
    }
    drafted = browser.submit("/portal/officer/tenders/new", "/portal/officer/tenders/new", fields)
    assert drafted.status_code == 303, drafted.text
    tender_id = drafted.headers["location"].split("/")[4].split("?")[0]
    officer = Actor(
        account_id=account_id_for("officer@works"), role=Role.OFFICER, request_id="t", entity=ENTITY
    )
    view = api.application.tender_for_officer(officer, UUID(tender_id))
    assert view.terms.plan_line is not None
    assert view.terms.plan_line.line_id == "L1"

    public = f"/portal/entities/{ENTITY}/plans/{YEAR}"
    page = browser.page(public)
    assert page.status_code == 200
    assert "School furniture" in page.text
    assert "A new school opened" not in page.text  # the public page shows lines, not reasons
    urdu = browser.get(f"{public}?lang=ur")
    assert "منصوبہ بمقابلہ عمل" in urdu.text
    assert browser.get(f"/portal/entities/{ENTITY}/plans/2030-31").status_code == 404
