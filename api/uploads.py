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
from uuid import UUID

from litestar.concurrency import sync_to_thread

from api.errors import ApiProblem
from api.schemas.bids import AttachmentIn
from api.schemas.documents import UploadName, UploadOut
from domain.bid import MAX_BID_DOCUMENT_BYTES
from domain.documents import MAX_DOCUMENT_BYTES, MediaType
from domain.values import Actor
from procurement.commands.application import ProcurementApplication
from procurement.crypto.sealed_documents import SEALING_OVERHEAD, new_key
from procurement.settings import Settings
from procurement.store.documents import (
    DocumentStore,
    Spooled,
    TooLargeError,
    document_head,
    seal_file,
    spool,
)


def too_large(limit: int) -> ApiProblem:
    return ApiProblem(413, "payload_too_large", f"a document is at most {limit:,} bytes")


async def _spooled_document(
    chunks: AsyncIterator[bytes], name: str, settings: Settings, limit: int
) -> Spooled:
    try:
        return await spool(chunks, document_head(name, None), settings.upload_dir, limit)
    except TooLargeError:
        raise too_large(limit) from None


async def store_document(
    store: DocumentStore,
    settings: Settings,
    chunks: AsyncIterator[bytes],
    file_name: str,
    limit: int = MAX_DOCUMENT_BYTES,
) -> UploadOut:
    """A tender's document stored (as ``POST /documents``): name it by its ``sha256``."""
    name = UploadName(file_name=file_name).file_name
    spooled = await _spooled_document(chunks, name, settings, limit)
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


async def seal_bid_document(  # noqa: PLR0917 (the upload and whose bid it is for)
    store: DocumentStore,
    settings: Settings,
    procurement: ProcurementApplication,
    actor: Actor,
    tender_id: UUID,
    chunks: AsyncIterator[bytes],
    file_name: str,
    limit: int = MAX_DOCUMENT_BYTES,
) -> AttachmentIn:
    """A vendor's document sealed on arrival (as ``POST /tenders/{id}/bids/documents``
    with a plain body): the attachment to name in the bid, with the key that opens it,
    which the platform does not keep."""
    name = UploadName(file_name=file_name).file_name
    envelope = await sync_to_thread(procurement.bid_documents_envelope, actor, tender_id)
    plain = await _spooled_document(chunks, name, settings, limit)
    key = new_key()
    binding = (tender_id, actor.account_id, envelope)
    try:
        blob = await asyncio.to_thread(seal_file, plain.path, key, binding, settings.upload_dir)
    finally:
        await asyncio.to_thread(plain.path.unlink, missing_ok=True)
    try:
        total = MAX_BID_DOCUMENT_BYTES + SEALING_OVERHEAD
        if not await store.note_bid_upload(tender_id, actor.account_id, blob.file, total):
            raise ApiProblem(
                413,
                "payload_too_large",
                f"a bid's documents are at most {MAX_BID_DOCUMENT_BYTES:,} bytes in all",
            )
        await store.put(blob)
    finally:
        await asyncio.to_thread(blob.path.unlink, missing_ok=True)
    return AttachmentIn(
        name=name,
        blob=blob.file.sha256,
        sha256=plain.file.sha256,
        size=plain.file.size,
        key=base64.b64encode(key).decode(),
    )
