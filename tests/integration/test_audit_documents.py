"""``procurement audit verify --documents`` on PostgreSQL: every document version the events
name is checked against the document store; a changed or deleted file is reported by
document, version and the event that named it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from domain.documents import (
    MAX_DOCUMENT_BYTES,
    DocumentChange,
    DocumentChanges,
    DocumentKind,
    FileFacts,
    MediaType,
)
from procurement.audit import export as audit_export
from procurement.audit import history
from procurement.audit import verify as audit
from procurement.audit.verify_report import Report
from procurement.commands.application import ProcurementApplication
from procurement.jobs.ledger_writer import LedgerWriter
from procurement.settings import Settings
from procurement.store.documents import (
    CHUNK_SIZE,
    DocumentStore,
    check_stored,
    document_head,
    spool,
)
from projections.reads import create_pool
from tests.integration.test_ledger import ORIGIN, _cli_env, writer
from tests.support import FakeClock, officer, terms

__all__ = ["writer"]  # the fixture, imported for the tests below

SBD = b"%PDF-1.7\n" + bytes(range(256)) * (CHUNK_SIZE // 256 + 10)  # two chunks
PLAN = b"%PDF-1.7\nsite plan\n" * 100
REVISED = SBD + b"% revised\n"


async def _chunks(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _store(dsn: str, directory: Path, files: dict[str, bytes]) -> dict[str, FileFacts]:
    """The files put in the document store as an upload puts them, by name."""

    async def put() -> dict[str, FileFacts]:
        pool = await create_pool(dsn, 1)
        try:
            stored = {}
            for name, content in files.items():
                spooled = await spool(
                    _chunks(content), document_head(name, None), directory, MAX_DOCUMENT_BYTES
                )
                file = await DocumentStore(pool).put(spooled)
                spooled.path.unlink()
                stored[name] = FileFacts(
                    sha256=file.sha256,
                    size=file.size,
                    media_type=MediaType(file.media_type),
                    file_name=name,
                )
            return stored
        finally:
            await pool.close()

    return asyncio.run(put())


def _added(document_id: UUID, file: FileFacts, kind: DocumentKind) -> DocumentChange:
    return DocumentChange(
        action="add",
        document_id=document_id,
        kind=kind,
        title=file.file_name,
        language="en",
        file=file,
    )


Story = tuple[UUID, UUID, UUID, dict[str, FileFacts]]
"""The tender, its bidding document and its site plan, and the files by name."""


@pytest.fixture
def story(
    application: ProcurementApplication,
    settings: Settings,
    writer: LedgerWriter,
    clock: FakeClock,
    tmp_path: Path,
) -> Story:
    """A tender published with two documents, amended to replace one and withdraw the
    other; the ledger caught up and signed."""
    files = _store(
        settings.dsn, tmp_path, {"SBD.pdf": SBD, "plan.pdf": PLAN, "SBD rev 1.pdf": REVISED}
    )
    works = officer("wsd")
    tender = application.draft_tender(works, terms(clock.now()))
    sbd, plan = uuid4(), uuid4()
    added = (
        _added(sbd, files["SBD.pdf"], DocumentKind.BIDDING_DOCUMENT),
        _added(plan, files["plan.pdf"], DocumentKind.DRAWING),
    )
    application.change_draft_documents(works, tender.id, DocumentChanges(items=added), None)
    application.publish_tender(works, tender.id, None)
    changes = (
        DocumentChange(action="replace", document_id=sbd, file=files["SBD rev 1.pdf"]),
        DocumentChange(action="withdraw", document_id=plan),
    )
    application.amend_tender(
        works, tender.id, "Addendum 1", None, None, documents=DocumentChanges(items=changes)
    )
    writer.catch_up()
    return tender.id, sbd, plan, files


def _report(settings: Settings, key: str) -> Report:
    lines = audit_export.database_lines(settings.dsn, key, ORIGIN)
    return audit.verify(lines, key, None, lambda hashes: check_stored(settings.dsn, hashes))


def _events(application: ProcurementApplication, tender_id: UUID) -> dict[str, dict[str, int]]:
    """The tender's events by type: their stream version and position."""
    return {
        event["type"]: {"version": event["version"], "position": event["position"]}
        for event in history.events_of(application, tender_id)
    }


