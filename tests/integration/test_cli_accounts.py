"""Administrators' account commands at the command line: each an event of the account."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from domain.account import account_id_for
from domain.errors import AccountDisabledError, SecondFactorRequiredError
from domain.values import Role
from procurement.application import ProcurementApplication
from procurement.cli import app
from procurement.history import events_of
from procurement.settings import Settings
from tests.accounts import PASSWORD, add_staff


def secret(value: SecretStr | None) -> str:
    assert value is not None
    return value.get_secret_value()


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    # The test's keys, so that the command line and the test's application agree.
    return {
        "DATABASE_URL": settings.dsn,
        "PROCUREMENT_DATA_DIR": str(tmp_path / "cli-data"),
        "PROCUREMENT_SEALING_KEK": secret(settings.sealing_kek),
        "PROCUREMENT_JWT_SECRET": settings.jwt_key,
        "PROCUREMENT_LOG_LEVEL": "WARNING",
    }


def test_disable_enable_reset_and_remove_a_second_factor(
    env: dict[str, str], application: ProcurementApplication
) -> None:
    add_staff(application, "o.khan@works", Role.OFFICER, "wsd")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["users", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    run("disable", "--username", "o.khan@works", "--reason", "on leave")
    with pytest.raises(AccountDisabledError):
        application.authenticate("o.khan@works", PASSWORD, totp_code="000000")
    refused = runner.invoke(
        app, ["users", "disable", "--username", "o.khan@works", "--reason", "again"], env=env
    )
    assert refused.exit_code == 1
    assert "account_disabled" in refused.output
    run("enable", "--username", "o.khan@works", "--reason", "back")
    with pytest.raises(SecondFactorRequiredError):
        application.authenticate("o.khan@works", PASSWORD)
    run("remove-second-factor", "--username", "o.khan@works", "--reason", "phone lost")
    assert application.authenticate("o.khan@works", PASSWORD).enrolment_only
    printed = run("reset-password", "--username", "o.khan@works")
    match = re.search(r"reset code for o\.khan@works: (\S+) \(valid until", printed)
    assert match, printed
    application.complete_password_reset("o.khan@works", match.group(1), "after-the-reset", "t")
    assert application.authenticate("o.khan@works", "after-the-reset").enrolment_only
    kinds = [e["type"] for e in events_of(application, account_id_for("o.khan@works"))]
    assert kinds[-5:] == [
        "AccountDisabled",
        "AccountEnabled",
        "SecondFactorRemoved",
        "PasswordResetIssued",
        "PasswordResetCompleted",
    ]
