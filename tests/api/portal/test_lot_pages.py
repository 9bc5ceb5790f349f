"""A tender awarded by lot through the pages (docs/lots.md): the officer's award form picks
the lot, each lot's award has its own section and contract form, and the public page shows
each lot's ranking and award."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_officer_pages import actions, error_at, location_id
from tests.api.test_lots import by_lot
from tests.support import FakeClock


def lot_options(page: str) -> list[str]:
    select = re.search(r'<select id="f-lot_id" name="lot_id"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert select, "no lot to pick"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


@pytest.mark.usefixtures("committee")
def test_the_officer_awards_each_lot_and_signs_each_contract_through_the_pages(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender, _ = by_lot(api, clock)
    bids = tender.bids
    page_path = f"/portal/officer/tenders/{tender.id}"
    browser.sign_in("officer@works")
    page = browser.page(page_path)
    assert actions(page) == {"award", "cancel"}
    assert lot_options(page.text) == ["1", "2"]

    before = api.event_count()
    no_lot = browser.submit(page_path, f"{page_path}/award", {"bid_id": bids["beta"]})
    assert no_lot.status_code == 422
    assert "lot_required" in error_at(no_lot, "lot_id")
    not_priced = browser.submit(
        page_path, f"{page_path}/award", {"bid_id": bids["beta"], "lot_id": "2"}
    )
    assert not_priced.status_code == 422
    assert "bid_not_ranked_on_lot" in error_at(not_priced, "bid_id")
    assert api.event_count() == before

    award = {"bid_id": bids["beta"], "lot_id": "1"}
    location_id(browser.submit(page_path, f"{page_path}/award", award))
    page = browser.page(page_path)
    assert lot_options(page.text) == ["2"]  # lot 1's award stands
    assert actions(page) == {"award", "cancel_blocked"}
    award = {"bid_id": bids["gamma"], "lot_id": "2"}
    location_id(browser.submit(page_path, f"{page_path}/award", award))
    page = browser.page(page_path)
    assert actions(page) == {"cancel_blocked"}
    award_ids = re.findall(r'data-award-id="([0-9a-f-]{36})"', page.text)
    assert len(award_ids) == 2
    assert "Lot 1</h2>" in page.text
    assert "Lot 2</h2>" in page.text

    clock.set(clock.now() + timedelta(days=8))
    browser.sign_in("officer@works")
    page = browser.page(page_path)
    assert 'id="contract-form-1"' in page.text
    assert 'id="contract-form-2"' in page.text
    contract = {
        "value.amount": "400000.00",
        "value.currency": "PKR",
        "period.start": "2027-01-01T09:00",
        "period.end": "2027-06-30T17:00",
    }
    location_id(browser.submit(page_path, f"{page_path}/awards/{award_ids[0]}/contract", contract))
    page = browser.page(page_path)
    assert 'id="contract-form-1"' not in page.text  # lot 1 is signed; lot 2 waits
    assert 'id="contract-form-2"' in page.text

    public = browser.page(f"/portal/tenders/{tender.id}").text
    assert "Lot 1: #1" in public
    assert "Lot 2: #2" in public  # alpha's rank on lot 2
    assert "Lot 1</h2>" in public
    assert "Lot 2</h2>" in public

    browser.sign_in("alpha")  # a bidder sees its own ranks by lot
    assert "Lot 1: #2; Lot 2: #2</dd>" in browser.page(f"/portal/tenders/{tender.id}").text


@pytest.mark.usefixtures("committee")
def test_the_officer_cancels_one_lot_through_the_page_and_the_public_sees_it(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender, _ = by_lot(api, clock)
    clock.set(clock.now() + timedelta(days=10))  # the report's complaint period is over
    page_path = f"/portal/officer/tenders/{tender.id}"
    browser.sign_in("officer@works")
    page = browser.page(page_path)
    assert 'id="cancel-lot-1"' in page.text
    assert 'id="cancel-lot-2"' in page.text

    before = api.event_count()
    blank = browser.submit(page_path, f"{page_path}/lots/2/cancel", {"reason": ""})
    assert blank.status_code == 422
    assert error_at(blank, "reason")
    assert api.event_count() == before

    reason = "The culverts are built by the district council."
    location_id(browser.submit(page_path, f"{page_path}/lots/2/cancel", {"reason": reason}))
    page = browser.page(page_path)
    assert 'id="cancel-lot-' not in page.text  # lot 1 is the last open lot
    assert lot_options(page.text) == ["1"]  # a cancelled lot is not offered for award
    assert "Lot 2 cancelled" in page.text

    public = browser.page(f"/portal/tenders/{tender.id}").text
    assert 'id="cancelled-lots"' in public
    assert reason in public
    urdu = browser.page(f"/portal/tenders/{tender.id}?lang=ur").text
    assert "لاٹ 2 منسوخ" in urdu
