"""``procurement audit``: export the audit ledger, and verify an export."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.console import _settings, console
from procurement.audit import export as export_format
from procurement.audit import verify as audit
from procurement.audit.verify_report import Report
from procurement.crypto.receipts import ReceiptSigner
from procurement.store import documents as stored_documents
from procurement.store import migrations

audit_cli = typer.Typer(help="The audit ledger: export and verify.", no_args_is_help=True)
DAMAGED_SHOWN = 20  # damaged lines (and failing documents) listed by ``audit verify``


@audit_cli.command("export")
def audit_export(
    file: Annotated[Path, typer.Argument(help="the JSON Lines file to write")],
) -> None:
    """Write every stored event with its ledger leaf, and every signed checkpoint."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    public_key = ReceiptSigner(settings.signing_seed).public_key
    lines = export_format.database_lines(settings.dsn, public_key, settings.ledger_origin)
    with file.open("w", encoding="utf-8") as handle:
        handle.writelines(lines)
    console.print(f"{len(lines) - 1} lines written to {file}; public key {public_key}")


@audit_cli.command("verify")
def audit_verify(
    file: Annotated[Path | None, typer.Argument(help="an audit export to verify")] = None,
    public_key: Annotated[
        str | None, typer.Option(help="the platform's Ed25519 public key (base64)")
    ] = None,
    database: Annotated[bool, typer.Option(help="verify the live database instead")] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="a signed checkpoint (JSON) kept from earlier: the export must extend it",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    documents: Annotated[
        bool,
        typer.Option(
            help="also check every document version the events name against the document "
            "store (in the database of DATABASE_URL, or the embedded one)"
        ),
    ] = False,
) -> None:
    """Recompute every leaf and root, check every checkpoint and opening; report the first
    position where anything disagrees (exit status 1). Events after the latest signed
    checkpoint are counted, not failed; with no signed checkpoint at all nothing is verified
    as signed, and that fails. Only a checkpoint kept outside the platform (--checkpoint)
    shows a history rewritten after it with its later checkpoints deleted. --documents
    checks each stored file against the SHA-256 its events record, and lists every one
    missing or changed."""
    if database == (file is not None):
        console.print("give an export FILE, or --database")
        raise typer.Exit(2)
    pinned = _pinned_checkpoint(checkpoint) if checkpoint is not None else None
    settings = _settings() if database or documents else None
    if settings is not None and database:
        key = public_key or ReceiptSigner(settings.signing_seed).public_key
        lines = export_format.database_lines(settings.dsn, key, settings.ledger_origin)
    else:
        if public_key is None:
            console.print("--public-key is required: verify against a key you trust")
            raise typer.Exit(2)
        key = public_key
        lines = audit.file_lines(file.read_bytes() if file else b"")
    check = None  # the document store's, with --documents: the file has no documents' bytes
    if settings is not None and documents:
        check = functools.partial(stored_documents.check_stored, settings.dsn)
    report = audit.verify(lines, key, pinned, check)
    _print_report(report, documents=documents)
    problem = report.first_problem
    if problem is not None:
        console.print(f"FAILED at position {problem[0]}: {problem[1]}", markup=False)
        raise typer.Exit(1)
    pinned_text = f", consistent with the pinned checkpoint {report.pinned}" if pinned else ""
    checked = ", every document" if documents else ""
    console.print(
        f"verified: every leaf, root, checkpoint and opening{checked} agrees{pinned_text}"
    )


def _print_report(report: Report, *, documents: bool) -> None:
    """What was checked, the coverage, the damaged lines and the documents that fail."""
    console.print(
        f"{report.events} events, {report.leaves} leaves, {report.checkpoints} checkpoints, "
        f"{report.openings} openings ({report.bids_rechecked} bids re-decrypted)"
    )
    console.print(_coverage(report))
    _print_some(
        [f"line {line} (position {at}) is damaged: {why}" for line, at, why in report.damaged],
        "damaged lines",
    )
    if documents:
        console.print(
            f"{report.documents} document versions named by the events, "
            f"{report.document_files} files checked in the document store"
        )
        _print_some(report.document_problems, "documents that fail")


def _print_some(lines: list[str], what: str) -> None:
    """The first ``DAMAGED_SHOWN`` of ``lines``, and how many more."""
    for line in lines[:DAMAGED_SHOWN]:
        console.print(line, markup=False)
    if len(lines) > DAMAGED_SHOWN:
        console.print(f"... and {len(lines) - DAMAGED_SHOWN} more {what}")


def _pinned_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint in ``path``: one JSON object, as ``GET /audit/checkpoints/latest``
    answers it or as an export's checkpoint line holds it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        console.print(f"--checkpoint: {path} is not a JSON checkpoint ({error})")
        raise typer.Exit(2) from None
    if not isinstance(document, dict):
        console.print(f"--checkpoint: {path} is not a JSON checkpoint (not an object)")
        raise typer.Exit(2)
    return document


def _coverage(report: Report) -> str:
    """How much of the history the latest signed checkpoint covers, and what follows it."""
    text = f"{report.covered} events covered by the latest signed checkpoint"
    if not report.uncovered:
        return f"{text}, none after it"
    text = f"{text}; {report.uncovered} not yet covered, from position {report.first_uncovered}"
    if report.unhashed:
        text += f" ({report.unhashed} of them not yet hashed by the ledger)"
    return text
