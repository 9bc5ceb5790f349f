"""A framework agreement through the officer's pages (docs/frameworks.md): its further
supplier places awarded from the award form, a direct order placed from its form (refusals
by their fields, nothing written), and a mini-competition drafted by a button for the
officer to edit; another entity's officer finds none of it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from api.portal.officer.framework_desk import mini_competition_reference
from domain.account import account_id_for
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_officer_pages import error_at, location_id
from tests.api.scenarios import MEMBERS, Scenario, offer
from tests.api.test_bad_input import assert_problem
from tests.api.test_frameworks import CEILING, awarded_framework, framework_terms
from tests.support import FakeClock

ZERO_WIDTH = "\u200b\u200b\u2060"
REASON = "The culvert collapsed; the supplier has a crew on the next site."


def award_options(page: httpx.Response) -> tuple[list[str], str | None]:
    """The award form's bids, in order, and the one selected."""
    select = re.search(
        r'<select id="f-bid_id" name="bid_id"[^>]*>(.*?)</select>', page.text, re.DOTALL
    )
    assert select, "no award form"
    options = re.findall(r'<option value="([^"]*)"( selected)?>', select.group(1))
    chosen = [value for value, selected in options if selected]
    return [value for value, _ in options], chosen[0] if chosen else None


def supplier_options(page: httpx.Response) -> list[str]:
    select = re.search(
        r'<select id="f-vendor_id" name="vendor_id"[^>]*>(.*?)</select>', page.text, re.DOTALL
    )
    assert select, "no direct order form"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def signed_framework(api: Api, clock: FakeClock) -> Scenario:
    """beta (rank 1) and alpha (rank 2) hold signed agreements; gamma (rank 3) none."""
    framework, awards = awarded_framework(api, clock)
    clock.set(clock.now() + timedelta(days=8))  # past both standstills
    for vendor, amount in (("beta", "400000.00"), ("alpha", "500000.00")):
        signed = framework.sign(awards[vendor], amount)
        assert signed.status_code == 201, signed.text
    return framework


def order(vendor: str, amount: str, **changes: str) -> dict[str, str]:
    return {
        "vendor_id": str(account_id_for(vendor)),
        "title": "Excavation at the Kotri bypass",
        "description": "Two culverts, 40 m3",
        "value.amount": amount,
        "value.currency": "PKR",
        "reason": REASON,
        **changes,
    }


