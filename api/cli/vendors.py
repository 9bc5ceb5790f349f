"""``procurement vendors``: the vendors' standing from lists the authorities publish.

``import-atl FILE`` replaces the platform's copy of FBR's Active Taxpayer List with the CSV
file an operator downloaded (read by ``api/atl.py``), in one transaction that records the
import (``procurement/store/active_taxpayers.py``). Its counts go to standard output; a file
that cannot be read, or has no row with a valid NTN, imports nothing and exits 1.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from api.atl import AtlFileError, read_atl
from api.cli.console import _settings, console
from procurement.clock import SystemClock
from procurement.store import migrations
from procurement.store.active_taxpayers import EmptyListError, ListImport, replace_list

vendors = typer.Typer(help="Vendors' standing from published lists.", no_args_is_help=True)

HASH_CHUNK = 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _published_on(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("a date as YYYY-MM-DD", param_hint="--published-on") from None


def _report(done: ListImport) -> str:
    skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(done.skipped.items()))
    published = done.published_on.isoformat() if done.published_on else "not given"
    return (
        f"imported {done.taxpayers} active taxpayers from {done.file_name} "
        f"(import {done.id}, sha256 {done.sha256})\n"
        f"rows read: {done.rows_read}; skipped: {sum(done.skipped.values())}"
        f"{f' ({skipped})' if skipped else ''}\n"
        f"published on: {published}; imported at: {done.imported_at.isoformat()}"
    )


@vendors.command("import-atl")
def import_atl(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="FBR's list, as CSV.")],
    published_on: Annotated[
        str | None,
        typer.Option(help="The date FBR published the list (YYYY-MM-DD); its age counts from it."),
    ] = None,
) -> None:
    """Replace the Active Taxpayer List with FILE (FBR's income tax list, as CSV)."""
    published = _published_on(published_on)
    settings = _settings()
    migrations.upgrade(settings.dsn)
    sha256 = _sha256(file)
    imported_at: datetime = SystemClock().now()
    try:
        with file.open(encoding="utf-8-sig", errors="replace", newline="") as text:
            done = replace_list(
                settings.dsn,
                read_atl(text),
                file_name=file.name,
                sha256=sha256,
                imported_at=imported_at,
                published_on=published,
            )
    except (AtlFileError, EmptyListError, csv.Error) as error:
        console.print(f"{file.name}: {error}; nothing was imported")
        raise typer.Exit(1) from None
    typer.echo(_report(done))
