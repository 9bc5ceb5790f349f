"""The document store: each file's bytes once, under their SHA-256, in PostgreSQL.

An upload is first spooled to a temporary file (``spool``): hashed, measured and its media
type read from its first bytes as it arrives, in memory one chunk at a time. Only a
complete, accepted file reaches the database, in one short transaction of 1 MiB rows
(``DocumentStore.put``): a slow or cut-off upload holds no connection and leaves nothing.
A download reads one chunk per query (``DocumentStore.read``), so a slow reader holds no
connection either, and memory stays flat whatever the size.

PostgreSQL by default, so that ``make run``, a backup and every machine of a deployment share
one store. ``DocumentBackend`` is the interface another backend (an object store) would
implement. The store keeps bytes only; which tender a file belongs to is in the events.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import asyncpg
import filetype
from eventsourcing.postgres import PostgresDatastore

from domain.bid import EnvelopeName
from domain.documents import MediaType
from domain.errors import DocumentTypeError
from procurement.crypto import sealed_documents
from procurement.crypto.sealed_documents import HEADER as SEALED_HEADER

CHUNK_SIZE = 1024 * 1024
"""Bytes per stored row, and per read of a download."""
SNIFF_SIZE = 8192
"""The first bytes the media type is read from (as ``filetype`` reads them)."""

EXTENSIONS: dict[MediaType, tuple[str, ...]] = {
    MediaType.PDF: (".pdf",),
    MediaType.ZIP: (".zip",),
    MediaType.DOC: (".doc",),
    MediaType.XLS: (".xls",),
    MediaType.DOCX: (".docx",),
    MediaType.XLSX: (".xlsx",),
    MediaType.PPTX: (".pptx",),
    MediaType.ODT: (".odt",),
    MediaType.ODS: (".ods",),
    MediaType.PNG: (".png",),
    MediaType.JPEG: (".jpg", ".jpeg"),
    MediaType.TIFF: (".tif", ".tiff"),
}
"""The names a file of each type may have: a download is named as it was uploaded, so a
``.pdf`` that is an archive is refused rather than handed on."""


SEALED_MEDIA_TYPE = "application/vnd.sindh-procurement.sealed-document"
"""A bid's document sealed as a blob (``procurement/crypto/sealed_documents.py``)."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    """A ``MediaType`` for a tender's document; ``SEALED_MEDIA_TYPE`` for a bid's."""


@dataclass(frozen=True)
class Spooled:
    """An upload on local disk, measured: delete ``path`` when done with it."""

    path: Path
    file: StoredFile


class TooLargeError(Exception):
    """The upload ran over its limit."""


def media_type_of(head: bytes, file_name: str, claimed: str | None) -> MediaType:
    """The media type the content's first bytes say, if it is one a tender carries and fits
    the name's extension and the claimed ``Content-Type`` (unless that is generic)."""
    kind = filetype.guess(head)
    try:
        media = MediaType(kind.mime) if kind is not None else None
    except ValueError:
        media = None
    if media is None:
        found = kind.mime if kind is not None else "not a known file type"
        wanted = ", ".join(sorted({m.value for m in MediaType}))
        raise DocumentTypeError(f"the content is {found}; a document is one of: {wanted}")
    if not file_name.lower().endswith(EXTENSIONS[media]):
        raise DocumentTypeError(
            f"the content is {media.value}: name it {' or '.join(EXTENSIONS[media])}"
        )
    generic = {None, "", "application/octet-stream"}
    if claimed not in generic and claimed != media.value:
        raise DocumentTypeError(f"the content is {media.value}, not {claimed}")
    return media


def document_head(file_name: str, claimed: str | None) -> HeadCheck:
    """The check of a tender document's first bytes: its type (``media_type_of``)."""
    return lambda head: media_type_of(head, file_name, claimed).value


def sealed_head(head: bytes) -> str:
    """The check of a sealed blob's first bytes: the format's header, nothing else (what it
    holds is secret until the opening)."""
    if not head.startswith(SEALED_HEADER):
        raise DocumentTypeError("the content is not a document sealed by `procurement seal`")
    return SEALED_MEDIA_TYPE


HeadCheck = Callable[[bytes], str]


