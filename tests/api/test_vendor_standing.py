"""Vendors' standing on FBR's Active Taxpayer List through HTTP, with the list enforced
(``PROCUREMENT_ATL_ENFORCE``): registration answers it, an unlisted vendor's bid is refused
and writes nothing, an old list or none refuses nobody, and officers see every bidder's
standing at the opening."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from api.atl import read_atl
from procurement.settings import Settings
from procurement.store.active_taxpayers import replace_list
from procurement.store.vendor_standing import TTL
from tests.api.conftest import PASSWORD, Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_vendor_pages import bid as portal_bid
from tests.api.portal.test_vendor_pages import register as portal_register
from tests.api.test_bad_input import assert_problem
from tests.api.test_bids import contents, published
from tests.support import FakeClock

NTNS = {"alpha": "1111111-1", "beta": "2222222-2"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"atl_enforce": True})


def import_list(api: Api, *ntns: str, published_on: date | None = None) -> None:
    """A list with ``ntns`` on it, imported now (the platform's clock)."""
    text = "Sr,NTN,Name\n" + "".join(f"{n},{ntn},Taxpayer {n}\n" for n, ntn in enumerate(ntns))
    replace_list(
        api.dsn,
        read_atl(text.splitlines(keepends=True)),
        file_name="atl.csv",
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        imported_at=api.clock.now(),
        published_on=published_on,
    )


def register(api: Api, username: str) -> Any:
    answer = api.client.post(
        "/vendors/register",
        json={
            "username": username,
            "password": PASSWORD,
            "legal_name": f"{username} (Pvt) Ltd",
            "ntn": NTNS[username],
            "contact_email": f"{username}@example.com",
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["standing"]


def bid_rows(api: Api) -> int:
    with psycopg.connect(api.dsn) as conn:
        row = conn.execute("SELECT count(*) FROM tender_bids").fetchone()
    assert row is not None
    return int(row[0])


def test_registration_answers_the_standing_and_never_refuses(api: Api, clock: FakeClock) -> None:
    assert register(api, "alpha") == {
        "status": "unknown",
        "on_list": None,
        "list_published_on": None,
        "list_imported_at": None,
    }
    import_list(api, NTNS["alpha"], published_on=date(2026, 11, 30))
    beta = register(api, "beta")  # not on the list: registered all the same
    assert beta["status"] == "not_listed"
    assert beta["on_list"] is False
    assert beta["list_published_on"] == "2026-11-30"
    assert beta["list_imported_at"].startswith(clock.now().date().isoformat())
    assert api.has_account("beta")


def test_an_unlisted_vendors_bid_is_refused_and_writes_nothing(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    register(api, "alpha")
    register(api, "beta")
    import_list(api, NTNS["alpha"])
    alpha, beta = api.login("alpha"), api.login("beta")

    events, bids = api.event_count(), bid_rows(api)
    refused = api.post(f"/tenders/{tender_id}/bids", beta, json=contents("1000000.00"))
    assert_problem(refused, 403, "vendor_not_active_taxpayer")
    assert "Active Taxpayer List" in refused.json()["detail"]
    replaced = api.client.put(
        f"/tenders/{tender_id}/bids/mine", headers=beta, json=contents("1000000.00")
    )
    assert_problem(replaced, 403, "vendor_not_active_taxpayer")
    assert (api.event_count(), bid_rows(api)) == (events, bids)

    accepted = api.post(f"/tenders/{tender_id}/bids", alpha, json=contents("1000000.00"))
    assert accepted.status_code == 201, accepted.text
    again = api.client.put(
        f"/tenders/{tender_id}/bids/mine", headers=alpha, json=contents("900000.00")
    )
    assert again.status_code == 200, again.text

    # FBR's next list has beta: its bids are taken once this process reads it again.
    import_list(api, NTNS["alpha"], NTNS["beta"])
    clock.advance(TTL + timedelta(seconds=1))
    beta = api.login("beta")
    later = api.post(f"/tenders/{tender_id}/bids", beta, json=contents("1000000.00"))
    assert later.status_code == 201, later.text


def test_no_list_or_an_old_one_refuses_nobody(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    register(api, "alpha")
    register(api, "beta")
    alpha = api.login("alpha")
    unknown = api.post(f"/tenders/{tender_id}/bids", alpha, json=contents("1000000.00"))
    assert unknown.status_code == 201, unknown.text

    too_old = clock.now().date() - timedelta(days=46)  # PROCUREMENT_ATL_MAX_AGE_DAYS: 45
    import_list(api, NTNS["alpha"], published_on=too_old)
    beta = api.login("beta")
    stale = api.post(f"/tenders/{tender_id}/bids", beta, json=contents("1000000.00"))
    assert stale.status_code == 201, stale.text


def test_the_portal_bid_form_is_refused_as_the_api(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    import_list(api, NTNS["alpha"])
    browser = Browser(api.client, api.dsn, api)
    portal_register(browser, "gamma")  # NTN 1234567-8: not on the list
    home = browser.get("/portal/vendor")
    assert 'data-standing="not_listed"' in home.text
    assert "Until then the platform refuses your bids." in home.text

    events = api.event_count()
    refused = portal_bid(browser, tender_id, "1000000.00")
    assert refused.status_code == 403
    assert "vendor_not_active_taxpayer" in refused.text
    assert api.event_count() == events


def test_officers_see_each_bidders_standing_at_the_opening(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    officer = api.login("officer@works")
    before = api.client.get(f"/tenders/{tender_id}/opening", headers=officer)
    assert before.status_code == 200, before.text
    assert before.json() == {"tender_id": tender_id, "opened": False, "envelope": None, "bids": []}

    for vendor in ("alpha", "beta"):  # both bid before any list was imported
        register(api, vendor)
        answer = api.post(
            f"/tenders/{tender_id}/bids", api.login(vendor), json=contents("1000000.00")
        )
        assert answer.status_code == 201, answer.text
    listed_on = clock.now().date()
    import_list(api, NTNS["alpha"], published_on=listed_on)
    clock.set(clock.now() + timedelta(days=20, minutes=31))
    officer = api.login("officer@works")
    opened = api.post(f"/tenders/{tender_id}/opening", officer)
    assert opened.status_code == 200, opened.text

    view = api.client.get(f"/tenders/{tender_id}/opening", headers=officer)
    assert view.status_code == 200, view.text
    assert view.json()["opened"] is True
    standing = {b["vendor_name"]: b["standing"] for b in view.json()["bids"]}
    assert standing["alpha (Pvt) Ltd"]["status"] == "active"
    assert standing["beta (Pvt) Ltd"]["status"] == "not_listed"
    assert standing["beta (Pvt) Ltd"]["list_published_on"] == listed_on.isoformat()

    # Computed when read, from the list now: twenty-six more days and the list is stale.
    clock.advance(timedelta(days=26))
    officer = api.login("officer@works")
    view = api.client.get(f"/tenders/{tender_id}/opening", headers=officer)
    assert {b["standing"]["status"] for b in view.json()["bids"]} == {"stale"}

    other = api.client.get(f"/tenders/{tender_id}/opening", headers=api.login("officer@health"))
    assert_problem(other, 404, "tender_not_found")

    browser = Browser(api.client, api.dsn, api)
    browser.sign_in("officer@works")
    page = browser.page(f"/portal/officer/tenders/{tender_id}")
    assert page.status_code == 200, page.text
    assert page.text.count('data-standing="stale"') == 2
