"""A tender's sealing keys, as the domain records them: one key pair per envelope of its
method, the public half in the notice and the private half wrapped.

The envelopes a bid carries are the bid's (``domain/bid.py``); the cryptography itself (HPKE,
key wrapping) is in ``procurement/crypto/hpke.py``.
"""

from __future__ import annotations

from domain.bid import EnvelopeName
from domain.fields import Base64
from domain.values import ValueObject

HPKE_SUITE = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM"


class SealingKey(ValueObject):
    """One envelope's key pair: the public half in the notice, the private half wrapped."""

    envelope: EnvelopeName
    suite: str = HPKE_SUITE
    public_key: Base64
    wrapped_private_key: Base64
    kek_id: str


class SealingKeySet(ValueObject):
    """A tender's keys, one per envelope of its method (a value, so it replays as a tuple)."""

    keys: tuple[SealingKey, ...]

    def names(self) -> tuple[EnvelopeName, ...]:
        return tuple(EnvelopeName(key.envelope) for key in self.keys)