def test_intact_documents_verify_clean(
    story: Story, application: ProcurementApplication, settings: Settings, tmp_path: Path
) -> None:
    report = _report(settings, application.signer.public_key)
    assert report.ok, report.problems
    # The draft's two files, the notice's two, the amendment's replacement: three files.
    assert (report.documents, report.document_files) == (5, 3)

    env = _cli_env(settings.dsn, settings, tmp_path)
    runner = CliRunner()
    live = runner.invoke(cli, ["audit", "verify", "--database", "--documents"], env=env)
    assert live.exit_code == 0, live.output
    said = " ".join(live.output.split())
    assert "5 document versions named by the events, 3 files checked" in said
    assert "every leaf, root, checkpoint and opening, every document agrees" in said
    # An export verified offline; the files, which it does not carry, in the database.
    export = tmp_path / "audit.jsonl"
    assert runner.invoke(cli, ["audit", "export", str(export)], env=env).exit_code == 0
    key = application.signer.public_key
    offline = ["audit", "verify", str(export), "--public-key", key, "--documents"]
    assert runner.invoke(cli, offline, env=env).exit_code == 0


def test_a_changed_and_a_deleted_file_are_reported_by_document_and_event(
    story: Story, application: ProcurementApplication, settings: Settings, tmp_path: Path
) -> None:
    tender_id, sbd, plan, files = story
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE document_chunks SET data = overlay(data placing '\\x00'::bytea from 100) "
            "WHERE seq = 1 AND blob_id = "
            "(SELECT blob_id FROM document_blobs WHERE sha256 = %s)",
            (files["SBD.pdf"].sha256,),
        )
        conn.execute(
            "DELETE FROM document_chunks WHERE blob_id = "
            "(SELECT blob_id FROM document_blobs WHERE sha256 = %s)",
            (files["SBD rev 1.pdf"].sha256,),
        )
        conn.execute(
            "DELETE FROM document_blobs WHERE sha256 = %s", (files["SBD rev 1.pdf"].sha256,)
        )
    events = _events(application, tender_id)
    drafted, published, amended = (
        events[name] for name in ("DraftDocumentsChanged", "TenderPublished", "TenderAmended")
    )

    report = _report(settings, application.signer.public_key)
    changed = "the stored bytes hash to "
    expected = [
        (drafted, sbd, 1, files["SBD.pdf"].sha256, changed),
        (published, sbd, 1, files["SBD.pdf"].sha256, changed),
        (amended, sbd, 2, files["SBD rev 1.pdf"].sha256, "missing from the document store"),
    ]
    assert len(report.document_problems) == len(expected)
    for said, (event, document, version, sha256, why) in zip(
        report.document_problems, expected, strict=True
    ):
        assert said.startswith(f"document {document} version {version} (SHA-256 {sha256}), ")
        assert (
            f"(stream {tender_id} version {event['version']}, position {event['position']}): {why}"
        ) in said
    assert str(plan) not in " ".join(report.document_problems)  # its file is intact
    assert report.first_problem is not None
    assert report.first_problem[0] == drafted["position"]
    # Without --documents the ledger alone verifies: it covers the events, not the files.
    key = application.signer.public_key
    assert audit.verify(audit_export.database_lines(settings.dsn, key, ORIGIN), key).ok

    env = _cli_env(settings.dsn, settings, tmp_path)
    failed = CliRunner().invoke(cli, ["audit", "verify", "--database", "--documents"], env=env)
    assert failed.exit_code == 1, failed.output
    said = " ".join(failed.output.split())
    for line in report.document_problems:
        assert " ".join(line.split()) in said
    assert f"FAILED at position {drafted['position']}: document {sbd} version 1" in said
