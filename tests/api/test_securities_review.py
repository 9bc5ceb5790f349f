"""Regressions of the review of securities (docs/securities.md), through HTTP with real
tokens: a cancelled tender's securities go back; a security is released only once its bidder
cannot win nor has a contract to sign; a refusal to sign is of an award; by lot, a bidder's
release clock starts from the last contract of the lots it priced; a performance security
only where the notice asks one; no contract with a winner whose bid is no longer valid."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from procurement.jobs.scheduler import Scheduler
from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario, at, offer
from tests.api.test_bad_input import assert_problem
from tests.api.test_lots import LOTS, award, priced
from tests.api.test_securities import (
    OFFICER,
    RELEASE_PERIOD,
    STANDSTILL,
    VALIDITY,
    by_name,
    confirmed,
    officer_file,
    public,
    tender_of_three,
    vendor,
)
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")


def securities(tender: Scenario, what: str, body: dict[str, Any]) -> Any:
    path = f"/tenders/{tender.id}/securities/bid-securities{what}"
    return tender.api.post(path, tender.token(OFFICER), json=body)


def record(tender: Scenario, *names: str) -> None:
    for name in names:
        body = {"vendor_id": vendor(name), "instrument": confirmed(tender.clock)}
        recorded = securities(tender, "", body)
        assert recorded.status_code == 201, recorded.text


def release(tender: Scenario, name: str) -> Any:
    return securities(tender, "/release", {"vendor_id": vendor(name)})


def forfeit(tender: Scenario, name: str, reason: str = "refusal_to_sign") -> Any:
    body = {"vendor_id": vendor(name), "reason": reason, "text": f"{name} did not sign."}
    return securities(tender, "/forfeit", body)


def test_a_cancelled_tenders_securities_are_released_and_due_from_the_cancellation(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.open()
    record(tender, "alpha")
    cancelled = api.post(
        f"/tenders/{tender.id}/cancel", tender.token(OFFICER), json={"reason": "Budget withdrawn"}
    )
    assert cancelled.status_code == 200, cancelled.text
    cancelled_at = clock.now()

    before = api.event_count()
    assert_problem(forfeit(tender, "alpha", "other"), 409, "tender_cancelled")
    assert api.event_count() == before
    released = release(tender, "alpha")
    assert released.status_code == 200, released.text
    record(tender, "beta")  # the bank's confirmation is still recorded
    rows = by_name(public(api, tender, released.json()["read_token"]))
    assert rows["alpha"]["security"] == "released"

    # beta's is due back the release period after the cancellation, not its validity's end.
    scheduler = Scheduler(application=api.application, dsn=api.dsn)
    clock.set(cancelled_at + RELEASE_PERIOD - timedelta(seconds=1))
    assert scheduler.run_once() == 0
    clock.set(cancelled_at + RELEASE_PERIOD)
    assert scheduler.run_once() in {0, 1}  # 0: the background scheduler's pass came first
    flagged = {
        b["vendor_id"]: b["release_overdue"] for b in officer_file(api, tender).json()["bidders"]
    }
    assert flagged == {vendor("alpha"): False, vendor("beta"): True}


def test_no_release_before_any_award_unless_the_bidder_left(api: Api, clock: FakeClock) -> None:
    tender = tender_of_three(api, clock)
    record(tender, "alpha", "beta")
    before = api.event_count()
    assert_problem(release(tender, "beta"), 409, "security_not_releasable")
    assert api.event_count() == before

    asked = api.post(
        f"/tenders/{tender.id}/securities/extension-requests",
        tender.token(OFFICER),
        json={"new_end": at(tender.deadline + VALIDITY * 2), "reason": "Audit delay"},
    )
    assert asked.status_code == 201, asked.text
    declined = api.post(
        f"/tenders/{tender.id}/securities/extension-answer",
        tender.token("beta"),
        json={"answer": "decline"},
    )
    assert declined.status_code == 200, declined.text
    released = release(tender, "beta")  # beta left the competition
    assert released.status_code == 200, released.text


def test_the_winners_security_stays_until_its_contract(api: Api, clock: FakeClock) -> None:
    tender = tender_of_three(api, clock)
    record(tender, "alpha", "beta")
    tender.finalise()
    award_id = tender.award("alpha")
    before = api.event_count()
    assert_problem(release(tender, "alpha"), 409, "security_not_releasable")
    # Nor the loser's during the standstill: a complaint may bring the award back to it.
    assert_problem(release(tender, "beta"), 409, "security_not_releasable")
    assert api.event_count() == before

    clock.set(clock.now() + STANDSTILL)
    signed = tender.sign(award_id, "900000.00")
    assert signed.status_code == 201, signed.text
    released = release(tender, "beta")  # the contract is signed with another
    assert released.status_code == 200, released.text
    after = release(tender, "alpha")
    assert after.status_code == 200, after.text


def test_a_refusal_to_sign_is_forfeited_only_of_a_bidder_with_an_award(
    api: Api, clock: FakeClock
) -> None:
    tender = tender_of_three(api, clock)
    record(tender, "alpha", "beta")
    tender.finalise()
    tender.award("alpha")
    before = api.event_count()
    assert_problem(forfeit(tender, "beta"), 409, "forfeiture_not_due")  # beta has no award
    # alpha cannot have refused to sign while its standstill runs.
    assert_problem(forfeit(tender, "alpha"), 409, "forfeiture_not_due")
    assert api.event_count() == before
    clock.set(clock.now() + STANDSTILL)
    forfeited = forfeit(tender, "alpha")
    assert forfeited.status_code == 200, forfeited.text
    rows = by_name(public(api, tender, forfeited.json()["read_token"]))
    assert rows["alpha"]["forfeit_reason"] == "refusal_to_sign"


def test_by_lot_the_runner_up_of_a_lot_not_contracted_is_not_overdue(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock, lots=LOTS, award_by_lot=True)
    tender.bid("alpha", priced(lot2="700000.00"))  # lot 2's runner-up
    tender.bid("beta", priced(lot1="400000.00"))
    tender.bid("gamma", priced(lot2="600000.00"))
    tender.bid("delta", priced(lot1="500000.00"))  # lot 1's loser
    tender.open()
    tender.declare(*MEMBERS)
    record(tender, "alpha", "beta", "gamma", "delta")
    tender.finalise()
    made = award(tender, {"bid_id": tender.bids["beta"], "lot_id": "1", "reason": ""})
    assert made.status_code == 201, made.text
    before = api.event_count()
    assert_problem(release(tender, "alpha"), 409, "security_not_releasable")  # lot 2 open
    assert api.event_count() == before
    clock.set(clock.now() + STANDSTILL)
    signed = tender.sign(made.json()["id"], "400000.00")
    assert signed.status_code == 201, signed.text
    public(api, tender, signed.json()["read_token"])  # the scheduler reads the read model

    clock.set(clock.now() + timedelta(days=8))
    api.settle()  # this pass, or the background scheduler's, flags it
    file = officer_file(api, tender).json()
    flagged = {b["vendor_id"]: b["release_overdue"] for b in file["bidders"]}
    assert flagged == {
        vendor("alpha"): False,
        vendor("beta"): False,
        vendor("gamma"): False,
        vendor("delta"): True,
    }


def test_no_performance_security_is_recorded_where_the_notice_asks_none(
    api: Api, clock: FakeClock
) -> None:
    tender = tender_of_three(api, clock)
    tender.finalise()
    award_id = tender.award("alpha")
    before = api.event_count()
    refused = api.post(
        f"/awards/{award_id}/performance-security",
        tender.token(OFFICER),
        json={"instrument": confirmed(clock, "90000.00")},
    )
    assert_problem(refused, 422, "performance_security_not_asked")
    assert api.event_count() == before


def test_no_contract_with_a_winner_that_declined_an_extension_after_its_award(
    api: Api, clock: FakeClock
) -> None:
    tender = tender_of_three(api, clock)
    tender.finalise()
    award_id = tender.award("alpha")
    asked = api.post(
        f"/tenders/{tender.id}/securities/extension-requests",
        tender.token(OFFICER),
        json={"new_end": at(tender.deadline + VALIDITY * 2), "reason": "Contract delayed"},
    )
    assert asked.status_code == 201, asked.text
    declined = api.post(
        f"/tenders/{tender.id}/securities/extension-answer",
        tender.token("alpha"),
        json={"answer": "decline"},
    )
    assert declined.status_code == 200, declined.text
    clock.set(clock.now() + STANDSTILL)
    api.settle()
    before = api.event_count()
    assert_problem(tender.sign(award_id, "900000.00"), 409, "bid_validity_expired")
    assert api.event_count() == before


def test_no_forfeiture_for_refusal_to_sign_while_a_complaint_holds_the_contract(
    api: Api, clock: FakeClock
) -> None:
    """The winner could not sign while a complaint on its award holds the contract: an
    officer cannot take its security for refusing to."""
    tender = tender_of_three(api, clock)
    record(tender, "alpha", "beta")
    tender.finalise()
    award_id = tender.award("alpha")
    lodged = tender.complain(award_id, "beta", "Our bid was the lower one once corrected.")
    assert lodged.status_code == 201, lodged.text
    clock.set(clock.now() + STANDSTILL)
    api.settle()
    before = api.event_count()
    assert_problem(tender.sign(award_id, "900000.00"), 409, "contract_held_by_complaint")
    assert_problem(forfeit(tender, "alpha"), 409, "forfeiture_not_due")
    assert api.event_count() == before


def test_no_forfeiture_for_refusal_to_sign_of_a_cancelled_award_or_an_expired_bid(
    api: Api, clock: FakeClock
) -> None:
    """An award the entity cancelled is not the winner's refusal (the entity forfeits
    first, then cancels); nor is a contract not signed after the bid's validity ended."""
    tender = tender_of_three(api, clock)
    record(tender, "alpha", "beta")
    tender.finalise()
    award_id = tender.award("alpha")
    cancelled = api.post(
        f"/awards/{award_id}/cancel", tender.token(OFFICER), json={"reason": "Changed our mind"}
    )
    assert cancelled.status_code == 200, cancelled.text
    clock.set(clock.now() + STANDSTILL)
    api.settle()
    before = api.event_count()
    assert_problem(forfeit(tender, "alpha"), 409, "forfeiture_not_due")
    assert api.event_count() == before

    runner_up = tender.award("beta", "alpha's award was cancelled")
    clock.set(tender.deadline + VALIDITY)  # beta's validity ended, unsigned
    api.settle()
    before = api.event_count()
    assert_problem(tender.sign(runner_up, "1000000.00"), 409, "bid_validity_expired")
    assert_problem(forfeit(tender, "beta"), 409, "forfeiture_not_due")
    assert api.event_count() == before


