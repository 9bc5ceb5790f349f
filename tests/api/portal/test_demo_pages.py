"""The demo data set loads under every rule profile, and every portal page of every one of
its tenders renders, for every kind of user, in English and Urdu."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.cli import demo_data as demo
from domain.rules import PROFILE_NAMES
from procurement.commands.application import ProcurementApplication
from procurement.crypto import second_factor
from procurement.settings import Settings
from tests.api.portal.every_page import Account, by_path, render_every_page, tender_ids_in_store
from tests.support import FakeClock

DEMO_TENDERS = 5  # a draft among them
DEMO_PUBLISHED = 4


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_the_demo_loads_and_every_portal_page_renders(
    settings: Settings, clock: FakeClock, tmp_path: Path, profile: str
) -> None:
    settings = settings.model_copy(update={"rule_profile": profile})
    application = ProcurementApplication.from_settings(settings, clock)
    try:
        credentials = demo.load(application, tmp_path / "demo")
    finally:
        application.close()
    roles = {account.username: account.role for account in demo.ACCOUNTS}
    accounts = [Account(username, password, roles[username]) for username, password in credentials]
    tenders = tender_ids_in_store(settings.dsn)
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as client:
        codes = _codes_from(tmp_path / "demo" / "demo-credentials.txt", clock)
        statuses = render_every_page(client, settings.dsn, accounts, tenders, codes)
        listed = client.get("/public/tenders", params={"limit": 100}).json()["items"]
        for tender in listed:  # each notice in the languages it has, and no others
            notice = client.get(f"/public/tenders/{tender['id']}").json()
            page = client.get(f"/portal/tenders/{tender['id']}").text
            for language in ("ur", "sd"):
                text = notice["translations"].get(language)
                shown = f'<div lang="{language}" dir="rtl" class="notice-text">' in page
                assert shown == (text is not None), (tender["reference"], language)
                assert text is None or text["title"] in page
        road = next(t for t in listed if t["reference"] == "WSD/RD/2026/114")
        documents = client.get(f"/public/tenders/{road['id']}/documents").json()["documents"]
        versions = sorted(len(document["versions"]) for document in documents)
        assert versions == [1, 2]  # the SBD, and the BoQ revised by addendum 1
        for document in documents:
            for version in document["versions"]:
                assert client.get(version["url"]).status_code == 200
    published = {tender["id"]: tender["status"] for tender in listed}
    assert len(tenders) == DEMO_TENDERS
    assert sorted(published.values()) == ["active", "active", "cancelled", "contracted"]
    for tender in published:
        assert by_path(statuses, f"/portal/tenders/{tender}", None) == {200}
        assert by_path(statuses, f"/portal/audit/tenders/{tender}", "auditor@sindh") == {200}
        assert by_path(statuses, f"/portal/tenders/{tender}/bid", "indus.builders") == {200}
        assert by_path(statuses, f"/portal/regulator/tenders/{tender}", "regulator@sppra") == {200}
    for tender in tenders:  # its own entity's officers see each one, the draft too
        seen = [
            officer
            for officer in ("officer@works", "officer@health")
            if by_path(statuses, f"/portal/officer/tenders/{tender}", officer) == {200}
        ]
        assert len(seen) == 1, tender
    pages = ("/portal/vendor", "/portal/officer", "/portal/audit", "/portal/regulator")
    for page in (*pages, "/portal/awards", "/portal/vendor/debarment", "/portal/officer/entity"):
        assert {s for v, s in statuses.items() if v.path == page and v.username} == {200}, page


def _codes_from(credentials: Path, clock: FakeClock) -> Callable[[str], str | None]:
    """Each staff account's code now, from the second factor's URI the demo wrote beside its
    password (as a person adds it to an authenticator app)."""
    secrets = {}
    for line in credentials.read_text().splitlines():
        fields = line.split()
        if not line.startswith("#") and len(fields) == 3:
            query = parse_qs(urlsplit(fields[2]).query)
            secrets[fields[0]] = query["secret"][0]
    return lambda username: (
        second_factor.code_at(secrets[username], clock.now()) if username in secrets else None
    )
