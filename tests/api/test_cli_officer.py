"""An officer made by `procurement users add` enrols a second factor with nobody's help,
signs in and works through HTTP."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from procurement.cli import app
from procurement.second_factor import code_at
from procurement.settings import Settings
from tests.api.conftest import Api
from tests.support import FakeClock, tender_json


def test_an_officer_from_the_command_line_publishes_through_http(
    api: Api, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": settings.dsn, "PROCUREMENT_DATA_DIR": str(tmp_path / "cli")}
    added = CliRunner().invoke(
        app,
        ["users", "add", "--username", "s.memon@sgd", "--role", "officer", "--entity", "sgd"],
        input="sindh-procurement-2026\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    password = {"username": "s.memon@sgd", "password": "sindh-procurement-2026"}
    first = api.client.post("/auth/token", json=password)
    assert first.status_code == 403, first.text
    assert first.json()["code"] == "second_factor_enrolment_required"
    enrolment = {"Authorization": f"Bearer {first.json()['enrolment_token']}"}
    offer = api.post("/auth/second-factor", enrolment)
    assert offer.status_code == 200, offer.text
    code = code_at(offer.json()["secret"], clock.now())
    confirmed = api.post("/auth/second-factor/confirm", enrolment, json={"code": code})
    assert confirmed.status_code == 200, confirmed.text
    assert len(confirmed.json()["recovery_codes"]) == 10
    officer = {"Authorization": f"Bearer {confirmed.json()['access_token']}"}
    tender_id = api.post("/tenders", officer, json=tender_json(clock.now())).json()["id"]
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text
    page = api.client.get(
        f"/public/tenders?entity=sgd&read_token={published.json()['read_token']}"
    ).json()
    assert [t["id"] for t in page["items"]] == [tender_id]
