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
from tests.support import FakeClock

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
