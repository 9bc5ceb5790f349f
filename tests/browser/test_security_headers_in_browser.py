"""The portal under its own Content-Security-Policy in a real browser: the headers arrive, a
vendor registers, signs out, signs in and asks a question through the forms, the script runs,
and the console stays free of errors (a blocked inline script or style would be one); an
inline script injected into the page is blocked, so the check would have seen one."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import ConsoleMessage, Page, expect

from api.security_headers import PAGE_POLICY
from procurement.application import ProcurementApplication
from tests.api.conftest import PASSWORD
from tests.browser.test_vendor_in_browser import published_tender, register
from tests.support import FakeClock


def _watch(page: Page) -> list[str]:
    """Every console error and uncaught page error, as they happen."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def test_the_portal_works_under_its_policy_with_no_console_error(
    new_page: Callable[..., Page], application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = published_tender(application, clock)
    page = new_page()
    problems = _watch(page)

    first = page.goto("/portal/tenders")
    assert first is not None
    headers = first.headers
    assert headers["content-security-policy"] == PAGE_POLICY
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    script = page.request.get(f"{page.url.split('/portal')[0]}/static/portal.js")
    assert script.headers["x-content-type-options"] == "nosniff"

    register(page, "indus")  # a form post, and the session it starts
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("indus")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".who")).to_contain_text("indus")

    page.goto(f"/portal/tenders/{tender_id}")
    # The script (from the platform's origin) runs: the countdown ticks in seconds.
    expect(page.locator(".countdown")).to_have_text(
        re.compile(r"Time left: \d+d \d\dh \d\dm \d\ds")
    )
    page.get_by_label("Ask a question").fill("May the bid security be an insurance bond?")
    page.get_by_role("button", name="Send the question").click()
    expect(page.locator(".notice")).to_have_text("Your question was sent.")
    # The stylesheet applied: the skip link sits off screen until focused.
    assert page.locator(".skip").evaluate("e => getComputedStyle(e).position") == "absolute"
    assert problems == []

    # The policy is in force: an inline script put into the page does not run, and the
    # browser reports it on the console, where the check above would have seen it.
    with page.expect_console_message(
        predicate=lambda message: "Content Security Policy" in message.text
    ):
        ran = page.evaluate(
            """() => {
                const s = document.createElement("script");
                s.textContent = "window.inlineRan = true";
                document.body.appendChild(s);
                return window.inlineRan === true;
            }"""
        )
    assert ran is False
