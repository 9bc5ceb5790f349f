"""An officer in a real browser takes a tender from draft to award; the committee declares
and the chair finalises in their own browsers; the public then sees who won, for how much."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from playwright.sync_api import Page, expect

from api.schemas import BidContentsIn
from domain.account import VendorProfile, account_id_for
from domain.values import Actor, Role
from procurement.application import ProcurementApplication
from procurement.second_factor import code_at
from procurement.settings import Settings
from tests.api.conftest import COMMITTEE, PASSWORD
from tests.browser.conftest import screenshot
from tests.support import FakeClock

PKT = timedelta(hours=5)


def sign_in(page: Page, username: str, secret: str, clock: FakeClock) -> None:
    """With the code the authenticator app shows now (by the server's clock)."""
    page.goto("/portal/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(code_at(secret, clock.now()))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text(username)


def local(moment: datetime) -> str:
    """A moment as a datetime-local field takes it, in Pakistan time."""
    return (moment + PKT).strftime("%Y-%m-%dT%H:%M")


def vendor_bids(application: ProcurementApplication, tender_id: UUID) -> None:
    """Two vendors bid (through the application: the vendor's pages have their own test)."""
    for username, name, price in (
        ("indus", "Indus Builders (Pvt) Ltd", "9100000.00"),
        ("mehran", "Mehran Construction", "8800000.00"),
    ):
        actor = Actor(account_id=account_id_for(username), role=Role.VENDOR, request_id="t")
        application.register_account(
            actor,
            username=username,
            password=PASSWORD,
            role=Role.VENDOR,
            vendor=VendorProfile(legal_name=name, ntn="1234567-8", contact_email="v@example.com"),
        )
        contents = BidContentsIn.model_validate(
            {
                "prices": [{"lot_id": "1", "price": {"amount": price}}],
                "bid_security": {
                    "instrument": "bank_guarantee",
                    "issuer": "Sindh Bank",
                    "amount": {"amount": "200000.00"},
                },
                "validity_days": 90,
            }
        )
        application.submit_bid(actor, tender_id, contents.to_domain())


def test_an_officer_publishes_opens_and_awards_and_the_public_sees_the_award(  # noqa: PLR0915 (one story)
    new_page: Callable[..., Page],
    application: ProcurementApplication,
    clock: FakeClock,
    settings: Settings,
    accounts: dict[str, str],
) -> None:
    deadline = clock.now() + timedelta(days=20)
    officer = new_page()
    sign_in(officer, "officer@works", accounts["officer@works"], clock)
    officer.get_by_role("link", name="Draft a new tender").click()
    officer.get_by_label("Reference").fill("WSD/BR/2026/007")
    officer.get_by_label("Title (English)").fill("Repair of the Jamshoro bridge approach")
    officer.get_by_label("Description (English)").fill("Approach slabs and railings")
    officer.get_by_label("Title (Urdu)").fill("جامشورو پل کے راستے کی مرمت")
    officer.get_by_label("Description (Urdu)").fill("راستے کے سلیب اور جنگلے")
    officer.get_by_label("Title (Sindhi)").fill("ڄامشوري پل جي رستي جي مرمت")
    officer.get_by_label("Description (Sindhi)").fill("رستي جا سليب ۽ ريلنگ")
    officer.get_by_label("Category").select_option("works")
    officer.get_by_label("Procurement method").select_option("single_stage_one_envelope")
    officer.get_by_label("Estimated value").fill("10000000.00")
    officer.get_by_label("Bid security (same currency; blank if none)").fill("200000.00")
    officer.get_by_label("Bid validity (days)").fill("90")
    officer.get_by_label("Questions close").fill(local(deadline - timedelta(days=7)))
    officer.get_by_label("Bids due").fill(local(deadline))
    officer.get_by_label("Public opening").fill(local(deadline + timedelta(minutes=30)))
    officer.get_by_label("Lot number").first.fill("1")
    officer.get_by_label("Lot title").first.fill("Approach slabs")
    officer.get_by_label("Item number").first.fill("1-1")
    officer.get_by_label("Item description").first.fill("Reinforced concrete slab")
    officer.locator('[name="lots.0.items.0.quantity"]').fill("40")
    officer.get_by_label("Unit").first.fill("m3")
    screenshot(officer, "10-officer-draft-form")
    officer.get_by_role("button", name="Save the draft").click()
    expect(officer).to_have_url(re.compile(r"/portal/officer/tenders/[0-9a-f-]{36}"))
    tender_id = UUID(re.findall(r"[0-9a-f-]{36}", officer.url)[0])
    # A draft offers editing and publishing, and nothing a draft cannot do.
    expect(officer.get_by_role("button", name="Open the bids in public")).to_have_count(0)
    officer.get_by_role("button", name="Publish the notice").click()
    expect(officer.get_by_role("button", name="Publish the notice")).to_have_count(0)
    screenshot(officer, "11-officer-tender-published")

    vendor_bids(application, tender_id)

    # Past the opening time (the server's clock decides); the session outlived, so sign in.
    clock.set(deadline + timedelta(minutes=31))
    sign_in(officer, "officer@works", accounts["officer@works"], clock)
    officer.goto(f"/portal/officer/tenders/{tender_id}")
    officer.get_by_role("button", name="Open the bids in public").click()
    expect(officer.locator("body")).to_contain_text("Mehran Construction")
    expect(officer.locator("body")).to_contain_text("8,800,000.00")
    for index, member in enumerate(COMMITTEE):
        officer.locator(f"#f-member-{index}").fill(member)
    officer.get_by_label("Chair (one of the members)").fill(COMMITTEE[0])
    officer.get_by_role("button", name="Name the committee").click()
    expect(officer.locator("#committee")).to_contain_text("not yet declared")
    screenshot(officer, "12-officer-opened-committee")

    for member in COMMITTEE:
        page = new_page()
        sign_in(page, member, accounts[member], clock)
        page.goto(f"/portal/officer/tenders/{tender_id}")
        page.get_by_role("button", name="Sign the declaration").click()
        expect(page.get_by_role("button", name="Sign the declaration")).to_have_count(0)
        if member == COMMITTEE[0]:
            chair = page
    chair.reload()
    chair.get_by_role("button", name="Finalise and publish the evaluation report").click()
    expect(
        chair.get_by_role("button", name="Finalise and publish the evaluation report")
    ).to_have_count(0)

    officer.goto(f"/portal/officer/tenders/{tender_id}")
    officer.get_by_role("button", name="Make the award").click()
    expect(officer.locator("#award-status")).to_have_text("standstill")
    screenshot(officer, "13-officer-awarded")

    public = new_page()
    public.goto(f"/portal/tenders/{tender_id}")
    award = public.locator("section.award")
    expect(award.locator(".supplier")).to_have_text("Mehran Construction")
    expect(award.locator(".award-value")).to_have_text("PKR 8,800,000.00")
    expect(public.locator("#evaluation-report")).to_contain_text("Indus Builders (Pvt) Ltd")
    screenshot(public, "14-public-tender-awarded")
    public.goto("/portal/awards")
    expect(public.locator("#awards")).to_contain_text("Mehran Construction")
    screenshot(public, "15-public-awards")