async def spool(
    chunks: AsyncIterator[bytes], check_head: HeadCheck, directory: Path | None, limit: int
) -> Spooled:
    """Write an upload to a temporary file, hashing it and checking its first bytes on the
    way (``check_head`` gives its media type or refuses it). Raises ``DocumentTypeError``,
    ``TooLargeError`` past ``limit`` bytes, or what the stream raises (a client gone
    half-way), and then leaves no file behind."""
    handle, name = tempfile.mkstemp(prefix="upload-", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            file = await _written(chunks, out, check_head, limit)
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return Spooled(path, file)


async def _written(
    chunks: AsyncIterator[bytes], out: BinaryIO, check_head: HeadCheck, limit: int
) -> StoredFile:
    digest = hashlib.sha256()
    size, head, media = 0, b"", None
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLargeError
        if media is None:
            head += chunk
            if len(head) >= SNIFF_SIZE:
                media, head = check_head(head), b""
        digest.update(chunk)
        await asyncio.to_thread(out.write, chunk)
    if size == 0:
        raise DocumentTypeError("the file is empty")
    return StoredFile(digest.hexdigest(), size, media or check_head(head))


Binding = tuple[uuid.UUID, uuid.UUID, EnvelopeName]
"""A sealed document's tender, vendor and envelope."""


def seal_file(plain: Path, key: bytes, binding: Binding, directory: Path | None) -> Spooled:
    """A spooled document sealed (``procurement/crypto/sealed_documents.py``) into a
    spooled blob beside it, read and written a chunk at a time. Blocking: run it in a thread."""
    handle, name = tempfile.mkstemp(prefix="sealed-", dir=directory)
    path, digest, size = Path(name), hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as out, plain.open("rb") as source:
            for part in sealed_documents.seal(
                iter(lambda: source.read(CHUNK_SIZE), b""), key, *binding
            ):
                digest.update(part)
                size += len(part)
                out.write(part)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Spooled(path, StoredFile(digest.hexdigest(), size, SEALED_MEDIA_TYPE))


class DocumentBackend(Protocol):
    async def put(self, spooled: Spooled) -> StoredFile: ...

    async def facts(self, hashes: list[str]) -> dict[str, StoredFile]: ...

    def read(self, sha256: str, start: int, end: int) -> AsyncIterator[bytes]: ...


class DocumentStore:
    """``DocumentBackend`` in PostgreSQL: ``document_blobs`` and ``document_chunks``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def put(self, spooled: Spooled) -> StoredFile:
        """Store the spooled file, once per hash: the same bytes uploaded again (or by two
        uploads at once) are stored once, and the first upload's facts are answered."""
        file = spooled.file
        known = await self.facts([file.sha256])
        if file.sha256 in known:
            return known[file.sha256]
        blob_id = uuid.uuid4()
        async with self.pool.acquire() as connection, connection.transaction():
            with spooled.path.open("rb") as source:
                seq = 0
                while chunk := await asyncio.to_thread(source.read, CHUNK_SIZE):
                    await connection.execute(
                        "INSERT INTO document_chunks (blob_id, seq, data) VALUES ($1, $2, $3)",
                        blob_id,
                        seq,
                        chunk,
                    )
                    seq += 1
            stored = await connection.fetchval(
                "INSERT INTO document_blobs (sha256, blob_id, size, media_type, chunk_size) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING RETURNING blob_id",
                file.sha256,
                blob_id,
                file.size,
                file.media_type,
                CHUNK_SIZE,
            )
            if stored is None:  # stored by another upload meanwhile: keep theirs
                await connection.execute("DELETE FROM document_chunks WHERE blob_id = $1", blob_id)
        return file

    async def facts(self, hashes: list[str]) -> dict[str, StoredFile]:
        rows = await self.pool.fetch(
            "SELECT sha256, size, media_type FROM document_blobs WHERE sha256 = ANY($1)",
            hashes,
        )
        return {
            row["sha256"]: StoredFile(row["sha256"], row["size"], row["media_type"]) for row in rows
        }

    async def uploaded_by(
        self, tender_id: uuid.UUID, vendor_id: uuid.UUID, blobs: list[str]
    ) -> dict[str, int]:
        """Which of ``blobs`` the vendor uploaded for its bid on the tender, with their
        stored sizes (a blob another vendor uploaded, or a tender's file, is not among them)."""
        rows = await self.pool.fetch(
            "SELECT u.blob, b.size FROM bid_document_uploads u "
            "JOIN document_blobs b ON b.sha256 = u.blob "
            "WHERE u.tender_id = $1 AND u.vendor_id = $2 AND u.blob = ANY($3)",
            tender_id,
            vendor_id,
            blobs,
        )
        return {row["blob"]: row["size"] for row in rows}

    async def bid_uploads_used(self, tender_id: uuid.UUID, vendor_id: uuid.UUID) -> int:
        """The bytes of the vendor's sealed documents on the tender so far."""
        used = await self.pool.fetchval(
            "SELECT coalesce(sum(size), 0) FROM bid_document_uploads "
            "WHERE tender_id = $1 AND vendor_id = $2",
            tender_id,
            vendor_id,
        )
        return int(used)

    async def note_bid_upload(
        self, tender_id: uuid.UUID, vendor_id: uuid.UUID, file: StoredFile, limit: int
    ) -> bool:
        """Count a sealed blob against the vendor's documents on the tender: False (nothing
        noted) if it would take them over ``limit`` bytes. The same blob twice counts once."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                f"bid-uploads:{tender_id}:{vendor_id}",
            )
            used = await connection.fetchval(
                "SELECT coalesce(sum(size), 0) FROM bid_document_uploads "
                "WHERE tender_id = $1 AND vendor_id = $2 AND blob <> $3",
                tender_id,
                vendor_id,
                file.sha256,
            )
            if used + file.size > limit:
                return False
            await connection.execute(
                "INSERT INTO bid_document_uploads (tender_id, vendor_id, blob, size) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                tender_id,
                vendor_id,
                file.sha256,
                file.size,
            )
        return True

    async def read(self, sha256: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive) of a stored file, a chunk per query; of a
        chunk only the part asked for leaves the database (its rows are stored uncompressed,
        so PostgreSQL reads only that part too)."""
        row = await self.pool.fetchrow(
            "SELECT blob_id, chunk_size FROM document_blobs WHERE sha256 = $1", sha256
        )
        if row is None:
            raise FileNotFoundError(sha256)
        blob_id, size = row["blob_id"], row["chunk_size"]
        for seq in range(start // size, (end - 1) // size + 1 if end > start else 0):
            offset = seq * size
            first, last = max(start - offset, 0), min(end - offset, size)
            data = await self._chunk(blob_id, seq, first, last, size)
            if data is None:
                raise FileNotFoundError(f"{sha256} chunk {seq}")
            yield bytes(data)

    async def _chunk(
        self, blob_id: uuid.UUID, seq: int, first: int, last: int, size: int
    ) -> bytes | None:
        """Bytes ``first`` to ``last`` of a chunk of ``size``. A whole chunk is read as it
        is: PostgreSQL's slice read (``substring``) of all of it cost it about three times
        the CPU per byte and halved a download's rate (docs/benchmarks.md, "Tender
        documents")."""
        if first == 0 and last == size:
            data: bytes | None = await self.pool.fetchval(
                "SELECT data FROM document_chunks WHERE blob_id = $1 AND seq = $2", blob_id, seq
            )
        else:
            data = await self.pool.fetchval(
                "SELECT substring(data FROM $3::int FOR $4::int) FROM document_chunks "
                "WHERE blob_id = $1 AND seq = $2",
                blob_id,
                seq,
                first + 1,
                last - first,
            )
        return data

    async def check(self, sha256: str) -> str | None:
        """Why the stored bytes are not the file ``sha256`` names (missing, a chunk missing,
        another size, other bytes), or None if they are: for the audit."""
        known = await self.facts([sha256])
        if sha256 not in known:
            return "missing from the document store"
        digest, size = hashlib.sha256(), 0
        try:
            async for chunk in self.read(sha256, 0, known[sha256].size):
                digest.update(chunk)
                size += len(chunk)
        except FileNotFoundError as missing:
            return f"part of it is missing ({missing})"
        if size != known[sha256].size:
            return f"{size} bytes stored, {known[sha256].size} recorded"
        if digest.hexdigest() != sha256:
            return f"the stored bytes hash to {digest.hexdigest()}"
        return None


def stored_size(datastore: PostgresDatastore, sha256: str) -> int | None:
    """A stored file's size, or None if the store does not have it."""
    with datastore.transaction(commit=False) as curs:
        curs.execute("SELECT size FROM document_blobs WHERE sha256 = %s", (sha256,))
        row = curs.fetchone()
    return None if row is None else int(row["size"])


def read_blob(datastore: PostgresDatastore, sha256: str) -> Iterator[bytes]:
    """A stored file's bytes, a chunk per query, for the application's own threads (the
    opening); ``FileNotFoundError`` if it or a chunk is missing."""
    with datastore.transaction(commit=False) as curs:
        curs.execute("SELECT blob_id FROM document_blobs WHERE sha256 = %s", (sha256,))
        row = curs.fetchone()
    if row is None:
        raise FileNotFoundError(sha256)
    seq = 0
    while True:
        with datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT data FROM document_chunks WHERE blob_id = %s AND seq = %s",
                (row["blob_id"], seq),
            )
            chunk = curs.fetchone()
        if chunk is None:
            return
        yield bytes(chunk["data"])
        seq += 1


def store_bytes(datastore: PostgresDatastore, content: bytes, media_type: str) -> StoredFile:
    """A small file (the demo's, a command line's) stored from memory, once per hash, in the
    application's own thread; large uploads go through ``spool`` and ``DocumentStore.put``."""
    file = StoredFile(hashlib.sha256(content).hexdigest(), len(content), media_type)
    blob_id = uuid.uuid4()
    with datastore.transaction(commit=True) as curs:
        curs.execute(
            "INSERT INTO document_blobs (sha256, blob_id, size, media_type, chunk_size) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (sha256) DO NOTHING RETURNING blob_id",
            (file.sha256, blob_id, file.size, media_type, CHUNK_SIZE),
        )
        if curs.fetchone() is not None:
            for seq, start in enumerate(range(0, len(content), CHUNK_SIZE)):
                curs.execute(
                    "INSERT INTO document_chunks (blob_id, seq, data) VALUES (%s, %s, %s)",
                    (blob_id, seq, content[start : start + CHUNK_SIZE]),
                )
    return file


def check_stored(dsn: str, hashes: Iterable[str]) -> dict[str, str | None]:
    """``DocumentStore.check`` of each hash, from synchronous code (``procurement audit
    verify --documents``): on one connection of its own, a file at a time."""

    async def checked() -> dict[str, str | None]:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        try:
            store = DocumentStore(pool)
            return {sha256: await store.check(sha256) for sha256 in hashes}
        finally:
            await pool.close()

    return asyncio.run(checked())
