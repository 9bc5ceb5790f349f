"""Regressions of the review of lots (docs/lots.md), through HTTP with real tokens: only
the bidders who priced a lot complain about its award; a lot left unsuccessful by one report
is active again when a later report ranks a bid on it."""

from __future__ import annotations

import pytest

from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario
from tests.api.test_bad_input import assert_problem
from tests.api.test_grievances import decide, lodged
from tests.api.test_lots import LOTS, award, priced
from tests.api.test_ocds import wait_for_ocds
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")


def test_only_the_bidders_who_priced_a_lot_complain_about_its_award(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock, lots=LOTS, award_by_lot=True)
    tender.bid("alpha", priced(lot1="400000.00"))
    tender.bid("beta", priced(lot2="600000.00"))
    tender.bid("gamma", priced(lot2="700000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    made = award(tender, {"bid_id": tender.bids["beta"], "lot_id": "2"})
    assert made.status_code == 201, made.text
    lot2 = made.json()["id"]

    before = api.event_count()
    refused = tender.complain(lot2, "alpha", "Lot 2 should not have gone to beta.")
    assert_problem(refused, 422, "not_a_bidder")  # alpha priced lot 1 only
    assert api.event_count() == before
    lodged_by_gamma = tender.complain(lot2, "gamma", "Beta's culverts are not to the drawings.")
    assert lodged_by_gamma.status_code == 201, lodged_by_gamma.text


def test_a_lot_unsuccessful_on_one_report_is_active_when_a_later_report_ranks_a_bid(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    tender = Scenario(api, clock, lots=LOTS, award_by_lot=True)
    tender.bid("alpha", priced(lot1="400000.00"))
    tender.bid("beta", priced(lot2="600000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    disqualified = tender.act(
        MEMBERS[0],
        {"action": "disqualify", "bid_id": tender.bids["beta"], "reason": "No site plan."},
    )
    assert disqualified.status_code == 200, disqualified.text
    tender.finalise()  # lot 2: no responsive bid prices it
    assert lots_status(api, settings, tender) == ["active", "unsuccessful"]

    complaint = lodged(tender, "beta", "final_report")
    upheld = decide(
        tender,
        complaint,
        outcome="upheld",
        remedy="reopen_evaluation",
        reasons="The site plan is in beta's technical envelope, page 4.",
    )
    assert upheld.status_code == 200, upheld.text
    reinstated = tender.act(
        MEMBERS[0],
        {"action": "reinstate", "bid_id": tender.bids["beta"], "reason": "Site plan found."},
    )
    assert reinstated.status_code == 200, reinstated.text
    tender.finalise()
    assert lots_status(api, settings, tender) == ["active", "active"]


def lots_status(api: Api, settings: Settings, tender: Scenario) -> list[str]:
    wait_for_ocds(api)
    answer = api.client.get(f"/ocds/records/{settings.ocid_prefix}-{tender.id}")
    assert answer.status_code == 200, answer.text
    compiled = answer.json()["records"][0]["compiledRelease"]
    return [lot["status"] for lot in compiled["tender"]["lots"]]
