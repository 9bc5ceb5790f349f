"""Storing an uploaded file from any stream of its bytes: a tender's document (its type
checked, stored once by its SHA-256) or a bid's document (sealed on arrival for the bid's
envelope, stored as a blob, its key handed back). The portal's upload routes and its forms'
files (without JavaScript) go through here; the API's handlers
(``api/controllers/documents.py``) run the same steps on a request's body.

Both spool the bytes to disk first (``procurement/store/documents.py``): memory stays flat
whatever the size, and a refused or cut-off upload leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from litestar.concurrency import sync_to_thread

from api.errors import ApiProblem
from api.schemas.bids import AttachmentIn, BidDocumentOut
from api.schemas.documents import UploadName, UploadOut
from domain.bid import MAX_BID_DOCUMENT_BYTES
from domain.documents import MAX_DOCUMENT_BYTES, MediaType
from domain.values import Actor
from procurement.commands.application import ProcurementApplication
from procurement.crypto.sealed_documents import SEALING_OVERHEAD, new_key
from procurement.settings import Settings
from procurement.store.documents import (
    DocumentStore,
    HeadCheck,
    Spooled,
    TooLargeError,
    document_head,
    seal_file,
    sealed_head,
    spool,
)

BID_UPLOAD_LIMIT = MAX_BID_DOCUMENT_BYTES + SEALING_OVERHEAD
"""A vendor's sealed documents on a tender, in all, as stored."""


def too_large(limit: int) -> ApiProblem:
    return ApiProblem(413, "payload_too_large", f"a document is at most {limit:,} bytes")


def over_quota() -> ApiProblem:
    return ApiProblem(
        413,
        "payload_too_large",
        f"a bid's documents are at most {MAX_BID_DOCUMENT_BYTES:,} bytes in all",
    )


async def _spooled(
    chunks: AsyncIterator[bytes], check_head: HeadCheck, settings: Settings, limit: int
) -> Spooled:
    try:
        return await spool(chunks, check_head, settings.upload_dir, limit)
    except TooLargeError:
        raise too_large(limit) from None


async def store_document(  # noqa: PLR0917 (the upload, where it goes, and what it claims)
    store: DocumentStore,
    settings: Settings,
    chunks: AsyncIterator[bytes],
    file_name: str,
    claimed: str | None = None,
    limit: int = MAX_DOCUMENT_BYTES,
) -> UploadOut:
    """A tender's document stored (``POST /documents``): name it by its ``sha256``. Its type
    is read from its first bytes and must fit its name and ``claimed`` (a ``Content-Type``)."""
    name = UploadName(file_name=file_name).file_name
    spooled = await _spooled(chunks, document_head(name, claimed), settings, limit)
    try:
        stored = await store.put(spooled)
    finally:
        await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
    return UploadOut(
        sha256=stored.sha256,
        size=stored.size,
        media_type=MediaType(stored.media_type),
        file_name=name,
    )


@dataclass(frozen=True)
class BidUpload:
    """Whose bid a document is for, and how it comes."""

    tender_id: UUID
    actor: Actor
    file_name: str | None
    sealed: bool = False
    claimed: str | None = None
    announced: int | None = None
    """The body's ``Content-Length``, if it said: over the quota, refused unread."""


async def bid_document(
    store: DocumentStore,
    settings: Settings,
    procurement: ProcurementApplication,
    chunks: AsyncIterator[bytes],
    upload: BidUpload,
) -> BidDocumentOut:
    """A vendor's document for its bid (``POST /tenders/{id}/bids/documents``), while the
    tender takes bids: stored as sent if ``sealed`` (by ``procurement seal``), else sealed
    on arrival, its key handed back in the answer's ``attachment`` and kept nowhere."""
    tender_id, vendor = upload.tender_id, upload.actor.account_id
    envelope = await sync_to_thread(procurement.bid_documents_envelope, upload.actor, tender_id)
    used = await store.bid_uploads_used(tender_id, vendor)
    if used + (upload.announced or 0) > BID_UPLOAD_LIMIT:
        raise over_quota()  # before a byte is read
    attachment = None
    if upload.sealed:
        blob = await _spooled(chunks, sealed_head, settings, MAX_DOCUMENT_BYTES + SEALING_OVERHEAD)
    else:
        name = UploadName.model_validate({"file_name": upload.file_name}).file_name
        plain = await _spooled(
            chunks, document_head(name, upload.claimed), settings, MAX_DOCUMENT_BYTES
        )
        key = new_key()
        try:
            blob = await asyncio.to_thread(
                seal_file, plain.path, key, (tender_id, vendor, envelope), settings.upload_dir
            )
        finally:
            await asyncio.to_thread(plain.path.unlink, missing_ok=True)
        attachment = AttachmentIn(
            name=name,
            blob=blob.file.sha256,
            sha256=plain.file.sha256,
            size=plain.file.size,
            key=base64.b64encode(key).decode(),
        )
    try:
        if not await store.note_bid_upload(tender_id, vendor, blob.file, BID_UPLOAD_LIMIT):
            raise over_quota()
        await store.put(blob)
    finally:
        await asyncio.to_thread(blob.path.unlink, missing_ok=True)
    return BidDocumentOut(
        blob=blob.file.sha256, blob_size=blob.file.size, envelope=envelope, attachment=attachment
    )


async def seal_bid_document(  # noqa: PLR0917 (the upload and whose bid it is for)
    store: DocumentStore,
    settings: Settings,
    procurement: ProcurementApplication,
    actor: Actor,
    tender_id: UUID,
    chunks: AsyncIterator[bytes],
    file_name: str,
) -> AttachmentIn:
    """A vendor's plain document sealed on arrival: the attachment to name in the bid."""
    upload = BidUpload(tender_id=tender_id, actor=actor, file_name=file_name)
    stored = await bid_document(store, settings, procurement, chunks, upload)
    assert stored.attachment is not None  # noqa: S101 (a plain upload's, always)
    return stored.attachment
