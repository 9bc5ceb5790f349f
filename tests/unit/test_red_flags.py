"""Red flags over public rows: each indicator raised on its evidence, and only then."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from projections.red_flags import Thresholds, flags_for
from tests.support import START

THRESHOLDS = Thresholds(min_submission_days=15, disqualified_share=Decimal("0.5"))
DEADLINE = START + timedelta(days=20)


def bid(price: str | None, status: str = "opened", late: bool = False) -> dict[str, Any]:
    received = DEADLINE + (timedelta(seconds=1) if late else -timedelta(days=1))
    return {
        "bid_id": str(uuid4()),
        "status": status,
        "received_at": received.isoformat(),
        "prices": []
        if price is None
        else [{"lot_id": "1", "price": {"amount": price, "currency": "PKR"}}],
    }


def entry(b: dict[str, Any], *, responsive: bool) -> dict[str, Any]:
    return {
        "bid_id": b["bid_id"],
        "status": "withdrawn" if b["status"] == "withdrawn" else "evaluated",
        "responsive": responsive,
        "reasons": [] if responsive else ["bid security missing or below the required amount"],
    }


def tender(
    bids: list[dict[str, Any]] | None = None,
    entries: list[dict[str, Any]] | None = None,
    days: int = 20,
    method: str = "single_stage_one_envelope",
) -> dict[str, Any]:
    return {
        "tender_id": uuid4(),
        "reference": "R/1",
        "title": "A tender",
        "entity": "wsd",
        "method": method,
        "published_at": DEADLINE - timedelta(days=days),
        "submission_deadline": DEADLINE,
        "opening": None if bids is None else {"envelope": "bid", "bids": bids},
        "evaluation": None if entries is None else {"reports": [{"number": 1, "entries": entries}]},
    }


def indicators(t: dict[str, Any], awards: list[dict[str, Any]] | None = None) -> list[str]:
    return [f.indicator for f in flags_for([t], awards or [], THRESHOLDS)]


def test_a_short_submission_period_is_flagged_but_not_for_direct_contracting() -> None:
    assert indicators(tender(days=8)) == ["R003"]
    assert indicators(tender(days=15)) == []
    assert indicators(tender(days=2, method="direct_contracting")) == []
    [flag] = flags_for([tender(days=8)], [], THRESHOLDS)
    assert flag.evidence["days"] == "8.00"
    assert flag.name == "Short submission period"


def test_a_single_bid_is_flagged_withdrawn_ones_do_not_count() -> None:
    assert indicators(tender([bid("10"), bid("12", status="withdrawn")])) == ["R018"]
    assert indicators(tender([bid("10"), bid("12")])) == []


def test_identical_bid_prices_are_flagged_with_the_bids() -> None:
    same = [bid("1000.00"), bid("1000"), bid("1200")]
    [flag] = flags_for([tender(same)], [], THRESHOLDS)
    assert flag.indicator == "R028"
    assert flag.evidence["bids"] == sorted([same[0]["bid_id"], same[1]["bid_id"]])
    assert flag.evidence["amount"] == "1000.00"


def test_a_late_bid_that_won_is_flagged() -> None:
    late, early = bid("10", late=True), bid("12")
    t = tender([late, early])
    award = {
        "award_id": uuid4(),
        "tender_id": t["tender_id"],
        "bid_id": late["bid_id"],
        "status": "standstill",
    }
    assert indicators(t, [award]) == ["R030"]
    assert indicators(t, [{**award, "status": "cancelled"}]) == []
    assert indicators(t, [{**award, "bid_id": early["bid_id"]}]) == []


def test_the_lowest_bid_disqualified_and_too_many_disqualified_are_flagged() -> None:
    low, mid, high = bid("10"), bid("12"), bid("14")
    t = tender(
        [low, mid, high],
        [entry(low, responsive=False), entry(mid, responsive=False), entry(high, responsive=True)],
    )
    assert indicators(t) == ["R036", "R038"]
    fair = tender(
        [low, mid, high],
        [entry(low, responsive=True), entry(mid, responsive=False), entry(high, responsive=True)],
    )
    assert indicators(fair) == []


def test_two_envelope_prices_come_from_the_financial_opening() -> None:
    one, two = bid(None), bid(None)
    t = tender([one, two], [entry(one, responsive=False), entry(two, responsive=True)])
    t["evaluation"]["financial_openings"] = [
        {
            "bids": [
                {"bid_id": one["bid_id"], "prices": bid("5")["prices"]},
                {"bid_id": two["bid_id"], "prices": bid("9")["prices"]},
            ]
        }
    ]
    assert indicators(t) == ["R036"]