@pytest.mark.usefixtures("committee")
def test_the_framework_second_supplier_place_is_awarded_from_the_page(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    framework = Scenario(api, clock, framework=framework_terms(clock))
    framework.bid("alpha", offer("500000.00"))
    framework.bid("beta", offer("400000.00"))
    framework.bid("gamma", offer("600000.00"))
    framework.open()
    framework.declare(*MEMBERS)
    framework.finalise()
    bids = framework.bids
    page_path = f"/portal/officer/tenders/{framework.id}"
    browser.sign_in("officer@works")
    page = browser.page(page_path)
    assert award_options(page) == ([bids["beta"], bids["alpha"], bids["gamma"]], bids["beta"])
    assert "Supplier place 1 of 2" in page.text
    location_id(browser.submit(page_path, f"{page_path}/award", {"bid_id": bids["beta"]}))

    page = browser.page(page_path)  # beta holds a place: the second is offered
    assert award_options(page) == ([bids["alpha"], bids["gamma"]], bids["alpha"])
    assert "Supplier place 2 of 2" in page.text
    before = api.event_count()
    skipped = browser.submit(page_path, f"{page_path}/award", {"bid_id": bids["gamma"]})
    assert skipped.status_code == 422
    assert "reason_required" in error_at(skipped, "reason")
    assert api.event_count() == before
    location_id(browser.submit(page_path, f"{page_path}/award", {"bid_id": bids["alpha"]}))

    page = browser.page(page_path)
    assert 'id="award-form"' not in page.text  # both places stand
    assert len(re.findall(r'data-award-id="[0-9a-f-]{36}"', page.text)) == 2
    suppliers = re.findall(r'<dd class="supplier">([^<]*)</dd>', page.text)
    assert sorted(suppliers) == ["alpha (Pvt) Ltd", "beta (Pvt) Ltd"]
    urdu = browser.page(f"{page_path}?lang=ur")
    assert urdu.status_code == 200


@pytest.mark.usefixtures("committee")
def test_a_direct_order_from_the_page_refusals_by_their_fields_and_the_public_sees_it(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    framework = signed_framework(api, clock)
    page_path = f"/portal/officer/tenders/{framework.id}"
    action = f"{page_path}/direct-orders"
    browser.sign_in("officer@works")
    page = browser.page(page_path)
    assert 'id="direct-order-form"' in page.text
    assert sorted(supplier_options(page)) == sorted(
        str(account_id_for(vendor)) for vendor in ("alpha", "beta")
    )  # gamma holds no agreement
    assert "PKR 1,500,000.00" in page.text  # all of the ceiling is left

    before = api.event_count()
    over = browser.submit(page_path, action, order("beta", "1500000.01"))
    assert over.status_code == 422
    assert "over_framework_ceiling" in error_at(over, "value.amount")
    assert 'value="1500000.01"' in over.text  # kept as typed
    blank = browser.submit(page_path, action, order("beta", "1.00", title=ZERO_WIDTH))
    assert blank.status_code == 422
    assert error_at(blank, "title").startswith("must hold words a reader sees")
    unexplained = browser.submit(page_path, action, order("beta", "1.00", reason=""))
    assert unexplained.status_code == 422
    assert error_at(unexplained, "reason")
    outsider = browser.submit(page_path, action, order("gamma", "1.00"))
    assert outsider.status_code == 422
    assert "not_a_framework_supplier" in error_at(outsider, "vendor_id")
    assert api.event_count() == before  # nothing written

    location_id(browser.submit(page_path, action, order("beta", "300000.00")))
    page = browser.page(page_path)
    assert re.search(r'id="framework-used"><span dir="ltr">PKR 300,000.00', page.text)
    assert re.search(r'id="framework-headroom"><span dir="ltr">PKR 1,200,000.00', page.text)
    assert browser.page(f"{page_path}?lang=ur").status_code == 200

    for language in ("en", "ur"):
        public = browser.page(f"/portal/tenders/{framework.id}?lang={language}").text
        assert "Excavation at the Kotri bypass" in public
        assert REASON in public
        assert "PKR 300,000.00" in public


@pytest.mark.usefixtures("committee")
def test_the_api_refuses_a_direct_order_whose_title_says_nothing(
    api: Api, clock: FakeClock
) -> None:
    framework = signed_framework(api, clock)
    before = api.event_count()
    answer = api.post(
        f"/tenders/{framework.id}/direct-orders",
        api.login("officer@works"),
        json={
            "vendor_id": str(account_id_for("beta")),
            "title": ZERO_WIDTH,
            "value": {"amount": "1.00", "currency": "PKR"},
            "reason": REASON,
        },
    )
    assert_problem(answer, 422, "validation_failed")
    assert answer.json()["errors"][0]["loc"] == ["title"]
    assert api.event_count() == before


def drafted(api: Api, answer: httpx.Response) -> dict[str, Any]:
    """The draft a mini-competition press made, as the API gives it to its officers."""
    assert answer.status_code == 303, answer.text
    match = re.match(
        r"^/portal/officer/tenders/([0-9a-f-]{36})/edit\?after=", answer.headers["location"]
    )
    assert match, answer.headers["location"]
    read = api.client.get(f"/tenders/{match.group(1)}", headers=api.login("officer@works"))
    assert read.status_code == 200, read.text
    draft: dict[str, Any] = read.json()
    return draft


@pytest.mark.usefixtures("committee")
def test_the_mini_competition_button_drafts_a_call_off_to_edit(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    framework = signed_framework(api, clock)
    officer = api.login("officer@works")
    placed = api.post(
        f"/tenders/{framework.id}/direct-orders",
        officer,
        json={
            "vendor_id": str(account_id_for("beta")),
            "title": "Excavation at the Kotri bypass",
            "value": {"amount": "300000.00", "currency": "PKR"},
            "reason": REASON,
        },
    )
    assert placed.status_code == 201, placed.text
    reference = api.client.get(f"/tenders/{framework.id}", headers=officer).json()["terms"][
        "reference"
    ]
    page_path = f"/portal/officer/tenders/{framework.id}"
    action = f"{page_path}/mini-competitions"
    browser.sign_in("officer@works")
    page = browser.page(page_path)
    assert 'id="mini-competition-form"' in page.text

    pressed = browser.submit(page_path, action, {})
    first = drafted(api, pressed)
    edit = browser.get(pressed.headers["location"])  # the draft's edit page, to go on with
    assert edit.status_code == 200, edit.text
    assert 'name="reference"' in edit.text
    terms = first["terms"]
    assert terms["reference"] == f"{reference}-MC1"
    assert terms["title"].startswith("Mini-competition under ")
    left = Decimal(CEILING) - Decimal("300000.00")
    assert terms["estimated_value"] == {"amount": f"{left:.2f}", "currency": "PKR"}
    # The framework's 200,000 of 10,000,000 (2%), of the ceiling left.
    assert terms["bid_security"]["amount"] == {"amount": "24000.00", "currency": "PKR"}
    now = clock.now()
    deadline = datetime.fromisoformat(terms["timeline"]["submission_deadline"])
    assert deadline > now + timedelta(days=15)  # the rules' bidding period, from now
    assert datetime.fromisoformat(terms["timeline"]["clarification_deadline"]) > now
    assert terms["related"] == {"tender_id": framework.id, "relationship": "framework"}
    assert terms["framework"] is None
    published = api.post(f"/tenders/{first['id']}/publish", officer)
    assert published.status_code == 200, published.text  # the draft is publishable as made

    browser.page(page_path)  # the read models know the first one now
    second = drafted(api, browser.submit(page_path, action, {}))
    assert second["id"] != first["id"]
    assert second["terms"]["reference"] == f"{reference}-MC2"

    # After the framework's period the button's refusal is shown where it was pressed.
    clock.set(clock.now() + timedelta(days=366))
    browser.sign_in("officer@works")
    before = api.event_count()
    late = browser.submit(page_path, action, {})
    assert late.status_code == 422
    assert "outside_framework_period" in late.text
    assert 'id="mini-competition-form"' in late.text
    assert api.event_count() == before


def test_a_mini_competition_reference_keeps_its_suffix_within_the_length() -> None:
    long = "W" * 64
    assert mini_competition_reference(long, set(), 1) == ("W" * 60 + "-MC1", 1)
    taken = {"WSD/FW/1-MC3"}
    assert mini_competition_reference("WSD/FW/1", taken, 3) == ("WSD/FW/1-MC4", 4)


@pytest.mark.usefixtures("committee")
def test_another_entitys_officer_finds_no_framework_and_writes_nothing(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    framework = signed_framework(api, clock)
    page_path = f"/portal/officer/tenders/{framework.id}"
    browser.sign_in("officer@health")
    assert browser.get(page_path).status_code == 404
    before = api.event_count()
    token = browser.csrf("/portal/officer")
    for action, fields in (
        (f"{page_path}/direct-orders", order("beta", "1.00")),
        (f"{page_path}/mini-competitions", {}),
    ):
        answer = browser.client.post(
            action, data={"_csrf_token": token, **fields}, follow_redirects=False
        )
        assert answer.status_code == 404, answer.text
        assert "tender_not_found" in answer.text
    assert api.event_count() == before
