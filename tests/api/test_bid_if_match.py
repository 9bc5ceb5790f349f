"""``If-Match`` on a bid's replacement and withdrawal, parsed as a tender's is: absent, no
check; malformed, 400 ``invalid_if_match``; a version the bid is no longer at, 412
``version_mismatch``; and in every refusal nothing is written."""

from __future__ import annotations

import pytest
from httpx import Response

from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.api.test_bids import contents, published
from tests.support import FakeClock


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_if_match_on_a_bid_is_checked(api: Api, clock: FakeClock, method: str) -> None:
    tender_id, _ = published(api, clock)
    vendor = api.register_vendor("alpha")
    path = f"/tenders/{tender_id}/bids/mine"
    submitted = api.post(f"/tenders/{tender_id}/bids", vendor, json=contents("1000.00"))
    assert submitted.status_code == 201, submitted.text
    replaced = api.client.put(path, headers=vendor, json=contents("900.00"))  # no If-Match
    assert replaced.json()["version"] == 2

    def write(if_match: str) -> Response:
        headers = {**vendor, "If-Match": if_match}
        if method == "PUT":
            return api.client.put(path, headers=headers, json=contents("800.00"))
        return api.client.delete(path, headers=headers)

    before = api.event_count()
    for malformed in ('"abc"', "abc", '"2", "3"', '"-1"', ""):
        assert_problem(write(malformed), 400, "invalid_if_match")
    for stale in ('"1"', "1", 'W/"1"', '"3"'):
        assert_problem(write(stale), 412, "version_mismatch")
    assert api.event_count() == before
    mine = api.client.get(path, headers=vendor).json()
    assert (mine["version"], mine["status"]) == (2, "submitted")

    current = write('"2"')
    assert current.status_code == 200, current.text
    assert current.json()["version"] == 3
    assert current.json()["receipt"]["kind"] == ("replaced" if method == "PUT" else "withdrawn")
