"""Debarment through HTTP with real tokens: a case opened, heard and decided; a debarred
vendor's bid and award refused with nothing written; the debarment lapsing on its date."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.account import account_id_for
from tests.api.conftest import HEAD, REGULATOR, Api
from tests.api.scenarios import MEMBERS, Scenario, at, offer
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")


def open_case(api: Api, vendor: str, who: str = REGULATOR) -> Any:
    path = "/regulator/debarments" if who == REGULATOR else "/debarments/referrals"
    return api.post(
        path,
        api.login(who),
        json={
            "vendor_id": str(account_id_for(vendor)),
            "grounds": "Forged bank guarantee in tender WSD/RD/2026/001.",
        },
    )


def decide(api: Api, vendor: str, case_id: str, **decision: Any) -> Any:
    return api.post(
        f"/regulator/debarments/{account_id_for(vendor)}/cases/{case_id}/decision",
        api.login(REGULATOR),
        json={"reasons": "The bank confirmed the guarantee was not its own.", **decision},
    )


def debar(api: Api, clock: FakeClock, vendor: str, days: int) -> None:
    opened = open_case(api, vendor)
    assert opened.status_code == 201, opened.text
    answered = api.post(
        f"/debarment/mine/cases/{opened.json()['id']}/answer",
        api.login(vendor),
        json={"answer": "The guarantee was supplied by our agent."},
    )
    assert answered.status_code == 200, answered.text
    until = at(clock.now() + timedelta(days=days))
    decided = decide(api, vendor, opened.json()["id"], outcome="debarred", debarred_until=until)
    assert decided.status_code == 200, decided.text


def test_a_case_is_heard_before_it_is_decided(api: Api, clock: FakeClock) -> None:
    api.register_vendor("alpha")
    api.register_vendor("beta")
    opened = open_case(api, "alpha")
    assert opened.status_code == 201, opened.text
    case = opened.json()["id"]

    before = api.event_count()
    early = decide(api, "alpha", case, outcome="debarred", debarred_until=at(clock.now()))
    assert_problem(early, 409, "hearing_open")
    too_long = at(clock.now() + timedelta(days=4 * 365))
    assert_problem(
        decide(api, "alpha", case, outcome="debarred", debarred_until=too_long), 409, "hearing_open"
    )
    assert_problem(
        api.post(
            f"/debarment/mine/cases/{case}/answer", api.login("beta"), json={"answer": "Not me"}
        ),
        404,
        "debarment_case_not_found",
    )
    assert api.event_count() == before

    record = api.client.get("/debarment/mine", headers=api.login("alpha")).json()
    assert record["cases"][0]["status"] == "hearing"
    assert record["cases"][0]["grounds"].startswith("Forged")

    clock.set(clock.now() + timedelta(days=15))  # the hearing closed unanswered
    late = api.post(
        f"/debarment/mine/cases/{case}/answer", api.login("alpha"), json={"answer": "Late"}
    )
    assert_problem(late, 409, "hearing_closed")
    assert_problem(
        decide(api, "alpha", case, outcome="debarred", debarred_until=too_long),
        422,
        "invalid_terms",  # longer than the rules' longest debarment
    )
    dismissed = decide(api, "alpha", case, outcome="dismissed")
    assert dismissed.status_code == 200, dismissed.text
    assert_problem(decide(api, "alpha", case, outcome="dismissed"), 409, "debarment_case_decided")


def test_only_the_head_refers_and_only_the_regulator_decides(api: Api) -> None:
    api.register_vendor("alpha")
    assert_problem(open_case(api, "alpha", "officer@works"), 403, "not_entity_head")
    referred = open_case(api, "alpha", HEAD)
    assert referred.status_code == 201, referred.text
    record = api.client.get(
        f"/regulator/debarments/{account_id_for('alpha')}", headers=api.login(REGULATOR)
    ).json()
    assert record["cases"][0]["referred_by_entity"] == "works-and-services-department"
    officers = api.client.get(
        f"/debarments/{account_id_for('alpha')}", headers=api.login("officer@works")
    ).json()
    assert officers["cases"] == []  # in hearing: the regulator's and the vendor's
    by_head = api.post(
        f"/regulator/debarments/{account_id_for('alpha')}/cases/{referred.json()['id']}/decision",
        api.login(HEAD),
        json={"outcome": "dismissed", "reasons": "x"},
    )
    assert_problem(by_head, 403, "forbidden")
    assert_problem(open_case(api, "officer@works"), 404, "account_not_found")  # not a vendor


def test_a_debarred_vendor_cannot_bid_until_its_debarment_lapses(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    api.register_vendor("alpha")
    debar(api, clock, "alpha", days=10)
    record = api.client.get("/debarment/mine", headers=api.login("alpha")).json()
    assert record["debarred_now"] is True

    before = api.event_count()
    refused = api.post(
        f"/tenders/{tender.id}/bids", api.login("alpha"), json={"contents": offer("900000.00")}
    )
    assert_problem(refused, 403, "vendor_debarred")
    assert api.event_count() == before

    clock.set(clock.now() + timedelta(days=10))  # the debarment ends by itself
    tender.bid("alpha", offer("900000.00"))


def test_a_vendor_debarred_after_bidding_is_not_awarded(api: Api, clock: FakeClock) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    debar(api, clock, "alpha", days=365)
    before = api.event_count()
    refused = api.post(
        f"/tenders/{tender.id}/award",
        tender.token("officer@works"),
        json={"bid_id": tender.bids["alpha"], "reason": ""},
    )
    assert_problem(refused, 403, "vendor_debarred")
    assert api.event_count() == before
    assert tender.award("beta", reason="The first-ranked bidder is debarred.")
