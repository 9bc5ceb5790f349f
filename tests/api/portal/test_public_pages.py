"""The public pages: search, a tender's whole story, awards; and the language switch."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.scenarios import Scenario
from tests.support import SINDHI_TITLE, URDU_TITLE, FakeClock


def test_the_tender_list_finds_a_published_tender_by_its_words(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    page = browser.page("/portal/tenders?q=road")
    assert page.status_code == 200, page.text
    assert f"/portal/tenders/{scenario.id}" in page.text
    nothing = browser.get("/portal/tenders?q=no-such-words-anywhere")
    assert f"/portal/tenders/{scenario.id}" not in nothing.text


def test_the_tender_page_shows_the_notice_and_its_open_data_link(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    page = browser.page(f"/portal/tenders/{scenario.id}")
    assert page.status_code == 200, page.text
    assert f"/ocds/records/ocds-sindh1-{scenario.id}" in page.text
    assert 'class="countdown"' in page.text


def test_the_pages_show_the_amounts_and_the_notice_in_urdu_and_sindhi(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    """What the pages take from the public answers: the estimated value (a ``MoneyOut``), the
    bid security (a stored document) and the translations, as the API answers them."""
    scenario = Scenario(api, clock)
    estimated = '<span dir="ltr">PKR 10,000,000.00</span>'
    assert estimated in browser.page("/portal/tenders").text
    page = browser.page(f"/portal/tenders/{scenario.id}").text
    assert estimated in page
    assert '<span dir="ltr">PKR 200,000.00</span>' in page
    assert URDU_TITLE in page
    assert SINDHI_TITLE in page


def test_an_unknown_tender_is_a_404_page_not_json(browser: Browser) -> None:
    page = browser.get("/portal/tenders/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "tender_not_found" in page.text


def test_pages_are_compressed_for_slow_links_and_the_api_is_not(browser: Browser) -> None:
    page = browser.get("/portal/tenders", headers={"Accept-Encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"
    style = browser.get("/static/portal.css", headers={"Accept-Encoding": "gzip"})
    assert style.headers.get("content-encoding") == "gzip"
    assert "max-age=31536000" in style.headers["cache-control"]
    api = browser.get("/public/tenders", headers={"Accept-Encoding": "gzip"})
    assert api.headers.get("content-encoding") is None
