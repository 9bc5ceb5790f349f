"""A tender's securities in its OCDS releases, through HTTP with real tokens
(docs/open-data.md, docs/securities.md): the bid securities as ``contractGuarantees``
entries of the tender's documents with their release and forfeiture, the winner's
performance security as a guarantee of its contract (pending until signed, cancelled with
its award), every package valid against the official schemas."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from procurement.settings import Settings
from projections.ocds.release_builder import EXTENSIONS
from tests.api.conftest import Api
from tests.api.scenarios import Scenario
from tests.api.test_ocds import _releases_of, assert_valid
from tests.api.test_securities import (
    OFFICER,
    STANDSTILL,
    confirmed,
    tender_of_three,
    vendor,
)
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")

GUARANTEES = (
    "https://raw.githubusercontent.com/contratacionesabiertas/"
    "ocds_guarantees_extension/master/extension.json"
)


def _record(api: Api, ocid: str) -> dict[str, Any]:
    answer = api.client.get(f"/ocds/records/{ocid}")
    assert answer.status_code == 200, answer.text
    package: dict[str, Any] = answer.json()
    assert_valid(package, "record-package-schema.json")
    assert GUARANTEES in package["extensions"]
    return package


def _bid_securities(release: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        d["id"]: d for d in release["tender"]["documents"] if d["id"].startswith("bid-security-")
    }


def _securities_story(api: Api, clock: FakeClock) -> tuple[Scenario, str]:
    """Three bid securities recorded; alpha awarded, its performance security recorded and
    its contract signed; beta's security released, gamma's forfeited."""
    tender = tender_of_three(api, clock, performance_security_percent="10")
    officer = tender.token(OFFICER)
    path = f"/tenders/{tender.id}/securities/bid-securities"
    for name in ("alpha", "beta", "gamma"):
        body = {"vendor_id": vendor(name), "instrument": confirmed(clock)}
        recorded = api.post(path, officer, json=body)
        assert recorded.status_code == 201, recorded.text
    tender.finalise()
    award_id = tender.award("alpha")
    recorded = api.post(
        f"/awards/{award_id}/performance-security",
        tender.token(OFFICER),
        json={"instrument": confirmed(clock, "90000.00")},
    )
    assert recorded.status_code == 201, recorded.text
    clock.set(clock.now() + STANDSTILL)
    api.settle()
    signed = tender.sign(award_id, "900000.00")
    assert signed.status_code == 201, signed.text
    officer = tender.token(OFFICER)  # a new token: the clock moved
    released = api.post(f"{path}/release", officer, json={"vendor_id": vendor("beta")})
    assert released.status_code == 200, released.text
    forfeited = api.post(
        f"{path}/forfeit",
        officer,
        json={
            "vendor_id": vendor("gamma"),
            "reason": "withdrawal_after_deadline",
            "text": "gamma withdrew its bid by letter after the deadline.",
        },
    )
    assert forfeited.status_code == 200, forfeited.text
    return tender, award_id


def test_bid_and_performance_securities_are_in_the_releases_and_pass_the_schemas(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    tender, award_id = _securities_story(api, clock)
    ocid = f"{settings.ocid_prefix}-{tender.id}"
    releases = _releases_of(api, ocid)  # every package valid, every code in its codelist
    assert "BG-2026-0042" not in json.dumps(releases)  # the instrument's reference: never
    assert EXTENSIONS[-1] == GUARANTEES

    # One release per event: three bid securities recorded, one released, one forfeited.
    changes = [
        later
        for earlier, later in itertools.pairwise(releases)
        if _bid_securities(later) != _bid_securities(earlier)
    ]
    assert [r["tag"] for r in changes] == [["tenderUpdate"]] * 5
    assert [len(_bid_securities(r)) for r in changes] == [1, 2, 3, 3, 3]
    alpha, beta, gamma = (f"bid-security-{vendor(name)}" for name in ("alpha", "beta", "gamma"))
    first = _bid_securities(changes[0])[alpha]
    assert first["documentType"] == "contractGuarantees"
    assert first["title"] == "Bid security of alpha (Pvt) Ltd"
    assert first["description"] == "Held: 200,000.00 PKR, confirmed by the bank."

    # The performance security: the award's contract appears pending with it, then signed.
    pending = next(r for r in releases if r["tag"] == ["contract"])
    [contract] = pending["contracts"]
    assert contract["status"] == "pending"
    assert contract["awardID"] == award_id
    [guarantee] = contract["guarantees"]
    bank = {"id": guarantee["guarantor"]["id"], "name": "Sindh Bank"}
    assert guarantee == {
        "id": "performance-security",
        "obligations": "fulfillment",
        "value": {"amount": 90000, "currency": "PKR"},
        "guarantor": bank,
    }
    assert bank | {"roles": ["guarantor"]} in pending["parties"]
    update = next(r for r in releases if r["tag"] == ["contractUpdate"])
    [contract] = update["contracts"]
    assert contract["status"] == "active"
    assert contract["guarantees"] == [guarantee]
    assert "contract" not in [t for r in releases[releases.index(update) :] for t in r["tag"]]

    compiled = _record(api, ocid)["records"][0]["compiledRelease"]
    [contract] = compiled["contracts"]
    assert contract["status"] == "active"
    assert contract["guarantees"] == [guarantee]
    documents = _bid_securities(compiled)
    assert documents[alpha]["description"] == "Held: 200,000.00 PKR, confirmed by the bank."
    assert documents[beta]["description"].startswith("Held: 200,000.00 PKR")
    assert " Released on " in documents[beta]["description"]
    assert "dateModified" in documents[beta]
    assert documents[gamma]["description"].endswith(
        "(withdrawal_after_deadline): gamma withdrew its bid by letter after the deadline."
    )
    assert " Forfeited on " in documents[gamma]["description"]


def test_a_performance_security_contract_falls_with_its_award(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    """Recorded during the standstill, the award then cancelled: its pending contract is
    cancelled, and the next award's contract is a contract of its own."""
    tender = tender_of_three(api, clock, performance_security_percent="10")
    tender.finalise()
    award_id = tender.award("alpha")
    recorded = api.post(
        f"/awards/{award_id}/performance-security",
        tender.token(OFFICER),
        json={"instrument": confirmed(clock, "90000.00")},
    )
    assert recorded.status_code == 201, recorded.text
    fallen = api.post(
        f"/awards/{award_id}/cancel", tender.token(OFFICER), json={"reason": "Budget cut"}
    )
    assert fallen.status_code == 200, fallen.text

    ocid = f"{settings.ocid_prefix}-{tender.id}"
    releases = _releases_of(api, ocid)
    cancellation = next(r for r in releases if r["tag"] == ["awardCancellation"])
    [contract] = cancellation["contracts"]
    assert contract["status"] == "cancelled"
    assert contract["awardID"] == award_id
    compiled = _record(api, ocid)["records"][0]["compiledRelease"]
    assert [c["status"] for c in compiled["contracts"]] == ["cancelled"]
    assert [a["status"] for a in compiled["awards"]] == ["cancelled"]
