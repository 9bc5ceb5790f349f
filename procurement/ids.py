"""New aggregate ids: random, or derived from a client's idempotency key.

With a key, a retry that slipped past the idempotency store (its answer lost, its claim
expired) derives the same id and conflicts instead of creating a second object.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from domain.values import Actor

_IDEMPOTENT_IDS = uuid5(NAMESPACE_URL, "urn:sindh-procurement:idempotency-key")


def new_id(actor: Actor, idempotency_key: str | None) -> UUID:
    if idempotency_key is None:
        return uuid4()
    return uuid5(_IDEMPOTENT_IDS, f"{actor.account_id}:{idempotency_key}")
