"""A tender's documents in the portal: the lists its pages show (the public's from the read
model, the officers' from the tender itself, drafts included), what changed between two
versions, and the document changes an officer's form sends (the API's own bodies).

Files reach the document store in one of two ways: the page's script (``upload.js``)
uploads each file as it is chosen, with its progress, and the form then names it by its
SHA-256; without JavaScript, the file comes inside the form (``form_files``) and is stored
before the form is read, within the portal's body limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from pydantic import ValidationError

from api.downloads import document_out
from api.errors import ApiProblem
from api.portal.forms import MAX_ROWS, FormState, parse, validation_errors, whole_number
from api.schemas.documents import (
    DocumentChangeIn,
    DocumentChangesIn,
    DocumentOut,
    DocumentVersionOut,
)
from domain.documents import DocumentKind, TenderDocument
from domain.values import NoticeLanguage
from procurement.store.documents import CHUNK_SIZE
from projections import reads

# The minutes of a pre-bid meeting have their own form (they need the meeting held).
KINDS = tuple(kind.value for kind in DocumentKind if kind is not DocumentKind.PRE_BID_MINUTES)
LANGUAGES: tuple[tuple[NoticeLanguage, str], ...] = (
    ("en", "English"),
    ("ur", "اردو"),
    ("sd", "سنڌي"),
)
"""Each notice language by its own name, as the notice's texts are headed."""

COMPARED = ("kind", "title", "language", "file_name", "size", "sha256", "media_type")
"""What a version says about its document, in the order a comparison shows it."""


async def public_documents(pool: asyncpg.Pool, tender_id: UUID) -> list[DocumentOut]:
    """A published tender's documents, every version, as ``GET /public/tenders/{id}/documents``
    answers them (each version's ``url`` the public download)."""
    rows = await reads.tender_documents(pool, tender_id)
    grouped: dict[UUID, list[asyncpg.Record]] = {}
    for row in rows or []:
        grouped.setdefault(row["document_id"], []).append(row)
    return [document_out(versions) for versions in grouped.values()]


def officer_documents(tender_id: UUID, documents: Iterable[TenderDocument]) -> list[DocumentOut]:
    """A tender's documents as its officers see them (drafts too), in the public list's
    shape; each version downloads through the officers' portal route."""
    base = f"/portal/officer/tenders/{tender_id}/documents"
    return [
        DocumentOut(
            document_id=document.id,
            current_version=document.current.version,
            withdrawn_at=document.withdrawn_at,
            withdrawn_by_amendment=document.withdrawn_by_amendment,
            versions=[
                DocumentVersionOut(
                    version=version.version,
                    kind=version.kind,
                    title=version.title,
                    language=version.language,
                    sha256=version.file.sha256,
                    size=version.file.size,
                    media_type=version.file.media_type,
                    file_name=version.file.file_name,
                    issued_at=version.issued_at,
                    amendment=version.amendment,
                    url=f"{base}/{document.id}?version={version.version}",
                )
                for version in document.versions
            ],
        )
        for document in documents
    ]


def version_changes(
    before: DocumentVersionOut, after: DocumentVersionOut
) -> list[tuple[str, Any, Any]]:
    """What ``after`` says differently from ``before``: (field, before, after) for each."""
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return [(name, old[name], new[name]) for name in COMPARED if old[name] != new[name]]


async def form_files(request: Request[Any, Any, Any]) -> list[tuple[str, UploadFile]]:
    """The files a form carries (chosen, not uploaded by the page's script), by field."""
    form = await request.form()
    return [
        (key, value)
        for key, value in form.multi_items()
        if isinstance(value, UploadFile) and value.filename
    ]


async def chunks_of(upload: UploadFile) -> AsyncIterator[bytes]:
    """A form's file (spooled to disk as the form arrived), a chunk at a time."""
    while chunk := await upload.read(CHUNK_SIZE):
        yield chunk


def _row_of(key: str, prefix: str) -> tuple[int, str] | None:
    """The row number and field of a form's ``<prefix><n>.<field>``, else None."""
    if not key.startswith(prefix):
        return None
    index, _, name = key.removeprefix(prefix).partition(".")
    number = whole_number(index, MAX_ROWS)
    return None if number is None or not name else (number, name)


def _rows(pairs: list[tuple[str, str]], prefix: str) -> dict[int, list[tuple[str, str]]]:
    """The fields of each numbered row under ``prefix`` (``documents.changes.``), by index."""
    rows: dict[int, list[tuple[str, str]]] = {}
    for key, value in pairs:
        if (row := _row_of(key, prefix)) is not None:
            rows.setdefault(row[0], []).append((row[1], value))
    return rows


def rows_under(pairs: Iterable[tuple[str, str]], prefix: str) -> int:
    """How many numbered rows a form holds under ``prefix`` (``attachments.``)."""
    return len(_rows(list(pairs), prefix))


def renumbered(pairs: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    """The form with its rows under ``prefix`` numbered from 0 without gaps (a page's
    script removes rows; a list in the body has none missing)."""
    rows = _rows(pairs, prefix)
    kept = [(key, value) for key, value in pairs if _row_of(key, prefix) is None]
    for number, index in enumerate(sorted(rows)):
        kept += [(f"{prefix}{number}.{name}", value) for name, value in rows[index]]
    return kept


def raw_body_only(request: Request[Any, Any, Any]) -> None:
    """An upload route takes the file's bytes as the body: a form is refused before it is
    read (its body would be read as a form, not streamed to disk)."""
    if request.content_type[0] in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
        raise ApiProblem(
            415, "unsupported_media_type", "send the file's bytes as the body, not a form"
        )


def touched(row: dict[str, str]) -> bool:
    """A row of the amendment form the officer filled in: an action chosen for a current
    document, or a file or a title for a new one (its kind and language have defaults)."""
    return row.get("action", "").strip() in {"replace", "withdraw"} or any(
        row.get(name, "").strip() for name in ("sha256", "title")
    )


def document_changes(
    pairs: list[tuple[str, str]], prefix: str, *, every_row: bool = False
) -> tuple[DocumentChangesIn | None, FormState]:
    """The document changes a form's rows under ``prefix`` send (each row a
    ``DocumentChangeIn``; rows left untouched are not changes unless ``every_row``), or the
    errors at each row's fields, named as the form names them."""
    state = FormState()
    changes: list[DocumentChangeIn] = []
    for index, fields in sorted(_rows(pairs, prefix).items()):
        if not every_row and not touched(dict(fields)):
            continue
        change, row = parse(DocumentChangeIn, fields)
        state.errors |= {f"{prefix}{index}.{name}": text for name, text in row.errors.items()}
        state.summary += row.summary
        if change is not None:
            changes.append(change)
    if state.failed or not changes:
        return None, state
    try:
        return DocumentChangesIn(changes=changes), state
    except ValidationError as error:  # too many changes at once
        state.summary += [text for _, text in validation_errors(error).items()]
        return None, state
