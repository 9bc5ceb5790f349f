"""The ledger's leaves and checkpoints: every stored event hashed, in global order, into an
RFC 6962 Merkle tree, and signed checkpoints of that tree.

Leaf ``i`` is the ``i``-th stored event in position order (the ledger's own dense index:
positions may have gaps where a transaction rolled back). Its data is
``leaf_data(position, aggregate id, version, topic, state)`` (see ``docs/audit.md``). The job
that appends them and signs the checkpoints is ``procurement/jobs/ledger_writer.py``.
"""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime
from typing import Any
from uuid import UUID

from procurement.audit import merkle

LEAF_VERSION = b"SPL1"
URGENT_TOPICS = frozenset(
    {
        "procurement:Tender.BiddingClosed",
        "procurement:Tender.BidsOpened",
        "procurement:Evaluation.FinancialEnvelopesOpened",
    }
)


class LedgerError(RuntimeError):
    """The ledger disagrees with itself: nothing is signed."""


def leaf_data(
    position: int, aggregate_id: UUID, version: int, topic: str, state_digest: bytes
) -> bytes:
    """The canonical encoding of one stored event, the input of its leaf hash:
    ``"SPL1" || u64(position) || aggregate id (16 bytes) || u64(version) || u16(len(topic))
    || topic (UTF-8) || SHA-256(state)``, integers big-endian."""
    topic_bytes = topic.encode()
    return b"".join(
        (
            LEAF_VERSION,
            struct.pack(">Q", position),
            aggregate_id.bytes,
            struct.pack(">Q", version),
            struct.pack(">H", len(topic_bytes)),
            topic_bytes,
            state_digest,
        )
    )


def event_leaf(position: int, aggregate_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The leaf hash of a stored event."""
    digest = hashlib.sha256(state).digest()
    return merkle.leaf_hash(leaf_data(position, aggregate_id, version, topic, digest))


def checkpoint_fields(origin: str, size: int, root: bytes, at: datetime) -> dict[str, Any]:
    return {
        "type": "checkpoint",
        "origin": origin,
        "tree_size": size,
        "root": root.hex(),
        "time": at.isoformat().replace("+00:00", "Z"),
    }
