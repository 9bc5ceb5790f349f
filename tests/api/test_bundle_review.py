"""Bundle discounts as a hostile reviewer attacked them (docs/lots.md#bundle-discounts),
through HTTP with real tokens: a lot of the recommended bundle is not cancelled alone; a
broken bundle's other lots go by the per-lot ranking; a price or discount sealed into a
technical envelope is not published at the technical opening; no lot is discounted to
nothing. Each refusal writes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

import pytest

from domain.account import account_id_for
from domain.bid import EnvelopeName
from procurement.crypto import hpke as sealing
from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario
from tests.api.test_bad_input import assert_problem
from tests.api.test_bundle_discounts import BUNDLE, LOTS3, discounted
from tests.api.test_lot_cancellation import REPORT_COMPLAINTS, cancel_lot
from tests.api.test_lots import award, priced
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")


def bundle_of_alpha(api: Api, clock: FakeClock) -> Scenario:
    """alpha's 10% on lots 1 + 2 wins (1,080,000 + 1,710,000 = 2,790,000) over beta's lot 1
    and alpha's lot 2 (2,900,000), though beta is cheaper on lot 1 alone."""
    tender = Scenario(api, clock, lots=LOTS3, award_by_lot=True, bundle_discounts=True)
    tender.bid("alpha", discounted([BUNDLE], lot1="1200000.00", lot2="1900000.00"))
    tender.bid("beta", priced(lot1="1000000.00", lot2="2000000.00", lot3="3000000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    page = tender.finalise()
    [report] = page["evaluation"]["reports"]
    assert [part["lots"] for part in report["combination"]][:1] == [["1", "2"]]
    return tender


def test_a_lot_of_the_recommended_bundle_is_not_cancelled_alone(api: Api, clock: FakeClock) -> None:
    """Cancelling lot 2 would leave lot 1 to alpha at a discount offered for both, with no
    reason, though beta is cheaper on lot 1: refused, before and after lot 1's award."""
    tender = bundle_of_alpha(api, clock)
    clock.set(clock.now() + REPORT_COMPLAINTS)
    before = api.event_count()
    assert_problem(cancel_lot(tender, "2"), 409, "lot_in_bundle")
    assert api.event_count() == before
    lot1 = award(tender, {"bid_id": tender.bids["alpha"], "lot_id": "1"})
    assert lot1.status_code == 201, lot1.text
    before = api.event_count()
    answer = assert_problem(cancel_lot(tender, "2"), 409, "lot_in_bundle")
    assert answer["errors"][0]["loc"] == ["lot_id"]
    assert api.event_count() == before


def test_a_broken_bundle_s_other_lot_goes_by_the_ranking(api: Api, clock: FakeClock) -> None:
    """Lot 2 given to beta with a reason breaks alpha's bundle: lot 1 then goes to its first
    ranked (beta), and to alpha (rank 2, undiscounted) only with a reason of its own."""
    tender = bundle_of_alpha(api, clock)
    lot2 = award(tender, {"bid_id": tender.bids["beta"], "lot_id": "2", "reason": "Plant."})
    assert lot2.status_code == 201, lot2.text
    before = api.event_count()
    unreasoned = award(tender, {"bid_id": tender.bids["alpha"], "lot_id": "1"})
    assert_problem(unreasoned, 422, "reason_required")
    assert api.event_count() == before
    lot1 = award(tender, {"bid_id": tender.bids["beta"], "lot_id": "1"})
    assert lot1.status_code == 201, lot1.text
    awards = {a["id"]: a for a in tender.page(lot1.json()["read_token"])["awards"]}
    assert awards[lot1.json()["id"]]["value"]["amount"] == "1000000.00"


def test_a_technical_envelope_s_prices_and_discounts_are_not_published_early(
    api: Api, clock: FakeClock
) -> None:
    """alpha seals a price and a discount into its technical envelope on its own machine:
    the technical opening records neither (the financial opening shows its own)."""
    tender = Scenario(
        api,
        clock,
        lots=LOTS3,
        award_by_lot=True,
        bundle_discounts=True,
        method="single_stage_two_envelope",
    )
    key = tender.page(tender.published_token)["sealing"][0]["public_key"]
    vendor = api.register_vendor("alpha")
    leaked = [{"lots": ["1", "2"], "percent": "37.77"}]
    plain = {
        EnvelopeName.TECHNICAL: discounted(leaked, lot1="7654321.00", lot2="2100000.00"),
        EnvelopeName.FINANCIAL: discounted([BUNDLE], lot1="1000000.00", lot2="2100000.00"),
    }
    envelopes = []
    for name, contents in plain.items():
        sealed = sealing.seal(
            key, UUID(tender.id), account_id_for("alpha"), name, json.dumps(contents).encode()
        )
        envelopes.append({"name": name.value, "ciphertext": sealed.ciphertext})
    answer = api.post(f"/tenders/{tender.id}/bids", vendor, json={"envelopes": envelopes})
    assert answer.status_code == 201, answer.text
    tender.bids["alpha"] = answer.json()["id"]
    tender.bid("beta", priced(lot1="1100000.00", lot2="2000000.00", lot3="3000000.00"))
    page = tender.open()
    portal = api.client.get(f"/portal/tenders/{tender.id}").text
    [alpha] = [b for b in page["opening"]["bids"] if b["bid_id"] == tender.bids["alpha"]]
    assert alpha["status"] == "opened"
    assert alpha["prices"] == []
    assert alpha["discounts"] == []
    for secret in ("37.77", "7654321", "7,654,321"):
        assert secret not in json.dumps(page)
        assert secret not in portal


def test_no_lot_is_discounted_to_nothing(api: Api, clock: FakeClock) -> None:
    """0.01 less 50% would round to 0.00, an award no contract could match: such a bundle
    is not offered in the combination; the lots go at their prices."""
    tender = Scenario(api, clock, lots=LOTS3, award_by_lot=True, bundle_discounts=True)
    cheap = [{"lots": ["1", "2"], "percent": "50"}]
    tender.bid("alpha", discounted(cheap, lot1="0.01", lot2="0.01"))
    tender.bid("beta", priced(lot1="0.02", lot2="0.02", lot3="3000000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    page = tender.finalise()
    [report] = page["evaluation"]["reports"]
    assert all(part["discount_percent"] is None for part in report["combination"])
    lot1 = award(tender, {"bid_id": tender.bids["alpha"], "lot_id": "1"})
    assert lot1.status_code == 201, lot1.text
    awards = {a["id"]: a for a in tender.page(lot1.json()["read_token"])["awards"]}
    assert awards[lot1.json()["id"]]["value"]["amount"] == "0.01"
    clock.set(clock.now() + timedelta(days=8))
    signed = tender.sign(lot1.json()["id"], "0.01")
    assert signed.status_code == 201, signed.text
