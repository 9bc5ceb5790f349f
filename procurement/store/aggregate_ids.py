"""New aggregate ids: random, or derived from a client's idempotency key.

With a key, a retry that slipped past the idempotency store (its answer lost, its claim
expired) derives the same id and conflicts instead of creating a second object.

The derivation is keyed: an HMAC-SHA256 of the account and the client's key under a secret
of the server's, so that nobody can recompute an id from public facts. Vendor account ids
are public (derived from usernames) and clients choose guessable idempotency keys, so an
unkeyed derivation (``uuid5`` of the two, as before) let anyone test which vendor lodged a
complaint or asked a question, which the platform keeps from the public and the officers.
The secret is derived from the key-encryption key with a labelled HMAC, so the KEK itself
never keys anything but its own wrapping.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID, uuid4

from domain.values import Actor

_ID_KEY_LABEL = b"urn:sindh-procurement:idempotent-ids:v1"


def id_key(kek: bytes) -> bytes:
    """The secret that keys derived ids: HMAC-SHA256(KEK, a label used for nothing else)."""
    return hmac.new(kek, _ID_KEY_LABEL, hashlib.sha256).digest()


def new_id(actor: Actor, idempotency_key: str | None, secret: bytes) -> UUID:
    """A random id; with an idempotency key, the same id for the same account and key."""
    if idempotency_key is None:
        return uuid4()
    message = f"{actor.account_id}:{idempotency_key}".encode()  # the account id's length is fixed
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return UUID(bytes=digest[:16], version=4)  # indistinguishable from a random id
