"""Red flags through HTTP, for auditors only, on the live data."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario, offer
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock


@pytest.mark.usefixtures("committee")
def test_auditors_see_flags_with_their_evidence(api: Api, clock: FakeClock) -> None:
    start = clock.now()
    lowest_out = Scenario(api, clock)
    lowest_out.bid("alpha", offer("900000.00", security=False))
    lowest_out.bid("beta", offer("1000000.00"))
    lowest_out.open()
    lowest_out.declare(*MEMBERS)
    lowest_out.finalise()
    clock.set(start)
    single = Scenario(api, clock, reference="WSD/RD/2026/002")
    single.bid("gamma", offer("500000.00"))
    opened = single.open()
    assert opened["status"] == "evaluation"

    auditor = api.login("auditor@sindh")
    assert_problem(api.client.get("/audit/red-flags", headers=api.login("alpha")), 403, "forbidden")
    assert_problem(api.client.get("/audit/red-flags"), 401, "unauthenticated")
    answer = api.client.get("/audit/red-flags", headers=auditor)
    assert answer.status_code == 200, answer.text
    flags = {(f["tender_id"], f["indicator"]): f for f in answer.json()["flags"]}
    assert set(flags) == {(lowest_out.id, "R036"), (single.id, "R018")}
    r036 = flags[lowest_out.id, "R036"]
    assert r036["evidence"]["bid_id"] == lowest_out.bids["alpha"]
    assert r036["evidence"]["reasons"] == ["bid security missing or below the required amount"]
    assert r036["name"] == "Lowest bid disqualified"
    only = api.client.get(
        f"/audit/red-flags?tender_id={single.id}&indicator=R018", headers=auditor
    ).json()["flags"]
    assert [f["indicator"] for f in only] == ["R018"]
