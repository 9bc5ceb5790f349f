"""A bill of quantities from a spreadsheet fills a draft's items; vendors price it by unit
rates; the opening records each lot's total from its rates beside its price."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

from openpyxl import Workbook

from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.api.test_documents import draft, uploaded
from tests.support import FakeClock

ROWS = [
    ("Lot", "Lot title", "Item", "Description", "Quantity", "Unit"),
    ("1", "Earthworks", "1-1", "Excavation in ordinary soil", 1200, "m3"),
    ("1", "Earthworks", "1-2", "Compacted fill", 2.5, "m3"),
    ("2", "Paving", "2-1", "Asphalt wearing course", 300, "t"),
]


def sheet(rows: list[tuple[Any, ...]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)  # type: ignore[union-attr]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_spreadsheet_fills_the_items_and_rates_price_the_bid(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    tender_id = draft(api, officer, clock)
    boq = uploaded(api, officer, sheet(ROWS), "BOQ.xlsx")
    filled = api.post(
        f"/tenders/{tender_id}/bill-of-quantities", officer, json={"sha256": boq["sha256"]}
    )
    assert filled.status_code == 200, filled.text
    terms = api.client.get(f"/tenders/{tender_id}", headers=officer).json()["terms"]
    assert [(lot["id"], [i["id"] for i in lot["items"]]) for lot in terms["lots"]] == [
        ("1", ["1-1", "1-2"]),
        ("2", ["2-1"]),
    ]
    assert terms["lots"][0]["items"][1]["quantity"] == "2.5"
    assert api.post(f"/tenders/{tender_id}/publish", officer).status_code == 200

    vendor = api.register_vendor("boq-vendor")
    rates = [
        {"item_id": "1-1", "rate": {"amount": "450.00", "currency": "PKR"}},
        {"item_id": "1-2", "rate": {"amount": "0.01", "currency": "PKR"}},
        {"item_id": "2-1", "rate": {"amount": "9500.00", "currency": "PKR"}},
    ]
    wrong = {
        "contents": {
            "rates": rates,
            "prices": [{"lot_id": "2", "price": {"amount": "1.00", "currency": "PKR"}}],
        }
    }
    assert_problem(api.post(f"/tenders/{tender_id}/bids", vendor, json=wrong), 422, "invalid_terms")
    bid = api.post(f"/tenders/{tender_id}/bids", vendor, json={"contents": {"rates": rates}})
    assert bid.status_code == 201, bid.text

    clock.set(clock.now() + timedelta(days=21))
    opened = api.post(f"/tenders/{tender_id}/opening", api.login("officer@works"))
    assert opened.status_code == 200, opened.text
    record = api.client.get(
        f"/public/tenders/{tender_id}", params={"read_token": opened.json()["read_token"]}
    ).json()["opening"]
    [only] = record["bids"]
    # 1200 x 450 + 2.5 x 0.01 (0.025, half-even 0.02) = 540000.02; 300 x 9500 = 2850000.00
    expected = [
        {"lot_id": "1", "price": {"amount": "540000.02", "currency": "PKR"}},
        {"lot_id": "2", "price": {"amount": "2850000.00", "currency": "PKR"}},
    ]
    assert only["prices"] == expected
    assert only["rate_totals"] == expected


def test_a_bad_sheet_is_refused_naming_where_and_changes_nothing(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    tender_id = draft(api, officer, clock)
    count = api.event_count()
    cases = [
        (sheet([("Lot", "Item", "Quantity")]), "row 1 names no column description, unit"),
        (sheet([*ROWS[:1], ("1", "T", "1-1", "Dig", "many", "m3")]), "row 2, column quantity"),
        (sheet([*ROWS[:1], ("1", "T", "1-1", "Dig", -5, "m3")]), "row 2, column quantity"),
        (sheet(ROWS[:1]), "no items below its header row"),
    ]
    for content, words in cases:
        boq = uploaded(api, officer, content, "BOQ.xlsx")
        refused = api.post(
            f"/tenders/{tender_id}/bill-of-quantities", officer, json={"sha256": boq["sha256"]}
        )
        body = assert_problem(refused, 422, "invalid_bill_of_quantities")
        assert words in body["detail"], body["detail"]
    pdf = uploaded(api, officer, b"%PDF-1.7\n" + b"x" * 9000, "not a sheet.pdf")
    assert_problem(
        api.post(
            f"/tenders/{tender_id}/bill-of-quantities", officer, json={"sha256": pdf["sha256"]}
        ),
        422,
        "invalid_bill_of_quantities",
    )
    assert api.event_count() == count


def test_a_decompression_bomb_is_refused_unread(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    tender_id = draft(api, officer, clock)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (200 * 1024 * 1024))
    boq = uploaded(api, officer, bomb.getvalue(), "bomb.xlsx")
    refused = api.post(
        f"/tenders/{tender_id}/bill-of-quantities", officer, json={"sha256": boq["sha256"]}
    )
    body = assert_problem(refused, 422, "invalid_bill_of_quantities")
    assert "expands to too much" in body["detail"]
