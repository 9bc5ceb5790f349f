"""A tender's documents in the portal through HTTP: the upload route the page's script calls,
files sent inside the forms (no JavaScript), a draft's attach, replace and remove, an
addendum's rows, the downloads, and the refusals, each at its field with nothing written."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from uuid import UUID

import httpx

from domain.account import account_id_for
from domain.values import Actor, Role
from tests.api.conftest import ENTITY, Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_officer_pages import draft, error_at
from tests.api.portal.test_text_in_forms import _error_at
from tests.api.portal.test_vendor_pages import register
from tests.api.scenarios import Scenario
from tests.api.test_bid_documents import opening
from tests.support import FakeClock

PLAN = b"%PDF-1.7\n% the bidding document\n" * 100
PLAN_2 = b"%PDF-1.7\n% the bidding document, corrected\n" * 100
DRAWING = b"%PDF-1.7\n% the drawings\n" * 100
ORIGIN = {"origin": "http://127.0.0.1:8000"}
OFFICER = Actor(
    account_id=account_id_for("officer@works"), role=Role.OFFICER, request_id="t", entity=ENTITY
)


def page_of(tender_id: str) -> str:
    return f"/portal/officer/tenders/{tender_id}"


def upload(
    browser: Browser, path: str, name: str, content: bytes, **headers: str
) -> httpx.Response:
    """As the page's script sends a file: its bytes, the session's token in a header."""
    token = browser.csrf("/portal/tenders")
    return browser.client.post(
        path,
        params={"file_name": name},
        content=content,
        headers={"x-csrftoken": token, "content-type": "application/octet-stream", **headers},
    )


def attach(
    browser: Browser, tender_id: str, fields: dict[str, str], **files: Any
) -> httpx.Response:
    """A draft's documents form; with ``files``, as a browser without the script sends it."""
    page = page_of(tender_id)
    return browser.submit(page, f"{page}/documents", fields, files=list(files.items()) or None)


def documents_of(api: Api, tender_id: str) -> list[dict[str, Any]]:
    """The draft's documents as the application holds them (none is public yet)."""
    view = api.application.tender_for_officer(OFFICER, UUID(tender_id))
    return [document.model_dump(mode="json") for document in view.documents]


def test_the_upload_route_stores_a_file_and_answers_in_json(api: Api, browser: Browser) -> None:
    browser.sign_in("officer@works")
    stored = upload(browser, "/portal/officer/documents", "plan.pdf", PLAN, **ORIGIN)
    assert stored.status_code == 201, stored.text
    assert stored.json() == {
        "sha256": hashlib.sha256(PLAN).hexdigest(),
        "size": len(PLAN),
        "media_type": "application/pdf",
        "file_name": "plan.pdf",
    }
    refused = upload(browser, "/portal/officer/documents", "plan.pdf", b"plain words")
    assert refused.status_code == 415
    assert refused.json()["code"] == "document_type_refused"
    named = upload(browser, "/portal/officer/documents", "../plan.pdf", PLAN)
    assert named.status_code == 422
    assert named.headers["content-type"].startswith("application/problem+json")
    # A form is not an upload: refused before its body is read.
    form = browser.client.post(
        "/portal/officer/documents",
        params={"file_name": "plan.pdf"},
        data={"_csrf_token": browser.csrf("/portal/tenders")},
    )
    assert form.status_code == 415
    # The session's token, from the platform's origin, as every post.
    forged = browser.client.post(
        "/portal/officer/documents",
        params={"file_name": "plan.pdf"},
        content=PLAN,
        headers={"x-csrftoken": "x" * 43},
    )
    assert forged.status_code == 403
    browser.client.cookies.clear()
    register(browser, "indus")
    vendor = upload(browser, "/portal/officer/documents", "plan.pdf", PLAN)
    assert vendor.status_code == 403


