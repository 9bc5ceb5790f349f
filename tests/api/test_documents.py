"""A tender's documents through HTTP: upload, attach to a draft, publish, amend, download."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from domain.documents import MAX_DOCUMENT_BYTES
from procurement.store.documents import CHUNK_SIZE
from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock, tender_json

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 9000  # about 2.2 MiB: three chunks


def xlsx() -> bytes:
    """The smallest file the platform reads as XLSX: the same bytes at every call (its
    entries dated, not stamped with the moment they were written)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in (("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000


def upload(api: Api, officer: dict[str, str], content: bytes, name: str, **headers: str) -> Any:
    return api.client.post(
        "/documents", params={"file_name": name}, content=content, headers={**officer, **headers}
    )


def uploaded(api: Api, officer: dict[str, str], content: bytes, name: str) -> dict[str, Any]:
    answer = upload(api, officer, content, name)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    return body


def add(file: dict[str, Any], kind: str, title: str) -> dict[str, Any]:
    return {
        "action": "add",
        "kind": kind,
        "title": title,
        "language": "en",
        "sha256": file["sha256"],
        "file_name": file["file_name"],
    }


def draft(api: Api, officer: dict[str, str], clock: FakeClock) -> str:
    answer = api.post("/tenders", officer, json=tender_json(clock.now()))
    assert answer.status_code == 201, answer.text
    tender_id: str = answer.json()["id"]
    return tender_id


def stored_events(dsn: str, tender_id: str) -> list[tuple[str, bytes]]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT topic, state FROM procurement_events WHERE originator_id = %s "
            "ORDER BY originator_version",
            (UUID(tender_id),),
        ).fetchall()
    return [(topic, bytes(state)) for topic, state in rows]


def stored_rows(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn) as connection:
        [(blobs, chunks)] = connection.execute(
            "SELECT (SELECT count(*) FROM document_blobs), (SELECT count(*) FROM document_chunks)"
        ).fetchall()
    return blobs, chunks


def test_published_documents_and_their_versions_download_byte_for_byte(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    files = [
        uploaded(api, officer, PDF, "Standard Bidding Document.pdf"),
        uploaded(api, officer, xlsx(), "BOQ.xlsx"),
        uploaded(api, officer, PNG, "site plan.png"),
    ]
    tender_id = draft(api, officer, clock)
    changes = [
        add(files[0], "bidding_document", "Standard bidding document"),
        add(files[1], "bill_of_quantities", "Bill of quantities"),
        add(files[2], "drawing", "Site plan"),
    ]
    attached = api.post(f"/tenders/{tender_id}/documents", officer, json={"changes": changes})
    assert attached.status_code == 200, attached.text
    sbd, boq, plan = attached.json()["added"]
    assert api.post(f"/tenders/{tender_id}/publish", officer).status_code == 200

    revised = PDF + b"% revised\n"
    new = uploaded(api, officer, revised, "SBD rev 1.pdf")
    amendment = {
        "text": "Addendum 1: revised bidding document; the site plan is withdrawn",
        "documents": {
            "changes": [
                {
                    "action": "replace",
                    "document_id": sbd,
                    **{k: new[k] for k in ("sha256",)},
                    "file_name": new["file_name"],
                },
                {"action": "withdraw", "document_id": plan},
            ]
        },
    }
    amended = api.post(f"/tenders/{tender_id}/amendments", officer, json=amendment)
    assert amended.status_code == 201, amended.text

    listed = api.client.get(
        f"/public/tenders/{tender_id}/documents",
        params={"read_token": amended.json()["read_token"]},
    )
    assert listed.status_code == 200, listed.text
    documents = {d["document_id"]: d for d in listed.json()["documents"]}
    assert documents.keys() == {sbd, boq, plan}
    assert [v["sha256"] for v in documents[sbd]["versions"]] == [
        hashlib.sha256(PDF).hexdigest(),
        hashlib.sha256(revised).hexdigest(),
    ]
    assert documents[sbd]["current_version"] == 2
    assert documents[sbd]["versions"][1]["amendment"] == 1
    assert documents[plan]["withdrawn_by_amendment"] == 1
    assert documents[boq]["withdrawn_at"] is None

    for version, content in ((1, PDF), (2, revised)):
        got = api.client.get(f"/public/documents/{sbd}", params={"version": version})
        assert got.status_code == 200, got.text
        assert got.content == content
        assert got.headers["etag"] == f'"{hashlib.sha256(content).hexdigest()}"'
        assert got.headers["content-type"] == "application/pdf"
    latest = api.client.get(f"/public/documents/{sbd}")
    assert latest.content == revised
    assert 'filename="SBD rev 1.pdf"' in latest.headers["content-disposition"]

    # The events carry every hash and never the bytes.
    events = stored_events(api.dsn, tender_id)
    everything = b"".join(state for _, state in events)
    for content in (PDF, revised, xlsx(), PNG):
        assert hashlib.sha256(content).hexdigest().encode() in everything
    assert PDF[:4096] not in everything
    assert all(len(state) < 20_000 for _, state in events)


def test_ranges_etags_and_names_as_downloads_expect(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    file = uploaded(api, officer, PDF, 'a "quoted"; name \u06f1.pdf')
    tender_id = draft(api, officer, clock)
    attached = api.post(
        f"/tenders/{tender_id}/documents",
        officer,
        json={"changes": [add(file, "specification", "Specification")]},
    )
    [document] = attached.json()["added"]
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    token = published.json()["read_token"]
    api.client.get(f"/public/tenders/{tender_id}/documents", params={"read_token": token})
    url = f"/public/documents/{document}"
    etag = f'"{file["sha256"]}"'

    across = api.client.get(url, headers={"Range": f"bytes={CHUNK_SIZE - 10}-{CHUNK_SIZE + 9}"})
    assert across.status_code == 206
    assert across.content == PDF[CHUNK_SIZE - 10 : CHUNK_SIZE + 10]
    assert across.headers["content-range"] == f"bytes {CHUNK_SIZE - 10}-{CHUNK_SIZE + 9}/{len(PDF)}"
    tail = api.client.get(url, headers={"Range": "bytes=-100"})
    assert tail.status_code == 206
    assert tail.content == PDF[-100:]
    start = api.client.get(url, headers={"Range": f"bytes={len(PDF) - 5}-"})
    assert start.content == PDF[-5:]
    beyond = api.client.get(url, headers={"Range": f"bytes={len(PDF)}-"})
    assert_problem(beyond, 416, "range_not_satisfiable")
    assert beyond.headers["content-range"] == f"bytes */{len(PDF)}"
    several = api.client.get(url, headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200
    assert several.content == PDF
    stale = api.client.get(url, headers={"Range": "bytes=0-1", "If-Range": '"other"'})
    assert stale.status_code == 200
    assert stale.content == PDF
    cached = api.client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""

    disposition = api.client.get(url, headers={"Range": "bytes=0-0"}).headers["content-disposition"]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert disposition.startswith('attachment; filename="a _quoted__ name _.pdf"; ')
    assert disposition.endswith("filename*=UTF-8''a%20%22quoted%22%3B%20name%20%DB%B1.pdf")


def test_drafts_documents_are_only_for_the_entitys_officers(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    file = uploaded(api, officer, PDF, "draft.pdf")
    tender_id = draft(api, officer, clock)
    attached = api.post(
        f"/tenders/{tender_id}/documents",
        officer,
        json={"changes": [add(file, "bidding_document", "Draft SBD")]},
    )
    [document] = attached.json()["added"]
    own = api.client.get(f"/tenders/{tender_id}/documents/{document}", headers=officer)
    assert own.status_code == 200
    assert own.content == PDF
    other = api.login("officer@health")
    assert_problem(
        api.client.get(f"/tenders/{tender_id}/documents/{document}", headers=other),
        404,
        "tender_not_found",
    )
    assert_problem(api.client.get(f"/public/documents/{document}"), 404, "document_not_found")
    assert_problem(
        api.client.get(f"/public/tenders/{tender_id}/documents"), 404, "tender_not_found"
    )


@pytest.mark.parametrize(
    "case",
    [
        (b"just some text, not a PDF" * 400, "fake.pdf", {}, 415, "document_type_refused"),
        (PDF, "fake.pdf", {"Content-Type": "image/png"}, 415, "document_type_refused"),
        (PDF, "renamed.docx", {}, 415, "document_type_refused"),
        (xlsx(), "archive.pdf", {}, 415, "document_type_refused"),
        (b"", "empty.pdf", {}, 415, "document_type_refused"),
        (PDF, "../etc/passwd.pdf", {}, 422, "validation_failed"),
        (PDF, "a\\b.pdf", {}, 422, "validation_failed"),
        (PDF, "a\x00b.pdf", {}, 422, "validation_failed"),
        (PDF, "..", {}, 422, "validation_failed"),
        (PDF, "x" * 201 + ".pdf", {}, 422, "validation_failed"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    api: Api, case: tuple[bytes, str, dict[str, str], int, str]
) -> None:
    content, name, headers, status, code = case
    officer = api.login("officer@works")
    before = stored_rows(api.dsn)
    answer = upload(api, officer, content, name, **headers)
    assert_problem(answer, status, code)
    assert stored_rows(api.dsn) == before


def test_an_oversize_upload_is_413(api: Api) -> None:
    officer = api.login("officer@works")
    answer = upload(api, officer, b"%PDF" + b"\x00" * MAX_DOCUMENT_BYTES, "big.pdf")
    assert_problem(answer, 413, "payload_too_large")


def test_uploads_are_for_officers_and_a_file_is_stored_once(api: Api) -> None:
    vendor = api.register_vendor("doc-vendor")
    assert_problem(upload(api, vendor, PDF, "mine.pdf"), 403, "forbidden")
    assert_problem(
        api.client.post("/documents", params={"file_name": "a.pdf"}, content=PDF),
        401,
        "unauthenticated",
    )
    officer = api.login("officer@works")
    content = PDF + uuid4().bytes
    before = stored_rows(api.dsn)
    first = uploaded(api, officer, content, "one.pdf")
    again = uploaded(api, officer, content, "two.pdf")
    assert again["sha256"] == first["sha256"]
    blobs, chunks = stored_rows(api.dsn)
    assert (blobs - before[0], chunks - before[1]) == (1, -(-len(content) // CHUNK_SIZE))


def test_changes_that_name_no_upload_or_break_the_rules_change_nothing(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    tender_id = draft(api, officer, clock)
    count = api.event_count()
    ghost = {"sha256": "0" * 64, "file_name": "ghost.pdf"}
    refused = api.post(
        f"/tenders/{tender_id}/documents",
        officer,
        json={"changes": [add(ghost, "other", "Ghost")]},
    )
    assert_problem(refused, 422, "upload_not_found")
    file = uploaded(api, officer, PDF, "real.pdf")
    with_id = {**add(file, "other", "Chosen id"), "document_id": str(uuid4())}
    assert_problem(
        api.post(f"/tenders/{tender_id}/documents", officer, json={"changes": [with_id]}),
        422,
        "invalid_documents",
    )
    unknown = {"action": "withdraw", "document_id": str(uuid4())}
    assert_problem(
        api.post(f"/tenders/{tender_id}/documents", officer, json={"changes": [unknown]}),
        404,
        "document_not_found",
    )
    assert_problem(
        api.post(f"/tenders/{tender_id}/documents", officer, json={"changes": []}),
        422,
        "validation_failed",
    )
    assert api.event_count() == count
