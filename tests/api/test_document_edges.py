"""The edges the adversarial review of the documents found: each answered as it should be."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from uuid import UUID

import psycopg
from openpyxl import Workbook

from domain.account import account_id_for
from domain.bid import EnvelopeName
from procurement.crypto import hpke
from procurement.crypto.sealed_documents import HEADER
from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.api.test_bid_documents import opening
from tests.api.test_bids import published
from tests.api.test_documents import PDF, add, draft, upload, uploaded
from tests.support import FakeClock


def public_document(api: Api, clock: FakeClock, content: bytes = PDF) -> tuple[str, str, str]:
    """A published tender's one document: the tender, the document, the file's ETag."""
    officer = api.login("officer@works")
    file = uploaded(api, officer, content, "spec.pdf")
    tender_id = draft(api, officer, clock)
    attached = api.post(
        f"/tenders/{tender_id}/documents", officer, json={"changes": [add(file, "other", "Spec")]}
    )
    [document] = attached.json()["added"]
    token = api.post(f"/tenders/{tender_id}/publish", officer).json()["read_token"]
    api.client.get(f"/public/tenders/{tender_id}/documents", params={"read_token": token})
    return tender_id, document, f'"{file["sha256"]}"'


def test_ranges_at_the_edges_and_weak_validators(api: Api, clock: FakeClock) -> None:
    _, document, etag = public_document(api, clock)
    url = f"/public/documents/{document}"
    assert_problem(api.client.get(url, headers={"Range": "bytes=-0"}), 416, "range_not_satisfiable")
    backwards = api.client.get(url, headers={"Range": "bytes=5-3"})
    assert backwards.status_code == 200  # ignored, as RFC 9110 lets a server
    for absurd in ("bytes=" + "9" * 5000 + "-", "bytes=-" + "9" * 5000, "bytes=1-" + "9" * 5000):
        answer = api.client.get(url, headers={"Range": absurd})
        assert answer.status_code == 200, answer.text  # not a number a range holds: ignored
    for validator in (f"W/{etag}", "*", f'"other", {etag}'):
        assert api.client.get(url, headers={"If-None-Match": validator}).status_code == 304


def test_only_a_named_version_is_cached_for_good(api: Api, clock: FakeClock) -> None:
    tender_id, document, _ = public_document(api, clock)
    latest = api.client.get(f"/public/documents/{document}")
    assert latest.headers["cache-control"] == "public, no-cache"
    versioned = api.client.get(f"/public/documents/{document}", params={"version": 1})
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    officer = api.login("officer@works")
    drafted = draft(api, officer, clock)
    file = uploaded(api, officer, PDF + b"draft", "draft.pdf")
    attached = api.post(
        f"/tenders/{drafted}/documents", officer, json={"changes": [add(file, "other", "D")]}
    )
    [own] = attached.json()["added"]
    private = api.client.get(f"/tenders/{drafted}/documents/{own}", headers=officer)
    assert private.headers["cache-control"] == "private, no-store"
    assert tender_id  # the published one stays public


def test_a_documents_name_must_fit_its_type_and_show_as_it_is(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    file = uploaded(api, officer, PDF, "real.pdf")
    tender_id = draft(api, officer, clock)
    for name in ("Tender notice.html", "setup.exe"):
        renamed = {**add(file, "other", "Renamed"), "file_name": name}
        assert_problem(
            api.post(f"/tenders/{tender_id}/documents", officer, json={"changes": [renamed]}),
            422,
            "invalid_documents",
        )
    assert_problem(upload(api, officer, PDF, "invoice\u202efdp.pdf"), 422, "validation_failed")


def test_a_keyed_upload_is_not_kept_by_the_idempotency_store(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    vendor = {**api.register_vendor("keyed"), "Idempotency-Key": "upload-1"}
    answer = api.client.post(
        f"/tenders/{tender_id}/bids/documents",
        params={"file_name": "plan.pdf"},
        content=PDF,
        headers=vendor,
    )
    assert answer.status_code == 201, answer.text
    key = answer.json()["attachment"]["key"]
    with psycopg.connect(api.dsn) as connection:
        kept = connection.execute("SELECT count(*) FROM idempotency_keys").fetchone()
        found = connection.execute(
            "SELECT count(*) FROM idempotency_keys WHERE convert_from(body, 'UTF8') LIKE %s",
            (f"%{key}%",),
        ).fetchone()
    assert kept == (0,)
    assert found == (0,)


def test_a_bid_names_only_its_vendors_own_uploads_each_once(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    alpha, beta = api.register_vendor("alpha"), api.register_vendor("beta")
    url = f"/tenders/{tender_id}/bids/documents"
    theirs = api.client.post(url, params={"file_name": "a.pdf"}, content=PDF, headers=alpha)
    attachment = theirs.json()["attachment"]
    bid: dict[str, Any] = {"contents": {"attachments": [attachment]}}
    assert_problem(api.post(f"/tenders/{tender_id}/bids", beta, json=bid), 422, "upload_not_found")
    twice = {**attachment, "name": "b.pdf"}
    bid["contents"]["attachments"] = [attachment, twice]
    assert_problem(api.post(f"/tenders/{tender_id}/bids", alpha, json=bid), 422, "invalid_terms")
    lying = {**attachment, "size": 1}
    bid["contents"]["attachments"] = [lying]
    assert_problem(api.post(f"/tenders/{tender_id}/bids", alpha, json=bid), 422, "invalid_terms")
    sealed = api.client.post(
        url, params={"sealed": "true"}, content=HEADER + b"\x00" * 100, headers=beta
    )
    assert sealed.status_code == 201, sealed.text  # a sealed document's name stays sealed


def test_one_vendors_absurd_rates_do_not_stop_the_opening(api: Api, clock: FakeClock) -> None:
    lots = [
        {
            "id": "1",
            "title": "Earthworks",
            "items": [
                {"id": "1-1", "description": "Dig", "quantity": "9999999999999", "unit": "m3"}
            ],
        }
    ]
    tender_id, notice = published(api, clock, lots=lots)
    huge = {"item_id": "1-1", "rate": {"amount": "999999999999999.99", "currency": "PKR"}}
    spoiler = api.register_vendor("spoiler")
    plain = api.post(f"/tenders/{tender_id}/bids", spoiler, json={"contents": {"rates": [huge]}})
    assert_problem(plain, 422, "invalid_terms")
    [key] = notice["sealing"]
    sealed = hpke.seal(
        key["public_key"],
        UUID(tender_id),
        account_id_for("spoiler"),
        EnvelopeName.BID,
        hpke.padded(json.dumps({"rates": [huge]}).encode()),
    )
    envelope = {"name": "bid", "ciphertext": sealed.ciphertext}
    assert (
        api.post(f"/tenders/{tender_id}/bids", spoiler, json={"envelopes": [envelope]}).status_code
        == 201
    )
    honest = api.register_vendor("honest")
    good = {"prices": [{"lot_id": "1", "price": {"amount": "100.00", "currency": "PKR"}}]}
    assert (
        api.post(f"/tenders/{tender_id}/bids", honest, json={"contents": good}).status_code == 201
    )
    record = opening(api, clock, tender_id)
    assert sorted(bid["status"] for bid in record["bids"]) == ["opened", "opened"]


def sheet_with(mangle: str) -> bytes:
    workbook = Workbook()
    workbook.active.append(["Lot", "Item", "Description", "Quantity", "Unit"])  # type: ignore[union-attr]
    for n in range(10):
        workbook.active.append(["1", f"1-{n}", "Dig", 1, "m3"])  # type: ignore[union-attr]
    out = io.BytesIO()
    workbook.save(out)
    if mangle == "none":
        return out.getvalue()
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml" and mangle == "dimension":
                data = data.replace(b'<dimension ref="A1:E11"/>', b'<dimension ref="A1:E3"/>')
            if entry.filename == "xl/worksheets/sheet1.xml" and mangle == "broken":
                data = data.replace(b"</sheetData>", b"<row r=")
            if entry.filename == "xl/workbook.xml" and mangle == "no sheets":
                start, end = data.index(b"<sheets>"), data.index(b"</sheets>") + len(b"</sheets>")
                data = data[:start] + b"<sheets/>" + data[end:]
            target.writestr(entry, data)
    return result.getvalue()


def test_a_bill_of_quantities_is_read_whole_or_refused(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    tender_id = draft(api, officer, clock)
    url = f"/tenders/{tender_id}/bill-of-quantities"
    lying = uploaded(api, officer, sheet_with("dimension"), "BOQ.xlsx")
    assert api.post(url, officer, json={"sha256": lying["sha256"]}).status_code == 200
    terms = api.client.get(f"/tenders/{tender_id}", headers=officer).json()["terms"]
    assert len(terms["lots"][0]["items"]) == 10  # every row, whatever the sheet claims
    for mangle in ("broken", "no sheets"):
        bad = uploaded(api, officer, sheet_with(mangle), f"{mangle}.xlsx".replace(" ", "-"))
        assert_problem(
            api.post(url, officer, json={"sha256": bad["sha256"]}),
            422,
            "invalid_bill_of_quantities",
        )
