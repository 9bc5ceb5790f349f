"""A complaint in a real browser: a vendor complains about a tender's documents, a stage not
open is refused with its message at the field, and the complaint is then listed with its
status; the vendor's debarment record page; no console error throughout (the pages keep the
Content-Security-Policy), and each page passes the accessibility checks."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from procurement.commands.application import ProcurementApplication
from tests.browser.conftest import screenshot
from tests.browser.test_security_headers_in_browser import _watch
from tests.browser.test_vendor_in_browser import published_tender, register
from tests.support import FakeClock

GROUNDS = "The specification names one make of asphalt plant: no other bidder can comply."


def test_a_vendor_lodges_a_complaint_and_sees_it(
    new_page: Callable[..., Page], application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = published_tender(application, clock)
    page = new_page()
    problems = _watch(page)
    register(page, "indus")
    page.goto(f"/portal/tenders/{tender_id}")
    form = page.locator("#stage-complaint-form")
    expect(form).to_be_visible()

    # No report is published yet: the stage is closed, and the message says so at its field.
    form.get_by_label("What the complaint is about").select_option("final_report")
    form.get_by_label(re.compile("Your grounds")).fill(GROUNDS)
    form.get_by_role("button", name="Lodge the complaint").click()
    expect(page.locator('[data-field="stage"]')).to_contain_text("complaint_stage_closed")
    expect(page.locator("#f-complaint-grounds")).to_have_value(GROUNDS)
    # Chromium logs the refusal's status (409, as the API answers) and nothing else.
    assert [problem for problem in problems if "409 (Conflict)" not in problem] == []
    assert len(problems) == 1
    problems.clear()

    form = page.locator("#stage-complaint-form")
    form.get_by_label("What the complaint is about").select_option("documents")
    form.get_by_role("button", name="Lodge the complaint").click()
    expect(page.locator(".notice").first).to_have_text("Your complaint was lodged.")
    mine = page.locator("#my-complaints [data-complaint-id]")
    expect(mine).to_have_count(1)
    expect(mine.locator(".complaint-grounds")).to_have_text(GROUNDS)
    expect(mine.locator(".complaint-status")).to_have_text("pending")
    screenshot(page, "40-vendor-complaint")

    page.goto("/portal/vendor/debarment")
    expect(page.locator("#no-cases")).to_be_visible()
    screenshot(page, "41-vendor-debarment-record")
    assert problems == []
