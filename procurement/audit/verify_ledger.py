"""The audit verifier's ledger checks: every event's leaf recomputed as it is read, then every
checkpoint's signature, root and consistency, the events they cover, and the auditor's pinned
checkpoint."""

from __future__ import annotations

import hashlib
import struct
from typing import Any
from uuid import UUID

from procurement.audit import merkle
from procurement.audit.export import BID_ENVELOPES, OPENED, PUBLISHED, WITHDRAWN
from procurement.audit.ledger import LEAF_VERSION, leaf_data
from procurement.audit.verify_documents import DOCUMENT_TOPICS
from procurement.audit.verify_report import Report, _Checkpoint, _Damaged, _Event
from procurement.crypto import receipts


def leaf_from_digest(
    position: int, aggregate_id: UUID, version: int, topic: str, state_digest: bytes
) -> bytes:
    return merkle.leaf_hash(leaf_data(position, aggregate_id, version, topic, state_digest))


_OPENING_TOPICS = frozenset((*BID_ENVELOPES, WITHDRAWN, OPENED, PUBLISHED))
_LEAF_HEAD = struct.Struct(">Q16sQ")  # leaf_data's position, aggregate id and version


class _Events:
    """The first check, event by event as the lines are read: recompute every leaf and
    compare it with the ledger's. Keeps the ledger's leaves and their positions, in order, and
    the events the openings are re-checked from."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.positions: list[int] = []
        self.leaves: list[bytes] = []
        self.bids: list[_Event] = []
        self.documents: list[_Event] = []  # the events that name documents' files
        self.previous = 0
        self.first = 0  # the first event's position
        self.unledgered: int | None = None  # the first of the unhashed events since a hashed one
        self.unhashed = 0  # how many
        self.topics: dict[str, bytes] = {}  # topic -> its length and UTF-8, as the leaf has it

    def add(self, event: _Event) -> None:
        """Check one event. A line whose fields cannot be what they say (a hash that is not
        hex, an id that is not a UUID, a number no leaf holds) raises ``_Damaged`` before
        anything is counted."""
        if event.missing:
            self._add_missing(event)
            return
        position = event.position
        try:
            ledgered = None if event.leaf_hash is None else bytes.fromhex(event.leaf_hash)
            digest = bytes.fromhex(event.state_sha256)
        except ValueError:
            raise _Damaged("a hash is not hex", position) from None
        actual = digest if event.state is None else hashlib.sha256(event.state).digest()
        leaf = self._leaf(event, actual)
        self._count(event)
        report = self.report
        if actual != digest:
            report.add(position, "the event's state does not match its digest")
        if event.leaf_index is None:
            self.unledgered = position if self.unledgered is None else self.unledgered
            self.unhashed += 1
            return
        if self.unledgered is not None:
            report.add(self.unledgered, "an event the ledger never hashed sits among hashed ones")
            self.unledgered = None
            self.unhashed = 0
        if event.leaf_index != len(self.leaves):
            report.add(position, "the ledger's index skips or repeats a leaf")
        if ledgered != leaf:
            report.add(position, "the stored event differs from what the ledger hashed")
        # The roots are checked on the ledger's own leaves: a changed event is named above,
        # at its position; a changed leaf shows as a root the signature does not cover.
        self.positions.append(position)
        self.leaves.append(ledgered)  # type: ignore[arg-type]

    def _add_missing(self, event: _Event) -> None:
        ledgered = bytes.fromhex(event.leaf_hash)  # type: ignore[arg-type]
        self._count(event)
        self.report.add(
            event.position, "the event is missing from the store (the ledger hashed it)"
        )
        self.positions.append(event.position)
        self.leaves.append(ledgered)

    def _count(self, event: _Event) -> None:
        """Count the event, check its position's order, keep it for the openings' and the
        documents' checks."""
        self.report.events += 1
        if event.position <= self.previous:
            self.report.add(event.position, "positions are out of order")
        self.first = self.first or event.position
        self.previous = event.position
        if event.state and event.topic in _OPENING_TOPICS:
            self.bids.append(event)
        if event.state and event.topic in DOCUMENT_TOPICS:
            self.documents.append(event)

    def _leaf(self, event: _Event, digest: bytes) -> bytes:
        """``leaf_from_digest``, with the topic's encoding remembered and the aggregate id's
        bytes read straight from its 8-4-4-4-12 hex (``UUID`` when it is in another form);
        ``_Damaged`` when the fields are not what a leaf holds."""
        topic: str = event.topic
        encoded = self.topics.get(topic)
        try:
            if encoded is None:
                data = topic.encode()
                encoded = len(data).to_bytes(2, "big") + data
            aggregate = _uuid_bytes(event.aggregate_id)
            head = _LEAF_HEAD.pack(event.position, aggregate, event.version)
        except (ValueError, OverflowError, struct.error) as error:  # UnicodeError is a ValueError
            raise _Damaged(
                f"the event's fields are not a leaf's ({error})", event.position
            ) from None
        self.topics[topic] = encoded
        return hashlib.sha256(_LEAF_PREFIX + head + encoded + digest).digest()


