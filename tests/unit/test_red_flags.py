"""Red flags over public rows: each indicator raised on its evidence, and only then."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from domain.rules import planning_rules
from projections.red_flags import REPEATED_UPHELD, REPEATED_WINDOW, Thresholds, flags_for
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


def _complaint(
    tender_id: Any, entity: str, upheld_at: datetime | None, **more: Any
) -> dict[str, Any]:
    return {
        "tender_id": tender_id,
        "entity": entity,
        "complaint_id": uuid4(),
        "stage": "documents",
        "decision_due": DEADLINE,
        "overdue": False,
        "decided_at": upheld_at,
        "upheld": upheld_at is not None,
        "appeal_due": None,
        "appeal_overdue": False,
        "appeal_decided_at": None,
        "appeal_upheld": None,
    } | more


def test_complaints_upheld_repeatedly_against_an_entity_within_the_window() -> None:
    t = tender()
    other = tender()
    day = timedelta(days=1)
    spread = [
        _complaint(t["tender_id"], "wsd", DEADLINE),
        _complaint(other["tender_id"], "wsd", DEADLINE + REPEATED_WINDOW - day),
        _complaint(t["tender_id"], "wsd", DEADLINE + REPEATED_WINDOW),  # the first has left
        _complaint(t["tender_id"], "health", DEADLINE + day),
        _complaint(t["tender_id"], "wsd", None),  # dismissed
    ]
    assert flags_for([t, other], [], THRESHOLDS, complaints=spread) == []
    on_appeal = _complaint(
        other["tender_id"],
        "wsd",
        None,
        appeal_upheld=True,
        appeal_decided_at=DEADLINE + REPEATED_WINDOW + day,
    )
    flags = flags_for([t, other], [], THRESHOLDS, complaints=[*spread, on_appeal])
    [flag] = flags
    assert flag.indicator == "S002"
    assert flag.tender_id == str(other["tender_id"])
    assert flag.evidence["upheld"] == REPEATED_UPHELD
    assert flag.evidence["complaints"] == [
        str(c["complaint_id"]) for c in (spread[1], spread[2], on_appeal)
    ]


def test_an_overdue_complaint_or_appeal_is_flagged_even_once_decided() -> None:
    t = tender()
    late = _complaint(t["tender_id"], "wsd", DEADLINE + timedelta(days=9), overdue=True)
    appeal = _complaint(
        t["tender_id"], "wsd", None, appeal_overdue=True, appeal_due=DEADLINE + timedelta(days=30)
    )
    flags = flags_for([t], [], THRESHOLDS, complaints=[late, appeal])
    assert [(f.indicator, f.evidence["by"]) for f in flags] == [
        ("S003", "grievance_committee"),
        ("S003", "regulator"),
    ]
    assert flags[0].evidence["decided_at"] is not None
    assert flags[1].evidence["decided_at"] is None


def test_an_award_made_while_its_supplier_was_debarred() -> None:
    t = tender()
    supplier = uuid4()
    made = DEADLINE + timedelta(days=5)
    award = {
        "award_id": uuid4(),
        "tender_id": t["tender_id"],
        "bid_id": uuid4(),
        "supplier_id": supplier,
        "supplier_name": "Crooked",
        "status": "standstill",
        "made_at": made,
    }

    def case(decided: datetime, until: datetime) -> dict[str, Any]:
        return {
            "case_id": uuid4(),
            "vendor_id": supplier,
            "decided_at": decided,
            "debarred_until": until,
        }

    ended = case(made - timedelta(days=30), made)  # ended at the very moment: not debarred
    later_case = case(made + timedelta(seconds=1), made + timedelta(days=30))
    assert flags_for([t], [award], THRESHOLDS, debarments=[ended, later_case]) == []
    live = case(made - timedelta(days=1), made + timedelta(seconds=1))
    [flag] = flags_for([t], [award], THRESHOLDS, debarments=[ended, live])
    assert flag.indicator == "S001"
    assert flag.evidence["case_id"] == str(live["case_id"])
    assert flag.name == "Award to a debarred vendor"


def _peer(amount: str, line_id: str | None, day: int) -> dict[str, Any]:
    return {
        "tender_id": uuid4(),
        "entity": "wsd",
        "category": "goods",
        "method": "request_for_quotations",
        "estimated_amount": Decimal(amount),
        "currency": "PKR",
        "published_at": START + timedelta(days=day),
        "fiscal_year": "2026-27",
        "line_id": line_id,
    }


def test_one_plan_line_tendered_in_parts_under_a_threshold_is_flagged_split() -> None:
    """Three quotations of 1.5 million for one planned purchase of 4.5 million: each far
    under the quotations' ceiling of 2.5 million (not in the band just under it), together
    over it. Flagged, with the line; two parts that stay under it together are not."""
    planning = planning_rules()
    parts = [_peer("1500000.00", "L7", day) for day in (0, 1, 2)]
    under = [_peer("1000000.00", "L8", day) for day in (0, 1)]
    other_lines = [_peer("1500000.00", f"L{n}", 0) for n in (20, 21)]
    peers = [*parts, *under, *other_lines]
    rows = [
        tender() | {"tender_id": p["tender_id"], "entity": "wsd", "line_id": p["line_id"]}
        for p in peers
    ]
    flags = flags_for(rows, [], THRESHOLDS, planning=planning, peers=peers)
    split = {f.tender_id: f.evidence for f in flags if f.indicator == "S005"}
    assert set(split) == {str(p["tender_id"]) for p in parts}
    evidence = split[str(parts[0]["tender_id"])]
    assert evidence["plan_line"] == {"fiscal_year": "2026-27", "line_id": "L7"}
    assert evidence["total"] == "4500000.00"
    assert evidence["threshold_method"] == "request_for_quotations"
