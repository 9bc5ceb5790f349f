"""A tender's documents in a real browser: an officer uploads two files to a draft (each
with its progress, by the page's script), publishes, and replaces one by an addendum; the
public sees both versions and what changed, and downloads the very bytes; a vendor attaches
documents to a bid, sealed on arrival, which the opening finds intact."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import FilePayload, Locator, Page, expect

from api.schemas import TenderIn
from domain.opening import DocumentCheck
from domain.tender import Tender
from procurement.commands.application import ProcurementApplication
from tests.browser.conftest import screenshot
from tests.browser.test_officer_in_browser import sign_in
from tests.browser.test_vendor_in_browser import OFFICER, published_tender, register
from tests.support import FakeClock, tender_json

MB = 1024 * 1024
# Documents as their first bytes say they are (the store reads the type from them).
BIDDING_V1 = b"%PDF-1.7\n" + b"% bidding document, first issue\n" * (MB // 32)
BIDDING_V2 = b"%PDF-1.7\n" + b"% bidding document, corrected by addendum 1\n" * 4000
DRAWINGS = b"%PDF-1.7\n" + b"% site drawings\n" * 2000
METHOD = b"%PDF-1.7\n" + b"% our method statement\n" * 3000
TEAM = b"%PDF-1.7\n" + b"% our team\n" * 1000


def pdf(name: str, content: bytes) -> FilePayload:
    return FilePayload(name=name, mimeType="application/pdf", buffer=content)


def uploaded(box: Locator, payload: FilePayload) -> None:
    """Choose a file in an upload field; the script uploads it at once: wait until it is
    listed, and check its progress reached the whole file."""
    box.locator("input[type=file]").set_input_files(files=[payload])
    expect(box.locator(".uploaded li", has_text=payload["name"])).to_have_count(1)
    progress = box.locator("progress")
    expect(progress).to_be_hidden()
    reached = progress.evaluate("bar => [bar.value, bar.max]")
    assert reached == [len(payload["buffer"])] * 2


def test_an_officer_uploads_publishes_and_amends_and_the_public_downloads_each_version(  # noqa: PLR0915 (one story)
    new_page: Callable[..., Page],
    application: ProcurementApplication,
    clock: FakeClock,
    accounts: dict[str, str],
) -> None:
    draft = application.draft_tender(
        OFFICER, TenderIn.model_validate(tender_json(clock.now())).to_domain()
    )
    officer = new_page()
    sign_in(officer, "officer@works", accounts["officer@works"], clock)
    officer.goto(f"/portal/officer/tenders/{draft.id}")
    expect(officer.locator("#documents-h")).to_be_visible()

    attach = officer.locator("#attach-form")
    uploaded(attach.locator(".upload"), pdf("bidding-document.pdf", BIDDING_V1))
    # The title is filled from the file's name when left empty; the officer may change it.
    expect(attach.get_by_label("Title")).to_have_value("bidding-document")
    attach.get_by_label("Title").fill("Bidding document")
    attach.get_by_label("Kind of document").select_option("bidding_document")
    attach.get_by_role("button", name="Attach the document").click()
    expect(officer.locator("#documents .document")).to_have_count(1)

    attach = officer.locator("#attach-form")
    uploaded(attach.locator(".upload"), pdf("drawings.pdf", DRAWINGS))
    attach.get_by_label("Title").fill("Site drawings")
    attach.get_by_label("Kind of document").select_option("drawing")
    attach.get_by_label("Language").select_option("ur")
    attach.get_by_role("button", name="Attach the document").click()
    expect(officer.locator("#documents .document")).to_have_count(2)
    expect(officer.locator("#documents")).to_contain_text("drawing")
    screenshot(officer, "20-officer-draft-documents")

    # A wrong file is refused at its field, with the store's reason, and nothing is listed.
    attach = officer.locator("#attach-form")
    attach.locator("input[type=file]").set_input_files(
        files=[FilePayload(name="notes.pdf", mimeType="text/plain", buffer=b"plain words")]
    )
    expect(attach.locator(".upload-error")).to_contain_text("document_type_refused")
    expect(attach.locator(".uploaded li")).to_have_count(0)

    officer.get_by_role("button", name="Publish the notice").click()
    expect(officer.get_by_role("button", name="Publish the notice")).to_have_count(0)

    # The addendum replaces the bidding document with a new version.
    amend = officer.locator("#amend-form")
    amend.get_by_label("Text of the addendum").fill("The bidding document is corrected.")
    change = amend.locator("fieldset.document-change", has_text="Bidding document")
    change.get_by_label("Change").select_option("replace")
    uploaded(change.locator(".upload"), pdf("bidding-document-rev1.pdf", BIDDING_V2))
    screenshot(officer, "21-officer-amendment-documents")
    amend.get_by_role("button", name="Issue the addendum").click()
    expect(officer.locator("#addenda-h")).to_be_visible()
    bidding = officer.locator("#documents .document", has_text="Bidding document")
    expect(bidding.locator(".meta")).to_contain_text("Version 2")

    public = new_page()
    public.goto(f"/portal/tenders/{draft.id}")
    documents = public.locator("#documents .document")
    expect(documents).to_have_count(2)
    bidding = documents.filter(has_text="Bidding document")
    bidding.locator("summary", has_text="Versions and what changed").click()
    history = bidding.locator("details.history")
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history.locator("tr[data-version='2']")).to_contain_text("Addendum 1")
    expect(history.locator("tr[data-version='1']")).to_contain_text("The notice")
    changed = history.locator("[data-changes='2']")
    expect(changed).to_contain_text("bidding-document-rev1.pdf")
    expect(changed).to_contain_text(hashlib.sha256(BIDDING_V2).hexdigest())
    expect(changed).to_contain_text(f"{len(BIDDING_V1):,}")
    expect(changed).not_to_contain_text("Media type")  # both are PDFs
    screenshot(public, "22-public-tender-documents")

    # The download gives the very bytes of each version.
    with public.expect_download() as download:
        bidding.locator("a.download").click()
    assert download.value.suggested_filename == "bidding-document-rev1.pdf"
    assert open(download.value.path(), "rb").read() == BIDDING_V2  # noqa: PTH123, SIM115
    first = history.locator("tr[data-version='1'] a").get_attribute("href")
    assert first is not None
    assert public.request.get(first).body() == BIDDING_V1
    drawings = documents.filter(has_text="Site drawings").locator("a.download")
    assert public.request.get(drawings.get_attribute("href") or "").body() == DRAWINGS

    public.get_by_role("button", name="اردو").click()
    expect(public.get_by_role("heading", name="دستاویزات")).to_be_visible()
    expect(public.locator("#documents")).to_contain_text("ورژن 2")
    screenshot(public, "24-public-tender-documents-urdu")


def test_a_vendor_attaches_documents_to_a_bid_and_the_opening_finds_them_intact(
    new_page: Callable[..., Page], application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = published_tender(application, clock)
    page = new_page()
    register(page, "indus")
    page.goto(f"/portal/tenders/{tender_id}/bid")
    box = page.locator(".upload")
    box.locator("input[type=file]").set_input_files(
        files=[pdf("method.pdf", METHOD), pdf("team.pdf", TEAM), pdf("extra.pdf", DRAWINGS)]
    )
    expect(box.locator(".uploaded li")).to_have_count(3)
    # Listed before the bid is sent; one taken off again.
    box.get_by_role("button", name="Remove: extra.pdf").click()
    expect(box.locator(".uploaded li")).to_have_count(2)
    page.get_by_label(re.compile("Price for lot 1")).fill("9450000.00")
    page.get_by_label("Instrument").select_option("bank_guarantee")
    page.get_by_label("Issuing bank").fill("Sindh Bank")
    page.get_by_label("Amount (PKR)").fill("200000.00")
    screenshot(page, "23-bid-form-documents")
    page.get_by_role("button", name="Seal and submit the bid").click()
    expect(page).to_have_url(re.compile(r"/bid/receipt$"))

    # At the opening each sealed document is read back, opened and checked.
    clock.set(clock.now() + timedelta(days=21))
    application.open_bids(OFFICER, tender_id, None)
    tender: Tender = application.repository.get(tender_id)
    assert tender.opening is not None
    [bid] = tender.opening.bids
    found = {a.name: (a.status, a.sha256, a.size) for a in bid.attachments}
    assert found == {
        "method.pdf": (DocumentCheck.OPENED, hashlib.sha256(METHOD).hexdigest(), len(METHOD)),
        "team.pdf": (DocumentCheck.OPENED, hashlib.sha256(TEAM).hexdigest(), len(TEAM)),
    }
