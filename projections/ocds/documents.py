"""A tender's documents (``domain/documents.py``) as OCDS ``tender.documents`` entries, and an
amendment's document changes as words for its ``tender.amendments`` entry. Pure: no I/O.

One entry per document, its ``id`` the document's id, describing the current version: its
``url`` downloads that version, its ``description`` gives the file's name, size and SHA-256
(OCDS 1.1.5 has no hash field), ``datePublished`` is when the public first saw the document
(the notice's publication, or the amendment that added it) and ``dateModified`` when it saw
the current version. A withdrawn document stays, its description saying so (OCDS has no
status for a document). ``versions`` (kept in the process's ``_private`` state) counts each
document's versions: a replacement in an amendment names no version, it is the next one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.documents import (
    DocumentChanges,
    DocumentKind,
    FileFacts,
    NoticeDocuments,
)

DOCUMENT_TYPE: dict[DocumentKind, str | None] = {
    DocumentKind.BIDDING_DOCUMENT: "biddingDocuments",
    DocumentKind.BILL_OF_QUANTITIES: "billOfQuantity",
    DocumentKind.DRAWING: "illustration",
    DocumentKind.SPECIFICATION: "technicalSpecifications",
    DocumentKind.PRE_BID_MINUTES: "clarifications",
    DocumentKind.ADDENDUM: "biddingDocuments",
    DocumentKind.OTHER: None,  # no code of the documentType codelist says "other"
    DocumentKind.DISCUSSION_MINUTES: "clarifications",
}
"""Each kind's code in the OCDS documentType codelist; None: the entry has no documentType."""

Versions = dict[str, int]
"""Each document's number of versions, by its id as text."""


def file_note(file: FileFacts) -> str:
    """The file's name, size and SHA-256, as the description of its entry gives them."""
    return f"{file.file_name} ({file.size} bytes). SHA-256 of the file: {file.sha256}"


def published(
    documents: NoticeDocuments, at: str, *, public_url: str, versions: Versions
) -> list[dict[str, Any]]:
    """The entries of the documents a notice is published with, ``at`` its publication;
    counts their versions into ``versions``."""
    entries = []
    for document in documents.items:
        current = document.current
        versions[str(document.id)] = current.version
        entry: dict[str, Any] = {"id": str(document.id)}
        _describe(entry, current.kind, current.title, current.language, current.file)
        entry["url"] = _url(public_url, document.id, current.version)
        entry |= {"datePublished": at, "dateModified": at}
        entries.append(entry)
    return entries


def amended(
    entries: list[dict[str, Any]],
    changes: DocumentChanges,
    amendment: int,
    at: str,
    *,
    public_url: str,
    versions: Versions,
) -> str:
    """Apply an amendment's document changes to the tender's ``entries`` (in place; a new
    document goes last) and say what changed, for the amendment's description."""
    by_id = {entry["id"]: entry for entry in entries}
    said = []
    for change in changes.items:
        key = str(change.document_id)
        if change.action == "add":
            by_id[key] = {"id": key}
            entries.append(by_id[key])
        entry = by_id.get(key)
        if entry is None:  # the tender's guards name only its documents: never so
            continue
        if change.file is None:  # a withdrawal
            entry["description"] = f"Withdrawn by amendment {amendment} on {at}. " + str(
                entry.get("description", "")
            )
            said.append(f"withdrew {_named(entry)}")
            continue
        version = versions.get(key, 0) + 1
        versions[key] = version
        _describe(entry, change.kind, change.title, change.language, change.file)
        entry["url"] = _url(public_url, change.document_id, version)
        entry.setdefault("datePublished", at)
        entry["dateModified"] = at
        if change.action == "add":
            said.append(f"added {_named(entry)}")
        else:
            said.append(f"replaced {_named(entry)} with version {version}")
    return f"Documents: {'; '.join(said)}."


def _describe(
    entry: dict[str, Any],
    kind: DocumentKind | None,
    title: str | None,
    language: str | None,
    file: FileFacts,
) -> None:
    """The entry of a version: its kind, title and language as given (a replacement that
    gives none keeps the entry's), its file's media type and note."""
    if kind is not None:
        code = DOCUMENT_TYPE[kind]
        if code is None:
            entry.pop("documentType", None)
        else:
            entry["documentType"] = code
    entry["title"] = title or entry.get("title") or file.file_name
    entry["description"] = file_note(file)
    entry["format"] = file.media_type.value
    entry["language"] = language or entry.get("language") or "en"


def _named(entry: dict[str, Any]) -> str:
    return f'"{entry["title"]}" ({entry["id"]})'


def _url(public_url: str, document_id: UUID, version: int) -> str:
    return f"{public_url}/public/documents/{document_id}?version={version}"
