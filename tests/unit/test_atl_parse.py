"""Reading FBR's Active Taxpayer List from CSV: the shapes its files come in, and a file
that is no list."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.atl import HEADER_SEARCH_ROWS, AtlFileError, column_key, normalise_ntn, read_atl

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "atl-sample.csv"


def read(text: str) -> tuple[list[tuple[str, str]], int, dict[str, int]]:
    reader = read_atl(text.splitlines(keepends=True))
    rows = list(reader.taxpayers())
    return rows, reader.rows_read, dict(reader.skipped)


@pytest.mark.parametrize(
    ("cell", "ntn"),
    [
        ("1234567-8", "1234567-8"),
        ("12345678", "1234567-8"),
        (" 1234567 - 8 ", "1234567-8"),
        ("4210112345671", "4210112345671"),
        ("42101-1234567-1", "4210112345671"),
        ("0012345-6", "0012345-6"),
        ("1234567", None),  # no check digit: it cannot be matched to a registered NTN
        ("123456789", None),
        ("12-345678", None),
        ("A123456-7", None),
        ("", None),
    ],
)
def test_ntns_are_normalised_as_vendors_register_them(cell: str, ntn: str | None) -> None:
    assert normalise_ntn(cell) == ntn


def test_column_names_compare_without_case_spaces_or_marks() -> None:
    assert column_key(" NTN No. ") == column_key("ntn_no") == "ntnno"
    assert column_key("Business Name") == "businessname"


def test_the_sample_file_as_fbr_publishes_it() -> None:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as text:
        reader = read_atl(text)
        rows = list(reader.taxpayers())
    assert rows == [
        ("1234567-8", "Indus Builders (Pvt) Ltd"),
        ("2345678-9", "Kirthar Construction Company"),
        ("4210112345671", "Asif Ali"),  # the NTN column empty: the CNIC column's number
        ("3456789-0", "Thar Engineering Works"),
        ("3456789-0", "Thar Engineering Works (again)"),  # duplicates: the database's count
        ("7654321-0", "Mehran Medical Supplies, Karachi"),
    ]
    assert reader.rows_read == 8  # blank lines are no rows
    assert dict(reader.skipped) == {"invalid_ntn": 1, "no_ntn": 1}


def test_a_bom_left_in_the_text_and_no_lines_above_the_header() -> None:
    rows, read_count, skipped = read("\ufeffNTN,Name\r\n1234567-8,Alpha\r\n\r\n2345678-9,Beta\r\n")
    assert rows == [("1234567-8", "Alpha"), ("2345678-9", "Beta")]
    assert (read_count, skipped) == (2, {})


@pytest.mark.parametrize(
    "header",
    ["Registration No,Taxpayer Name", "REGISTRATION_NO , NAME ", "cnic,name", "NTN/CNIC,Name"],
)
def test_the_number_column_under_its_other_names(header: str) -> None:
    rows, _, _ = read(f"{header}\n4210112345671,Alpha\n")
    assert rows == [("4210112345671", "Alpha")]


def test_a_list_without_names_and_names_cut_to_their_limit() -> None:
    assert read("Sr,NTN\n1,1234567-8\n")[0] == [("1234567-8", "")]
    [(_, name)] = read(f"NTN,Name\n1234567-8,{'x' * 1000}\n")[0]
    assert len(name) == 300


def test_a_file_with_no_ntn_column_is_refused() -> None:
    with pytest.raises(AtlFileError, match="no NTN column"):
        read_atl(["Sr,Name,Address\n", "1,Alpha,Karachi\n"])
    with pytest.raises(AtlFileError):
        read_atl([])


def test_the_header_is_looked_for_only_near_the_top() -> None:
    notes = [f"note {n}\n" for n in range(HEADER_SEARCH_ROWS)]
    with pytest.raises(AtlFileError):
        read_atl([*notes, "NTN,Name\n", "1234567-8,Alpha\n"])


def test_a_file_with_no_valid_row_reads_nothing() -> None:
    rows, read_count, skipped = read("NTN,Name\nabc,Alpha\n,Beta\n")
    assert rows == []
    assert (read_count, skipped) == (2, {"invalid_ntn": 1, "no_ntn": 1})