_LEAF_PREFIX = b"\x00" + LEAF_VERSION  # the leaf hash's domain byte, then leaf_data's version
_UUID_HEXITS = 32


def _uuid_bytes(text: str) -> bytes:
    """``UUID(text).bytes``, read straight from the hex when ``text`` is 32 hex digits and
    hyphens (as exported); any other form goes through ``UUID``, which reads it or raises."""
    hexits = text.replace("-", "")
    try:
        value = bytes.fromhex(hexits)
    except ValueError:
        value = b""
    if len(hexits) != _UUID_HEXITS or len(value) * 2 != _UUID_HEXITS:
        return UUID(text).bytes
    return value


def _check_checkpoints(
    checkpoints: list[_Checkpoint],
    positions: list[int],
    tree: merkle.Tree,
    public_key: str,
    report: Report,
) -> None:
    """Every checkpoint's signature, root and consistency with the previous one; the largest
    that verifies is what the export's signed history covers (``report.covered``)."""
    previous: tuple[int, bytes] | None = None
    for checkpoint in sorted(checkpoints, key=lambda c: c.size):
        report.checkpoints += 1
        size = checkpoint.size
        last_position = positions[size - 1] if 0 < size <= tree.size else 0
        signed = receipts.verify(public_key, checkpoint.document)
        if not signed:
            report.add(last_position, f"checkpoint {size} is not signed by the platform's key")
        if size > tree.size:
            report.add(last_position, f"checkpoint {size} covers events the export lacks")
            continue
        root = tree.root(0, size)
        if root != checkpoint.root:
            first = positions[previous[0]] if previous else positions[0] if positions else 0
            report.add(first, f"the events up to checkpoint {size} do not give its root")
        elif signed:
            report.covered = size
        if previous is not None:
            try:
                merkle.verify_consistency(
                    previous[0],
                    size,
                    previous[1],
                    checkpoint.root,
                    tree.consistency_proof(previous[0], size),
                )
            except (merkle.ProofError, ValueError) as error:  # ValueError: from an empty tree
                report.add(last_position, f"checkpoint {size} is inconsistent: {error}")
        previous = (size, checkpoint.root)


def _check_coverage(events: _Events, report: Report) -> None:
    """How many events the latest checkpoint that verifies covers and how many follow it.
    Events after it are normal (checkpoints are periodic) and only reported; an export with
    events and no such checkpoint at all has nothing signed, and that is a problem: anyone
    able to write the database could have rewritten every event and its leaf."""
    hashed_after = report.leaves - report.covered
    report.unhashed = events.unhashed if events.unledgered is not None else 0
    report.uncovered = hashed_after + report.unhashed
    if hashed_after:
        report.first_uncovered = events.positions[report.covered]
    else:
        report.first_uncovered = events.unledgered
    if report.events and not report.covered:
        report.add(events.first, "no signed checkpoint covers the events: nothing is signed")


def _check_pinned(
    pinned: dict[str, Any],
    positions: list[int],
    tree: merkle.Tree,
    public_key: str,
    report: Report,
) -> None:
    """The checkpoint the auditor kept: signed with the platform's key, and the export's tree
    extends it (its first ``tree_size`` leaves give its root). A database rewritten after
    that checkpoint, its later checkpoints deleted, fails here."""
    try:
        size = int(pinned["tree_size"])
        root = bytes.fromhex(pinned["root"])
    except (KeyError, TypeError, ValueError):
        report.add(0, "the pinned checkpoint is not a checkpoint (no tree_size and root)")
        return
    report.pinned = size
    if pinned.get("type") != "checkpoint" or not receipts.verify(public_key, pinned):
        report.add(0, f"the pinned checkpoint {size} is not signed by the platform's key")
        return
    if size > tree.size:
        report.add(
            positions[-1] if positions else 0,
            f"the export has {tree.size} leaves, fewer than the pinned checkpoint {size} covers",
        )
        return
    if tree.root(0, size) != root:
        report.add(
            positions[size - 1] if size else 0,
            f"the export is inconsistent with the pinned checkpoint {size}: "
            f"its first {size} leaves do not give the pinned root",
        )
