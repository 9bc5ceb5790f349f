"""One lot of a tender awarded by lot cancelled alone, through HTTP with real tokens
(docs/lots.md "Cancelling one lot"): the other lots awarded and contracted; the cancelled
lot's only bidder's security due back from the cancellation and flagged overdue after the
rules' period; the OCDS record showing the lot cancelled and the tender complete; and each
refusal with its status, code and field, writing nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.account import account_id_for
from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario, at
from tests.api.test_bad_input import assert_problem
from tests.api.test_lots import LOTS, award, priced
from tests.api.test_ocds import assert_codelists, assert_valid, follow, wait_for_ocds
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")

OFFICER = "officer@works"
RELEASE_PERIOD = timedelta(days=7)  # the rules' (docs/securities.md)
STANDSTILL = timedelta(days=7)
REPORT_COMPLAINTS = timedelta(days=10)  # the report's complaint period (docs/grievances.md)
THREE_LOTS = [
    *LOTS,
    {
        "id": "3",
        "title": "Road signs",
        "items": [{"id": "3-1", "description": "Reflective sign", "quantity": "20", "unit": "nos"}],
    },
]
REASON = "The district council builds the culverts under its own scheme."


def cancel_lot(tender: Scenario, lot_id: str, reason: str = REASON, who: str = OFFICER) -> Any:
    return tender.api.post(
        f"/tenders/{tender.id}/lots/{lot_id}/cancel", tender.token(who), json={"reason": reason}
    )


def refused(tender: Scenario, answer: Any, status: int, code: str, loc: list[str] | None) -> None:
    body = assert_problem(answer, status, code)
    if loc is not None:
        assert body["errors"][0]["loc"] == loc


def security_file(tender: Scenario) -> dict[str, dict[str, Any]]:
    """The officers' securities file, by vendor."""
    answer = tender.api.client.get(
        f"/tenders/{tender.id}/securities/all", headers=tender.token(OFFICER)
    )
    assert answer.status_code == 200, answer.text
    return {b["vendor_id"]: b for b in answer.json()["bidders"]}


def record_security(tender: Scenario, vendor: str) -> None:
    recorded = tender.api.post(
        f"/tenders/{tender.id}/securities/bid-securities",
        tender.token(OFFICER),
        json={
            "vendor_id": str(account_id_for(vendor)),
            "instrument": {
                "bank": "Sindh Bank",
                "reference": "BG-2026-0077",
                "amount": {"amount": "200000.00", "currency": "PKR"},
                "confirmed_at": at(tender.clock.now()),
            },
        },
    )
    assert recorded.status_code == 201, recorded.text


