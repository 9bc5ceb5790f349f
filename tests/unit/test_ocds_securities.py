"""A tender's securities in its OCDS state, from the pure functions alone (no database):
the bank as one party however often it guarantees, a bid security's entry growing a
sentence per event, and an award's fall cancelling only its own pending contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from domain.securities import Instrument
from domain.values import Money
from projections.ocds import securities

RECORDED = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
ALPHA = uuid4()


def _state() -> dict[str, Any]:
    return {
        "parties": [{"id": str(ALPHA), "name": "alpha (Pvt) Ltd", "roles": ["tenderer"]}],
        "tender": {"documents": []},
        "awards": [
            {"id": "award-1", "suppliers": [{"id": str(ALPHA), "name": "alpha (Pvt) Ltd"}]},
            {"id": "award-2", "suppliers": [{"id": str(ALPHA), "name": "alpha (Pvt) Ltd"}]},
        ],
    }


def _instrument(amount: str, bank: str = "Sindh Bank") -> Instrument:
    return Instrument(
        bank=bank,
        reference="BG-1",
        amount=Money(amount=Decimal(amount)),
        confirmed_at=RECORDED,
    )


def test_a_bid_security_entry_says_each_event_in_turn() -> None:
    state = _state()
    securities.bid_security_recorded(state, ALPHA, _instrument("200000.00"), RECORDED)
    later = RECORDED + timedelta(days=30)
    securities.bid_security_recorded(state, ALPHA, _instrument("210000.00"), later)
    assert securities.bid_security_changed(state, ALPHA, "Released on 2027-02-10.", later)
    assert not securities.bid_security_changed(state, uuid4(), "Released.", later)
    [entry] = state["tender"]["documents"]
    assert entry["id"] == f"bid-security-{ALPHA}"
    assert entry["title"] == "Bid security of alpha (Pvt) Ltd"
    assert entry["description"] == (
        "Held: 200,000.00 PKR, confirmed by the bank. "
        "Extended: 210,000.00 PKR, confirmed by the bank. Released on 2027-02-10."
    )
    assert entry["datePublished"] == "2027-01-04T09:00:00Z"
    assert entry["dateModified"] == "2027-02-03T09:00:00Z"
    assert "BG-1" not in str(state)


def test_one_bank_is_one_party_and_a_fallen_award_cancels_only_its_pending_contract() -> None:
    state = _state()
    first, second = state["awards"]
    assert securities.performance_security(state, first, _instrument("90000"))
    assert securities.performance_security(state, second, _instrument("90000", " sindh bank"))
    assert not securities.performance_security(state, second, _instrument("95000"))
    banks = [p for p in state["parties"] if p["roles"] == ["guarantor"]]
    assert len(banks) == 1
    assert banks[0]["id"].startswith("bank-")
    one, two = state["contracts"]
    assert one["guarantees"][0]["guarantor"] == {"id": banks[0]["id"], "name": "Sindh Bank"}
    assert two["guarantees"][0]["value"] == {"amount": 95000, "currency": "PKR"}

    one["status"] = "active"  # signed: an award no longer falls before its contract
    securities.cancel_pending_contract(state, "award-1")
    securities.cancel_pending_contract(state, "award-2")
    assert [c["status"] for c in state["contracts"]] == ["active", "cancelled"]
