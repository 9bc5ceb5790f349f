"""A framework's ceiling and its mini-competitions hold against an officer who edits a draft
to escape them (the review of issue 20: docs/frameworks.md), through HTTP with real tokens;
every refusal writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario, at, offer
from tests.api.test_frameworks import awarded_framework, framework_terms, refused
from tests.api.test_securities import (
    OFFICER,
    STANDSTILL,
    confirmed,
    officer_file,
    tender_of_three,
    vendor,
)
from tests.support import FakeClock, tender_json


def test_a_framework_ceiling_above_its_estimate_is_refused(api: Api, clock: FakeClock) -> None:
    """An RFQ framework estimated under the RFQ limit may not carry a ceiling of 1e9: the
    method's value limit bounds the estimate, and the ceiling stays within it."""
    officer = api.login("officer@works")
    terms = framework_terms(clock)
    terms["ceiling"]["amount"] = "1000000000.00"
    rfq = tender_json(
        clock.now(),
        method="request_for_quotations",
        estimated_value={"amount": "400000.00", "currency": "PKR"},
        bid_security=None,
        framework=terms,
    )
    before = api.event_count()
    answer = api.post("/tenders", officer, json=rfq)
    refused(api, answer, 422, "validation_failed", before)
    assert "framework.ceiling" in answer.json()["detail"]

    terms["ceiling"]["amount"] = "400000.00"  # at most the estimate: drafted
    drafted = api.post("/tenders", officer, json={**rfq, "framework": terms})
    assert drafted.status_code == 201, drafted.text
    before = api.event_count()
    terms["ceiling"]["amount"] = "400000.01"
    raised = api.client.patch(
        f"/tenders/{drafted.json()['id']}", headers=officer, json={"framework": terms}
    )
    refused(api, raised, 422, "validation_failed", before)


@pytest.mark.usefixtures("committee")
def test_a_mini_competition_draft_cannot_escape_its_framework(api: Api, clock: FakeClock) -> None:
    framework, awards = awarded_framework(api, clock)
    clock.set(clock.now() + timedelta(days=8))  # past both standstills
    for name, amount in (("beta", "400000.00"), ("alpha", "500000.00")):
        assert framework.sign(awards[name], amount).status_code == 201
    officer = api.login("officer@works")
    path = f"/tenders/{framework.id}/mini-competitions"

    # Not by direct contracting (nor, after the merge, a two-stage method), not in dollars.
    before = api.event_count()
    direct = tender_json(clock.now(), method="direct_contracting", bid_security=None)
    refused(api, api.post(path, officer, json=direct), 422, "validation_failed", before)
    dollars = tender_json(
        clock.now(),
        estimated_value={"amount": "100000.00", "currency": "USD"},
        bid_security={"amount": {"amount": "2000.00", "currency": "USD"}},
    )
    refused(api, api.post(path, officer, json=dollars), 422, "invalid_terms", before)

    drafted = api.post(path, officer, json=tender_json(clock.now()))
    assert drafted.status_code == 201, drafted.text
    mini = f"/tenders/{drafted.json()['id']}"

    # A framework of its own, or another method, is refused on the draft.
    before = api.event_count()
    for changes, field in (
        ({"framework": framework_terms(clock)}, "framework"),
        ({"method": "request_for_quotations"}, "method"),
    ):
        edited = api.client.patch(mini, headers=officer, json=changes)
        refused(api, edited, 422, "follow_on_terms_fixed", before)
        assert edited.json()["errors"][0]["loc"] == [field]

    # Checked again at publishing: the currency changed since the draft ...
    usd = {
        "estimated_value": {"amount": "100000.00", "currency": "USD"},
        "bid_security": {"amount": {"amount": "2000.00", "currency": "USD"}},
    }
    assert api.client.patch(mini, headers=officer, json=usd).status_code == 200
    before = api.event_count()
    refused(api, api.post(f"{mini}/publish", officer), 422, "invalid_terms", before)
    pkr = {
        "estimated_value": {"amount": "100000.00", "currency": "PKR"},
        "bid_security": {"amount": {"amount": "2000.00", "currency": "PKR"}},
    }
    assert api.client.patch(mini, headers=officer, json=pkr).status_code == 200

    # ... and the framework's period, ended since the draft: it could never be awarded.
    clock.set(clock.now() + timedelta(days=366))
    api.settle()
    officer = api.login("officer@works")
    before = api.event_count()
    published = api.post(f"{mini}/publish", officer)
    refused(api, published, 422, "outside_framework_period", before)


