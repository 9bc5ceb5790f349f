"""``procurement seal --notice FILE`` with a damaged notice: a message and exit status 2,
never a traceback (the bid itself is never echoed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

TENDER = "00000000-0000-4000-8000-000000000000"
BID = {"prices": [{"lot_id": "1", "price": {"amount": "100.00", "currency": "PKR"}}]}
KEY = {"envelope": "bid", "suite": "HPKE-X25519-SHA256-AES128GCM", "public_key": "A" * 44}


@pytest.mark.parametrize(
    "notice",
    [
        b"not JSON",
        b"\xff\xfe",
        b"[1, 2]",
        json.dumps({"id": TENDER}).encode(),
        json.dumps({"id": TENDER, "sealing": 5, "method": "two_stage"}).encode(),
        json.dumps({"id": TENDER, "sealing": [5], "method": "two_stage"}).encode(),
        json.dumps({"id": TENDER, "sealing": [{}], "method": "two_stage"}).encode(),
        json.dumps({"id": TENDER, "sealing": [KEY], "method": "no_such_method"}).encode(),
        json.dumps({"id": TENDER, "sealing": [{**KEY, "suite": [1]}]}).encode(),
        json.dumps({"id": TENDER, "sealing": [{**KEY, "public_key": 7}], "method": "x"}).encode(),
    ],
)
def test_a_damaged_notice_is_a_message_and_exit_2(tmp_path: Path, notice: bytes) -> None:
    (tmp_path / "notice.json").write_bytes(notice)
    (tmp_path / "bid.json").write_text(json.dumps(BID))
    arguments = ["seal", "--tender", TENDER, "--username", "alpha"]
    files = ["--in", str(tmp_path / "bid.json"), "--notice", str(tmp_path / "notice.json")]
    result = CliRunner().invoke(app, [*arguments, *files])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert "100.00" not in result.output
