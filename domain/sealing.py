"""What sealing looks like to the domain: key descriptions and envelopes, as data.

The cryptography itself (HPKE, key wrapping) is in ``procurement/crypto/hpke.py``: the domain only
records which keys a tender was published with, which envelopes a bid carries, and their
SHA-256 commitments.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from domain.values import Method, ValueObject

HPKE_SUITE = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM"


class EnvelopeName(StrEnum):
    BID = "bid"  # one envelope: everything, opened at the public opening
    TECHNICAL = "technical"  # two envelopes: opened at the public opening
    FINANCIAL = "financial"  # two envelopes: opened after technical evaluation


def envelopes_for(method: Method) -> tuple[EnvelopeName, ...]:
    if method in {Method.SINGLE_STAGE_TWO_ENVELOPE, Method.TWO_STAGE}:
        return (EnvelopeName.TECHNICAL, EnvelopeName.FINANCIAL)
    return (EnvelopeName.BID,)


Base64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$", max_length=28_000_000)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class SealingKey(ValueObject):
    """One envelope's key pair: the public half in the notice, the private half wrapped."""

    envelope: EnvelopeName
    suite: str = HPKE_SUITE
    public_key: Base64
    wrapped_private_key: Base64
    kek_id: str


class SealedEnvelope(ValueObject):
    """An HPKE ciphertext (``enc || ct``) and the SHA-256 of its bytes."""

    name: EnvelopeName
    ciphertext: Base64
    commitment: Sha256Hex


class SealingKeySet(ValueObject):
    """A tender's keys, one per envelope of its method (a value, so it replays as a tuple)."""

    keys: tuple[SealingKey, ...]

    def names(self) -> tuple[EnvelopeName, ...]:
        return tuple(EnvelopeName(key.envelope) for key in self.keys)


class SealedBid(ValueObject):
    """The envelopes of one submission, in the method's order."""

    envelopes: tuple[SealedEnvelope, ...]

    def names(self) -> tuple[EnvelopeName, ...]:
        return tuple(EnvelopeName(envelope.name) for envelope in self.envelopes)
