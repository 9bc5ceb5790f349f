"""A tender's documents: attached to a draft, published with the notice, changed by amendments."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from domain import errors
from domain.documents import (
    MAX_TENDER_DOCUMENTS,
    DocumentChange,
    DocumentChanges,
    DocumentKind,
    FileFacts,
    MediaType,
    NoticeDocuments,
)
from domain.tender import Tender
from tests.property.test_tender_machine import replay, store
from tests.support import officer, sealing_keys, terms
from tests.unit.test_tender import NOW, SPPRA, drafted, publish

LATER = NOW + timedelta(hours=1)


def file(content: bytes, name: str = "document.pdf") -> FileFacts:
    return FileFacts(
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        media_type=MediaType.PDF,
        file_name=name,
    )


def add(document_id: UUID, content: bytes = b"%PDF-1.7 one") -> DocumentChange:
    return DocumentChange(
        action="add",
        document_id=document_id,
        kind=DocumentKind.BIDDING_DOCUMENT,
        title="Standard bidding document",
        language="en",
        file=file(content),
    )


def replace(document_id: UUID, content: bytes) -> DocumentChange:
    return DocumentChange(action="replace", document_id=document_id, file=file(content))


def withdraw(document_id: UUID) -> DocumentChange:
    return DocumentChange(action="withdraw", document_id=document_id)


def with_documents(*changes: DocumentChange) -> Tender:
    """A draft with the documents, its events not yet collected (its creation included)."""
    tender = Tender(id=uuid4(), entity="wsd", terms=terms(NOW), actor=officer("wsd"), timestamp=NOW)
    tender.change_draft_documents(
        changes=DocumentChanges(items=changes), actor=officer("wsd"), timestamp=NOW
    )
    return tender


def amend(tender: Tender, *changes: DocumentChange) -> None:
    tender.amend(
        number=len(tender.amendments) + 1,
        text="Addendum: revised bill of quantities",
        timeline=None,
        actor=officer("wsd"),
        timestamp=LATER,
        documents=DocumentChanges(items=changes),
    )


def test_a_draft_keeps_no_history_and_publishing_carries_its_documents() -> None:
    one, two = uuid4(), uuid4()
    tender = with_documents(add(one), add(two))
    tender.change_draft_documents(
        changes=DocumentChanges(items=(replace(one, b"%PDF second"), withdraw(two))),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    assert list(tender.documents) == [one]
    assert [v.version for v in tender.documents[one].versions] == [1]
    assert tender.documents[one].current.file == file(b"%PDF second")
    publish(tender, SPPRA, NOW)
    published = tender.collect_events()[-1]
    assert published.documents.items == (tender.documents[one],)  # type: ignore[attr-defined]


def test_an_amendment_replaces_with_a_new_version_and_withdraws_keeping_history() -> None:
    one, two = uuid4(), uuid4()
    tender = with_documents(add(one), add(two))
    publish(tender, SPPRA, NOW)
    amend(tender, replace(one, b"%PDF revised"), withdraw(two))
    first = tender.documents[one]
    assert [(v.version, v.amendment) for v in first.versions] == [(1, None), (2, 1)]
    assert first.current.title == "Standard bidding document"  # kept unless retitled
    assert tender.documents[two].withdrawn_at == LATER
    assert tender.documents[two].withdrawn_by_amendment == 1
    events = [store(e) for e in tender.collect_events()]
    assert replay(events).documents == tender.documents


def test_publishing_other_documents_than_the_drafts_is_refused() -> None:
    tender = with_documents(add(uuid4()))
    with pytest.raises(errors.InvalidTermsError, match="documents"):
        tender.publish(
            notice=tender.terms,
            rules=SPPRA,
            sealing_keys=sealing_keys(tender.terms),
            actor=officer("wsd"),
            timestamp=NOW,
            documents=NoticeDocuments(),
        )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ((), errors.InvalidDocumentsError),
        ((replace(uuid4(), b"x"),), errors.DocumentNotFoundError),
        ((withdraw(uuid4()),), errors.DocumentNotFoundError),
        (
            (DocumentChange(action="add", document_id=uuid4(), file=file(b"x")),),
            errors.InvalidDocumentsError,
        ),
        (
            (DocumentChange(action="withdraw", document_id=uuid4(), file=file(b"x")),),
            errors.DocumentNotFoundError,
        ),
    ],
)
def test_changes_that_do_not_apply_are_refused(
    changes: tuple[DocumentChange, ...], error: type[Exception]
) -> None:
    tender = drafted()
    with pytest.raises(error):
        tender.change_draft_documents(
            changes=DocumentChanges(items=changes), actor=officer("wsd"), timestamp=NOW
        )
    assert tender.documents == {}


def test_a_document_is_named_once_per_change_and_added_once() -> None:
    one = uuid4()
    tender = with_documents(add(one))
    with pytest.raises(errors.InvalidDocumentsError, match="exists"):
        tender.change_draft_documents(
            changes=DocumentChanges(items=(add(one),)), actor=officer("wsd"), timestamp=NOW
        )
    with pytest.raises(errors.InvalidDocumentsError, match="once"):
        tender.change_draft_documents(
            changes=DocumentChanges(items=(replace(one, b"a"), withdraw(one))),
            actor=officer("wsd"),
            timestamp=NOW,
        )


def test_a_tender_carries_at_most_its_limit_of_documents() -> None:
    tender = drafted()
    for _ in range(MAX_TENDER_DOCUMENTS // 50):
        tender.change_draft_documents(
            changes=DocumentChanges(items=tuple(add(uuid4()) for _ in range(50))),
            actor=officer("wsd"),
            timestamp=NOW,
        )
    with pytest.raises(errors.InvalidDocumentsError, match="at most"):
        tender.change_draft_documents(
            changes=DocumentChanges(items=(add(uuid4()),)), actor=officer("wsd"), timestamp=NOW
        )


def test_documents_change_by_amendment_only_once_published() -> None:
    tender = with_documents(add(uuid4()))
    publish(tender, SPPRA, NOW)
    with pytest.raises(errors.TenderNotDraftError):
        tender.change_draft_documents(
            changes=DocumentChanges(items=(add(uuid4()),)), actor=officer("wsd"), timestamp=NOW
        )


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b.pdf", "a\\b.pdf", "..", "a\x00b.pdf", ""])
def test_a_file_name_has_no_path_and_no_control_characters(name: str) -> None:
    with pytest.raises(ValidationError):
        file(b"x", name)
