"""A bid's documents, each sealed as a blob of its own, outside the bid's events.

HPKE (``hpke.py``) seals a message in one piece: a 200 MB document would sit in memory twice.
So a document is sealed as hybrid encryption does it: a fresh 256-bit key per document,
the bytes encrypted with it in frames of 64 KiB (AES-256-GCM, the STREAM construction: the
nonce counts frames and marks the last, so frames cannot be reordered, dropped or cut), and
the key itself travels inside the bid's envelope, which HPKE seals to the tender's key with
the tender, the vendor and the envelope bound in. Until the opening releases the tender's
private key, nobody (the platform included) can read the document key, so nobody can read
the document; after it, anyone holding the released key can, and can check every byte.

A blob is ``MAGIC || frame size (4 bytes) || frames``; its commitment is the SHA-256 of
those bytes, and the envelope names it (``domain.bid.Attachment``), so a blob swapped in
the store is caught before it is decrypted.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.bid import EnvelopeName
from domain.documents import MAX_DOCUMENT_BYTES
from procurement.crypto.hpke import SealingError, info

MAGIC = b"SPBD1"
FRAME = 64 * 1024
"""Plaintext bytes per frame (the last may be shorter, and is never empty unless the
whole document is)."""
TAG = 16
HEADER = MAGIC + struct.pack(">I", FRAME)
SEALING_OVERHEAD = len(HEADER) + TAG * (MAX_DOCUMENT_BYTES // FRAME + 1)
"""What sealing adds to the largest document (a blob's limit is the document's plus this)."""


def sealed_size(size: int) -> int:
    """The size of the blob a document of ``size`` bytes seals into."""
    return len(HEADER) + size + TAG * (max(size - 1, 0) // FRAME + 1)


def new_key() -> bytes:
    return os.urandom(32)


def _nonce(counter: int, *, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _aad(tender_id: UUID, vendor_id: UUID, envelope: EnvelopeName) -> bytes:
    return b"sindh-procurement/bid-document/v1|" + info(tender_id, vendor_id, envelope)


def seal(
    chunks: Iterable[bytes],
    key: bytes,
    tender_id: UUID,
    vendor_id: UUID,
    envelope: EnvelopeName,
) -> Iterator[bytes]:
    """The blob's bytes for a document given as ``chunks`` of any size, a frame at a time."""
    aead, aad = AESGCM(key), _aad(tender_id, vendor_id, envelope)
    yield HEADER
    buffer, counter = b"", 0
    for chunk in chunks:
        buffer += chunk
        start = 0
        while len(buffer) - start > FRAME:  # keep one frame back: it may be the last
            yield aead.encrypt(_nonce(counter, last=False), buffer[start : start + FRAME], aad)
            start, counter = start + FRAME, counter + 1
        buffer = buffer[start:]
    yield aead.encrypt(_nonce(counter, last=True), buffer, aad)


def open_blob(
    chunks: Iterable[bytes], key: bytes, tender_id: UUID, vendor_id: UUID, envelope: EnvelopeName
) -> Iterator[bytes]:
    """The document's bytes from its blob given as ``chunks`` of any size (as the store reads
    them). ``SealingError`` if a frame is altered, moved, missing or the blob cut short."""
    aead, aad = AESGCM(key), _aad(tender_id, vendor_id, envelope)
    buffer, counter, header = b"", 0, True
    sealed_frame = FRAME + TAG
    for chunk in chunks:
        buffer += chunk
        if header:
            if len(buffer) < len(HEADER):
                continue
            if buffer[: len(HEADER)] != HEADER:
                raise SealingError("not a sealed document (or another version of the format)")
            buffer, header = buffer[len(HEADER) :], False
        start = 0
        while len(buffer) - start > sealed_frame:
            yield _open(aead, counter, buffer[start : start + sealed_frame], aad, last=False)
            start, counter = start + sealed_frame, counter + 1
        buffer = buffer[start:]
    if header or len(buffer) < TAG:
        raise SealingError("the sealed document is cut short")
    yield _open(aead, counter, buffer, aad, last=True)


def _open(aead: AESGCM, counter: int, frame: bytes, aad: bytes, *, last: bool) -> bytes:
    try:
        return aead.decrypt(_nonce(counter, last=last), frame, aad)
    except InvalidTag:
        raise SealingError(
            f"frame {counter} of the sealed document does not open: altered, moved or cut"
        ) from None
