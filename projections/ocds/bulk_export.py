"""Bulk export of the OCDS data: release packages in the feed's order, and one record package
per contracting process, as files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from projections.ocds.records import record_package
from projections.ocds.release_builder import release_package


class ExportFolderNotEmptyError(RuntimeError):
    """The export would mix with files already in its folder."""


def export(
    dsn: str,
    directory: Path,
    base_url: str,
    page_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Write ``releases/NNNNNN.json`` and ``records/<ocid>.json`` under ``directory``.
    Returns (releases written, records written). The folders must be new or empty: pages
    left from an earlier export with another page size would be read as part of this one."""
    for part in ("releases", "records"):
        folder = directory / part
        if folder.exists() and any(folder.iterdir()):
            msg = f"{folder} already holds an export: give an empty folder"
            raise ExportFolderNotEmptyError(msg)
        folder.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        total_row = conn.execute("SELECT count(*) FROM ocds_releases").fetchone()
        total = int(total_row[0]) if total_row else 0
        written, page, after = 0, 0, 0
        while True:
            rows = conn.execute(
                "SELECT position, release::text, date FROM ocds_releases WHERE position > %s "
                "ORDER BY position LIMIT %s",
                (after, page_size),
            ).fetchall()
            if not rows:
                break
            page += 1
            releases = [json.loads(text) for _, text, _ in rows]
            package = release_package(
                releases, f"{base_url}/ocds/releases?after={after}&limit={page_size}", rows[-1][2]
            )
            _write(directory / "releases" / f"{page:06d}.json", package)
            after = rows[-1][0]
            written += len(rows)
            if progress is not None:
                progress(written, total)
        ocids = [r[0] for r in conn.execute("SELECT ocid FROM ocds_processes ORDER BY ocid")]
        for ocid in ocids:
            texts = conn.execute(
                "SELECT release::text FROM ocds_releases WHERE ocid = %s ORDER BY position",
                (ocid,),
            ).fetchall()
            package = record_package(
                [json.loads(t) for (t,) in texts], f"{base_url}/ocds/records/{ocid}", base_url
            )
            _write(directory / "records" / f"{ocid}.json", package)
    return written, len(ocids)


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
