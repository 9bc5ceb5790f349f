"""The Active Taxpayer List's tables: ``active_taxpayers`` (the latest list) and
``atl_imports`` (every import). All their SQL is here.

An import (``replace_list``) is one transaction: the rows are copied into a temporary table
(``COPY``: millions of rows at a steady memory), counted, and only then, if any is left,
the import recorded and the list's rows replaced. A reader sees the previous list until
the commit and the new one after; a file that fails half-way leaves the previous list as it
was. Imports take a lock on ``atl_imports``, so two at once run one after the other and the
highest ``id`` is the latest list. Duplicates (an NTN twice in the file, as written or
normalised) keep their first row and are counted.

Reads (``latest_and_listed``) are one query on the API's asyncpg pool: the latest import and
which of the given NTNs it lists (primary-key look-ups).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import asyncpg
import psycopg


class TaxpayerRows(Protocol):
    """A list being read: its rows, then what was read and left out."""

    rows_read: int

    def taxpayers(self) -> Iterator[tuple[str, str]]:
        """Each kept row's normalised NTN and name."""
        ...

    @property
    def skipped(self) -> Mapping[str, int]:
        """Rows left out by reason; complete once ``taxpayers()`` has ended."""
        ...


class EmptyListError(ValueError):
    """The file has no row with a valid NTN: nothing was imported."""


@dataclass(frozen=True)
class ListFacts:
    """The latest import, as the standing checks need it."""

    id: int
    imported_at: datetime
    published_on: date | None


@dataclass(frozen=True)
class ListImport:
    """One import, as recorded."""

    id: int
    imported_at: datetime
    published_on: date | None
    file_name: str
    sha256: str
    rows_read: int
    taxpayers: int
    skipped: dict[str, int]


def replace_list(
    dsn: str,
    rows: TaxpayerRows,
    *,
    file_name: str,
    sha256: str,
    imported_at: datetime,
    published_on: date | None,
) -> ListImport:
    """Replace the list with ``rows``, recording the import, in one transaction;
    ``EmptyListError`` (and nothing changed) when no row is left to import."""
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("LOCK TABLE atl_imports IN SHARE ROW EXCLUSIVE MODE")
        conn.execute(
            "CREATE TEMPORARY TABLE atl_staging (line bigint, ntn text, name text) ON COMMIT DROP"
        )
        with conn.cursor() as cursor:
            with cursor.copy("COPY atl_staging (line, ntn, name) FROM STDIN") as copy:
                for line, (ntn, name) in enumerate(rows.taxpayers()):
                    copy.write_row((line, ntn, name))
            cursor.execute("SELECT count(*), count(DISTINCT ntn) FROM atl_staging")
            staged, unique = cursor.fetchone() or (0, 0)
        if unique == 0:
            msg = "no row of the file has a valid NTN: nothing was imported"
            raise EmptyListError(msg)
        skipped = dict(rows.skipped)
        if staged > unique:
            skipped["duplicate"] = staged - unique
        recorded = conn.execute(
            "INSERT INTO atl_imports (imported_at, published_on, file_name, sha256, rows_read, "
            "taxpayers, skipped) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (
                imported_at,
                published_on,
                file_name,
                sha256,
                rows.rows_read,
                unique,
                json.dumps(skipped, sort_keys=True),
            ),
        ).fetchone()
        assert recorded is not None  # noqa: S101 (INSERT ... RETURNING gives its row)
        import_id = int(recorded[0])
        conn.execute("DELETE FROM active_taxpayers")
        conn.execute(
            "INSERT INTO active_taxpayers (ntn, name, import_id) "
            "SELECT DISTINCT ON (ntn) ntn, name, %s FROM atl_staging ORDER BY ntn, line",
            (import_id,),
        )
    return ListImport(
        id=import_id,
        imported_at=imported_at,
        published_on=published_on,
        file_name=file_name,
        sha256=sha256,
        rows_read=rows.rows_read,
        taxpayers=unique,
        skipped=skipped,
    )


async def latest_and_listed(
    pool: asyncpg.Pool, ntns: list[str]
) -> tuple[ListFacts | None, frozenset[str]]:
    """The latest import (None: no list was ever imported), and which of ``ntns`` it lists."""
    row = await pool.fetchrow(
        "SELECT i.id, i.imported_at, i.published_on, "
        "ARRAY(SELECT t.ntn FROM active_taxpayers t WHERE t.ntn = ANY($1::text[])) AS listed "
        "FROM atl_imports i ORDER BY i.id DESC LIMIT 1",
        ntns,
    )
    if row is None:
        return None, frozenset()
    facts = ListFacts(row["id"], row["imported_at"], row["published_on"])
    return facts, frozenset(row["listed"])
