"""Vendors in the portal: register, sign in, ask, bid, see and verify the receipt, replace,
withdraw; bad input, the deadline, CSRF and other roles are refused and write nothing."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx

from procurement.audit.ledger import checkpoint_fields
from procurement.commands.application import ProcurementApplication
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.scenarios import Scenario
from tests.support import FakeClock

CANARY = "7319285.46"  # a price that must not be readable before the opening


def register(browser: Browser, username: str) -> None:
    answer = browser.submit(
        "/portal/register",
        "/portal/register",
        {
            "username": username,
            "password": "correct-horse-battery",
            "legal_name": f"{username} Builders (Pvt) Ltd",
            "ntn": "1234567-8",
            "contact_email": f"{username}@example.com",
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/portal/vendor"


def bid(browser: Browser, tender_id: str, price: str) -> httpx.Response:
    page = f"/portal/tenders/{tender_id}/bid"
    return browser.submit(
        page,
        page,
        {
            "prices.0.lot_id": "1",
            "prices.0.price.amount": price,
            "technical_offer": "We will do it well.",
            "bid_security.instrument": "bank_guarantee",
            "bid_security.issuer": "Sindh Bank",
            "bid_security.amount.amount": "200000.00",
            "validity_days": "90",
        },
        files=[("documents", ("method.pdf", b"%PDF-1.7 method statement", "application/pdf"))],
    )


def test_the_session_cookie_is_httponly_and_samesite(api: Api, browser: Browser) -> None:
    answer = browser.submit(
        "/portal/login", "/portal/login", {"username": "officer@works", "password": "nope-nope"}
    )
    assert answer.status_code == 401
    assert "invalid_credentials" in answer.text
    assert 'value="officer@works"' in answer.text  # what was typed is kept
    assert "nope-nope" not in answer.text  # but never the password
    answer = browser.submit(
        "/portal/login",
        "/portal/login",
        {
            "username": "officer@works",
            "password": "correct-horse-battery",
            "code": api.code("officer@works"),
        },
    )
    cookie = next(
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and "portal_session" in v
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_a_vendor_registers_bids_and_verifies_the_receipt(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    before = api.event_count()
    answer = bid(browser, scenario.id, CANARY)
    assert answer.status_code == 303, answer.text
    assert api.event_count() == before + 1
    receipt_page = browser.get(answer.headers["location"])
    assert receipt_page.status_code == 200
    assert 'id="server-verdict">the signature is valid' in receipt_page.text
    receipt = json.loads(
        re.search(r'<pre id="receipt-json"[^>]*>(.*?)</pre>', receipt_page.text, re.DOTALL)
        .group(1)  # type: ignore[union-attr]
        .replace("&#34;", '"')
    )
    # The pasted receipt verifies; one changed byte does not.
    verify = browser.submit(
        "/portal/receipts/verify", "/portal/receipts/verify", {"receipt": json.dumps(receipt)}
    )
    assert verify.status_code == 200
    assert 'class="ok"' in verify.text
    receipt["position"] += 1
    tampered = browser.submit(
        "/portal/receipts/verify", "/portal/receipts/verify", {"receipt": json.dumps(receipt)}
    )
    assert tampered.status_code == 422
    assert 'class="bad"' in tampered.text
    # Before the opening, the price is nowhere on the public or the vendor's pages.
    for path in (
        f"/portal/tenders/{scenario.id}",
        f"/portal/tenders/{scenario.id}/bid",
        "/portal/vendor",
    ):
        assert CANARY not in browser.page(path).text


def test_a_bad_price_is_shown_next_to_its_field_and_nothing_is_written(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    before = api.event_count()
    answer = bid(browser, scenario.id, "twelve lakh")
    assert answer.status_code == 422
    assert api.event_count() == before
    assert 'data-field="prices.0.price.amount"' in answer.text
    assert 'value="twelve lakh"' in answer.text
    assert 'value="Sindh Bank"' in answer.text


def test_a_vendor_replaces_then_withdraws(api: Api, browser: Browser, clock: FakeClock) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    assert bid(browser, scenario.id, "100.00").status_code == 303
    assert bid(browser, scenario.id, "90.00").status_code == 303
    receipt = browser.get(f"/portal/tenders/{scenario.id}/bid/receipt")
    assert 'id="receipt-kind">replaced' in receipt.text
    page = f"/portal/tenders/{scenario.id}/bid"
    answer = browser.submit(page, f"{page}/withdraw", {})
    assert answer.status_code == 303
    assert 'id="receipt-kind">withdrawn' in browser.get(answer.headers["location"]).text


def test_after_the_deadline_the_form_is_gone_and_a_late_post_is_refused(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    page = f"/portal/tenders/{scenario.id}/bid"
    clock.set(scenario.deadline + timedelta(milliseconds=1))
    browser.sign_in("indus")  # the session lasts two hours; the clock moved twenty days
    token = browser.csrf(page)  # the new session's (a token is bound to its sign-in)
    form = browser.get(page)
    assert "The deadline has passed" in form.text
    assert 'action="/portal/tenders/' + scenario.id + '/bid"' not in form.text
    before = api.event_count()
    late = browser.client.post(
        page,
        data={"_csrf_token": token, "prices.0.lot_id": "1", "prices.0.price.amount": "10.00"},
    )
    assert late.status_code in {409, 422}
    assert "deadline_passed" in late.text
    assert api.event_count() == before


def test_a_form_without_its_csrf_token_is_refused(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    before = api.event_count()
    answer = browser.client.post(
        f"/portal/tenders/{scenario.id}/bid",
        data={"prices.0.lot_id": "1", "prices.0.price.amount": "10.00"},
    )
    assert answer.status_code == 403
    assert api.event_count() == before


def test_an_officer_cannot_use_the_vendor_pages(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    browser.sign_in("officer@works")
    assert browser.get(f"/portal/tenders/{scenario.id}/bid").status_code == 403
    signed_out = Browser(api.client, api.dsn, api)
    browser.submit("/portal/tenders", "/portal/logout", {})
    answer = signed_out.get(f"/portal/tenders/{scenario.id}/bid", follow_redirects=False)
    assert answer.status_code in {302, 303, 307}
    assert answer.headers["location"].startswith("/portal/login")


def test_a_vendor_asks_a_question(api: Api, browser: Browser, clock: FakeClock) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    page = f"/portal/tenders/{scenario.id}"
    empty = browser.submit(page, f"{page}/questions", {"text": ""})
    assert empty.status_code == 422
    assert 'data-field="text"' in empty.text
    before = api.event_count()
    answer = browser.submit(page, f"{page}/questions", {"text": "Is asphalt included?"})
    assert answer.status_code == 303
    assert api.event_count() == before + 1
    assert "Your question was sent." in browser.get(page).text


def test_the_interface_switches_to_urdu_right_to_left(api: Api, browser: Browser) -> None:
    answer = browser.submit(
        "/portal/tenders", "/portal/language", {"lang": "ur", "next": "/portal/tenders"}
    )
    assert answer.status_code == 303
    page = browser.get("/portal/tenders")
    assert 'lang="ur" dir="rtl"' in page.text
    assert "ٹینڈر" in page.text


def test_a_bid_without_security_is_not_made_up_from_the_hidden_currency(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    page = f"/portal/tenders/{scenario.id}/bid"
    assert 'name="bid_security.amount.currency" value="PKR"' in browser.get(page).text
    answer = browser.submit(
        page,
        page,
        {
            "prices.0.lot_id": "1",
            "prices.0.price.currency": "PKR",
            "prices.0.price.amount": "100.00",
            "bid_security.instrument": "",
            "bid_security.issuer": "",
            "bid_security.amount.amount": "",
            "bid_security.amount.currency": "PKR",
        },
    )
    assert answer.status_code == 303, answer.text


def test_a_session_in_use_is_renewed_and_an_idle_one_ends(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    register(browser, "indus")
    for _ in range(3):  # six hours of work, a page every 70 minutes
        clock.set(clock.now() + timedelta(minutes=70))
        page = browser.get("/portal/vendor", follow_redirects=False)
        assert page.status_code == 200
        assert "indus · vendor" in page.text
    clock.set(clock.now() + timedelta(hours=2, minutes=1))
    idle = browser.get("/portal/vendor", follow_redirects=False)
    assert idle.status_code in {302, 303, 307}
    assert idle.headers["location"].startswith("/portal/login")


def test_a_busy_session_still_ends_twelve_hours_after_its_password(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    register(browser, "indus")
    for _ in range(10):  # eleven hours and forty minutes of work, a page every 70 minutes
        clock.set(clock.now() + timedelta(minutes=70))
        page = browser.get("/portal/vendor", follow_redirects=False)
        assert page.status_code == 200  # renewed as it goes: its token is still valid
    clock.set(clock.now() + timedelta(minutes=30))  # 12 h 10 min after the password
    ended = browser.get("/portal/vendor", follow_redirects=False)
    assert ended.status_code in {302, 303, 307}
    assert ended.headers["location"].startswith("/portal/login")


def test_a_pasted_receipt_with_a_field_twice_or_of_another_kind_is_not_valid(
    api: Api, browser: Browser, clock: FakeClock, application: ProcurementApplication
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    answer = bid(browser, scenario.id, CANARY)
    receipt_page = browser.get(answer.headers["location"])
    receipt = json.loads(
        re.search(r'<pre id="receipt-json"[^>]*>(.*?)</pre>', receipt_page.text, re.DOTALL)
        .group(1)  # type: ignore[union-attr]
        .replace("&#34;", '"')
    )
    genuine = json.dumps(receipt)
    # A fake field first, the signed one last: json.loads would keep the last and say valid.
    forged = '{"position": 1, ' + genuine[1:]
    # The platform's key signs ledger checkpoints too: signed, but no bid's receipt.
    checkpoint = json.dumps(
        application.signer.sign(checkpoint_fields("sindh-procurement", 3, b"\1" * 32, clock.now()))
    )
    for pasted, reason in (
        (forged, "The field position appears twice: a receipt names each field once."),
        (checkpoint, "This is not a bid receipt: these fields are missing or malformed: kind,"),
        ("{not json", "This is not JSON: paste the receipt as it was given."),
    ):
        checked = browser.submit(
            "/portal/receipts/verify", "/portal/receipts/verify", {"receipt": pasted}
        )
        assert checked.status_code == 422, pasted
        assert 'class="bad"' in checked.text
        assert 'data-field="receipt">' + reason in checked.text, pasted
    checked = browser.submit(
        "/portal/receipts/verify", "/portal/receipts/verify", {"receipt": genuine}
    )
    assert checked.status_code == 200
    assert 'class="ok"' in checked.text
