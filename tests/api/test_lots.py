"""A tender awarded by lot through HTTP, with real tokens (docs/lots.md): each lot ranked on
its own, awarded to its own winner, with its own standstill, complaints and contract; and
the open data of it (the public awards, the OCDS record) passing the official schemas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, SECURITY, Scenario
from tests.api.test_bad_input import assert_problem
from tests.api.test_ocds import assert_codelists, assert_valid, follow, wait_for_ocds
from tests.support import FakeClock

LOTS = [
    {
        "id": "1",
        "title": "Earthworks",
        "items": [{"id": "1-1", "description": "Excavation", "quantity": "100", "unit": "m3"}],
    },
    {
        "id": "2",
        "title": "Culverts",
        "items": [{"id": "2-1", "description": "Pipe culvert", "quantity": "4", "unit": "nos"}],
    },
]


def priced(**lots: str) -> dict[str, Any]:
    """A bid pricing the lots named (``lot1="400000.00"``), and only them."""
    return {
        "prices": [
            {"lot_id": name.removeprefix("lot"), "price": {"amount": amount, "currency": "PKR"}}
            for name, amount in lots.items()
        ],
        "technical_offer": "Twelve graders, four rollers, a site office at Kotri.",
        "bid_security": SECURITY,
    }


def award(tender: Scenario, body: dict[str, Any]) -> Any:
    return tender.api.post(f"/tenders/{tender.id}/award", tender.token("officer@works"), json=body)


def by_lot(api: Api, clock: FakeClock) -> tuple[Scenario, dict[str, Any]]:
    """beta prices lot 1 only, gamma lot 2 only, alpha both (dearer on each): reported."""
    tender = Scenario(api, clock, lots=LOTS, award_by_lot=True)
    tender.bid("alpha", priced(lot1="500000.00", lot2="700000.00"))
    tender.bid("beta", priced(lot1="400000.00"))
    tender.bid("gamma", priced(lot2="600000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    return tender, tender.finalise()


def assert_ranked_per_lot(tender: Scenario, page: dict[str, Any]) -> None:
    bids = tender.bids
    [report] = page["evaluation"]["reports"]
    assert report["award_by_lot"] is True
    assert report["lots"] == [
        {"lot_id": "1", "recommended_bid": bids["beta"]},
        {"lot_id": "2", "recommended_bid": bids["gamma"]},
    ]
    entries = tender.entries(page)
    assert entries["alpha"]["responsive"] is True  # a bid need not price every lot
    assert [(s["lot_id"], s["rank"]) for s in entries["alpha"]["lots"]] == [("1", 2), ("2", 2)]
    assert [(s["lot_id"], s["rank"]) for s in entries["beta"]["lots"]] == [("1", 1)]
    assert entries["gamma"]["lots"][0]["evaluated_price"]["amount"] == "600000.00"


def assert_award_refusals(tender: Scenario) -> None:
    """Each refusal with its code (naming its field), and nothing written."""
    bids = tender.bids
    before = tender.api.event_count()
    refusals = [
        ({"bid_id": bids["beta"]}, "lot_required", ["lot_id"]),
        ({"bid_id": bids["beta"], "lot_id": "3"}, "unknown_lot", ["lot_id"]),
        ({"bid_id": bids["beta"], "lot_id": "2"}, "bid_not_ranked_on_lot", ["bid_id"]),
        ({"bid_id": bids["alpha"], "lot_id": "1"}, "reason_required", None),  # ranked second
    ]
    for body, code, field in refusals:
        answer = award(tender, body)
        assert_problem(answer, 422, code)
        if field is not None:
            assert answer.json()["errors"][0]["loc"] == field
    assert tender.api.event_count() == before


def assert_open_data(api: Api, settings: Settings, tender_id: str, lot1: str, lot2: str) -> None:
    """Every release and the record pass the official schemas; the awards name their lots,
    the contracts their awards; each lot, and so the process, is complete."""
    wait_for_ocds(api)
    for release in follow(api):
        assert_codelists(release)
    ocid = f"{settings.ocid_prefix}-{tender_id}"
    answer = api.client.get(f"/ocds/records/{ocid}")
    assert answer.status_code == 200, answer.text
    package = answer.json()
    assert_valid(package, "record-package-schema.json")
    compiled = package["records"][0]["compiledRelease"]
    ocds_awards = {a["id"]: a for a in compiled["awards"]}
    assert ocds_awards[lot1]["relatedLots"] == ["1"]
    assert ocds_awards[lot2]["relatedLots"] == ["2"]
    assert ocds_awards[lot1]["suppliers"][0]["name"] == "beta (Pvt) Ltd"
    contracts = {c["awardID"]: c for c in compiled["contracts"]}
    assert set(contracts) == {lot1, lot2}
    assert contracts[lot1]["value"]["amount"] == 400000
    assert [lot["status"] for lot in compiled["tender"]["lots"]] == ["complete", "complete"]
    assert compiled["tender"]["status"] == "complete"


@pytest.mark.usefixtures("committee")
def test_two_vendors_each_win_a_lot_with_their_own_standstill_complaint_and_contract(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    tender, page = by_lot(api, clock)
    bids = tender.bids
    assert_ranked_per_lot(tender, page)
    assert_award_refusals(tender)

    beta_on_1 = {"bid_id": bids["beta"], "lot_id": "1"}
    first = award(tender, beta_on_1)
    assert first.status_code == 201, first.text
    lot1 = first.json()["id"]
    before = api.event_count()
    assert_problem(award(tender, beta_on_1), 409, "lot_awarded")  # one live award a lot
    assert api.event_count() == before
    clock.set(clock.now() + timedelta(days=1))
    second = award(tender, {"bid_id": bids["gamma"], "lot_id": "2"})
    assert second.status_code == 201, second.text
    lot2 = second.json()["id"]

    awards = {a["id"]: a for a in tender.page(second.json()["read_token"])["awards"]}
    assert (awards[lot1]["lot_id"], awards[lot2]["lot_id"]) == ("1", "2")
    assert awards[lot1]["supplier"]["name"] == "beta (Pvt) Ltd"
    assert awards[lot1]["value"] == {"amount": "400000.00", "currency": "PKR"}
    assert awards[lot2]["value"] == {"amount": "600000.00", "currency": "PKR"}
    # Two standstills, each from its own award.
    assert awards[lot2]["standstill_ends"] > awards[lot1]["standstill_ends"]

    # alpha complains about lot 2's award: only lot 2's contract is held.
    complaint = tender.complain(lot2, "alpha", "Gamma's culverts are not to the drawings.")
    assert complaint.status_code == 201, complaint.text
    clock.set(clock.now() + timedelta(days=8))  # both standstills (7 days) are over
    api.settle()
    before = api.event_count()
    assert_problem(tender.sign(lot2, "600000.00"), 409, "contract_held_by_complaint")
    assert api.event_count() == before
    signed1 = tender.sign(lot1, "400000.00")
    assert signed1.status_code == 201, signed1.text

    dismissed = tender.decide(
        lot2, complaint.json()["id"], outcome="dismissed", reasons="Either culvert is allowed."
    )
    assert dismissed.status_code == 200, dismissed.text
    clock.set(clock.now() + timedelta(days=10))  # the rules' appeal period
    signed2 = tender.sign(lot2, "600000.00")
    assert signed2.status_code == 201, signed2.text

    page = tender.page(signed2.json()["read_token"])
    awards = {a["id"]: a for a in page["awards"]}
    assert awards[lot1]["status"] == awards[lot2]["status"] == "contracted"
    assert awards[lot2]["contract"]["value"] == {"amount": "600000.00", "currency": "PKR"}
    assert api.client.get(f"/public/awards/{lot2}").json()["lot_id"] == "2"
    assert_open_data(api, settings, tender.id, lot1, lot2)


@pytest.mark.usefixtures("committee")
def test_an_upheld_complaint_releases_only_its_lots_award(api: Api, clock: FakeClock) -> None:
    tender, _ = by_lot(api, clock)
    bids = tender.bids
    lot1 = award(tender, {"bid_id": bids["beta"], "lot_id": "1"}).json()["id"]
    lot2 = award(tender, {"bid_id": bids["gamma"], "lot_id": "2"}).json()["id"]
    complaint = tender.complain(lot2, "alpha", "Gamma's security lapsed before the opening.")
    assert complaint.status_code == 201, complaint.text
    before = api.event_count()
    reopen = tender.decide(
        lot2,
        complaint.json()["id"],
        outcome="upheld",
        remedy="reopen_evaluation",
        reasons="The security lapsed.",
    )
    assert_problem(reopen, 409, "evaluation_state")  # lot 1's award stands on the report
    assert api.event_count() == before
    tender.uphold(lot2, complaint.json()["id"], "cancel_award", "The security lapsed.")

    assert_problem(tender.sign(lot2, "600000.00"), 409, "award_not_active")
    # Lot 2 is awarded again, to the next on its ranking, with the reason; lot 1 stands.
    again = award(tender, {"bid_id": bids["alpha"], "lot_id": "2", "reason": "Gamma fell."})
    assert again.status_code == 201, again.text
    assert_problem(award(tender, {"bid_id": bids["beta"], "lot_id": "1"}), 409, "lot_awarded")
    clock.set(clock.now() + timedelta(days=8))
    signed = tender.sign(lot1, "400000.00")
    assert signed.status_code == 201, signed.text
    page = tender.page(signed.json()["read_token"])
    statuses = {a["id"]: (a["lot_id"], a["status"]) for a in page["awards"]}
    assert statuses == {
        lot1: ("1", "contracted"),
        lot2: ("2", "cancelled"),
        again.json()["id"]: ("2", "standstill"),
    }
    alpha_award = api.client.get(f"/public/awards/{again.json()['id']}").json()
    assert alpha_award["value"] == {"amount": "700000.00", "currency": "PKR"}  # its lot 2 price
    assert alpha_award["rank"] == 2
