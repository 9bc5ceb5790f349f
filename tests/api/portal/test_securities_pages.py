"""Bid validity and securities in the portal, through HTTP with real sessions: the officer
asks the bidders to extend their validity and records a bid security; one bidder declines
on its page, the other's page shows the request with its due time; another entity's officer
finds nothing. Refusals are shown by their fields and write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.account import account_id_for
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_grievance_pages import followed
from tests.api.portal.test_officer_pages import error_at
from tests.api.scenarios import Scenario, offer
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")


def test_an_officer_asks_an_extension_one_bidder_declines_and_a_security_is_recorded(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.open()
    page_path = f"/portal/officer/tenders/{tender.id}/securities"

    browser.sign_in("officer@health")
    assert browser.get(page_path).status_code == 404  # another entity's tender

    browser.sign_in("officer@works")
    page = browser.page(page_path)
    assert "alpha (Pvt) Ltd" in page.text
    assert 'id="securities"' in page.text
    before = api.event_count()
    blank = browser.submit(page_path, f"{page_path}/extension", {"new_end": "", "reason": ""})
    assert blank.status_code == 422
    assert error_at(blank, "reason")
    ends = (tender.deadline + timedelta(days=120)).strftime("%Y-%m-%dT%H:%M")
    assert api.event_count() == before
    asked = browser.submit(
        page_path, f"{page_path}/extension", {"new_end": ends, "reason": "The audit is late."}
    )
    page = followed(browser, asked, page_path)
    assert 'id="open-request"' in page.text
    recorded = browser.submit(
        page_path,
        f"{page_path}/record",
        {
            "vendor_id": str(account_id_for("beta")),
            "instrument.bank": "Sindh Bank",
            "instrument.reference": "BG-7",
            "instrument.amount.amount": "200000.00",
            "instrument.confirmed_at": clock.now().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    page = followed(browser, recorded, page_path)
    assert "Sindh Bank" in page.text

    vendor_path = f"/portal/vendor/tenders/{tender.id}/securities"
    browser.sign_in("alpha")
    page = browser.page(vendor_path)
    assert "The audit is late." in page.text
    assert 'id="request"' in page.text
    declined = browser.submit(
        vendor_path, f"{vendor_path}/answer", {"answer": "decline", "security.bank": ""}
    )
    page = followed(browser, declined, vendor_path)
    assert 'id="request"' not in page.text
    assert ">declined<" in page.text

    browser.sign_in("beta")
    before = api.event_count()
    unstated = browser.submit(vendor_path, f"{vendor_path}/answer", {"answer": "accept"})
    assert unstated.status_code == 409
    assert api.event_count() == before
    urdu = browser.page(vendor_path + "?lang=ur")
    assert "بولی کی مدتِ جواز اور ضمانتیں" in urdu.text  # the page in Urdu