def test_a_bidder_whose_security_was_forfeited_is_not_awarded(api: Api, clock: FakeClock) -> None:
    """A forfeiture for withdrawal after the deadline takes the bidder out of the
    competition: the award to it is refused, nothing written."""
    tender = tender_of_three(api, clock)
    record(tender, "alpha")
    forfeited = forfeit(tender, "alpha", "withdrawal_after_deadline")
    assert forfeited.status_code == 200, forfeited.text
    tender.finalise()
    before = api.event_count()
    refused = api.post(
        f"/tenders/{tender.id}/award",
        tender.token(OFFICER),
        json={"bid_id": tender.bids["alpha"], "reason": ""},
    )
    assert_problem(refused, 409, "security_forfeited")
    assert api.event_count() == before
    assert tender.award("beta", "alpha withdrew after the deadline")


def test_no_contract_past_the_validity_end_even_without_a_securities_file(
    api: Api, clock: FakeClock
) -> None:
    """No officer ever acted on the tender's securities: the winner's bid still expires at
    the notice's validity end, and its contract is refused after it."""
    tender = tender_of_three(api, clock)
    tender.finalise()
    award_id = tender.award("alpha")
    clock.set(tender.deadline + VALIDITY)
    api.settle()
    before = api.event_count()
    assert_problem(tender.sign(award_id, "900000.00"), 409, "bid_validity_expired")
    assert api.event_count() == before
