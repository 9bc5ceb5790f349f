"""The methods on the portal: the officer's form asks direct contracting's justification and
the pre-bid meeting, the notice shows both, and the officer publishes the minutes."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_document_pages import page_of
from tests.api.portal.test_officer_pages import DRAFT, draft, error_at, location_id
from tests.api.test_documents import PDF
from tests.support import FakeClock

DIRECT = {
    **DRAFT,
    "method": "direct_contracting",
    "bid_security.amount.amount": "",
    "translations.ur.title": "",
    "translations.ur.description": "",
    "translations.sd.title": "",
    "translations.sd.description": "",
}
# Pakistan time; questions close on 14 December at 10:00.
MEETING = {
    "pre_bid_meeting.at": "2026-12-05T11:00",
    "pre_bid_meeting.place": "Committee room, Works Department, Karachi",
    "pre_bid_meeting.link": "https://meet.example.org/wsd-rd-077",
}


def test_direct_contracting_is_published_with_the_justification_the_form_asks(
    api: Api, browser: Browser
) -> None:
    browser.sign_in("officer@works")
    form = browser.get("/portal/officer/tenders/new")
    assert 'name="direct_contracting.case"' in form.text
    assert 'name="pre_bid_meeting.at"' in form.text
    tender_id = draft(browser, **DIRECT)
    path = page_of(tender_id)
    refused = browser.submit(path, f"{path}/publish", {})
    assert refused.status_code == 422
    assert "justification_required" in refused.text
    assert browser.get(f"/portal/tenders/{tender_id}").status_code == 404  # still a draft

    justified = {
        **DIRECT,
        "direct_contracting.case": "single_source",
        "direct_contracting.explanation": "Only the maker services the asphalt plant.",
    }
    edited = browser.submit(f"{path}/edit", f"{path}/edit", justified)
    assert location_id(edited) == tender_id
    assert location_id(browser.submit(path, f"{path}/publish", {})) == tender_id
    notice = browser.page(f"/portal/tenders/{tender_id}")
    assert 'id="direct-contracting"' in notice.text
    assert "only one supplier has the goods, works or services" in notice.text
    assert "Only the maker services the asphalt plant." in notice.text
    urdu = browser.page(f"/portal/tenders/{tender_id}?lang=ur")
    assert "براہِ راست معاہدے کا جواز" in urdu.text


def test_the_pre_bid_meeting_is_in_the_notice_and_its_minutes_follow_it(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    browser.sign_in("officer@works")
    late = {**MEETING, "pre_bid_meeting.at": "2026-12-15T11:00"}  # after questions close
    tender_id = draft(browser, **late)
    path = page_of(tender_id)
    refused = browser.submit(path, f"{path}/publish", {})
    assert refused.status_code == 422
    assert "invalid_pre_bid_meeting" in refused.text
    edited = browser.submit(f"{path}/edit", f"{path}/edit", {**DRAFT, **MEETING})
    assert location_id(edited) == tender_id
    edit = browser.get(f"{path}/edit")
    assert 'value="2026-12-05T11:00"' in edit.text  # shown again in Pakistan time
    assert location_id(browser.submit(path, f"{path}/publish", {})) == tender_id
    notice = browser.page(f"/portal/tenders/{tender_id}")
    assert 'id="pre-bid-meeting"' in notice.text
    assert MEETING["pre_bid_meeting.place"] in notice.text
    assert 'id="minutes-form"' not in browser.page(path).text  # not before the meeting

    clock.set(clock.now() + timedelta(days=4, hours=2))  # 5 December, 12:00 in Pakistan
    browser.sign_in("officer@works")
    page = browser.page(path)
    assert 'id="minutes-form"' in page.text
    no_file = browser.submit(path, f"{path}/pre-bid-minutes", {})
    assert no_file.status_code == 422
    assert error_at(no_file, "minutes.file")
    files = [("minutes.file", ("minutes.pdf", PDF, "application/pdf"))]
    published = browser.submit(path, f"{path}/pre-bid-minutes", {}, files=files)
    assert location_id(published) == tender_id
    notice = browser.page(f"/portal/tenders/{tender_id}")
    assert "Minutes of the pre-bid meeting" in notice.text
    assert "minutes of the pre-bid meeting" in notice.text  # the document's kind
