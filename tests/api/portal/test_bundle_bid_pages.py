"""Lot-bundle discounts offered from the vendor's bid form (docs/lots.md#bundle-discounts):
the rows only where the notice allows them, sealed with the prices as the API's, read at the
opening and used by the report's combination; each refusal named at its field, in English and
Urdu, and nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_officer_pages import error_at
from tests.api.scenarios import MEMBERS, Scenario
from tests.api.test_bundle_discounts import LOTS3
from tests.api.test_lots import priced
from tests.support import FakeClock

LONG = "1" * 20_000


def bundled_tender(api: Api, clock: FakeClock, *, allowed: bool = True) -> Scenario:
    return Scenario(api, clock, lots=LOTS3, award_by_lot=True, bundle_discounts=allowed)


def form(**discounts: Any) -> dict[str, Any]:
    """The bid form as the page sends it: a row for each of the three lots (lot 3 left
    unpriced), and the discount fields given (``discounts_0_lots=["1", "2"]``)."""
    fields: dict[str, Any] = {
        "technical_offer": "Twelve graders, four rollers, a site office at Kotri.",
        "bid_security.instrument": "bank_guarantee",
        "bid_security.issuer": "Sindh Bank",
        "bid_security.amount.amount": "200000.00",
        "bid_security.amount.currency": "PKR",
        "validity_days": "90",
    }
    for row, (lot, amount) in enumerate((("1", "1000000.00"), ("2", "2100000.00"), ("3", ""))):
        fields[f"prices.{row}.lot_id"] = lot
        fields[f"prices.{row}.price.currency"] = "PKR"
        fields[f"prices.{row}.price.amount"] = amount
    for row in range(3):  # the blank rows a page sends
        fields[f"discounts.{row}.percent"] = ""
    fields.update({name.replace("_", "."): value for name, value in discounts.items()})
    return fields


def bid(browser: Browser, tender: Scenario, fields: dict[str, Any]) -> httpx.Response:
    page = f"/portal/tenders/{tender.id}/bid"
    return browser.submit(page, page, fields)


def signed_in(api: Api, browser: Browser, vendor: str) -> None:
    api.register_vendor(vendor)
    browser.sign_in(vendor)


@pytest.mark.usefixtures("committee")
def test_a_discount_offered_from_the_form_is_opened_and_wins_the_combination(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender = bundled_tender(api, clock)
    tender.bid("beta", priced(lot1="1100000.00", lot2="2000000.00", lot3="3100000.00"))
    tender.bid("gamma", priced(lot2="2200000.00", lot3="3000000.00"))
    signed_in(api, browser, "alpha")
    path = f"/portal/tenders/{tender.id}/bid"
    page = browser.page(path).text
    assert 'id="discounts"' in page
    assert page.count('name="discounts.0.lots"') == 3  # a checkbox for each lot
    assert 'name="discounts.2.percent"' in page
    assert "discounts.3." not in page  # MAX_DISCOUNTS rows
    urdu = browser.page(f"{path}?lang=ur").text
    assert "مجموعی رعایتیں" in urdu
    assert "رعایت 1" in urdu

    before = api.event_count()
    # Row 0 blank, the discount in row 1: blank rows are no rows.
    sent = bid(browser, tender, form(discounts_1_lots=["1", "2"], discounts_1_percent="10"))
    assert sent.status_code == 303, sent.text
    assert api.event_count() == before + 1
    mine = api.client.get(f"/tenders/{tender.id}/bids/mine", headers=tender.token("alpha"))
    tender.bids["alpha"] = mine.json()["id"]

    tender.open()
    tender.declare(*MEMBERS)
    page_json = tender.finalise()
    opened = {b["bid_id"]: b for b in page_json["opening"]["bids"]}
    assert opened[tender.bids["alpha"]]["discounts"] == [{"lots": ["1", "2"], "percent": "10"}]
    [report] = page_json["evaluation"]["reports"]
    assert [(part["bid_id"], part["lots"]) for part in report["combination"]] == [
        (tender.bids["alpha"], ["1", "2"]),
        (tender.bids["gamma"], ["3"]),
    ]
    assert report["combination_total"] == {"amount": "5790000.00", "currency": "PKR"}
    assert tender.entries(page_json)["alpha"]["discounts"] == [
        {"lots": ["1", "2"], "percent": "10"}
    ]

    public = browser.page(f"/portal/tenders/{tender.id}").text
    record = public[
        public.index('id="opening-record"') : public.index(
            "</table>", public.index('id="opening-record"')
        )
    ]
    assert "10% off lots 1 + 2 together" in record
    assert 'id="combination"' in public
    assert "5,790,000.00" in public


REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"discounts_0_lots": ["1"], "discounts_0_percent": "10"}, "discounts.0.lots"),
    ({"discounts_0_percent": "10"}, "discounts.0.lots"),  # no lot ticked
    ({"discounts_0_lots": ["1", "9"], "discounts_0_percent": "10"}, "discounts.0.lots"),
    (
        {
            "discounts_0_lots": ["1", "2"],
            "discounts_0_percent": "10",
            "discounts_2_lots": ["2", "1"],
            "discounts_2_percent": "5",
        },
        "discounts.2.lots",  # the same bundle again, at its row as typed
    ),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "0"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "-5"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "50.01"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "7.125"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "ten"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "NaN"}, "discounts.0.percent"),
    # what Decimal would take but the API does not: an exponent, underscores, other digits
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "1e1"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "5_0"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "\u0665"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "5.000"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": "120"}, "discounts.0.percent"),
    ({"discounts_0_lots": ["1", "2"]}, "discounts.0.percent"),  # no percent
    ({"discounts_0_lots": ["1", "2"], "discounts_0_percent": LONG}, "discounts.0.percent"),
    ({"discounts_3_lots": ["1", "2"], "discounts_3_percent": "5"}, "discounts"),  # no row 3
    ({"discounts_0_colour": "red"}, "discounts"),
    ({"discounts": "everything"}, "discounts"),
    # a lot the bid does not price: the domain's check, at the discounts
    ({"discounts_0_lots": ["1", "3"], "discounts_0_percent": "5"}, "discounts"),
]


def test_each_bad_discount_is_refused_at_its_field_and_nothing_is_written(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender = bundled_tender(api, clock)
    signed_in(api, browser, "alpha")
    before = api.event_count()
    for discounts, field in REFUSED:
        answer = bid(browser, tender, form(**discounts))
        assert answer.status_code == 422, (discounts, answer.text)
        assert error_at(answer, field), discounts
        assert LONG not in answer.text
    assert api.event_count() == before

    # The absurd percent is shown back only in part; a good row stays ticked after a refusal.
    long = bid(browser, tender, form(discounts_0_lots=["1", "2"], discounts_0_percent=LONG))
    assert 'value="' + "1" * 32 + '"' in long.text
    bad_price = form(discounts_0_lots=["1", "2"], discounts_0_percent="7.5")
    bad_price["prices.0.price.amount"] = "twelve lakh"
    kept = bid(browser, tender, bad_price)
    assert kept.status_code == 422
    assert error_at(kept, "prices.0.price.amount")
    assert 'id="f-discounts-0-lots-0" checked' in kept.text
    assert 'id="f-discounts-0-lots-1" checked' in kept.text
    assert 'id="f-discounts-0-lots-2" checked' not in kept.text
    assert 'value="7.5"' in kept.text

    browser.submit("/portal/tenders", "/portal/language", {"lang": "ur", "next": "/portal/tenders"})
    urdu = bid(browser, tender, form(discounts_0_lots=["1"], discounts_0_percent="10"))
    assert urdu.status_code == 422
    assert "کم از کم دو لاٹس" in error_at(urdu, "discounts.0.lots")
    assert api.event_count() == before


def test_a_notice_without_bundle_discounts_shows_no_rows_and_takes_none(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender = bundled_tender(api, clock, allowed=False)
    signed_in(api, browser, "alpha")
    page = browser.page(f"/portal/tenders/{tender.id}/bid").text
    assert 'id="discounts"' not in page
    assert "discounts." not in page
    before = api.event_count()
    offered = bid(browser, tender, form(discounts_0_lots=["1", "2"], discounts_0_percent="10"))
    assert offered.status_code == 422
    assert "does not allow bundle discounts" in error_at(offered, "discounts")
    assert api.event_count() == before
    blank = bid(browser, tender, form())  # the blank rows alone are no discount
    assert blank.status_code == 303, blank.text
    assert api.event_count() == before + 1
