"""A vendor in a real browser: registers, finds the tender, bids with a document, sees the
receipt and verifies its signature in the browser; the countdown and Urdu on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

from playwright.sync_api import FilePayload, Page, expect

from api.schemas import TenderIn
from domain.account import account_id_for
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from tests.api.conftest import ENTITY, PASSWORD
from tests.browser.conftest import screenshot
from tests.support import FakeClock, tender_json

OFFICER = Actor(
    account_id=account_id_for("officer@works"),
    role=Role.OFFICER,
    request_id="browser-test",
    entity=ENTITY,
)


def published_tender(application: ProcurementApplication, clock: FakeClock) -> UUID:
    draft = application.draft_tender(
        OFFICER, TenderIn.model_validate(tender_json(clock.now())).to_domain()
    )
    application.publish_tender(OFFICER, draft.id, None)
    return draft.id


def register(page: Page, username: str) -> None:
    page.goto("/portal/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Legal name of the business").fill(f"{username} Builders (Pvt) Ltd")
    page.get_by_label("National Tax Number (NTN)").fill("1234567-8")
    page.get_by_label("Contact email").fill(f"{username}@example.com")
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"/portal/vendor$"))


def test_a_vendor_registers_bids_and_verifies_the_receipt(
    new_page: Callable[..., Page], application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = published_tender(application, clock)
    page = new_page()
    listed = page.get_by_role("link", name="Rehabilitation of a district road")
    for _ in range(60):  # as a reader refreshes: the list is a read model, a moment behind
        page.goto("/portal/tenders")
        if listed.count():
            break
        page.wait_for_timeout(500)
    expect(listed).to_be_visible()
    screenshot(page, "01-public-tender-list")

    register(page, "indus")
    page.goto(f"/portal/tenders/{tender_id}")
    expect(page.locator(".countdown")).to_contain_text("Time left")
    screenshot(page, "02-tender-page-vendor")
    page.get_by_role("link", name="Prepare a bid").click()

    # A wrong price first: the API's message at the field, the rest of the form kept.
    page.get_by_label(re.compile("Price for lot 1")).fill("twelve lakh")
    page.get_by_label("Technical offer").fill("Our method statement and our team.")
    page.get_by_label("Issuing bank").fill("Sindh Bank")
    page.get_by_role("button", name="Seal and submit the bid").click()
    expect(page.locator('[data-field="prices.0.price.amount"]')).to_be_visible()
    expect(page.get_by_label("Issuing bank")).to_have_value("Sindh Bank")
    screenshot(page, "03-bid-form-error")

    page.get_by_label(re.compile("Price for lot 1")).fill("9450000.00")
    page.get_by_label("Instrument").select_option("bank_guarantee")
    page.get_by_label("Amount (PKR)").fill("200000.00")
    page.get_by_label("Documents").set_input_files(
        files=[FilePayload(name="method.pdf", mimeType="application/pdf", buffer=b"%PDF-1.4 demo")]
    )
    page.get_by_role("button", name="Seal and submit the bid").click()
    expect(page).to_have_url(re.compile(r"/bid/receipt$"))
    expect(page.locator("#server-verdict")).to_have_text("the signature is valid")
    page.get_by_role("button", name="Verify in this browser").click()
    expect(page.locator("#browser-verdict")).to_have_text(
        "Verified in your browser with the platform public key."
    )
    screenshot(page, "04-bid-receipt")


def test_the_deadline_counts_down_and_the_form_refuses_once_it_passes(
    new_page: Callable[..., Page], application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = published_tender(application, clock)
    # Three seconds before the deadline by the server's clock: the page counts to zero and
    # disables its buttons by itself.
    clock.set(clock.now() + timedelta(days=20) - timedelta(seconds=3))
    page = new_page(phone=True)
    register(page, "mehran")
    page.goto(f"/portal/tenders/{tender_id}/bid")
    expect(page.locator(".countdown")).to_contain_text("Time left")
    expect(page.locator(".countdown")).to_have_text(
        "The deadline has passed: bids are no longer accepted.", timeout=10_000
    )
    expect(page.get_by_role("button", name="Seal and submit the bid")).to_be_disabled()
    screenshot(page, "05-bid-form-deadline-passed-phone")


def test_the_portal_in_urdu_reads_right_to_left_on_a_phone(
    new_page: Callable[..., Page], application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = published_tender(application, clock)
    page = new_page(phone=True)
    page.goto(f"/portal/tenders/{tender_id}")
    page.get_by_role("button", name="اردو").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="اشتہار")).to_be_visible()
    expect(page.locator('[lang="sd"]').first).to_be_visible()  # the notice's Sindhi text
    screenshot(page, "06-tender-page-urdu-phone")