@pytest.mark.usefixtures("committee")
def test_a_framework_public_status_follows_its_live_awards(api: Api, clock: FakeClock) -> None:
    """One supplier's contract stands: a second award, or its cancellation, does not turn
    the framework back to awarded or evaluated."""
    framework = Scenario(api, clock, framework=framework_terms(clock))
    framework.bid("alpha", offer("500000.00"))
    framework.bid("beta", offer("400000.00"))
    framework.open()
    framework.declare(*MEMBERS)
    framework.finalise()
    beta = framework.award("beta")
    clock.set(clock.now() + timedelta(days=8))  # past the standstill
    signed = framework.sign(beta, "400000.00")
    assert signed.status_code == 201, signed.text
    assert framework.page(signed.json()["read_token"])["status"] == "contracted"

    officer = api.login("officer@works")
    second = api.post(
        f"/tenders/{framework.id}/award", officer, json={"bid_id": framework.bids["alpha"]}
    )
    assert second.status_code == 201, second.text
    assert framework.page(second.json()["read_token"])["status"] == "contracted"
    cancelled = api.post(
        f"/awards/{second.json()['id']}/cancel", officer, json={"reason": "Did not sign."}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert framework.page(cancelled.json()["read_token"])["status"] == "contracted"


@pytest.mark.usefixtures("committee")
def test_a_framework_bidder_loses_only_once_every_supplier_has_signed(
    api: Api, clock: FakeClock, committee: None
) -> None:
    """alpha signs first of two suppliers: beta and gamma may still be awarded the second
    place, so their bid securities stay; once beta signs too, gamma's goes back."""
    tender = tender_of_three(api, clock, framework=framework_terms(clock))
    path = f"/tenders/{tender.id}/securities/bid-securities"
    officer = tender.token(OFFICER)
    for name in ("alpha", "beta", "gamma"):
        body = {"vendor_id": vendor(name), "instrument": confirmed(clock)}
        assert api.post(path, officer, json=body).status_code == 201
    tender.finalise()
    alpha = tender.award("alpha")
    clock.set(clock.now() + STANDSTILL)
    assert tender.sign(alpha, "900000.00").status_code == 201

    officer = tender.token(OFFICER)
    before = api.event_count()
    for name in ("beta", "gamma"):
        early = api.post(f"{path}/release", officer, json={"vendor_id": vendor(name)})
        refused(api, early, 409, "security_not_releasable", before)
    file = {b["vendor_id"]: b["release_due"] for b in officer_file(api, tender).json()["bidders"]}
    # Not due a week after alpha's signing: gamma has not lost yet (its validity holds it).
    assert file[vendor("gamma")] > at(clock.now() + STANDSTILL + timedelta(days=1))

    beta = tender.award("beta")
    clock.set(clock.now() + STANDSTILL)
    assert tender.sign(beta, "1000000.00").status_code == 201
    officer = tender.token(OFFICER)
    released = api.post(f"{path}/release", officer, json={"vendor_id": vendor("gamma")})
    assert released.status_code == 200, released.text


def test_a_framework_place_no_bid_qualifies_for_does_not_hold_the_securities(
    api: Api, clock: FakeClock, committee: None
) -> None:
    """A framework for three suppliers that two bids qualify for is filled by two: once
    both sign, the disqualified bidder's security goes back (it waited for a third place
    nobody could take, until its validity ended)."""
    tender = tender_of_three(api, clock, framework=framework_terms(clock, max_suppliers=3))
    path = f"/tenders/{tender.id}/securities/bid-securities"
    body = {"vendor_id": vendor("gamma"), "instrument": confirmed(clock)}
    assert api.post(path, tender.token(OFFICER), json=body).status_code == 201
    failed = tender.act(
        MEMBERS[0],
        {"action": "disqualify", "bid_id": tender.bids["gamma"], "reason": "No site plant"},
    )
    assert failed.status_code == 200, failed.text
    tender.finalise()
    alpha = tender.award("alpha")
    beta = tender.award("beta")
    clock.set(clock.now() + STANDSTILL)
    assert tender.sign(alpha, "900000.00").status_code == 201
    assert tender.sign(beta, "1000000.00").status_code == 201
    released = api.post(
        f"{path}/release", tender.token(OFFICER), json={"vendor_id": vendor("gamma")}
    )
    assert released.status_code == 200, released.text