def test_a_draft_takes_documents_without_javascript_and_the_officer_downloads_them(
    api: Api, browser: Browser
) -> None:
    browser.sign_in("officer@works")
    tender_id = draft(browser)
    added = attach(
        browser,
        tender_id,
        {
            "changes.0.action": "add",
            "changes.0.kind": "bidding_document",
            "changes.0.language": "en",
            "changes.0.title": "Plan",
        },
        **{"changes.0.file": ("plan.pdf", PLAN, "application/pdf")},
    )
    assert added.status_code == 303, added.text
    [document] = documents_of(api, tender_id)
    assert document["versions"][0]["file"]["sha256"] == hashlib.sha256(PLAN).hexdigest()
    page = browser.page(page_of(tender_id))
    assert 'data-document-id="{}"'.format(document["id"]) in page.text
    link = f"{page_of(tender_id)}/documents/{document['id']}?version=1"
    assert link in page.text
    downloaded = browser.get(link)
    assert downloaded.status_code == 200
    assert downloaded.content == PLAN
    assert downloaded.headers["cache-control"].startswith("private")
    assert "plan.pdf" in downloaded.headers["content-disposition"]

    # Replaced by a file the script uploaded (named by its hash), then removed.
    stored = upload(browser, "/portal/officer/documents", "plan-2.pdf", PLAN_2).json()
    replaced = attach(
        browser,
        tender_id,
        {
            "changes.0.action": "replace",
            "changes.0.document_id": document["id"],
            "changes.0.sha256": stored["sha256"],
            "changes.0.file_name": stored["file_name"],
        },
    )
    assert replaced.status_code == 303, replaced.text
    [document] = documents_of(api, tender_id)
    assert [v["file"]["file_name"] for v in document["versions"]] == ["plan-2.pdf"]  # a draft
    assert document["versions"][0]["title"] == "Plan"
    removed = attach(
        browser,
        tender_id,
        {"changes.0.action": "withdraw", "changes.0.document_id": document["id"]},
    )
    assert removed.status_code == 303, removed.text
    assert documents_of(api, tender_id) == []


def test_a_refused_file_is_shown_at_its_field_and_nothing_is_written(
    api: Api, browser: Browser
) -> None:
    browser.sign_in("officer@works")
    tender_id = draft(browser)
    before = api.event_count()
    fields = {
        "changes.0.action": "add",
        "changes.0.kind": "other",
        "changes.0.title": "Plan",
        "changes.0.language": "en",
    }
    wrong = attach(
        browser, tender_id, fields, **{"changes.0.file": ("plan.pdf", b"words", "text/plain")}
    )
    assert wrong.status_code == 415
    assert "document_type_refused" in error_at(wrong, "changes.0.file")
    assert 'value="Plan"' in wrong.text  # what was typed is kept
    nothing = attach(browser, tender_id, fields)
    assert nothing.status_code == 422  # no file: the domain's refusal, above the form
    assert "invalid_documents" in nothing.text
    unknown = attach(
        browser, tender_id, {**fields, "changes.0.sha256": "0" * 64, "changes.0.file_name": "a.pdf"}
    )
    assert unknown.status_code == 422
    assert "upload_not_found" in unknown.text
    assert api.event_count() == before

    # Another entity's officer sees neither the draft nor its documents.
    stored = upload(browser, "/portal/officer/documents", "plan.pdf", PLAN).json()
    attach(
        browser,
        tender_id,
        {**fields, "changes.0.sha256": stored["sha256"], "changes.0.file_name": "plan.pdf"},
    )
    [document] = documents_of(api, tender_id)
    browser.client.cookies.clear()
    browser.sign_in("officer@health")
    link = f"{page_of(tender_id)}/documents/{document['id']}"
    assert browser.get(link).status_code == 404
    theirs = attach(
        browser,
        tender_id,
        {"changes.0.action": "withdraw", "changes.0.document_id": document["id"]},
    )
    assert theirs.status_code == 404
    assert len(documents_of(api, tender_id)) == 1


