"""The portal's forms are the API's bodies: the text rule refuses at the field, writes nothing."""

from __future__ import annotations

import re

from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_vendor_pages import register
from tests.api.scenarios import Scenario
from tests.support import FakeClock


def _error_at(page: str, field: str) -> str:
    match = re.search(rf'<p class="error"[^>]* data-field="{re.escape(field)}">([^<]*)</p>', page)
    assert match, f"no error at {field}"
    return match.group(1)


def test_a_question_and_a_bid_refused_by_the_text_rule_are_shown_at_their_fields(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    page = f"/portal/tenders/{scenario.id}"
    before = api.event_count()

    question = browser.submit(page, f"{page}/questions", {"text": "Is\x00asphalt included?"})
    assert question.status_code == 422
    assert _error_at(question.text, "text") == (
        "U+0000 (a control character) at character 3 is not accepted"
    )

    bid_page = f"{page}/bid"
    fields = {
        "prices.0.lot_id": "1",
        "prices.0.price.amount": "900000.00",
        "bid_security.instrument": "bank_guarantee",
        "bid_security.issuer": "Sindh\u0085Bank",
        "bid_security.amount.amount": "200000.00",
    }
    refused = browser.submit(bid_page, bid_page, fields)
    assert refused.status_code == 422
    assert "U+0085 (a control character) at character 6" in _error_at(
        refused.text, "bid_security.issuer"
    )
    named = browser.submit(
        bid_page,
        bid_page,
        {**fields, "bid_security.issuer": "Sindh Bank"},
        files=[("documents", ("plan\x1b.pdf", b"%PDF-1.7 method statement", "application/pdf"))],
    )
    assert named.status_code == 422
    assert _error_at(named.text, "documents") == (
        "a document&#39;s file name: U+001B (a control character) at character 5 is not accepted"
    )
    assert api.event_count() == before

    searched = browser.get("/portal/tenders?q=road%00works")
    assert searched.status_code == 422
    assert "U+0000" in searched.text
