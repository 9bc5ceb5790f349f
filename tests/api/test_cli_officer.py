"""An officer made by `procurement users add` signs in and works through HTTP."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from procurement.cli import app
from procurement.settings import Settings
from tests.api.conftest import Api
from tests.support import FakeClock, tender_json


def test_an_officer_from_the_command_line_publishes_through_http(
    api: Api, settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": settings.dsn, "PROCUREMENT_DATA_DIR": str(tmp_path / "cli")}
    added = CliRunner().invoke(
        app,
        ["users", "add", "--username", "s.memon", "--role", "officer", "--entity", "sgd"],
        input="sindh-procurement-2026\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    officer = api.login("s.memon", "sindh-procurement-2026")
    tender_id = api.post("/tenders", officer, json=tender_json(clock.now())).json()["id"]
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text
    page = api.client.get(
        f"/public/tenders?entity=sgd&read_token={published.json()['read_token']}"
    ).json()
    assert [t["id"] for t in page["items"]] == [tender_id]
