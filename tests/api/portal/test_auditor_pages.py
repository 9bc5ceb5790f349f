"""Auditors in the portal: a tender's timeline with actors, its state at a chosen moment or
version, and the ledger verified on demand; other roles are refused."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg

from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_vendor_pages import bid, register
from tests.api.scenarios import Scenario
from tests.support import FakeClock


def test_the_timeline_lists_every_event_with_its_actor(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    browser.sign_in("auditor@sindh")
    page = browser.page(f"/portal/audit/tenders/{scenario.id}")
    assert page.status_code == 200, page.text
    assert "TenderDrafted" in page.text
    assert "TenderPublished" in page.text
    assert "officer" in page.text
    assert "works-and-services-department" in page.text


def test_the_state_at_a_version_and_at_a_moment(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    browser.sign_in("auditor@sindh")
    first = browser.page(f"/portal/audit/tenders/{scenario.id}?version=1")
    assert 'id="state-version">Version 1 of 2' in first.text
    assert "&#34;draft&#34;" in first.text  # the status then
    # A moment before the tender existed is refused with the reason, not a guess.
    before = (clock.now() - timedelta(days=1) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S")
    early = browser.page(f"/portal/audit/tenders/{scenario.id}?at={before}")
    assert early.status_code == 422
    assert "did not exist yet" in early.text
    now = (clock.now() + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S")
    latest = browser.page(f"/portal/audit/tenders/{scenario.id}?at={now}")
    assert 'id="state-version">Version 2 of 2' in latest.text


def wait_for_a_checkpoint_over_everything(dsn: str) -> None:
    """The app's own ledger writer appends and signs in the background."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM procurement_events), "
                "(SELECT coalesce(max(tree_size), 0) FROM ledger_checkpoints)"
            ).fetchone()
        if row is not None and row[0] == row[1]:
            return
        time.sleep(0.1)
    raise AssertionError("the ledger signed no checkpoint over every event")


def test_the_ledger_verifies_and_a_tampered_event_is_named(
    api: Api, browser: Browser, clock: FakeClock, settings: Settings
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    assert bid(browser, scenario.id, "100.00").status_code == 303
    browser.submit("/portal/tenders", "/portal/logout", {})  # an event of its own: before
    clock.set(clock.now() + timedelta(seconds=settings.checkpoint_interval + 1))  # one is due
    wait_for_a_checkpoint_over_everything(settings.dsn)
    auditor = Browser(api.client, api.dsn, api)
    auditor.sign_in("auditor@sindh")
    good = auditor.submit("/portal/audit", "/portal/audit/ledger/verify", {})
    assert good.status_code == 200, good.text
    assert 'id="verification" class="ok"' in good.text
    assert '<dd id="uncovered">0</dd>' in good.text  # the checkpoint covers every event
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE procurement_events SET state = state || '\\x20'::bytea "
            "WHERE notification_id = 2"
        )
    bad = auditor.submit("/portal/audit", "/portal/audit/ledger/verify", {})
    assert bad.status_code == 409
    assert "Verification FAILED at position 2" in bad.text


def test_vendors_and_officers_cannot_open_the_audit_pages(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    browser.sign_in("officer@works")
    assert browser.get(f"/portal/audit/tenders/{scenario.id}").status_code == 403
    assert browser.get("/portal/audit").status_code == 403
