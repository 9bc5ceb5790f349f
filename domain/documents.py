"""A tender's documents: what each is, every version of it, and how a change list applies.

The bytes are never here: an event records a document's metadata and its SHA-256, and the
document store (``procurement/store/documents.py``) keeps the bytes under that hash. So the
ledger, which covers every event, covers every version of every document.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field

from domain.errors import DocumentNotFoundError, InvalidDocumentsError
from domain.fields import Sha256Hex, Title
from domain.text import SINGLE_LINE
from domain.values import NoticeLanguage, ValueObject

MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
"""The largest document a tender may carry (the upload's 413 beyond)."""
MAX_TENDER_DOCUMENTS = 100
"""Documents a tender may carry at once (withdrawn ones not counted)."""
MAX_CHANGES = 50
"""Changes in one draft edit or one amendment."""


class DocumentKind(StrEnum):
    BIDDING_DOCUMENT = "bidding_document"
    BILL_OF_QUANTITIES = "bill_of_quantities"
    DRAWING = "drawing"
    SPECIFICATION = "specification"
    PRE_BID_MINUTES = "pre_bid_minutes"
    ADDENDUM = "addendum"
    OTHER = "other"
    DISCUSSION_MINUTES = "discussion_minutes"  # stage two: stage one's discussions, recorded


class MediaType(StrEnum):
    """What a document may be, as its content's first bytes say (never as its name says)."""

    PDF = "application/pdf"
    ZIP = "application/zip"
    DOC = "application/msword"
    XLS = "application/vnd.ms-excel"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ODT = "application/vnd.oasis.opendocument.text"
    ODS = "application/vnd.oasis.opendocument.spreadsheet"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embeddings, overrides and isolates: in a file name they make ``invoice<U+202E>fdp.pdf``
show as ``invoicepdf.pdf``-like text that hides its real extension."""


def _plain_file_name(name: str) -> str:
    if name.strip(".") == "":
        msg = "a file name is not only dots"
        raise ValueError(msg)
    if _BIDI_CONTROLS & set(name):
        msg = "a file name has no bidirectional embedding, override or isolate characters"
        raise ValueError(msg)
    return name


FileName = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"^[^/\\]+$"),
    SINGLE_LINE,
    AfterValidator(_plain_file_name),
]
"""A file's name as downloads give it: one line, no path (no ``/`` or ``\\``), no control
characters (the text rule), no bidirectional overrides, not ``.`` or ``..``."""


class FileFacts(ValueObject):
    """A stored file as the document store measured it: its hash, size and media type are
    the store's, never the uploader's word."""

    sha256: Sha256Hex
    size: Annotated[int, Field(ge=1, le=MAX_DOCUMENT_BYTES)]
    media_type: MediaType
    file_name: FileName


class DocumentVersion(ValueObject):
    version: int
    kind: DocumentKind
    title: Title
    language: NoticeLanguage
    file: FileFacts
    issued_at: datetime
    amendment: int | None = None  # the amendment that issued it; None: with the notice


class TenderDocument(ValueObject):
    """A document and its history: every version, newest last; withdrawn or current."""

    id: UUID
    versions: tuple[DocumentVersion, ...]
    withdrawn_at: datetime | None = None
    withdrawn_by_amendment: int | None = None

    @property
    def current(self) -> DocumentVersion:
        return self.versions[-1]


class DocumentChange(ValueObject):
    """One change of a draft edit or an amendment. ``add`` names a new id and gives kind,
    title, language and file; ``replace`` gives a new file (and may retitle); ``withdraw``
    names the document only."""

    action: Literal["add", "replace", "withdraw"]
    document_id: UUID
    kind: DocumentKind | None = None
    title: Title | None = None
    language: NoticeLanguage | None = None
    file: FileFacts | None = None


class DocumentChanges(ValueObject):
    """The changes of one draft edit or one amendment (a value, so it replays as a tuple)."""

    items: tuple[DocumentChange, ...] = ()


class NoticeDocuments(ValueObject):
    """The documents a notice is published with (a value, so it replays as a tuple)."""

    items: tuple[TenderDocument, ...] = ()


NO_CHANGES = DocumentChanges()
NO_DOCUMENTS = NoticeDocuments()
Documents = dict[UUID, TenderDocument]


def check_changes(documents: Documents, changes: DocumentChanges) -> None:
    """``changes`` apply to ``documents``: each names a document once, adds a new one with
    all it needs, replaces or withdraws a current one; the set stays within its limit."""
    if not changes.items or len(changes.items) > MAX_CHANGES:
        raise InvalidDocumentsError(f"give between 1 and {MAX_CHANGES} document changes")
    named = [change.document_id for change in changes.items]
    if len(set(named)) != len(named):
        raise InvalidDocumentsError("name each document once in one change")
    for change in changes.items:
        known = documents.get(change.document_id)
        if change.action == "add":
            if known is not None:
                raise InvalidDocumentsError(f"document {change.document_id} exists: replace it")
            if change.kind is None or change.title is None or change.language is None:
                raise InvalidDocumentsError("a new document needs its kind, title and language")
        elif known is None or known.withdrawn_at is not None:
            raise DocumentNotFoundError(f"no current document {change.document_id}")
        if (change.action == "withdraw") != (change.file is None):
            raise InvalidDocumentsError(
                "adding or replacing a document takes a file; withdrawing one takes none"
            )
    current = {key for key, document in documents.items() if document.withdrawn_at is None}
    current |= {change.document_id for change in changes.items if change.action == "add"}
    current -= {change.document_id for change in changes.items if change.action == "withdraw"}
    if len(current) > MAX_TENDER_DOCUMENTS:
        raise InvalidDocumentsError(f"a tender carries at most {MAX_TENDER_DOCUMENTS} documents")


def check_no_minutes(documents: Documents, changes: DocumentChanges) -> None:
    """The minutes of a pre-bid meeting come only through their own command, which checks
    the meeting was held (``Tender.check_minutes_due``): an ordinary addendum or draft edit
    that adds a document of that kind, gives one that kind, or replaces or withdraws the
    published minutes, is refused. Checked by the application (the amendments stored before
    it replay as they were)."""
    for index, change in enumerate(changes.items):
        known = documents.get(change.document_id)
        minutes = known is not None and known.current.kind is DocumentKind.PRE_BID_MINUTES
        if change.kind is DocumentKind.PRE_BID_MINUTES or minutes:
            raise InvalidDocumentsError(
                f"changes[{index}]: the minutes of the pre-bid meeting are published only "
                "with POST /tenders/{tender_id}/pre-bid-minutes, once the meeting is held, "
                "and are not replaced or withdrawn by another addendum"
            )


def applied(
    documents: Documents,
    changes: DocumentChanges,
    at: datetime,
    amendment: int | None,
    *,
    draft: bool,
) -> Documents:
    """``documents`` after ``changes`` (checked by ``check_changes``), issued ``at``. A
    draft keeps no history (nothing of it was public): a replaced file takes its version's
    place and a withdrawn document goes."""
    result = dict(documents)
    for change in changes.items:
        known = result.get(change.document_id)
        if change.action == "withdraw":
            if draft:
                del result[change.document_id]
            elif known is not None:
                result[change.document_id] = known.model_copy(
                    update={"withdrawn_at": at, "withdrawn_by_amendment": amendment}
                )
            continue
        assert change.file is not None  # noqa: S101 (check_changes)
        before = known.versions if known is not None and not draft else ()
        previous = known.current if known is not None else None
        version = DocumentVersion(
            version=len(before) + 1,
            kind=change.kind or (previous.kind if previous else DocumentKind.OTHER),
            title=change.title or (previous.title if previous else change.file.file_name),
            language=change.language or (previous.language if previous else "en"),
            file=change.file,
            issued_at=at,
            amendment=amendment,
        )
        result[change.document_id] = TenderDocument(
            id=change.document_id, versions=(*before, version)
        )
    return result


def published(documents: Documents, at: datetime) -> Documents:
    """A draft's documents as the notice publishes them: issued ``at`` its publication (a
    draft's one version each; when it was attached to the draft was never public)."""
    return {
        key: document.model_copy(
            update={
                "versions": tuple(v.model_copy(update={"issued_at": at}) for v in document.versions)
            }
        )
        for key, document in documents.items()
    }