def test_an_addendum_replaces_withdraws_and_adds_documents_and_the_public_sees_each_version(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    browser.sign_in("officer@works")
    tender_id = draft(browser)
    for name, content in (("plan.pdf", PLAN), ("drawing.pdf", DRAWING)):
        added = attach(
            browser,
            tender_id,
            {
                "changes.0.action": "add",
                "changes.0.kind": "drawing",
                "changes.0.title": name.removesuffix(".pdf"),
                "changes.0.language": "en",
            },
            **{"changes.0.file": (name, content, "application/pdf")},
        )
        assert added.status_code == 303, added.text
    plan, drawing = (d["id"] for d in documents_of(api, tender_id))
    page = page_of(tender_id)
    assert browser.submit(page, f"{page}/publish", {}).status_code == 303

    # A row touched without its action is refused at that row, and nothing is written.
    before = api.event_count()
    rows = {
        "text": "Corrected plan; drawings withdrawn.",
        "documents.changes.0.document_id": plan,
        "documents.changes.0.title": "Plan, corrected",
        "documents.changes.1.document_id": drawing,
        "documents.changes.1.action": "withdraw",
        "documents.changes.2.action": "add",  # untouched new rows are no change
        "documents.changes.3.action": "add",
        "documents.changes.3.kind": "other",
        "documents.changes.3.language": "en",
    }
    files = [("documents.changes.0.file", ("plan-2.pdf", PLAN_2, "application/pdf"))]
    refused = browser.submit(page, f"{page}/amend", rows, files=files)
    assert refused.status_code == 422
    assert error_at(refused, "documents.changes.0.action")
    assert api.event_count() == before
    # The file went to the store meanwhile: the form names it now, as the script would.
    assert 'name="documents.changes.0.sha256"' in refused.text

    rows["documents.changes.0.action"] = "replace"
    amended = browser.submit(page, f"{page}/amend", rows, files=files)
    assert amended.status_code == 303, amended.text

    public = browser.page(f"/portal/tenders/{tender_id}")
    assert public.status_code == 200
    text = public.text
    for version, content in ((1, PLAN), (2, PLAN_2)):
        link = f"/public/documents/{plan}?version={version}"
        assert link in text
        assert browser.get(link).content == content
    assert "Plan, corrected: version 2" in text  # listed with the addendum that issued it
    assert "drawing: withdrawn" in text
    withdrawn = re.search(rf'<li class="document withdrawn" data-document-id="{drawing}"', text)
    assert withdrawn, "the withdrawn document is listed and marked"
    changes = re.search(r'data-changes="2">(.*?)</dl>', text, re.DOTALL)
    assert changes
    for changed in ("Plan, corrected", "plan-2.pdf", hashlib.sha256(PLAN_2).hexdigest()):
        assert changed in changes.group(1)
    assert "Media type" not in changes.group(1)  # both PDFs


def test_a_vendor_uploads_a_document_sealed_and_names_it_in_the_bid(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    register(browser, "indus")
    path = f"/portal/tenders/{scenario.id}/bid/documents"
    answer = upload(browser, path, "method.pdf", PLAN)
    assert answer.status_code == 201, answer.text
    attachment = answer.json()
    assert attachment["sha256"] == hashlib.sha256(PLAN).hexdigest()
    assert attachment["blob"] != attachment["sha256"]  # stored sealed
    assert attachment["size"] == len(PLAN)
    bid_page = f"/portal/tenders/{scenario.id}/bid"
    fields = {
        "prices.0.lot_id": "1",
        "prices.0.price.amount": "9000000.00",
        "prices.0.price.currency": "PKR",
        **{f"attachments.3.{k}": str(v) for k, v in attachment.items()},  # rows may have gaps
    }
    refused = browser.submit(bid_page, bid_page, {**fields, "attachments.3.size": "many"})
    assert refused.status_code == 422
    assert _error_at(refused.text, "documents")
    assert 'name="attachments.0.key"' in refused.text  # listed again, not to be uploaded again
    sent = browser.submit(bid_page, bid_page, fields)
    assert sent.status_code == 303, sent.text
    assert upload(browser, path, "method.txt", b"plain words").json()["code"] == (
        "document_type_refused"
    )


def test_a_vendor_prices_a_lot_by_its_bill_of_quantities(
    api: Api, browser: Browser, clock: FakeClock
) -> None:
    """The bid form lists each lot's items; a lot left without a price is priced at its
    rates' total, and a refused rate is shown at the field it was typed in."""
    scenario = Scenario(api, clock)
    register(browser, "rated")
    bid_page = f"/portal/tenders/{scenario.id}/bid"
    page = browser.client.get(bid_page).text
    assert 'name="rates.0.item_id" value="1-1"' in page
    fields = {
        "prices.0.lot_id": "1",
        "prices.0.price.amount": "",
        "prices.0.price.currency": "PKR",
        "rates.0.item_id": "1-1",
        "rates.0.rate.currency": "PKR",
    }
    refused = browser.submit(bid_page, bid_page, {**fields, "rates.0.rate.amount": "-5"})
    assert refused.status_code == 422
    assert _error_at(refused.text, "rates.0.rate.amount")
    sent = browser.submit(bid_page, bid_page, {**fields, "rates.0.rate.amount": "45000.50"})
    assert sent.status_code == 303, sent.text
    [bid] = opening(api, clock, scenario.id)["bids"]
    expected = [{"lot_id": "1", "price": {"amount": "4500050.00", "currency": "PKR"}}]
    assert bid["prices"] == expected  # 100 m3 at 45,000.50
    assert bid["rate_totals"] == expected
