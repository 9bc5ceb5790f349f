"""The rest of the portal's promises: forms keep what was typed and show the API's message at
the field with nothing written; the session cookie is Secure over TLS; paging and filters."""

from __future__ import annotations

from litestar.testing import TestClient

from api.app import create_app
from api.schemas import TenderIn
from domain.account import account_id_for
from domain.values import Actor, Role
from procurement.application import ProcurementApplication
from procurement.settings import Settings
from tests.api.conftest import ENTITY, Api
from tests.api.portal.conftest import Browser
from tests.support import FakeClock, tender_json


def test_a_registration_with_a_bad_tax_number_is_refused_at_its_field(
    api: Api, browser: Browser
) -> None:
    before = api.event_count()
    answer = browser.submit(
        "/portal/register",
        "/portal/register",
        {
            "username": "sukkur-traders",
            "password": "correct-horse-battery",
            "legal_name": "Sukkur Traders",
            "ntn": "12-34",
            "contact_email": "sales@sukkur.example",
        },
    )
    assert answer.status_code == 422
    assert 'data-field="ntn"' in answer.text
    assert 'value="Sukkur Traders"' in answer.text
    assert "correct-horse-battery" not in answer.text
    assert api.event_count() == before
    assert not api.has_account("sukkur-traders")


def test_a_taken_username_is_refused_at_its_field(api: Api, browser: Browser) -> None:
    api.register_vendor("indus")
    fields = {
        "password": "correct-horse-battery",
        "legal_name": "Impostor",
        "ntn": "1234567-8",
        "contact_email": "x@example.com",
    }
    answer = browser.submit("/portal/register", "/portal/register", {"username": "indus", **fields})
    assert answer.status_code == 409
    assert 'data-field="username"' in answer.text
    assert "username_taken" in answer.text
    # A staff account's name is not a vendor's name at all: refused as such, taken or not.
    staff = browser.submit(
        "/portal/register", "/portal/register", {"username": "officer@works", **fields}
    )
    free = browser.submit(
        "/portal/register", "/portal/register", {"username": "nobody@works", **fields}
    )
    assert staff.status_code == free.status_code == 422
    assert "username_taken" not in staff.text


def test_the_session_cookie_is_secure_when_the_platform_is_served_over_tls(
    api: Api, settings: Settings, clock: FakeClock
) -> None:
    over_tls = settings.model_copy(update={"public_url": "https://eprocure.sindh.gov.pk"})
    with TestClient(
        create_app(over_tls, clock=clock), base_url="https://testserver.local"
    ) as client:
        browser = Browser(client, api.dsn, api)
        code = api.code("officer@works")
        answer = browser.submit(
            "/portal/login",
            "/portal/login",
            {"username": "officer@works", "password": "correct-horse-battery", "code": code},
        )
    cookies = [v for k, v in answer.headers.multi_items() if k == "set-cookie"]
    session = next(c for c in cookies if c.startswith("portal_session="))
    assert "Secure" in session
    assert "HttpOnly" in session


def test_the_tender_list_pages_and_filters(
    api: Api, browser: Browser, application: ProcurementApplication, clock: FakeClock
) -> None:
    officer = Actor(
        account_id=account_id_for("officer@works"), role=Role.OFFICER, request_id="t", entity=ENTITY
    )
    for number in range(23):
        terms = TenderIn.model_validate(
            tender_json(clock.now(), reference=f"WSD/{number:03d}", title=f"Works package {number}")
        ).to_domain()
        application.publish_tender(officer, application.draft_tender(officer, terms).id, None)
    first = browser.page("/portal/tenders")
    assert "23 tenders" in first.text
    assert "Page 1 of 2" in first.text
    assert 'rel="next" href="/portal/tenders?page=2"' in first.text
    second = browser.get("/portal/tenders?page=2")
    assert second.text.count('class="card"') == 3
    only = browser.get("/portal/tenders?q=package+17")
    assert "1 tenders" in only.text
    assert "Works package 17" in only.text
    none = browser.get("/portal/tenders?category=goods")
    assert "0 tenders" in none.text


def test_signing_in_returns_to_the_page_asked_for_and_never_off_site(
    api: Api, browser: Browser
) -> None:
    form = browser.get("/portal/login?next=/portal/awards")
    assert 'name="next" value="/portal/awards"' in form.text
    fields = {"username": "auditor@sindh", "password": "correct-horse-battery"}
    code = api.code("auditor@sindh")
    back = browser.submit(
        "/portal/login", "/portal/login", {**fields, "code": code, "next": "/portal/awards"}
    )
    assert back.headers["location"] == "/portal/awards"
    code = api.code("auditor@sindh")
    away = browser.submit(
        "/portal/login", "/portal/login", {**fields, "code": code, "next": "//evil.example/x"}
    )
    assert away.headers["location"] == "/portal/audit"
