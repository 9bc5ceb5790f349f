"""The portal's browser security: headers on every answer (``api/security_headers.py``), pages
that need nothing inline, and forms accepted only from the platform's own origin with the
token of their own session (``api/portal/csrf.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.portal.pages import STATIC, TEMPLATES
from api.security_headers import OTHER_POLICY, PAGE_POLICY
from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.support import FakeClock

ORIGIN = "http://127.0.0.1:8000"  # the test settings' public URL
REGISTRATION = {
    "username": "indus",
    "password": "correct-horse-battery",
    "legal_name": "Indus Builders (Pvt) Ltd",
    "ntn": "1234567-8",
    "contact_email": "indus@example.com",
}


def _register(browser: Browser, token: str, **headers: str) -> int:
    answer = browser.client.post(
        "/portal/register",
        data={"_csrf_token": token, **REGISTRATION},
        headers=headers,
        follow_redirects=False,
    )
    return answer.status_code


# Headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "policy"),
    [
        ("/portal/tenders", PAGE_POLICY),
        ("/portal/login", PAGE_POLICY),
        ("/public/tenders", OTHER_POLICY),
        ("/nowhere", OTHER_POLICY),  # no route: outside the router
        ("/schema/openapi.json", OTHER_POLICY),
        ("/static/portal.js", OTHER_POLICY),
    ],
)
def test_every_answer_carries_the_security_headers(api: Api, path: str, policy: str) -> None:
    for _ in range(2):  # the second public read comes from the read cache
        answer = api.client.get(path)
        assert answer.headers["content-security-policy"] == policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in answer.headers  # served over plain http


def test_the_page_policy_allows_nothing_inline_and_no_framing() -> None:
    directives = dict(d.strip().split(" ", 1) for d in PAGE_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in PAGE_POLICY


def test_hsts_when_the_public_url_is_https(settings: Settings, clock: FakeClock) -> None:
    over_tls = settings.model_copy(update={"public_url": "https://eprocure.sindh.gov.pk"})
    with TestClient(create_app(over_tls, clock=clock)) as client:
        for path in ("/portal/tenders", "/public/tenders", "/static/portal.css"):
            assert client.get(path).headers["strict-transport-security"] == "max-age=31536000"


def test_no_template_or_script_needs_anything_inline() -> None:
    """What the policy would block: inline scripts (a JSON data block is not one), inline
    handlers, ``javascript:`` URLs, ``style`` attributes and elements."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")")
    forbidden = {
        "inline script": inline_script,
        "inline handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
        "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
        "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
        "style element": re.compile(r"<style", re.IGNORECASE),
    }
    files = [*Path(TEMPLATES).rglob("*.html"), *Path(STATIC).glob("*.js")]
    assert files
    found = [
        f"{path.name}: {what}"
        for path in files
        for what, pattern in forbidden.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


# CSRF --------------------------------------------------------------------------------------


def test_a_cross_origin_post_is_refused_and_writes_nothing(api: Api, browser: Browser) -> None:
    token = browser.csrf("/portal/register")
    before = api.event_count()
    assert _register(browser, token, origin="https://rival.example") == 403
    assert _register(browser, token, origin="null") == 403
    assert _register(browser, token, origin="http://127.0.0.1:8001") == 403
    assert _register(browser, token, referer="https://rival.example/page") == 403
    refused = browser.client.post(
        "/portal/register",
        data={"_csrf_token": token, **REGISTRATION},
        headers={"origin": "https://rival.example"},
    )
    assert 'data-code="cross_origin_refused"' in refused.text
    assert api.event_count() == before
    assert _register(browser, token, origin=ORIGIN) == 303  # its own origin
    assert api.has_account("indus")


def test_the_referer_stands_in_for_a_missing_origin(api: Api, browser: Browser) -> None:
    token = browser.csrf("/portal/register")
    assert _register(browser, token, referer=f"{ORIGIN}/portal/register") == 303
    assert api.has_account("indus")


def test_a_token_from_another_session_is_refused(api: Api, browser: Browser) -> None:
    theirs = browser.csrf("/portal/register")
    browser.client.cookies.clear()  # another browser: a session of its own
    mine = browser.csrf("/portal/register")
    assert mine != theirs
    before = api.event_count()
    refused = browser.client.post(
        "/portal/register",
        data={"_csrf_token": theirs, **REGISTRATION},
        headers={"origin": ORIGIN},
    )
    assert refused.status_code == 403
    assert 'data-code="csrf_token_invalid"' in refused.text
    assert api.event_count() == before
    assert _register(browser, mine, origin=ORIGIN) == 303


def test_a_token_stops_at_sign_in_and_sign_out(api: Api, browser: Browser) -> None:
    anonymous = browser.csrf("/portal/login")
    browser.sign_in("officer@works")
    signed_in = browser.csrf("/portal/tenders")
    assert signed_in != anonymous
    answer = browser.client.post(
        "/portal/logout", data={"_csrf_token": anonymous}, follow_redirects=False
    )
    assert answer.status_code == 403  # the page shown before the sign-in is stale
    answer = browser.client.post(
        "/portal/logout", data={"_csrf_token": signed_in}, follow_redirects=False
    )
    assert answer.status_code == 303
    answer = browser.client.post(
        "/portal/logout", data={"_csrf_token": signed_in}, follow_redirects=False
    )
    assert answer.status_code == 403  # signed out: a new session, a new token


def test_a_post_without_a_token_or_with_a_forged_one_is_refused(browser: Browser) -> None:
    browser.csrf("/portal/register")  # the session exists
    assert _register(browser, "", origin=ORIGIN) == 403
    assert _register(browser, "x" * 43, origin=ORIGIN) == 403
    answer = browser.client.post(
        "/portal/register", data=REGISTRATION, headers={"x-csrftoken": "x" * 43}
    )
    assert answer.status_code == 403
