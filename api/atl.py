"""FBR's Active Taxpayer List (ATL) read from the CSV file an operator downloads.

The file is read with the standard library's ``csv`` module: a list is one table of plain
text cells (serial number, NTN, name), and ``csv`` already deals with quoting, embedded
commas and line endings; what is particular to FBR's files (header lines above the table,
a BOM, column names spelt several ways, NTNs with or without their dash, CNICs) is a few
lines here, and no library knows it. A spreadsheet is saved as CSV first (FBR's own
downloads are CSV; the list has millions of rows, more than a worksheet holds comfortably).

The reader streams: one row at a time, however long the list. Rows are normalised and
counted here; duplicates are found by the database, which sees the whole list
(``procurement/store/active_taxpayers.py``).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

HEADER_SEARCH_ROWS = 100
"""Rows (blank ones aside) searched for the column names: FBR's files put a title, the
date and notes above the table."""

NAME_MAX = 300
"""A name longer than this is cut: the list's names are shown, never checked."""

NTN_COLUMNS = ("ntn", "ntnno", "ntnnumber", "nationaltaxnumber", "ntncnic", "cnicntn")
"""Column names (``column_key``) holding an NTN, the first found preferred."""
CNIC_COLUMNS = ("cnic", "cnicno", "registrationno", "registrationnumber", "regno", "ntnstrn")
"""Columns holding a CNIC (an individual's NTN) or a registration number: used where the
NTN column is empty."""
NAME_COLUMNS = ("name", "taxpayername", "nameoftaxpayer", "businessname", "companyname")

_NTN = re.compile(r"^(\d{7})-?(\d)$")
_CNIC = re.compile(r"^(\d{5})-?(\d{7})-?(\d)$")


class AtlFileError(ValueError):
    """The file is not a list the platform can read: nothing is imported."""


def column_key(cell: str) -> str:
    """A column's name as compared: lower case, letters and digits only ("NTN No." and
    "ntn_no" are both ``ntnno``)."""
    return re.sub(r"[^0-9a-z]", "", cell.lower())


def normalise_ntn(cell: str) -> str | None:
    """An NTN as the platform keeps it (``VendorProfile.ntn``): seven digits, a dash and the
    check digit ("1234567-8", from "12345678" too), or a CNIC's 13 digits (from
    "42101-1234567-1" too). None if the cell is neither."""
    text = re.sub(r"\s", "", cell)
    if match := _NTN.match(text):
        return f"{match[1]}-{match[2]}"
    if match := _CNIC.match(text):
        return "".join(match.groups())
    return None


@dataclass(frozen=True)
class Columns:
    """Where a list's cells are: the NTN columns (in preference) and the name columns."""

    ntn: tuple[int, ...]
    name: tuple[int, ...]

    @classmethod
    def find(cls, row: list[str]) -> Columns | None:
        keys = [column_key(cell) for cell in row]

        def where(names: tuple[str, ...]) -> tuple[int, ...]:
            return tuple(i for name in names for i, key in enumerate(keys) if key == name)

        ntn = where(NTN_COLUMNS) + where(CNIC_COLUMNS)
        return cls(ntn, where(NAME_COLUMNS)) if ntn else None

    @staticmethod
    def _first(row: list[str], indices: tuple[int, ...]) -> str:
        for index in indices:
            if index < len(row) and row[index].strip():
                return row[index].strip()
        return ""

    def ntn_of(self, row: list[str]) -> str:
        return self._first(row, self.ntn)

    def name_of(self, row: list[str]) -> str:
        return self._first(row, self.name).replace("\x00", "")[:NAME_MAX]


@dataclass
class AtlReader:
    """A list's rows, read once: ``taxpayers()`` yields each kept row's NTN and name;
    ``rows_read`` and ``skipped`` (rows left out, by reason) are complete once it ends."""

    columns: Columns
    _rows: Iterator[list[str]]
    rows_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def taxpayers(self) -> Iterator[tuple[str, str]]:
        for row in self._rows:
            if not any(cell.strip() for cell in row):
                continue  # a blank line is no row
            self.rows_read += 1
            cell = self.columns.ntn_of(row)
            if not cell:
                self.skipped["no_ntn"] += 1
                continue
            ntn = normalise_ntn(cell)
            if ntn is None:
                self.skipped["invalid_ntn"] += 1
                continue
            yield ntn, self.columns.name_of(row)


def read_atl(lines: Iterable[str]) -> AtlReader:
    """The reader of a list's text lines (a file opened with ``encoding="utf-8-sig"`` and
    ``newline=""``), past the row that names the columns. ``AtlFileError`` when no row
    among the first ``HEADER_SEARCH_ROWS`` names an NTN column."""
    rows = (
        [cell.removeprefix("\ufeff") for cell in row]
        for row in csv.reader(line.replace("\x00", "") for line in lines)
    )
    searched = 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        columns = Columns.find(row)
        if columns is not None:
            return AtlReader(columns, rows)
        searched += 1
        if searched >= HEADER_SEARCH_ROWS:
            break
    msg = (
        "no NTN column: none of the first "
        f"{HEADER_SEARCH_ROWS} rows names one (NTN, CNIC or Registration No)"
    )
    raise AtlFileError(msg)
