"""The portal's document forms and lists, without a server: which rows of a form are changes,
where their errors go, rows renumbered after the page's script removed some, and what a
version changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from api.portal.documents import document_changes, renumbered, version_changes
from api.portal.pages import filesize, thousands
from api.schemas.documents import DocumentVersionOut

SHA = "ab" * 32
PREFIX = "documents.changes."


def test_untouched_rows_of_an_addendum_are_no_change_and_errors_stay_at_their_row() -> None:
    current = str(uuid4())
    pairs = [
        (f"{PREFIX}0.document_id", current),  # kept as it is
        (f"{PREFIX}0.action", ""),
        (f"{PREFIX}1.document_id", str(uuid4())),
        (f"{PREFIX}1.action", "withdraw"),
        (f"{PREFIX}2.action", "add"),  # a new-document row left empty
        (f"{PREFIX}2.kind", "other"),
        (f"{PREFIX}3.action", "add"),
        (f"{PREFIX}3.kind", "drawing"),
        (f"{PREFIX}3.title", "Site drawings"),
        (f"{PREFIX}3.language", "en"),
        (f"{PREFIX}3.sha256", SHA),
        (f"{PREFIX}3.file_name", "drawings.pdf"),
        ("text", "an addendum's text is not a row"),
    ]
    changes, state = document_changes(pairs, PREFIX)
    assert not state.failed
    assert changes is not None
    assert [change.action for change in changes.changes] == ["withdraw", "add"]

    titled = [*pairs, (f"{PREFIX}0.title", "A new title")]  # touched, with no action chosen
    changes, state = document_changes(titled, PREFIX)
    assert changes is None
    assert set(state.errors) == {f"{PREFIX}0.action"}


def test_no_touched_row_is_no_change_unless_every_row_counts() -> None:
    pairs = [("changes.0.action", "add"), ("changes.0.kind", "other")]
    assert document_changes(pairs, "changes.") == (None, document_changes([], "changes.")[1])
    changes, state = document_changes(pairs, "changes.", every_row=True)
    assert not state.failed
    assert changes is not None
    assert changes.changes[0].kind == "other"


def test_rows_are_renumbered_without_gaps_and_other_fields_are_kept() -> None:
    pairs = [
        ("attachments.4.name", "b.pdf"),
        ("validity_days", "90"),
        ("attachments.1.name", "a.pdf"),
        ("attachments.1.size", "3"),
        ("attachments.x.name", "not a row"),
    ]
    assert renumbered(pairs, "attachments.") == [
        ("validity_days", "90"),
        ("attachments.x.name", "not a row"),
        ("attachments.0.name", "a.pdf"),
        ("attachments.0.size", "3"),
        ("attachments.1.name", "b.pdf"),
    ]


def _version(**changes: Any) -> DocumentVersionOut:
    fields: dict[str, Any] = {
        "version": 1,
        "kind": "bidding_document",
        "title": "Bidding document",
        "language": "en",
        "sha256": SHA,
        "size": 1000,
        "media_type": "application/pdf",
        "file_name": "bd.pdf",
        "issued_at": datetime(2026, 12, 1, tzinfo=UTC),
        "amendment": None,
        "url": "/public/documents/x?version=1",
    }
    return DocumentVersionOut.model_validate(fields | changes)


def test_a_version_shows_what_it_changed_and_nothing_else() -> None:
    before = _version()
    after = _version(version=2, amendment=1, sha256="cd" * 32, size=1200, file_name="bd-2.pdf")
    assert version_changes(before, after) == [
        ("file_name", "bd.pdf", "bd-2.pdf"),
        ("size", 1000, 1200),
        ("sha256", SHA, "cd" * 32),
    ]
    assert version_changes(before, _version(version=2, amendment=3)) == []


def test_sizes_read_as_people_read_them() -> None:
    assert str(filesize(830)) == '<span dir="ltr">830 bytes</span>'
    assert str(filesize(12_700)) == '<span dir="ltr">12.4 KB</span>'
    assert str(filesize(3 * 1024 * 1024)) == '<span dir="ltr">3.0 MB</span>'
    assert str(thousands(1_048_585)) == '<span dir="ltr">1,048,585</span>'
