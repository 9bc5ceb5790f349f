"""An account's own pages in the portal: a new officer enrols a second factor with nobody's
help, a session ends with its account's epoch, a password changes, a reset code is used."""

from __future__ import annotations

import re

from domain.account import account_id_for
from domain.values import Role
from procurement.application import ProcurementApplication, system_actor
from procurement.second_factor import code_at
from tests.api.conftest import PASSWORD, Api
from tests.api.portal.conftest import Browser
from tests.support import FakeClock

NEW = "s.memon@works"


def test_a_new_officer_enrols_in_the_portal_and_then_works(
    api: Api, browser: Browser, application: ProcurementApplication, clock: FakeClock
) -> None:
    application.register_account(
        system_actor("t"), username=NEW, password=PASSWORD, role=Role.OFFICER, entity="wsd"
    )
    signed_in = browser.submit(
        "/portal/login", "/portal/login", {"username": NEW, "password": PASSWORD}
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/portal/account/second-factor"
    assert browser.get("/portal/officer").status_code == 403  # nothing else until enrolled
    page = browser.get("/portal/account/second-factor")
    assert "Set up a second factor" in page.text
    started = browser.submit("/portal/account/second-factor", "/portal/account/second-factor", {})
    assert started.status_code == 303
    offer = browser.get("/portal/account/second-factor")
    assert "<svg" in offer.text
    assert "<script" not in offer.text.split("</head>")[1]
    match = re.search(r'<code dir="ltr" class="secret">([A-Z2-7]{32})</code>', offer.text)
    assert match, offer.text
    secret = match.group(1)
    wrong = browser.submit(
        "/portal/account/second-factor", "/portal/account/second-factor/confirm", {"code": "1"}
    )
    assert wrong.status_code == 422
    assert 'data-field="code"' in wrong.text
    confirmed = browser.submit(
        "/portal/account/second-factor",
        "/portal/account/second-factor/confirm",
        {"code": code_at(secret, clock.now())},
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", confirmed.text)
    assert len(codes) == 10
    browser.client.cookies.update(confirmed.cookies)
    assert browser.get("/portal/officer").status_code == 200


def test_a_staff_sign_in_asks_for_the_code(api: Api, browser: Browser) -> None:
    fields = {"username": "officer@works", "password": PASSWORD}
    missing = browser.submit("/portal/login", "/portal/login", fields)
    assert missing.status_code == 401
    assert 'data-field="code"' in missing.text
    assert "second_factor_required" in missing.text
    wrong = browser.submit("/portal/login", "/portal/login", {**fields, "code": "000000"})
    assert wrong.status_code == 401
    assert "invalid_second_factor" in wrong.text
    assert "000000" not in wrong.text  # a code typed is never echoed back


def test_a_portal_session_ends_when_the_account_signs_out_elsewhere(
    api: Api, browser: Browser
) -> None:
    browser.sign_in("officer@works")
    assert browser.get("/portal/officer").status_code == 200
    assert api.post("/auth/sign-out", api.login("officer@works")).status_code == 200
    ended = browser.get("/portal/officer", follow_redirects=False)
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/portal/login")
    assert "officer@works" not in browser.get("/portal/tenders").text


def test_signing_out_in_the_portal_ends_the_accounts_api_tokens(api: Api, browser: Browser) -> None:
    token = api.login("officer@works")
    browser.sign_in("officer@works")
    out = browser.submit("/portal/tenders", "/portal/logout", {})
    assert out.status_code == 303
    read = api.client.get(f"/tenders/{account_id_for('x')}", headers=token)
    assert read.status_code == 401
    assert read.json()["code"] == "session_ended"


def test_changing_the_password_in_the_portal(api: Api, browser: Browser) -> None:
    api.register_vendor("indus")
    browser.sign_in("indus")
    wrong = browser.submit(
        "/portal/account",
        "/portal/account/password",
        {"current_password": "not-it-at-all", "new_password": "a-new-password-1"},
    )
    assert wrong.status_code == 422
    assert 'data-field="current_password"' in wrong.text
    changed = browser.submit(
        "/portal/account",
        "/portal/account/password",
        {"current_password": PASSWORD, "new_password": "a-new-password-1"},
    )
    assert changed.status_code == 303
    assert changed.headers["location"] == "/portal/login"
    browser.client.cookies.update(changed.cookies)
    assert "Your password is changed" in browser.get("/portal/login").text
    assert browser.get("/portal/vendor", follow_redirects=False).status_code == 303
    browser.sign_in("indus", "a-new-password-1")
    assert browser.get("/portal/vendor").status_code == 200


def test_a_reset_code_sets_a_new_password_in_the_portal(
    api: Api, browser: Browser, application: ProcurementApplication
) -> None:
    api.register_vendor("indus")
    code, _, _ = application.issue_password_reset(system_actor("t"), account_id_for("indus"))
    fields = {"username": "indus", "new_password": "reset-in-portal-1"}
    wrong = browser.submit(
        "/portal/password-reset", "/portal/password-reset", {**fields, "code": "no"}
    )
    assert wrong.status_code == 401
    assert 'data-field="code"' in wrong.text
    done = browser.submit(
        "/portal/password-reset", "/portal/password-reset", {**fields, "code": code}
    )
    assert done.status_code == 303
    browser.sign_in("indus", "reset-in-portal-1")
    assert browser.get("/portal/vendor").status_code == 200


def test_the_account_pages_in_urdu(api: Api, browser: Browser) -> None:
    api.register_vendor("indus")
    browser.sign_in("indus")
    page = browser.get("/portal/account?lang=ur")
    assert page.status_code == 200
    assert "آپ کا اکاؤنٹ" in page.text
    assert "دوسرا تصدیقی مرحلہ" in page.text
