"""``procurement vendors import-atl`` against a real PostgreSQL: an import replaces the list
whole, records itself, and a bad file changes nothing."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from procurement.settings import Settings

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "atl-sample.csv"


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.dsn,
        "PROCUREMENT_DATA_DIR": str(tmp_path / "cli-data"),
        "PROCUREMENT_LOG_LEVEL": "WARNING",
    }


def import_atl(env: dict[str, str], path: Path, *more: str) -> Result:
    return CliRunner().invoke(app, ["vendors", "import-atl", str(path), *more], env=env)


def listed(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT ntn, name FROM active_taxpayers").fetchall())


def imports(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT id, file_name, sha256, rows_read, taxpayers, skipped, published_on "
            "FROM atl_imports ORDER BY id"
        ).fetchall()


def test_the_sample_is_imported_and_the_import_recorded(
    env: dict[str, str], settings: Settings
) -> None:
    done = import_atl(env, SAMPLE, "--published-on", "2026-11-30")
    assert done.exit_code == 0, done.output
    assert "imported 5 active taxpayers from atl-sample.csv" in done.stdout
    assert "rows read: 8; skipped: 3 (duplicate 1, invalid_ntn 1, no_ntn 1)" in done.stdout
    assert listed(settings.dsn) == {
        "1234567-8": "Indus Builders (Pvt) Ltd",
        "2345678-9": "Kirthar Construction Company",
        "4210112345671": "Asif Ali",
        "3456789-0": "Thar Engineering Works",  # the first of the duplicates
        "7654321-0": "Mehran Medical Supplies, Karachi",
    }
    [(_, name, sha256, rows_read, taxpayers, skipped, published_on)] = imports(settings.dsn)
    assert (name, rows_read, taxpayers) == ("atl-sample.csv", 8, 5)
    assert sha256 == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert skipped == {"duplicate": 1, "invalid_ntn": 1, "no_ntn": 1}
    assert published_on == date(2026, 11, 30)


def test_an_import_replaces_the_whole_list(
    env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    assert import_atl(env, SAMPLE).exit_code == 0
    later = tmp_path / "later.csv"
    later.write_text("NTN,Name\n1234567-8,Indus Builders\n9999999-9,Newcomer\n")
    done = import_atl(env, later)
    assert done.exit_code == 0, done.output
    assert listed(settings.dsn) == {"1234567-8": "Indus Builders", "9999999-9": "Newcomer"}
    assert [row[1] for row in imports(settings.dsn)] == ["atl-sample.csv", "later.csv"]
    with psycopg.connect(settings.dsn) as conn:
        [(import_id,)] = conn.execute("SELECT DISTINCT import_id FROM active_taxpayers").fetchall()
    assert import_id == imports(settings.dsn)[-1][0]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("Sr,Name\n1,Alpha\n", "no NTN column"),
        ("NTN,Name\nabc,Alpha\n,Beta\n", "no row of the file has a valid NTN"),
        # Good rows copied, then a row the csv module refuses: the copy is rolled back.
        (f"NTN,Name\n1111111-1,Alpha\n2222222-2,{'x' * 200_000}\n", "field larger"),
    ],
)
def test_a_bad_file_imports_nothing(
    env: dict[str, str], settings: Settings, tmp_path: Path, content: str, why: str
) -> None:
    assert import_atl(env, SAMPLE).exit_code == 0
    before = (listed(settings.dsn), imports(settings.dsn))
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    refused = import_atl(env, bad)
    assert refused.exit_code == 1
    assert why in refused.output
    assert "nothing was imported" in refused.output
    assert (listed(settings.dsn), imports(settings.dsn)) == before


def test_a_bad_date_is_refused_before_anything(env: dict[str, str], settings: Settings) -> None:
    refused = import_atl(env, SAMPLE, "--published-on", "30/11/2026")
    assert refused.exit_code == 2
    assert imports(settings.dsn) == []
