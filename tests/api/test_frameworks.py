"""A framework agreement through HTTP, with real tokens (docs/frameworks.md): awarded to two
suppliers in rank order, each contract its framework agreement; then two call-offs, a direct
order and a mini-competition among the suppliers, each its own OCDS process linked to the
framework, every release and record passing the official schemas."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.account import account_id_for
from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario, at, offer
from tests.api.test_bad_input import assert_problem
from tests.api.test_ocds import assert_codelists, assert_valid, follow, wait_for_ocds
from tests.api.test_response_schemas import _validator
from tests.support import FakeClock, tender_json

CEILING = "1500000.00"
REASON = "Urgent: the bypass culvert collapsed; beta has a crew on the next site."


def framework_terms(clock: FakeClock, max_suppliers: int = 2) -> dict[str, Any]:
    start = clock.now()
    return {
        "max_suppliers": max_suppliers,
        "period": {"start": at(start), "end": at(start + timedelta(days=365))},
        "ceiling": {"amount": CEILING, "currency": "PKR"},
    }


class MiniCompetition(Scenario):
    """A call-off by mini-competition: drafted from the framework, then as any tender."""

    def __init__(self, api: Api, clock: FakeClock, framework_id: str) -> None:
        self.api = api
        self.clock = clock
        self.deadline = clock.now() + timedelta(days=20)
        officer = self.token("officer@works")
        answer = api.post(
            f"/tenders/{framework_id}/mini-competitions",
            officer,
            json=tender_json(clock.now(), title="Call-off: culverts for the Kotri road"),
        )
        assert answer.status_code == 201, answer.text
        self.id = answer.json()["id"]
        published = api.post(f"/tenders/{self.id}/publish", officer)
        assert published.status_code == 200, published.text
        self.bids: dict[str, str] = {}


def order(api: Api, framework_id: str, vendor: str, amount: str) -> Any:
    return api.post(
        f"/tenders/{framework_id}/direct-orders",
        api.login("officer@works"),
        json={
            "vendor_id": str(account_id_for(vendor)),
            "title": "Excavation at the Kotri bypass",
            "value": {"amount": amount, "currency": "PKR"},
            "reason": REASON,
        },
    )


def refused(api: Api, answer: Any, status: int, code: str, before: int) -> None:
    assert_problem(answer, status, code)
    assert api.event_count() == before  # nothing written


def awarded_framework(api: Api, clock: FakeClock) -> tuple[Scenario, dict[str, str]]:
    """beta (rank 1) and alpha (rank 2) are awarded; gamma (rank 3) is not: at most two."""
    framework = Scenario(api, clock, framework=framework_terms(clock))
    framework.bid("alpha", offer("500000.00"))
    framework.bid("beta", offer("400000.00"))
    framework.bid("gamma", offer("600000.00"))
    framework.open()
    framework.declare(*MEMBERS)
    framework.finalise()
    awards = {"beta": framework.award("beta"), "alpha": framework.award("alpha")}
    before = api.event_count()
    third = api.post(
        f"/tenders/{framework.id}/award",
        framework.token("officer@works"),
        json={"bid_id": framework.bids["gamma"], "reason": "A third supplier."},
    )
    refused(api, third, 409, "lot_awarded", before)
    return framework, awards


@pytest.mark.usefixtures("committee")
def test_a_framework_with_two_suppliers_and_two_call_offs_each_in_ocds_and_linked(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    framework, awards = awarded_framework(api, clock)
    before = api.event_count()
    refused(
        api, order(api, framework.id, "beta", "100000.00"), 409, "framework_not_awarded", before
    )

    clock.set(clock.now() + timedelta(days=8))  # past both standstills
    for vendor, amount in (("beta", "400000.00"), ("alpha", "500000.00")):
        signed = framework.sign(awards[vendor], amount)  # the supplier's framework agreement
        assert signed.status_code == 201, signed.text

    # (a) A direct order to beta, within the period and the ceiling.
    before = api.event_count()
    refused(
        api, order(api, framework.id, "gamma", "100000.00"), 422, "not_a_framework_supplier", before
    )
    refused(
        api, order(api, framework.id, "beta", "1500000.01"), 422, "over_framework_ceiling", before
    )
    unexplained = api.post(
        f"/tenders/{framework.id}/direct-orders",
        api.login("officer@works"),
        json={
            "vendor_id": str(account_id_for("beta")),
            "title": "Excavation at the Kotri bypass",
            "value": {"amount": "1.00", "currency": "PKR"},
        },
    )
    refused(api, unexplained, 422, "validation_failed", before)  # no reason: refused
    assert unexplained.json()["errors"][0]["loc"] == ["reason"]
    placed = order(api, framework.id, "beta", "300000.00")
    assert placed.status_code == 201, placed.text
    direct_id = placed.json()["id"]

    # (b) A mini-competition among the suppliers: gamma may not bid; alpha wins it.
    mini = MiniCompetition(api, clock, framework.id)
    before = api.event_count()
    outsider = api.post(
        f"/tenders/{mini.id}/bids", api.login("gamma"), json={"contents": offer("1.00")}
    )
    refused(api, outsider, 403, "vendor_not_invited", before)
    mini.bid("alpha", offer("250000.00"))
    mini.bid("beta", offer("260000.00"))
    mini.open()
    mini.declare(*MEMBERS)
    mini.finalise()
    awarded = api.post(
        f"/tenders/{mini.id}/award",
        api.login("officer@works"),
        json={"bid_id": mini.bids["alpha"]},
    )
    assert awarded.status_code == 201, awarded.text
    mini_award, token = awarded.json()["id"], awarded.json()["read_token"]

    seen = api.client.get(f"/tenders/{framework.id}/framework", headers=api.login("officer@works"))
    assert seen.status_code == 200, seen.text
    state = seen.json()
    document = api.client.get("/schema/openapi.json").json()
    path = "/tenders/{framework_id}/framework"
    assert not list(_validator(document, path).iter_errors(state))  # as its schema says
    assert [s["name"] for s in state["suppliers"]] == ["alpha (Pvt) Ltd", "beta (Pvt) Ltd"]
    assert {(c["kind"], c["id"], c["value"]["amount"]) for c in state["call_offs"]} == {
        ("direct_order", direct_id, "300000.00"),
        ("mini_competition", mini.id, "250000.00"),
    }
    assert state["used"] == {"amount": "550000.00", "currency": "PKR"}

    assert_public(api, framework.id, mini, token)

    # The ceiling counts both: 950,000.01 more is over it.
    before = api.event_count()
    refused(
        api, order(api, framework.id, "alpha", "950000.01"), 422, "over_framework_ceiling", before
    )
    # And the period ends: no call-off after it.
    clock.set(clock.now() + timedelta(days=366))
    refused(api, order(api, framework.id, "alpha", "1.00"), 422, "outside_framework_period", before)

    assert_open_data(api, settings, framework.id, direct_id, (mini.id, mini_award))


def assert_public(api: Api, framework_id: str, mini: Scenario, token: str) -> None:
    """The public reads the framework's terms and call-offs with their values, as JSON and
    on its portal page in English and Urdu."""
    assert mini.page(token)["framework"] is None  # a mini-competition is no framework
    notice = api.client.get(f"/public/tenders/{framework_id}?read_token={token}")
    listed = notice.json()["framework"]
    assert listed["max_suppliers"] == 2
    assert listed["ceiling"] == {"amount": CEILING, "currency": "PKR"}
    assert [(c["kind"], c["supplier_name"], c["value"]["amount"]) for c in listed["call_offs"]] == [
        ("direct_order", "beta (Pvt) Ltd", "300000.00"),
        ("mini_competition", "alpha (Pvt) Ltd", "250000.00"),
    ]
    assert listed["call_offs"][1]["tender_id"] == mini.id
    assert listed["call_offs"][0]["reason"] == REASON  # a direct order's reason, published
    for language, heading in (("en", "Framework agreement"), ("ur", "فریم ورک معاہدہ")):
        page = api.client.get(f"/portal/tenders/{framework_id}?lang={language}")
        assert page.status_code == 200, page.text
        assert heading in page.text
        assert "PKR 300,000.00" in page.text
        assert REASON in page.text  # the direct order's reason, published
        assert "PKR 250,000.00" in page.text
        assert f"/portal/tenders/{mini.id}" in page.text


def assert_open_data(
    api: Api, settings: Settings, framework_id: str, direct_id: str, mini: tuple[str, str]
) -> None:
    """The framework says it is one, with its two suppliers' awards and contracts; each
    call-off is a process of its own whose relatedProcesses name the framework's ocid."""
    wait_for_ocds(api)
    direct_ocid = f"{settings.ocid_prefix}-{direct_id}"
    for release in follow(api):
        if release["ocid"] != direct_ocid:  # a direct order has no bids: no submissionMethod
            assert_codelists(release)

    def compiled(tender_id: str) -> dict[str, Any]:
        answer = api.client.get(f"/ocds/records/{settings.ocid_prefix}-{tender_id}")
        assert answer.status_code == 200, answer.text
        package = answer.json()
        assert_valid(package, "record-package-schema.json")
        release: dict[str, Any] = package["records"][0]["compiledRelease"]
        return release

    parent = compiled(framework_id)
    assert (
        "Framework agreement with up to 2 suppliers" in parent["tender"]["procurementMethodDetails"]
    )
    assert parent["tender"]["contractPeriod"]["endDate"]
    assert len(parent["awards"]) == 2
    assert {c["value"]["amount"] for c in parent["contracts"]} == {400000, 500000}
    link = {
        "id": "1",
        "relationship": ["framework"],
        "scheme": "ocid",
        "identifier": f"{settings.ocid_prefix}-{framework_id}",
    }

    direct = compiled(direct_id)
    assert [{k: v for k, v in r.items() if k != "title"} for r in direct["relatedProcesses"]] == [
        link
    ]
    assert direct["awards"][0]["suppliers"][0]["name"] == "beta (Pvt) Ltd"
    assert direct["tender"]["procurementMethodRationale"].startswith(REASON)
    # It says what was checked (supplier, period, ceiling) and what was not (the prices).
    assert "not checked against the prices" in direct["tender"]["awardCriteriaDetails"]
    assert direct["contracts"][0]["value"] == {"amount": 300000, "currency": "PKR"}

    mini_id, mini_award = mini
    competition = compiled(mini_id)
    linked = competition["relatedProcesses"]
    assert [{k: v for k, v in r.items() if k != "title"} for r in linked] == [link]
    [award] = competition["awards"]
    assert award["id"] == mini_award
    assert award["value"]["amount"] == 250000


@pytest.mark.usefixtures("committee")
def test_call_offs_are_refused_from_a_tender_that_is_not_a_framework(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    before = api.event_count()
    refused(api, order(api, tender.id, "beta", "1.00"), 422, "not_a_framework", before)
    mini = api.post(
        f"/tenders/{tender.id}/mini-competitions",
        api.login("officer@works"),
        json=tender_json(clock.now()),
    )
    refused(api, mini, 422, "not_a_framework", before)


def test_a_framework_longer_than_the_rules_allow_is_not_published(
    api: Api, clock: FakeClock
) -> None:
    terms = framework_terms(clock)
    terms["period"]["end"] = at(clock.now() + timedelta(days=3 * 365 + 1))
    officer = api.login("officer@works")
    drafted = api.post("/tenders", officer, json=tender_json(clock.now(), framework=terms))
    assert drafted.status_code == 201, drafted.text
    before = api.event_count()
    published = api.post(f"/tenders/{drafted.json()['id']}/publish", officer)
    refused(api, published, 422, "framework_period_too_long", before)
    assert published.json()["errors"][0]["loc"] == ["framework", "period", "end"]
