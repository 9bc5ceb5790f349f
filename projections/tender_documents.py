"""The public documents of published tenders: every version, as the ``public_tenders``
projection writes them (in its transactions, with its position).

A draft's documents reach the table with the notice (``TenderPublished`` carries them);
an amendment adds a version or marks a document withdrawn. The version a replacement gets
is the one the aggregate gave it: one more than the document's versions so far.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.documents import DocumentChanges, DocumentVersion

Statement = tuple[str, dict[str, Any]]

_INSERT = """
    INSERT INTO public_tender_documents (
        tender_id, document_id, version, kind, title, language, sha256, size, media_type,
        file_name, issued_at, amendment
    ) VALUES (
        %(tender)s, %(document)s, %(version)s, %(kind)s, %(title)s, %(language)s,
        %(sha256)s, %(size)s, %(media_type)s, %(file_name)s, %(at)s, %(amendment)s
    ) ON CONFLICT (tender_id, document_id, version) DO NOTHING
"""
_NEXT_VERSION = """
    INSERT INTO public_tender_documents (
        tender_id, document_id, version, kind, title, language, sha256, size, media_type,
        file_name, issued_at, amendment
    )
    SELECT %(tender)s, %(document)s, max(version) + 1,
           coalesce(%(kind)s, (array_agg(kind ORDER BY version DESC))[1]),
           coalesce(%(title)s, (array_agg(title ORDER BY version DESC))[1]),
           coalesce(%(language)s, (array_agg(language ORDER BY version DESC))[1]),
           %(sha256)s, %(size)s, %(media_type)s, %(file_name)s, %(at)s, %(amendment)s
    FROM public_tender_documents
    WHERE tender_id = %(tender)s AND document_id = %(document)s
    HAVING count(*) > 0
"""
_WITHDRAW = """
    UPDATE public_tender_documents SET withdrawn_at = %(at)s, withdrawn_by_amendment = %(amendment)s
    WHERE tender_id = %(tender)s AND document_id = %(document)s AND withdrawn_at IS NULL
"""


def published(
    tender_id: UUID, document_id: UUID, version: DocumentVersion, at: datetime
) -> Statement:
    """One version of a document as the notice publishes it, ``at`` its publication."""
    return (
        _INSERT,
        {
            "tender": tender_id,
            "document": document_id,
            "version": version.version,
            "kind": version.kind.value,
            "title": version.title,
            "language": version.language,
            "sha256": version.file.sha256,
            "size": version.file.size,
            "media_type": version.file.media_type.value,
            "file_name": version.file.file_name,
            "at": at,
            "amendment": version.amendment,
        },
    )


def amended(
    tender_id: UUID, changes: DocumentChanges, at: datetime, amendment: int
) -> list[Statement]:
    """An amendment's document changes: a new document, a new version, a withdrawal."""
    statements: list[Statement] = []
    for change in changes.items:
        params: dict[str, Any] = {
            "tender": tender_id,
            "document": change.document_id,
            "at": at,
            "amendment": amendment,
        }
        if change.action == "withdraw" or change.file is None:
            statements.append((_WITHDRAW, params))
            continue
        params |= {
            "kind": change.kind.value if change.kind else None,
            "title": change.title,
            "language": change.language,
            "sha256": change.file.sha256,
            "size": change.file.size,
            "media_type": change.file.media_type.value,
            "file_name": change.file.file_name,
        }
        if change.action == "add":
            statements.append((_INSERT, params | {"version": 1}))
        else:
            statements.append((_NEXT_VERSION, params))
    return statements
