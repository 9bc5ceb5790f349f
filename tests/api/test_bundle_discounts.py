"""Lot-bundle discounts through HTTP, with real tokens (docs/lots.md#bundle-discounts): a
notice that allows them, bids that state them sealed, the report's cheapest combination,
awards and contracts at the discounted values, each refusal, and the open data of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.scenarios import MEMBERS, Scenario
from tests.api.test_bad_input import assert_problem
from tests.api.test_lots import LOTS, award, priced
from tests.api.test_ocds import assert_codelists, assert_valid, follow, wait_for_ocds
from tests.support import FakeClock, tender_json

LOTS3 = [
    *LOTS,
    {
        "id": "3",
        "title": "Road furniture",
        "items": [{"id": "3-1", "description": "Signboards", "quantity": "20", "unit": "nos"}],
    },
]
BUNDLE = {"lots": ["1", "2"], "percent": "10"}


def discounted(discounts: list[dict[str, Any]], **lots: str) -> dict[str, Any]:
    return {**priced(**lots), "discounts": discounts}


def assert_refused(answer: Any, status: int, code: str, loc: list[str]) -> None:
    assert_problem(answer, status, code)
    assert answer.json()["errors"][0]["loc"] == loc


def three_vendors(api: Api, clock: FakeClock) -> tuple[Scenario, dict[str, Any]]:
    """alpha is cheapest on lot 1, beta on lot 2, gamma on lot 3; alpha's 10% for lots 1 and
    2 together makes it the cheapest for both: 1,000,000 + 2,100,000 less 10% = 2,790,000,
    against 1,000,000 + 2,000,000 split."""
    tender = Scenario(api, clock, lots=LOTS3, award_by_lot=True, bundle_discounts=True)
    tender.bid("alpha", discounted([BUNDLE], lot1="1000000.00", lot2="2100000.00"))
    tender.bid("beta", priced(lot1="1100000.00", lot2="2000000.00", lot3="3100000.00"))
    tender.bid("gamma", priced(lot2="2200000.00", lot3="3000000.00"))
    return tender, tender.page(tender.published_token)


def assert_combination(tender: Scenario, page: dict[str, Any]) -> None:
    bids = tender.bids
    [report] = page["evaluation"]["reports"]
    assert report["combination"] == [
        {
            "bid_id": bids["alpha"],
            "lots": ["1", "2"],
            "discount_percent": "10",
            "price": {"amount": "2790000.00", "currency": "PKR"},
        },
        {
            "bid_id": bids["gamma"],
            "lots": ["3"],
            "discount_percent": None,
            "price": {"amount": "3000000.00", "currency": "PKR"},
        },
    ]
    assert report["combination_total"] == {"amount": "5790000.00", "currency": "PKR"}
    assert [lot["recommended_bid"] for lot in report["lots"]] == [
        bids["alpha"],
        bids["alpha"],
        bids["gamma"],
    ]
    entries = tender.entries(page)
    assert [(s["lot_id"], s["rank"]) for s in entries["alpha"]["lots"]] == [("1", 1), ("2", 2)]
    assert entries["alpha"]["discounts"] == [{"lots": ["1", "2"], "percent": "10"}]
    opened = {b["bid_id"]: b for b in page["opening"]["bids"]}
    assert opened[bids["alpha"]]["discounts"] == [{"lots": ["1", "2"], "percent": "10"}]


def assert_reads(api: Api, tender: Scenario) -> None:
    """The officers' evaluation, the vendor's own result, and both portal pages in English
    and Urdu show the combination."""
    officer = api.client.get(f"/tenders/{tender.id}/evaluation", headers=tender.token(MEMBERS[0]))
    assert officer.status_code == 200, officer.text
    assert officer.json()["reports"][0]["combination"][0]["lots"] == ["1", "2"]
    mine = api.client.get(
        f"/tenders/{tender.id}/bids/mine/evaluation", headers=tender.token("alpha")
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["recommended"] is True
    assert mine.json()["discounts"] == [{"lots": ["1", "2"], "percent": "10"}]
    assert [part["lots"] for part in mine.json()["combination"]] == [["1", "2"]]
    for language, heading in (("en", "Recommended combination of lots"), ("ur", "لاٹس کا")):
        public = api.client.get(f"/portal/tenders/{tender.id}?lang={language}")
        assert public.status_code == 200, public.text
        assert heading in public.text
        assert 'id="combination"' in public.text
        assert 'id="bundle-discounts"' in public.text
    browser = Browser(api.client, api.dsn, api)
    browser.sign_in("officer@works")
    page = browser.page(f"/portal/officer/tenders/{tender.id}")
    assert page.status_code == 200, page.text
    assert 'id="combination"' in page.text
    assert "5,790,000.00" in page.text


@pytest.mark.usefixtures("committee")
def test_the_cheapest_combination_is_awarded_and_contracted_at_its_discounted_values(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    tender, notice = three_vendors(api, clock)
    assert notice["bundle_discounts"] is True
    assert notice["award_by_lot"] is True

    # A discount on a lot the bid does not price: refused, nothing written.
    api.register_vendor("delta")
    before = api.event_count()
    answer = api.post(
        f"/tenders/{tender.id}/bids",
        tender.token("delta"),
        json={"contents": discounted([{"lots": ["1", "3"], "percent": "5"}], lot1="900000.00")},
    )
    assert_refused(answer, 422, "invalid_discount", ["contents", "discounts"])
    assert api.event_count() == before

    tender.open()
    tender.declare(*MEMBERS)
    page = tender.finalise()
    assert_combination(tender, page)
    assert_reads(api, tender)
    bids = tender.bids

    # alpha is rank 2 on lot 2, but the combination's bid: no reason, the discounted value.
    lot1 = award(tender, {"bid_id": bids["alpha"], "lot_id": "1"})
    assert lot1.status_code == 201, lot1.text
    # Lot 2 to another bid while alpha holds lot 1 at the bundle's discount: refused.
    before = api.event_count()
    broken = award(tender, {"bid_id": bids["beta"], "lot_id": "2", "reason": "Cheaper alone."})
    assert_refused(broken, 409, "bundle_awarded", ["lot_id"])
    assert api.event_count() == before
    lot2 = award(tender, {"bid_id": bids["alpha"], "lot_id": "2"})
    assert lot2.status_code == 201, lot2.text
    lot3 = award(tender, {"bid_id": bids["gamma"], "lot_id": "3"})
    assert lot3.status_code == 201, lot3.text
    ids = {lot: answer.json()["id"] for lot, answer in (("1", lot1), ("2", lot2), ("3", lot3))}

    evaluation = api.client.get(
        f"/tenders/{tender.id}/evaluation", headers=tender.token("officer@works")
    )
    live = [(a["lot_id"], a["discount_percent"]) for a in evaluation.json()["live_awards"]]
    assert sorted(live, key=str) == [("1", "10"), ("2", "10"), ("3", None)]
    awards = {a["id"]: a for a in tender.page(lot3.json()["read_token"])["awards"]}
    values = {lot: awards[ids[lot]]["value"]["amount"] for lot in ids}
    assert values == {"1": "900000.00", "2": "1890000.00", "3": "3000000.00"}
    assert all(awards[ids[lot]]["reason"] in {"", None} for lot in ids)

    clock.set(clock.now() + timedelta(days=8))  # the standstills are over
    api.settle()
    before = api.event_count()
    assert_problem(tender.sign(ids["2"], "2100000.00"), 422, "contract_value_mismatch")
    assert api.event_count() == before
    for lot, value in values.items():
        signed = tender.sign(ids[lot], value)
        assert signed.status_code == 201, signed.text
    page = tender.page(signed.json()["read_token"])
    contracts = {a["id"]: a["contract"]["value"]["amount"] for a in page["awards"]}
    assert contracts == {ids[lot]: value for lot, value in values.items()}

    assert_open_data(api, settings, tender.id)


def assert_open_data(api: Api, settings: Settings, tender_id: str) -> None:
    """Every release and the record pass the official schemas; the awards' values are the
    discounted ones; the notice's criteria say that bundles are allowed."""
    wait_for_ocds(api)
    for release in follow(api):
        assert_codelists(release)
    answer = api.client.get(f"/ocds/records/{settings.ocid_prefix}-{tender_id}")
    assert answer.status_code == 200, answer.text
    assert_valid(answer.json(), "record-package-schema.json")
    compiled = answer.json()["records"][0]["compiledRelease"]
    ocds_values = {a["relatedLots"][0]: a["value"]["amount"] for a in compiled["awards"]}
    assert ocds_values == {"1": 900000, "2": 1890000, "3": 3000000}
    assert "Lot-bundle discounts allowed" in compiled["tender"]["awardCriteriaDetails"]


