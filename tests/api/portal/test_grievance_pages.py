"""Complaints, appeals and debarment in the portal, through HTTP with real sessions: a vendor
complains about the documents, the grievance committee's chair dismisses it on the officer's
page, the vendor appeals, the regulator upholds it with a remedy; the head names the committee
and refers a vendor; the vendor answers its debarment case and the regulator decides. Bad
input and refusals are shown by their fields, and write nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from domain.account import account_id_for
from tests.api.conftest import ENTITY, GRIEVANCE, HEAD, REGULATOR, Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_officer_pages import error_at
from tests.api.scenarios import Scenario
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")

GROUNDS = "The specification names one make of asphalt plant: no other bidder can comply."
VENDOR_GROUNDS = "Forged completion certificates for the Kotri bridge works (letter 14/2026)."


def followed(browser: Browser, answer: httpx.Response, start: str) -> httpx.Response:
    """The page a successful form leads to (a 303 to ``start``, with its read token)."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(f"{start}?after="), location
    return browser.get(location)


def complaint_id_on(page: httpx.Response) -> str:
    match = re.search(r'data-complaint-id="([0-9a-f-]{36})"', page.text)
    assert match, "no complaint on the page"
    return match.group(1)


def test_a_complaint_is_dismissed_appealed_and_upheld_by_the_regulator(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    api.register_vendor("delta")
    public = f"/portal/tenders/{tender.id}"
    browser.sign_in("delta")
    page = browser.page(public)
    assert 'id="stage-complaint-form"' in page.text
    assert "You have made no complaint about this tender." in page.text

    before = api.event_count()
    empty = browser.submit(public, f"{public}/complaints", {"stage": "documents", "grounds": ""})
    assert empty.status_code == 422
    assert error_at(empty, "grounds") == "Field required"
    closed = browser.submit(
        public, f"{public}/complaints", {"stage": "final_report", "grounds": GROUNDS}
    )
    assert closed.status_code == 409
    assert "complaint_stage_closed" in error_at(closed, "stage")
    assert GROUNDS in closed.text  # what was typed is kept
    assert api.event_count() == before

    lodged = browser.submit(
        public, f"{public}/complaints", {"stage": "documents", "grounds": GROUNDS}
    )
    page = followed(browser, lodged, public)
    assert "Your complaint was lodged." in page.text
    assert GROUNDS in page.text
    complaint = complaint_id_on(page)

    officer_page = f"/portal/officer/tenders/{tender.id}"
    browser.sign_in("officer@works")  # not of the committee: neither reads it nor decides
    page = browser.page(officer_page)
    assert GROUNDS not in page.text
    assert f'id="decide-{complaint}"' not in page.text
    _chair_dismisses(api, browser, officer_page, complaint)

    browser.sign_in("delta")
    page = browser.page(public)
    assert "The specification is generic enough." in page.text
    assert f"{public}/complaints/{complaint}/appeal" in page.text  # dismissed: appealable
    appealed = browser.submit(
        public,
        f"{public}/complaints/{complaint}/appeal",
        {"grounds": "The committee did not read the brand clause."},
    )
    page = followed(browser, appealed, public)
    assert "appealed to the regulator" in page.text
    assert f"{public}/complaints/{complaint}/appeal" not in page.text  # appealed once

    _regulator_upholds(api, browser, tender.id, complaint)
    browser.sign_in("delta")
    page = browser.page(public)
    assert "upheld on appeal" in page.text
    assert "Regulator&#39;s decision" in page.text
    [mine] = api.client.get(
        f"/tenders/{tender.id}/complaints/mine", headers=api.login("delta")
    ).json()["complaints"]
    assert mine["status"] == "appeal_upheld"
    assert mine["appeal"]["decision"]["remedy"] == "amend_documents"


def _chair_dismisses(api: Api, browser: Browser, officer_page: str, complaint: str) -> None:
    browser.sign_in(GRIEVANCE[0])
    page = browser.page(officer_page)
    form = page.text[page.text.index(f'id="decide-{complaint}"') :]
    form = form[: form.index("</form>")]
    assert 'value="amend_documents"' in form
    assert 'value="cancel_procurement"' in form
    assert 'value="cancel_award"' not in form  # not a remedy for the documents
    decide = f"{officer_page}/complaints/{complaint}/decision"
    before = api.event_count()
    wrong = browser.submit(
        officer_page, decide, {"outcome": "upheld", "remedy": "cancel_award", "reasons": "Yes."}
    )
    assert wrong.status_code == 422
    assert "invalid_terms" in error_at(wrong, "remedy")
    assert api.event_count() == before
    dismissed = browser.submit(
        officer_page,
        decide,
        {"outcome": "dismissed", "reasons": "The specification is generic enough."},
    )
    page = followed(browser, dismissed, officer_page)
    assert f'id="decide-{complaint}"' not in page.text
    assert "The specification is generic enough." in page.text


def _regulator_upholds(api: Api, browser: Browser, tender_id: str, complaint: str) -> None:
    browser.sign_in(REGULATOR)
    home = browser.page("/portal/regulator")
    assert home.status_code == 200, home.text
    assert 'id="open-case-form"' in home.text
    assert f"/portal/regulator/tenders/{tender_id}#complaint-{complaint}" in home.text  # listed
    wrong = browser.get("/portal/regulator?tender_id=tender-114")
    assert wrong.status_code == 422
    assert error_at(wrong, "tender_id").startswith("This is not an id")
    found = browser.get(f"/portal/regulator?tender_id={tender_id}", follow_redirects=False)
    assert found.status_code == 303
    page_path = f"/portal/regulator/tenders/{tender_id}"
    assert found.headers["location"] == page_path

    page = browser.page(page_path)
    assert "The committee did not read the brand clause." in page.text
    assert f'id="appeal-{complaint}"' in page.text
    decide = f"{page_path}/complaints/{complaint}/appeal-decision"
    before = api.event_count()
    unreasoned = browser.submit(
        page_path, decide, {"outcome": "upheld", "remedy": "amend_documents", "reasons": ""}
    )
    assert unreasoned.status_code == 422
    assert error_at(unreasoned, "reasons") == "Field required"
    assert api.event_count() == before
    upheld = browser.submit(
        page_path,
        decide,
        {
            "outcome": "upheld",
            "remedy": "amend_documents",
            "reasons": "A brand may be named only with 'or equivalent'.",
        },
    )
    page = followed(browser, upheld, page_path)
    assert "upheld on appeal" in page.text
    assert f'id="appeal-{complaint}"' not in page.text


def test_the_head_names_the_committee_and_refers_a_vendor(api: Api, browser: Browser) -> None:
    api.register_vendor("omega")
    vendor = str(account_id_for("omega"))
    entity = "/portal/officer/entity"
    fields = {"members[]": list(GRIEVANCE), "chair": GRIEVANCE[1]}
    referral = {"vendor_id": vendor, "grounds": VENDOR_GROUNDS}

    browser.sign_in("officer@works")  # not the head: both refused, nothing written
    page = browser.page(entity)
    assert f"{GRIEVANCE[0]} (chair)" in page.text  # the composition is public
    before = api.event_count()
    for action, data in (("grievance-committee", fields), ("debarment-referrals", referral)):
        refused = browser.client.post(
            f"{entity}/{action}",
            data={"_csrf_token": browser.csrf(entity), **data},
            follow_redirects=False,
        )
        assert refused.status_code == 403, action
        assert "not_entity_head" in refused.text
    assert api.event_count() == before

    browser.sign_in(HEAD)
    even = browser.client.post(
        f"{entity}/grievance-committee",
        data={
            "_csrf_token": browser.csrf(entity),
            "members[]": list(GRIEVANCE[:2]),
            "chair": GRIEVANCE[0],
        },
    )
    assert even.status_code == 422
    assert "invalid_committee" in error_at(even, "chair")
    assert api.event_count() == before
    named = browser.client.post(
        f"{entity}/grievance-committee",
        data={"_csrf_token": browser.csrf(entity), **fields},
        follow_redirects=False,
    )
    page = followed(browser, named, entity)
    assert f"{GRIEVANCE[1]} (chair)" in page.text

    prefilled = browser.page(f"{entity}?vendor_id={vendor}")
    assert f'value="{vendor}"' in prefilled.text  # from a tender's opening record
    page = followed(
        browser, browser.submit(entity, f"{entity}/debarment-referrals", referral), entity
    )
    assert "The vendor was referred to the regulator." in page.text

    browser.sign_in(REGULATOR)
    record = browser.page(f"/portal/regulator/debarments/{vendor}")
    assert VENDOR_GROUNDS in record.text
    assert ENTITY in record.text  # referred by the entity


def test_a_vendor_answers_its_debarment_case_and_the_regulator_debars_it(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    api.register_vendor("omega")
    vendor = str(account_id_for("omega"))
    record = f"/portal/regulator/debarments/{vendor}"
    browser.sign_in(REGULATOR)
    home = "/portal/regulator"
    before = api.event_count()
    nobody = browser.submit(
        home, f"{home}/debarments", {"vendor_id": str(account_id_for("nobody")), "grounds": "x"}
    )
    assert nobody.status_code == 404
    assert "account_not_found" in error_at(nobody, "vendor_id")
    assert api.event_count() == before
    opened = browser.submit(
        home, f"{home}/debarments", {"vendor_id": vendor, "grounds": VENDOR_GROUNDS}
    )
    page = followed(browser, opened, record)
    assert VENDOR_GROUNDS in page.text
    case = re.search(r'data-case-id="([0-9a-f-]{36})"', page.text)
    assert case
    decide = f"{record}/cases/{case.group(1)}/decision"
    early = browser.submit(record, decide, {"outcome": "dismissed", "reasons": "No evidence."})
    assert early.status_code == 409
    assert "hearing_open" in error_at(early, "outcome")  # the vendor has not answered yet

    browser.sign_in("omega")
    assert 'id="debarment-notice"' in browser.page("/portal/vendor").text  # notified
    mine = "/portal/vendor/debarment"
    page = browser.page(mine)
    assert VENDOR_GROUNDS in page.text
    answer = f"{mine}/cases/{case.group(1)}/answer"
    empty = browser.submit(mine, answer, {"answer": ""})
    assert empty.status_code == 422
    assert error_at(empty, "answer") == "Field required"
    page = followed(
        browser,
        browser.submit(mine, answer, {"answer": "The certificates are genuine: see annex A."}),
        mine,
    )
    assert "The certificates are genuine: see annex A." in page.text
    assert answer not in page.text  # answered once
    assert 'id="debarment-notice"' not in browser.page("/portal/vendor").text

    browser.sign_in(REGULATOR)
    until = (clock.now() + timedelta(days=365, hours=5)).strftime("%Y-%m-%dT%H:%M")  # PKT
    missing = browser.submit(record, decide, {"outcome": "debarred", "reasons": "Forged."})
    assert missing.status_code == 422  # a debarment names its end
    debarred = browser.submit(
        record,
        decide,
        {"outcome": "debarred", "debarred_until": until, "reasons": "The certificates are forged."},
    )
    page = followed(browser, debarred, record)
    assert 'id="debarred-now"' in page.text
    browser.sign_in("omega")
    assert 'id="debarred-now"' in browser.page(mine).text


def test_the_pages_in_urdu_and_other_roles_refused(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    api.register_vendor("delta")
    public = f"/portal/tenders/{tender.id}"
    browser.sign_in("delta")
    followed(
        browser,
        browser.submit(public, f"{public}/complaints", {"stage": "documents", "grounds": GROUNDS}),
        public,
    )
    page = browser.page(f"{public}?lang=ur")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text
    assert "آپ کی شکایات" in page.text  # "Your complaints"
    assert "اشتہار اور دستاویزات" in page.text  # the stage, as data translated
    assert browser.page("/portal/vendor/debarment?lang=ur").status_code == 200
    assert browser.get("/portal/regulator").status_code == 403

    browser.sign_in(REGULATOR)
    assert browser.page("/portal/regulator?lang=ur").status_code == 200
    regulator_page = browser.page(f"/portal/regulator/tenders/{tender.id}?lang=ur")
    assert GROUNDS in regulator_page.text
    assert browser.get(f"/portal/officer/tenders/{tender.id}").status_code == 403
    before = api.event_count()
    refused = browser.submit(
        "/portal/regulator", f"{public}/complaints", {"stage": "documents", "grounds": "x"}
    )
    assert refused.status_code == 403
    assert api.event_count() == before