def reported_with_three_lots(api: Api, clock: FakeClock) -> Scenario:
    """beta prices lot 1, gamma lot 2 only, alpha lot 3; the report is published."""
    tender = Scenario(api, clock, lots=THREE_LOTS, award_by_lot=True)
    tender.bid("beta", priced(lot1="400000.00"))
    tender.bid("gamma", priced(lot2="600000.00"))
    tender.bid("alpha", priced(lot3="300000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    return tender


def assert_refusals_before_cancelling(api: Api, clock: FakeClock, tender: Scenario) -> None:
    whole = Scenario(api, clock)  # awarded whole: its lots go with the tender
    before = api.event_count()
    refused(whole, cancel_lot(whole, "1"), 422, "not_awarded_by_lot", ["lot_id"])
    refused(tender, cancel_lot(tender, "9"), 422, "unknown_lot", ["lot_id"])
    refused(tender, cancel_lot(tender, "2", reason=""), 422, "validation_failed", ["reason"])
    refused(tender, cancel_lot(tender, "2", who="officer@health"), 404, "tender_not_found", None)
    assert api.event_count() == before


def assert_open_data(api: Api, settings: Settings, tender: Scenario) -> None:
    """Every release passes the official schema; the record shows lot 2 cancelled, with its
    reason, and the tender complete once lots 1 and 3 are contracted."""
    wait_for_ocds(api)
    for release in follow(api):
        assert_codelists(release)
    answer = api.client.get(f"/ocds/records/{settings.ocid_prefix}-{tender.id}")
    assert answer.status_code == 200, answer.text
    package = answer.json()
    assert_valid(package, "record-package-schema.json")
    compiled = package["records"][0]["compiledRelease"]
    lots = {lot["id"]: lot["status"] for lot in compiled["tender"]["lots"]}
    assert lots == {"1": "complete", "2": "cancelled", "3": "complete"}
    assert compiled["tender"]["status"] == "complete"
    [cancellation] = [d for d in compiled["tender"]["documents"] if d["id"] == "lot-cancellation-2"]
    assert cancellation["documentType"] == "cancellationDetails"
    assert cancellation["description"] == REASON


def wait_out_the_report_complaints(api: Api, clock: FakeClock, tender: Scenario) -> None:
    """Refused while the bidders may complain about the report; then the period passes (and
    a reason of zero-width spaces, which says nothing, is refused)."""
    before = api.event_count()
    refused(tender, cancel_lot(tender, "2"), 409, "lot_cancellation_held", ["lot_id"])
    clock.set(clock.now() + REPORT_COMPLAINTS)
    refused(
        tender, cancel_lot(tender, "2", reason="\u200b\u200b"), 422, "validation_failed", ["reason"]
    )
    assert api.event_count() == before


def test_a_cancelled_lot_is_not_awarded_its_bidders_security_is_due_back_and_the_rest_go_on(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    tender = reported_with_three_lots(api, clock)
    bids = tender.bids
    record_security(tender, "gamma")
    assert_refusals_before_cancelling(api, clock, tender)
    wait_out_the_report_complaints(api, clock, tender)

    cancelled = cancel_lot(tender, "2")
    assert cancelled.status_code == 200, cancelled.text
    cancelled_at = clock.now()
    page = tender.page(cancelled.json()["read_token"])
    [shown] = page["cancelled_lots"]
    assert shown == {"lot_id": "2", "reason": REASON, "cancelled_at": at(cancelled_at)}
    assert page["status"] == "evaluated"  # the other lots go on

    before = api.event_count()
    refused(tender, cancel_lot(tender, "2"), 409, "lot_cancelled", ["lot_id"])  # twice
    on_cancelled = award(tender, {"bid_id": bids["gamma"], "lot_id": "2"})
    refused(tender, on_cancelled, 409, "lot_cancelled", ["lot_id"])
    assert api.event_count() == before

    # gamma competed only for lot 2: unsuccessful at the cancellation, its security due back.
    gamma = str(account_id_for("gamma"))
    due = datetime.fromisoformat(security_file(tender)[gamma]["release_due"])
    assert due == cancelled_at + RELEASE_PERIOD

    lot1 = award(tender, {"bid_id": bids["beta"], "lot_id": "1"})
    assert lot1.status_code == 201, lot1.text
    lot3 = award(tender, {"bid_id": bids["alpha"], "lot_id": "3"})
    assert lot3.status_code == 201, lot3.text
    before = api.event_count()
    refused(tender, cancel_lot(tender, "1"), 409, "award_live", None)  # cancel the award first
    assert api.event_count() == before

    clock.set(cancelled_at + RELEASE_PERIOD - timedelta(seconds=1))
    api.settle()
    assert security_file(tender)[gamma]["release_overdue"] is False  # still in time
    clock.set(cancelled_at + RELEASE_PERIOD)
    api.settle()  # the scheduler flags it: from the cancellation, not from the contracts
    assert security_file(tender)[gamma]["release_overdue"] is True

    clock.set(clock.now() + STANDSTILL)
    signed1 = tender.sign(lot1.json()["id"], "400000.00")
    assert signed1.status_code == 201, signed1.text
    signed3 = tender.sign(lot3.json()["id"], "300000.00")
    assert signed3.status_code == 201, signed3.text
    before = api.event_count()
    refused(tender, cancel_lot(tender, "3"), 409, "contract_signed", None)
    assert api.event_count() == before

    released = api.post(
        f"/tenders/{tender.id}/securities/bid-securities/release",
        tender.token(OFFICER),
        json={"vendor_id": gamma},
    )
    assert released.status_code == 200, released.text
    rows = {
        row["bidder_name"].split(" ")[0]: row
        for row in api.client.get(
            f"/public/tenders/{tender.id}/securities",
            params={"read_token": released.json()["read_token"]},
        ).json()["bidders"]
    }
    assert rows["gamma"]["security"] == "released"
    assert rows["gamma"]["release_overdue"] is True  # released late: the flag stays public
    assert_open_data(api, settings, tender)


def test_a_lot_cancelled_before_the_deadline_is_neither_priced_nor_ranked(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock, lots=LOTS, award_by_lot=True)
    tender.bid("alpha", priced(lot1="500000.00", lot2="700000.00"))  # in before: kept
    cancelled = cancel_lot(tender, "1")
    assert cancelled.status_code == 200, cancelled.text

    api.register_vendor("beta")
    before = api.event_count()
    refused(tender, cancel_lot(tender, "2"), 409, "last_open_lot", ["lot_id"])
    late = api.post(
        f"/tenders/{tender.id}/bids",
        tender.token("beta"),
        json={"contents": priced(lot1="400000.00", lot2="650000.00")},
    )
    refused(tender, late, 422, "cancelled_lot_priced", ["contents", "prices"])
    assert api.event_count() == before
    tender.bid("beta", priced(lot2="650000.00"))

    tender.open()
    tender.declare(*MEMBERS)
    page = tender.finalise()
    [report] = page["evaluation"]["reports"]
    assert report["cancelled_lots"] == ["1"]
    assert report["lots"] == [{"lot_id": "2", "recommended_bid": tender.bids["beta"]}]
    entries = tender.entries(page)
    assert [(s["lot_id"], s["rank"]) for s in entries["alpha"]["lots"]] == [("2", 2)]


def test_a_lot_whose_award_was_cancelled_waits_out_that_award_s_standstill(
    api: Api, clock: FakeClock
) -> None:
    """An officer who cancels the award of the bidder ranked first and then the lot would
    leave that bidder no complaint: the lot waits until the award's standstill is over."""
    tender = reported_with_three_lots(api, clock)
    clock.set(clock.now() + REPORT_COMPLAINTS)
    made = award(tender, {"bid_id": tender.bids["alpha"], "lot_id": "3"})
    assert made.status_code == 201, made.text
    award_id = made.json()["id"]
    fallen = api.post(
        f"/awards/{award_id}/cancel", tender.token(OFFICER), json={"reason": "changed our mind"}
    )
    assert fallen.status_code == 200, fallen.text
    before = api.event_count()
    refused(tender, cancel_lot(tender, "3"), 409, "lot_cancellation_held", ["lot_id"])
    assert api.event_count() == before
    clock.set(clock.now() + STANDSTILL)
    cancelled = cancel_lot(tender, "3")
    assert cancelled.status_code == 200, cancelled.text


def test_a_lot_cancelled_before_the_opening_starts_no_release_clock_before_it(
    api: Api, clock: FakeClock
) -> None:
    """gamma priced only lot 1, cancelled before the deadline: nobody holds its security
    before the opening, so it is not due back (nor overdue) from a moment before it."""
    tender = Scenario(api, clock, lots=THREE_LOTS, award_by_lot=True)
    tender.bid("gamma", priced(lot1="400000.00"))
    tender.bid("beta", priced(lot2="600000.00"))
    tender.bid("alpha", priced(lot3="300000.00"))
    cancelled = cancel_lot(tender, "1")
    assert cancelled.status_code == 200, cancelled.text
    tender.open()
    opened_at = clock.now()
    record_security(tender, "gamma")
    api.settle()
    row = security_file(tender)[str(account_id_for("gamma"))]
    assert row["release_overdue"] is False, row
    assert datetime.fromisoformat(row["release_due"]) >= opened_at, row
