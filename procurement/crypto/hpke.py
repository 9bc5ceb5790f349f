"""Sealing with HPKE (RFC 9180) and wrapping tender keys under the key-encryption key.

- Each envelope of a tender has an X25519 key pair made at publication. The public key goes
  into the notice; the private key is kept only wrapped with AES-256-GCM under the KEK from
  the settings, with the tender id and the envelope name as associated data.
- A bid envelope is ``enc || ciphertext`` from HPKE base mode with the suite
  DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, and ``info`` binding the tender, the
  vendor and the envelope name, so an envelope cannot be moved to another bid.
- The commitment of an envelope is the SHA-256 of its bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

from domain.bid import BidContents, EnvelopeName, SealedBid, SealedEnvelope
from domain.sealing import HPKE_SUITE, SealingKey, SealingKeySet

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_128_GCM)
RAW = serialization.Encoding.Raw
_INFO_PREFIX = b"sindh-procurement/bid/v1"


class SealingError(Exception):
    """An envelope does not open with the key it should open with."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def kek_id(kek: bytes) -> str:
    """A short public name for a key-encryption key (not a secret: a hash prefix)."""
    return hashlib.sha256(b"kek-id" + kek).hexdigest()[:16]


def info(tender_id: UUID, vendor_id: UUID, envelope: EnvelopeName) -> bytes:
    return b"|".join(
        [_INFO_PREFIX, str(tender_id).encode(), str(vendor_id).encode(), envelope.value.encode()]
    )


def _aad(tender_id: UUID, envelope: EnvelopeName) -> bytes:
    return f"sindh-procurement/tender-key/v1|{tender_id}|{envelope.value}".encode()


def make_tender_keys(
    kek: bytes, tender_id: UUID, envelopes: tuple[EnvelopeName, ...]
) -> SealingKeySet:
    keys = []
    for envelope in envelopes:
        private = X25519PrivateKey.generate()
        raw = private.private_bytes(
            RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        nonce = os.urandom(12)
        wrapped = nonce + AESGCM(kek).encrypt(nonce, raw, _aad(tender_id, envelope))
        keys.append(
            SealingKey(
                envelope=envelope,
                suite=HPKE_SUITE,
                public_key=b64(
                    private.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
                ),
                wrapped_private_key=b64(wrapped),
                kek_id=kek_id(kek),
            )
        )
    return SealingKeySet(keys=tuple(keys))


def unwrap(kek: bytes, tender_id: UUID, key: SealingKey) -> bytes:
    """The raw private key of ``key``; only at the opening."""
    wrapped = unb64(key.wrapped_private_key)
    try:
        return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], _aad(tender_id, key.envelope))
    except InvalidTag:
        raise SealingError("the key-encryption key does not unwrap this tender's key") from None


def commitment(ciphertext: bytes) -> str:
    return hashlib.sha256(ciphertext).hexdigest()


def seal(
    public_key: str, tender_id: UUID, vendor_id: UUID, envelope: EnvelopeName, plaintext: bytes
) -> SealedEnvelope:
    recipient = X25519PublicKey.from_public_bytes(unb64(public_key))
    ciphertext = SUITE.encrypt(plaintext, recipient, info=info(tender_id, vendor_id, envelope))
    return SealedEnvelope(
        name=envelope, ciphertext=b64(ciphertext), commitment=commitment(ciphertext)
    )


def envelope_from_ciphertext(envelope: EnvelopeName, ciphertext: bytes) -> SealedEnvelope:
    return SealedEnvelope(
        name=envelope, ciphertext=b64(ciphertext), commitment=commitment(ciphertext)
    )


def open_envelope(
    private_key: bytes, tender_id: UUID, vendor_id: UUID, sealed: SealedEnvelope
) -> bytes:
    """Decrypt one envelope with its released private key; check its commitment first."""
    ciphertext = unb64(sealed.ciphertext)
    if commitment(ciphertext) != sealed.commitment:
        raise SealingError("the envelope does not match its commitment")
    try:
        return SUITE.decrypt(
            ciphertext,
            X25519PrivateKey.from_private_bytes(private_key),
            info=info(tender_id, vendor_id, EnvelopeName(sealed.name)),
        )
    except (InvalidTag, ValueError):
        raise SealingError("the envelope does not open with this tender's key") from None


PADDING_BLOCK = 1024
"""Sealed contents are padded to a multiple of this many bytes (and at least one block)."""


def padded(plaintext: bytes) -> bytes:
    """``plaintext`` with trailing spaces up to a multiple of ``PADDING_BLOCK``. HPKE does not
    hide a message's length: unpadded, a financial envelope one byte longer held a price
    with one more digit. JSON ignores trailing whitespace, so an opening parses it as is."""
    size = max(PADDING_BLOCK, -(-len(plaintext) // PADDING_BLOCK) * PADDING_BLOCK)
    return plaintext + b" " * (size - len(plaintext))


def seal_parts(
    keys: SealingKeySet, tender_id: UUID, vendor_id: UUID, parts: dict[EnvelopeName, BidContents]
) -> SealedBid:
    """Seal each envelope's part of a plain bid (``BidContents.split``) with the tender's
    public key for it, each padded (``padded``) so that its length does not tell its prices'
    size."""
    by_name = {EnvelopeName(key.envelope): key for key in keys.keys}
    return SealedBid(
        envelopes=tuple(
            seal(
                by_name[name].public_key,
                tender_id,
                vendor_id,
                name,
                padded(part.model_dump_json().encode()),
            )
            for name, part in parts.items()
        )
    )
