"""A tender's documents: the upload's answer, the changes an officer sends, what is listed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import BaseModel, Field

from api.schemas.answers import WriteOut
from api.schemas.common import Body
from domain.documents import (
    MAX_CHANGES,
    DocumentChange,
    DocumentChanges,
    DocumentKind,
    FileFacts,
    FileName,
    MediaType,
)
from domain.errors import InvalidDocumentsError, UploadNotFoundError
from domain.fields import Sha256Hex, Title
from domain.values import NoticeLanguage
from procurement.store.documents import EXTENSIONS, StoredFile

DOCUMENT_TYPES = frozenset(media.value for media in MediaType)


class UploadName(Body):
    file_name: FileName


class UploadOut(BaseModel):
    """A stored file: name it in a document change by ``sha256`` (and ``file_name``)."""

    sha256: str
    size: int
    media_type: MediaType
    file_name: str


class DocumentChangeIn(Body):
    """``add``: kind, title, language, sha256, file_name (the server gives the id);
    ``replace``: document_id, sha256, file_name (kind, title, language kept unless given);
    ``withdraw``: document_id."""

    action: Literal["add", "replace", "withdraw"]
    document_id: UUID | None = None
    kind: DocumentKind | None = None
    title: Title | None = None
    language: NoticeLanguage | None = None
    sha256: Sha256Hex | None = None
    file_name: FileName | None = None


class DocumentChangesIn(Body):
    changes: Annotated[list[DocumentChangeIn], Field(min_length=1, max_length=MAX_CHANGES)]

    def hashes(self) -> list[str]:
        return [change.sha256 for change in self.changes if change.sha256 is not None]

    def to_domain(self, stored: dict[str, StoredFile]) -> DocumentChanges:
        """The changes, each file as the store measured it (``stored``: the store's facts
        of ``hashes()``), each new document with an id of the server's."""
        return DocumentChanges(items=tuple(_change(change, stored) for change in self.changes))


def _change(change: DocumentChangeIn, stored: dict[str, StoredFile]) -> DocumentChange:
    if change.action == "add" and change.document_id is not None:
        raise InvalidDocumentsError("a new document's id is the server's: leave document_id out")
    if change.action != "add" and change.document_id is None:
        raise InvalidDocumentsError(f"{change.action} names the document by document_id")
    file = None
    if change.sha256 is not None:
        if change.file_name is None:
            raise InvalidDocumentsError("a file is named by sha256 and file_name together")
        file = uploaded_file(change.sha256, change.file_name, stored)
    return DocumentChange(
        action=change.action,
        document_id=change.document_id or uuid4(),
        kind=change.kind,
        title=change.title,
        language=change.language,
        file=file,
    )


def uploaded_file(sha256: str, file_name: str, stored: dict[str, StoredFile]) -> FileFacts:
    """An uploaded file (``stored``: the store's facts of it) as a document names it: its
    name's extension must be its content's."""
    known = stored.get(sha256)
    if known is None or known.media_type not in DOCUMENT_TYPES:
        raise UploadNotFoundError(f"no file {sha256} was uploaded: POST /documents")
    media = MediaType(known.media_type)
    if not file_name.lower().endswith(EXTENSIONS[media]):
        raise InvalidDocumentsError(
            f"{file_name}: the file is {media.value}: name it {' or '.join(EXTENSIONS[media])}"
        )
    return FileFacts(sha256=known.sha256, size=known.size, media_type=media, file_name=file_name)


class BillOfQuantitiesIn(Body):
    """An XLSX spreadsheet uploaded with ``POST /documents``, by its hash."""

    sha256: Sha256Hex


class DocumentsWriteOut(WriteOut):
    added: list[UUID] = Field(description="the ids the added documents were given, in order")


class DocumentVersionOut(BaseModel):
    version: int
    kind: DocumentKind
    title: str
    language: str
    sha256: str
    size: int
    media_type: MediaType
    file_name: str
    issued_at: datetime
    amendment: int | None = Field(description="the amendment that issued it; null: the notice")
    url: str


class DocumentOut(BaseModel):
    document_id: UUID
    current_version: int
    withdrawn_at: datetime | None
    withdrawn_by_amendment: int | None
    versions: list[DocumentVersionOut]


class DocumentsOut(BaseModel):
    tender_id: UUID
    documents: list[DocumentOut]
