"""A bid's documents as sealed blobs outside its events: sealed on the vendor's machine or on
arrival, uploaded, named in the envelope, and checked by the opening."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from typer.testing import CliRunner

from api.cli import app
from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.api.test_bids import contents, published
from tests.api.test_documents import PDF, stored_rows
from tests.support import FakeClock

MB = 1024 * 1024


def sealed_by_cli(
    tender_id: str, notice: dict[str, Any], vendor: str, documents: list[Path], tmp: Path
) -> dict[str, Any]:
    (tmp / "notice.json").write_text(json.dumps(notice))
    (tmp / "bid.json").write_text(json.dumps(contents("4200000.00")["contents"]))
    arguments = ["seal", "--tender", tender_id, "--in", str(tmp / "bid.json")]
    arguments += ["--username", vendor, "--notice", str(tmp / "notice.json")]
    for document in documents:
        arguments += ["--document", str(document)]
    sealed = CliRunner().invoke(app, arguments)
    assert sealed.exit_code == 0, sealed.output
    body: dict[str, Any] = json.loads(
        sealed.stdout[sealed.stdout.index("{") : sealed.stdout.rindex("}") + 1]
    )
    return body


def upload_sealed(api: Api, token: dict[str, str], tender_id: str, path: Path) -> Any:
    return api.client.post(
        f"/tenders/{tender_id}/bids/documents",
        params={"file_name": path.name.removesuffix(".sealed"), "sealed": "true"},
        content=path.read_bytes(),
        headers=token,
    )


def bid_event_sizes(dsn: str, bid_id: str) -> list[int]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT octet_length(state) FROM procurement_events WHERE originator_id = %s",
            (UUID(bid_id),),
        ).fetchall()
    return [size for (size,) in rows]


def opening(api: Api, clock: FakeClock, tender_id: str) -> dict[str, Any]:
    clock.set(clock.now() + timedelta(days=21))
    opened = api.post(f"/tenders/{tender_id}/opening", api.login("officer@works"))
    assert opened.status_code == 200, opened.text
    tender = api.client.get(
        f"/public/tenders/{tender_id}", params={"read_token": opened.json()["read_token"]}
    )
    record: dict[str, Any] = tender.json()["opening"]
    return record


def test_documents_sealed_on_the_vendors_machine_stay_out_of_the_event_and_open(
    api: Api, clock: FakeClock, tmp_path: Path
) -> None:
    tender_id, notice = published(api, clock)
    token = api.register_vendor("alpha")
    documents = []
    for name in ("technical proposal.pdf", "drawings.pdf"):
        path = tmp_path / name
        path.write_bytes(b"%PDF-1.7\n" + os.urandom(50 * MB))
        documents.append(path)
    body = sealed_by_cli(tender_id, notice, "alpha", documents, tmp_path)
    for path in documents:
        sealed = path.with_name(path.name + ".sealed")
        assert path.read_bytes()[:4096] not in sealed.read_bytes()
        answer = upload_sealed(api, token, tender_id, sealed)
        assert answer.status_code == 201, answer.text
        assert answer.json()["blob"] == hashlib.sha256(sealed.read_bytes()).hexdigest()
        assert answer.json()["attachment"] is None  # the key stays in the vendor's envelope

    submitted = api.post(f"/tenders/{tender_id}/bids", token, json=body)
    assert submitted.status_code == 201, submitted.text
    assert max(bid_event_sizes(api.dsn, submitted.json()["id"])) < 10_000

    record = opening(api, clock, tender_id)
    [bid] = record["bids"]
    assert bid["status"] == "opened"
    found = {a["name"]: a for a in bid["attachments"]}
    assert found.keys() == {"technical proposal.pdf", "drawings.pdf"}
    for path in documents:
        checked = found[path.name]
        assert checked["status"] == "opened", checked
        assert checked["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert checked["size"] == path.stat().st_size


def test_a_changed_or_missing_blob_is_marked_by_the_opening(
    api: Api, clock: FakeClock, tmp_path: Path
) -> None:
    tender_id, _ = published(api, clock)
    token = api.register_vendor("beta")
    attachments = []
    for name in ("kept.pdf", "altered.pdf", "lost.pdf"):
        answer = api.client.post(
            f"/tenders/{tender_id}/bids/documents",
            params={"file_name": name},
            content=PDF + name.encode(),
            headers=token,
        )
        assert answer.status_code == 201, answer.text
        attachments.append(answer.json()["attachment"])
    bid = contents("3100000.00")
    bid["contents"]["attachments"] = attachments
    submitted = api.post(f"/tenders/{tender_id}/bids", token, json=bid)
    assert submitted.status_code == 201, submitted.text
    altered, lost = attachments[1]["blob"], attachments[2]["blob"]
    with psycopg.connect(api.dsn) as connection:
        connection.execute(
            "UPDATE document_chunks SET data = overlay(data placing '\\x00'::bytea from 100) "
            "WHERE blob_id = (SELECT blob_id FROM document_blobs WHERE sha256 = %s) AND seq = 0",
            (altered,),
        )
        connection.execute("DELETE FROM document_blobs WHERE sha256 = %s", (lost,))

    [opened] = opening(api, clock, tender_id)["bids"]
    status = {a["name"]: (a["status"], a["problem"]) for a in opened["attachments"]}
    assert status["kept.pdf"] == ("opened", None)
    assert status["altered.pdf"][0] == "altered"
    assert "does not open" in status["altered.pdf"][1]
    assert status["lost.pdf"] == ("missing", "not in the document store")
    assert opened["status"] == "opened"  # its prices still count; its documents are marked


def test_bid_document_uploads_are_checked(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    token = api.register_vendor("gamma")
    url = f"/tenders/{tender_id}/bids/documents"
    before = stored_rows(api.dsn)
    not_sealed = api.client.post(
        url, params={"file_name": "x.pdf", "sealed": "true"}, content=PDF, headers=token
    )
    assert_problem(not_sealed, 415, "document_type_refused")
    not_a_pdf = api.client.post(
        url, params={"file_name": "x.pdf"}, content=b"MZ\x90\x00" * 4000, headers=token
    )
    assert_problem(not_a_pdf, 415, "document_type_refused")
    path = api.client.post(url, params={"file_name": "../x.pdf"}, content=PDF, headers=token)
    assert_problem(path, 422, "validation_failed")
    officer = api.login("officer@works")
    assert_problem(
        api.client.post(url, params={"file_name": "x.pdf"}, content=PDF, headers=officer),
        403,
        "forbidden",
    )
    assert stored_rows(api.dsn) == before
    ghost = contents("1000.00")
    ghost["contents"]["attachments"] = [
        {
            "name": "ghost.pdf",
            "blob": "0" * 64,
            "sha256": "1" * 64,
            "size": 10,
            "key": "A" * 43 + "=",
        }
    ]
    assert_problem(
        api.post(f"/tenders/{tender_id}/bids", token, json=ghost), 422, "upload_not_found"
    )
    clock.set(clock.now() + timedelta(days=21))
    late = api.client.post(
        url, params={"file_name": "x.pdf"}, content=PDF, headers=api.login("gamma")
    )
    assert_problem(late, 422, "deadline_passed")
    assert stored_rows(api.dsn) == before
