"""A new officer in a real browser: signs in with a password, is taken to the enrolment page,
sees the QR code, confirms with the authenticator's code, keeps the recovery codes, and then
works; signing out ends the session on the server."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import ConsoleMessage, Page, expect

from domain.values import Role
from procurement.application import ProcurementApplication, system_actor
from procurement.second_factor import code_at
from tests.api.conftest import ENTITY, PASSWORD
from tests.browser.conftest import screenshot
from tests.support import FakeClock

NEW = "s.memon@works"


def test_a_new_officer_enrols_a_second_factor_and_signs_out(
    new_page: Callable[..., Page], application: ProcurementApplication, clock: FakeClock
) -> None:
    application.register_account(
        system_actor("t"), username=NEW, password=PASSWORD, role=Role.OFFICER, entity=ENTITY
    )
    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if _is_error(m) else None)
    page.goto("/portal/login")
    page.get_by_label("Username").fill(NEW)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/account/second-factor$"))
    page.get_by_role("button", name="Set up a second factor").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    screenshot(page, "30-second-factor-enrolment")
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Code").fill(code_at(secret, clock.now()))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator(".who")).to_contain_text(NEW)
    page.goto("/portal/account")
    page.locator("#sign-out ~ form button").click()
    page.goto("/portal/officer")
    expect(page).to_have_url(re.compile(r"/portal/login\?next=/portal/officer$"))
    assert errors == []


def _is_error(message: ConsoleMessage) -> bool:
    """An error in the console, but the browser's own ask for a favicon the site has none of."""
    return message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")
