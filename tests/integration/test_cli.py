"""The command line against a real database: accounts, demo data, rebuilds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pyotp
import pytest
from typer.testing import CliRunner

from domain.errors import SecondFactorRequiredError
from domain.values import Role
from procurement.application import ProcurementApplication
from procurement.bootstrap import resolve
from procurement.cli import app
from procurement.second_factor import code_at
from procurement.settings import Settings
from tests.support import FakeClock


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.dsn,
        "PROCUREMENT_DATA_DIR": str(tmp_path / "cli-data"),
        "PROCUREMENT_LOG_LEVEL": "WARNING",
    }


def test_users_add_reads_the_password_from_stdin(
    env: dict[str, str], application: ProcurementApplication
) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["users", "add", "--username", "o.one@wsd", "--role", "officer", "--entity", "wsd"],
        input="a-long-password\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    principal = application.authenticate("o.one@wsd", "a-long-password")
    assert (principal.role, principal.entity) == (Role.OFFICER, "wsd")

    again = runner.invoke(
        app,
        ["users", "add", "--username", "o.one@wsd", "--role", "auditor"],
        input="x" * 12,
        env=env,
    )
    assert again.exit_code == 1
    assert "username_taken" in again.output


@pytest.mark.parametrize(
    ("args", "password"),
    [
        (["--username", "v", "--role", "vendor"], "a-long-password"),
        (["--username", "short", "--role", "auditor"], "short"),
        (["--username", "o", "--role", "officer"], "a-long-password"),  # no entity
    ],
)
def test_users_add_refuses_what_it_must(
    env: dict[str, str], application: ProcurementApplication, args: list[str], password: str
) -> None:
    result = CliRunner().invoke(app, ["users", "add", *args], input=password + "\n", env=env)
    assert result.exit_code != 0
    assert not application.has_events()


def test_demo_loads_once_and_rebuild_replays_it(
    env: dict[str, str], application: ProcurementApplication, tmp_path: Path, clock: FakeClock
) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo"], env=env)
    assert first.exit_code == 0, first.output
    credentials = (tmp_path / "cli-data" / "demo-credentials.txt").read_text().splitlines()
    accounts = [line.split() for line in credentials if not line.startswith("#")]
    username, password, uri = accounts[0]  # an officer: with its second factor's URI
    assert uri.startswith("otpauth://totp/")
    with pytest.raises(SecondFactorRequiredError):
        application.authenticate(username, password)
    # Its secret is encrypted under the KEK the command line generated for its data folder.
    cli_settings = resolve(
        Settings(database_url=env["DATABASE_URL"], data_dir=Path(env["PROCUREMENT_DATA_DIR"]))
    )
    clock.set(datetime.now(UTC))  # the demo enrolled it by the real clock
    code = code_at(pyotp.parse_uri(uri).secret, clock.now())
    as_the_cli = ProcurementApplication.from_settings(cli_settings, clock)
    try:
        principal = as_the_cli.authenticate(username, password, totp_code=code)
    finally:
        as_the_cli.close()
    assert principal.role is Role.OFFICER
    vendor = next(account for account in accounts if len(account) == 2)
    assert application.authenticate(*vendor).role is Role.VENDOR
    assert (tmp_path / "cli-data" / "demo-credentials.txt").stat().st_mode & 0o077 == 0

    second = runner.invoke(app, ["demo"], env=env)
    assert "not empty" in second.output

    rebuilt = runner.invoke(app, ["projections", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    events = application.recorder.max_notification_id()
    assert f"rebuilt from {events} events" in rebuilt.output
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        statuses: dict[str, str] = dict(
            conn.execute("SELECT reference, status FROM public_tenders").fetchall()
        )
        [(supplier, award_status)] = conn.execute(
            "SELECT supplier_name, status FROM public_awards"
        ).fetchall()
    assert statuses["WSD/BR/2026/052"] == "contracted"  # the demo's completed tender
    assert (supplier, award_status) == ("Indus Builders (Pvt) Ltd", "contracted")
