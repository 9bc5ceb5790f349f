"""The command line's text takes the text rule too: refused, it says where, and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from api.cli import app
from procurement.commands.application import ProcurementApplication
from procurement.settings import Settings


@pytest.fixture
def env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.dsn,
        "PROCUREMENT_DATA_DIR": str(tmp_path / "cli-data"),
        "PROCUREMENT_LOG_LEVEL": "WARNING",
    }


@pytest.mark.parametrize(
    ("args", "password", "refusal"),
    [
        (["--username", "o.one", "--entity", "works\x00dept"], "a-long-password", "entity: U+0000"),
        (["--username", "o.\udcff", "--entity", "wsd"], "a-long-password", "username: U+DCFF"),
        (["--username", "o.one", "--entity", "wsd"], "a-long\x1bpassword", "password: U+001B"),
    ],
)
def test_users_add_refuses_text_the_rule_refuses(
    env: dict[str, str],
    application: ProcurementApplication,
    args: list[str],
    password: str,
    refusal: str,
) -> None:
    result = CliRunner().invoke(
        app, ["users", "add", "--role", "officer", *args], input=password + "\n", env=env
    )
    assert result.exit_code == 2, result.output
    assert f"invalid_text: {refusal}" in " ".join(result.output.split())
    assert not application.has_events()


def test_seal_refuses_a_bid_whose_text_the_rule_refuses(tmp_path: Path) -> None:
    tender = str(uuid4())
    notice = tmp_path / "notice.json"
    notice.write_text(json.dumps({"id": tender, "method": "single_stage_one_envelope"}))
    bid = tmp_path / "bid.json"
    bid.write_text(json.dumps({"technical_offer": "Plan\u0000B", "prices": []}))
    files = ["--in", str(bid), "--notice", str(notice)]
    sealed = CliRunner().invoke(app, ["seal", "--tender", tender, "--username", "alpha", *files])
    assert sealed.exit_code == 2, sealed.output
    said = " ".join(sealed.output.split())  # the console wraps long lines
    assert "technical_offer: U+0000 (a control character) at character 5" in said