@pytest.mark.usefixtures("committee")
def test_a_broken_bundle_is_awarded_with_a_reason_and_at_undiscounted_prices(
    api: Api, clock: FakeClock
) -> None:
    tender, _ = three_vendors(api, clock)
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    bids = tender.bids
    before = api.event_count()
    # beta is rank 1 on lot 2 but not the combination's bid: a departure, with a reason.
    assert_problem(award(tender, {"bid_id": bids["beta"], "lot_id": "2"}), 422, "reason_required")
    assert api.event_count() == before
    lot2 = award(tender, {"bid_id": bids["beta"], "lot_id": "2", "reason": "alpha lacks plant."})
    assert lot2.status_code == 201, lot2.text
    lot1 = award(tender, {"bid_id": bids["alpha"], "lot_id": "1"})
    assert lot1.status_code == 201, lot1.text
    awards = {a["id"]: a for a in tender.page(lot1.json()["read_token"])["awards"]}
    assert awards[lot1.json()["id"]]["value"]["amount"] == "1000000.00"  # no bundle: no discount
    assert awards[lot2.json()["id"]]["value"]["amount"] == "2000000.00"


def test_the_notice_allows_bundles_only_by_lot_with_two_lots_or_more(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    before = api.event_count()
    changes: list[dict[str, Any]] = [
        {"lots": LOTS3, "bundle_discounts": True},  # not awarded by lot
        {"lots": LOTS3[:1], "award_by_lot": True, "bundle_discounts": True},  # one lot
    ]
    for change in changes:
        answer = api.post("/tenders", officer, json=tender_json(clock.now(), **change))
        assert_refused(answer, 422, "bundle_discounts_not_allowed", ["bundle_discounts"])
    assert api.event_count() == before

    body = tender_json(clock.now(), lots=LOTS3, award_by_lot=True, bundle_discounts=True)
    drafted = api.post("/tenders", officer, json=body)
    assert drafted.status_code == 201, drafted.text
    tender_id = drafted.json()["id"]
    before = api.event_count()
    patched = api.client.patch(
        f"/tenders/{tender_id}", headers=officer, json={"award_by_lot": False}
    )
    assert_refused(patched, 422, "bundle_discounts_not_allowed", ["bundle_discounts"])
    assert api.event_count() == before


def test_bid_discounts_are_refused_when_the_notice_does_not_allow_them(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock, lots=LOTS3, award_by_lot=True)
    assert tender.page(tender.published_token)["bundle_discounts"] is False
    api.register_vendor("alpha")
    before = api.event_count()
    answer = api.post(
        f"/tenders/{tender.id}/bids",
        tender.token("alpha"),
        json={"contents": discounted([BUNDLE], lot1="1000000.00", lot2="2100000.00")},
    )
    assert_refused(answer, 422, "invalid_discount", ["contents", "discounts"])
    assert api.event_count() == before


@pytest.mark.parametrize(
    ("discounts", "loc"),
    [
        ([{"lots": ["1", "2"], "percent": "1e1"}], ["contents.discounts.0.percent"]),
        ([{"lots": ["1", "2"], "percent": "5_0"}], ["contents.discounts.0.percent"]),
        ([{"lots": ["1", "2"], "percent": "\u0665"}], ["contents.discounts.0.percent"]),
        ([{"lots": ["1", "2"], "percent": "5.000"}], ["contents.discounts.0.percent"]),
        ([{"lots": ["1", "2"], "percent": 10}], ["contents.discounts.0.percent"]),
        ([{"lots": ["1", "2"], "percent": "0.00"}], ["contents.discounts.0.percent"]),
        ([{"lots": ["1", "2"], "percent": "50.01"}], ["contents.discounts.0.percent"]),
        ([BUNDLE, {"lots": ["2", "1"], "percent": "5"}], ["contents.discounts"]),
    ],
)
def test_a_discount_is_digits_and_one_per_bundle(
    api: Api, clock: FakeClock, discounts: list[dict[str, Any]], loc: list[Any]
) -> None:
    """A percent in ASCII digits with at most two decimals, as amounts are (an exponent, an
    underscore or another script's digits would be stored and published as typed), and one
    discount per set of lots: refused, naming the field, nothing written."""
    tender = Scenario(api, clock, lots=LOTS3, award_by_lot=True, bundle_discounts=True)
    api.register_vendor("alpha")
    before = api.event_count()
    answer = api.post(
        f"/tenders/{tender.id}/bids",
        tender.token("alpha"),
        json={"contents": discounted(discounts, lot1="1000000.00", lot2="2100000.00")},
    )
    assert_problem(answer, 422, "validation_failed")
    assert answer.json()["errors"][0]["loc"] == loc
    assert api.event_count() == before
