"""A vendor seals on its own machine with `procurement seal` and checks its receipt with
`procurement verify-receipt`, neither needing the platform's database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.api.conftest import Api
from tests.api.test_bids import contents, published
from tests.support import FakeClock


def test_seal_offline_submit_and_verify_the_receipt(
    api: Api, clock: FakeClock, tmp_path: Path
) -> None:
    tender_id, notice = published(api, clock)
    token = api.register_vendor("alpha")
    (tmp_path / "notice.json").write_text(json.dumps(notice))
    (tmp_path / "bid.json").write_text(json.dumps(contents("4200000.00")["contents"]))
    runner = CliRunner()
    sealed = runner.invoke(
        app,
        [
            "seal",
            "--tender",
            tender_id,
            "--in",
            str(tmp_path / "bid.json"),
            "--username",
            "alpha",
            "--notice",
            str(tmp_path / "notice.json"),
        ],
    )
    assert sealed.exit_code == 0, sealed.output
    body = json.loads(sealed.stdout[sealed.stdout.index("{") : sealed.stdout.rindex("}") + 1])
    assert "4200000" not in json.dumps(body)
    answer = api.post(f"/tenders/{tender_id}/bids", token, json=body)
    assert answer.status_code == 201, answer.text
    commitment = answer.json()["receipt"]["commitments"]["bid"]
    assert commitment in sealed.output

    key = api.client.get("/public/keys").json()["receipt_signing_key"]["public_key"]
    (tmp_path / "receipt.json").write_text(answer.text)
    good = runner.invoke(
        app, ["verify-receipt", str(tmp_path / "receipt.json"), "--public-key", key]
    )
    assert good.exit_code == 0, good.output
    assert "valid" in good.output
    tampered = answer.json()
    tampered["receipt"]["received_at"] = tampered["receipt"]["received_at"].replace("2", "3", 1)
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    bad = runner.invoke(
        app, ["verify-receipt", str(tmp_path / "tampered.json"), "--public-key", key]
    )
    assert bad.exit_code == 1
    assert "INVALID" in bad.output

    # A repeated field (a made-up value shown first) and a signed ledger checkpoint (the same
    # key signs both) are not valid receipts either.
    receipt_text = json.dumps(answer.json()["receipt"])
    doubled = receipt_text.replace("{", '{"received_at": "2020-01-01T00:00:00Z", ', 1)
    (tmp_path / "doubled.json").write_text(doubled)
    repeated = runner.invoke(
        app, ["verify-receipt", str(tmp_path / "doubled.json"), "--public-key", key]
    )
    assert repeated.exit_code == 1
    assert "appears twice" in repeated.output
    checkpoint = {"tree_size": 1, "root": "00" * 32, "time": "2026-01-01T00:00:00Z"}
    (tmp_path / "checkpoint.json").write_text(json.dumps(checkpoint))
    other = runner.invoke(
        app, ["verify-receipt", str(tmp_path / "checkpoint.json"), "--public-key", key]
    )
    assert other.exit_code == 1
    assert "not a bid receipt" in other.output


def test_seal_refuses_what_it_cannot_trust_and_never_echoes_the_bid(
    api: Api, clock: FakeClock, tmp_path: Path
) -> None:
    tender_id, notice = published(api, clock)
    runner = CliRunner()
    base = ["seal", "--tender", tender_id, "--username", "alpha", "--in", str(tmp_path / "b.json")]

    (tmp_path / "b.json").write_text('{"prices": [{"lot_id": "1", "price": "9876543.21"}]}')
    (tmp_path / "notice.json").write_text(json.dumps(notice))
    invalid = runner.invoke(app, [*base, "--notice", str(tmp_path / "notice.json")])
    assert invalid.exit_code == 2
    assert "prices.0.price" in invalid.output
    assert "9876543" not in invalid.output  # the sealed-to-be price is never printed

    (tmp_path / "b.json").write_text(json.dumps(contents("4200000.00")["contents"]))
    other_suite = {**notice, "sealing": [{**k, "suite": "RSA-OAEP"} for k in notice["sealing"]]}
    (tmp_path / "other.json").write_text(json.dumps(other_suite))
    refused = runner.invoke(app, [*base, "--notice", str(tmp_path / "other.json")])
    assert refused.exit_code == 2
    assert "suite" in refused.output

    plain = runner.invoke(app, [*base, "--api", "http://procurement.example.org"])
    assert plain.exit_code == 2
    assert "https" in plain.output
