"""Snapshots for time travel: an aggregate's state every ``INTERVAL`` versions, so that its
state at any version is the nearest snapshot at or before it and fewer than ``INTERVAL`` events
replayed, whatever the stream's length.

Three choices make them fit for auditors:

- **Deltas, not copies.** A snapshot stores only what changed since the one before it: the
  attributes that differ, and of a dictionary of immutable values (a tender's questions) only
  the entries added, replaced or removed. A stream's snapshots together hold each value about
  once, so their size grows with the state, not with the state times the number of
  snapshots (a tender with 10,000 questions has 156 snapshots; full copies would be 195 MB).
  Loading reads the chain up to the version and decodes it in C (msgspec, or pydantic-core
  for the pydantic value objects).
- **A MAC chain.** Each row carries an HMAC-SHA256, under a key derived from the KEK, of the
  stream, its version, its state and the MAC of the row before. A row changed, removed or
  reordered in the database ends the chain there: the state is replayed from the events
  instead, and the bad rows are made again. Snapshots are never evidence; the events are.
- **A fingerprint of the domain's code.** Rows are keyed by a hash of the ``domain`` package's
  source, of this module and of ``snapshot_shapes`` (the encoding). A deployment that changes
  an aggregate or the encoding never reads the old rows.

Snapshots are derived data, made as auditors travel (``history.state_as_of`` writes the rows
its replay passes) and by the worker (``SnapshotRunner``); deleting them loses only speed.
Accounts are never snapshotted: their password hashes stay in their events alone.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic, resolve_topic

import domain
from procurement.audit.snapshot_shapes import (
    Shape,
    _decode,
    _encode,
    _encode_as,
    _encoder,
    _immutable,
    shape_of,
)

INTERVAL = 64
"""Versions between snapshots: at most 63 events are replayed after one (about 1 ms)."""

EXCLUDED_TOPICS = ("procurement:Account",)
_MAC_LABEL = b"urn:sindh-procurement:history-snapshots:v1"
_MISSING = object()

logger = logging.getLogger("procurement.snapshots")  # the name operators filter on


def _sources() -> list[Path]:
    package = Path(domain.__file__).resolve().parent
    return [*sorted(package.rglob("*.py")), *(_source(module) for module in _CODE)]


def _source(module: str) -> Path:
    """The module's file wherever it lives in the tree: its source, or nothing to hash."""
    spec = importlib.util.find_spec(module)
    origin = Path(spec.origin) if spec is not None and spec.origin else Path(module)
    return origin.resolve() if origin.suffix == ".py" else Path(module)


_CODE = (
    "procurement.audit.snapshots",
    "procurement.audit.snapshot_shapes",
    "procurement.audit.history",
    "procurement.store.transcodings",
)
"""Besides the domain: the encoding, the fold, and the transcodings of the event store."""
_LIBRARIES = ("eventsourcing", "pydantic", "pydantic-core", "msgspec")


@cache
def enabled() -> bool:
    """Snapshots are made only where the code they depend on can be hashed: a deployment of
    compiled files alone has none (rows made by other code must never be read)."""
    return all(path.is_file() for path in _sources()) and any(
        path.parent.name == "domain" for path in _sources()
    )


@cache
def fingerprint() -> bytes:
    """A hash of the code that makes an aggregate's state and encodes it, and of the
    libraries' versions that decode it."""
    digest = hashlib.sha256()
    for path in _sources():
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for library in _LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}\0".encode())
    return digest.digest()[:16]


def mac_key(kek: bytes) -> bytes:
    return hmac.new(kek, _MAC_LABEL, hashlib.sha256).digest()


def snapshotted(topic: str) -> bool:
    return not topic.startswith(EXCLUDED_TOPICS)


# Rows ---------------------------------------------------------------------------------------


class _Set(msgspec.Struct, array_like=True):
    shape: Shape
    value: msgspec.Raw


class _Patch(msgspec.Struct, array_like=True):
    shape: Shape
    put: msgspec.Raw
    drop: msgspec.Raw


class _Row(msgspec.Struct, omit_defaults=True):
    # The attributes in the aggregate's order (an answer lists them so), when not the same
    # as in the row before.
    names: list[str] | None = None
    set: dict[str, _Set] = msgspec.field(default_factory=dict)
    patch: dict[str, _Patch] = msgspec.field(default_factory=dict)
    unset: list[str] = msgspec.field(default_factory=list)


_row_decoder = msgspec.json.Decoder(_Row)


_GENESIS = bytes(32)
"""The "MAC before" the first row: every link is 32 bytes, so no row can pass for another."""


def _mac(
    key: bytes, aggregate_id: UUID, version: int, *, topic: str, state: bytes, previous: bytes
) -> bytes:
    """Every field of fixed length or length-prefixed, so no two rows' fields can be cut
    differently into the same message."""
    encoded_topic = topic.encode()
    message = b"".join(
        (
            fingerprint(),
            aggregate_id.bytes,
            version.to_bytes(8, "big"),
            len(encoded_topic).to_bytes(2, "big"),
            encoded_topic,
            previous or _GENESIS,
            state,
        )
    )
    return hmac.digest(key, message, "sha256")


@dataclass
class _Kept:
    """An attribute as the last snapshot stored it, to tell what changed since."""

    shape: Shape
    encoded: bytes | None = None  # set whole: its bytes
    entries: dict[Any, Any] | None = None  # a dictionary patched entry by entry: a copy


@dataclass
class Chain:
    """A stream's snapshots: the newest readable one, and what it takes to add the next."""

    aggregate_id: UUID
    key: bytes
    transcoder: Transcoder
    version: int = 0
    mac: bytes = b""
    kept: dict[str, _Kept] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    new_rows: list[tuple[int, str, bytes, bytes]] = field(default_factory=list)
    broken_at: int | None = None  # the version of a stored row that failed its check
    disabled: bool = False

    @property
    def changed(self) -> bool:
        """Whether the store must be written: rows made, or stored rows to replace."""
        return bool(self.new_rows) or self.broken_at is not None

    def record(self, aggregate: Aggregate) -> None:
        """Add the snapshot of ``aggregate`` (history's fold calls it at each multiple of
        ``INTERVAL``); nothing if the chain already reaches its version."""
        if self.disabled or aggregate.version <= self.version:
            return
        topic = get_topic(type(aggregate))
        try:
            state = self._delta(vars(aggregate))
        except (TypeError, ValueError, msgspec.EncodeError) as error:
            # A value neither encoding knows: this stream is replayed whole, as before.
            logger.warning("no snapshots for %s: %s", self.aggregate_id, error)
            self.disabled = True
            return
        mac = _mac(
            self.key,
            self.aggregate_id,
            aggregate.version,
            topic=topic,
            state=state,
            previous=self.mac,
        )
        self.new_rows.append((aggregate.version, topic, state, mac))
        self.version, self.mac = aggregate.version, mac

    def _delta(self, attributes: dict[str, Any]) -> bytes:
        names = list(attributes)
        row = _Row(names=None if names == self.names else names)
        self.names = names
        kept: dict[str, _Kept] = {}
        for name, value in attributes.items():
            if name == "_pending_events":
                continue
            before = self.kept.get(name)
            if type(value) is dict and before is not None and before.entries is not None:
                change = _changes(before, value)
                if change is not None:
                    kept[name] = _Kept(before.shape, entries=dict(value))
                    put, drop = change
                    if put or drop:
                        row.patch[name] = _Patch(
                            before.shape,
                            msgspec.Raw(_encode_as(before.shape, put)),
                            msgspec.Raw(_encoder.encode(drop)),
                        )
                    continue
            shape, encoded = _encode(value, self.transcoder)
            if _patchable(shape):
                kept[name] = _Kept(shape, entries=dict(value))
            else:
                kept[name] = _Kept(shape, encoded=encoded)
            if before is None or before.shape != shape or before.encoded != encoded:
                row.set[name] = _Set(shape, msgspec.Raw(encoded))
        row.unset = [name for name in self.kept if name not in kept]
        self.kept = kept
        return msgspec.json.encode(row)


def _patchable(shape: Shape) -> bool:
    """A dictionary whose keys and values are immutable: changed only by putting entries."""
    return shape[0] in {"dict", "pairs"} and _immutable(shape[1]) and _immutable(shape[2])


def _changes(before: _Kept, value: dict[Any, Any]) -> tuple[dict[Any, Any], list[Any]] | None:
    """The entries of ``value`` put and the keys dropped since the kept copy, or None if a
    patch cannot say it (a new kind of key or value, or keys in another order)."""
    entries = cast("dict[Any, Any]", before.entries)
    put = {k: v for k, v in value.items() if entries.get(k, _MISSING) is not v}
    drop = [k for k in entries if k not in value]
    if put:
        shape = shape_of(put)
        if shape != before.shape:
            return None
        # A patch keeps the surviving keys where they were and puts new ones after them, as
        # dict.update does. Any other order (a key taken and put back, keys put after the
        # dictionary was emptied and filled in another order) needs the dictionary whole.
        survivors = [k for k in entries if k in value]
        if list(value) != survivors + [k for k in value if k not in entries]:
            return None
    return put, drop


@dataclass
class _Decoding:
    """Rows applied in order: what each sets whole waits undecoded (a later row may set it
    again); a patch decodes its dictionary and puts its entries."""

    transcoder: Transcoder
    pending: dict[str, _Set] = field(default_factory=dict)
    last_set: dict[str, _Set] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def apply(self, row: _Row) -> None:
        for name, whole in row.set.items():
            self.pending[name] = self.last_set[name] = whole
            self.values.pop(name, None)
        for name, patch in row.patch.items():
            if name in self.pending:
                whole = self.pending.pop(name)
                self.values[name] = _decode(whole.shape, whole.value, self.transcoder)
            entries = self.values[name]
            entries.update(_decode(patch.shape, patch.put, self.transcoder))
            for gone in _decode(["list", patch.shape[1]], patch.drop, self.transcoder):
                del entries[gone]
        for name in row.unset:
            self.pending.pop(name, None)
            self.last_set.pop(name, None)
            self.values.pop(name, None)

    def finish(self, chain: Chain, names: list[str]) -> dict[str, Any]:
        for name, whole in self.pending.items():
            self.values[name] = _decode(whole.shape, whole.value, self.transcoder)
        self.values["_pending_events"] = []
        self.values = {name: self.values[name] for name in names}
        for name, value in self.values.items():
            if name == "_pending_events":
                continue
            whole = self.last_set[name]
            if _patchable(whole.shape):
                chain.kept[name] = _Kept(whole.shape, entries=dict(value))
            else:
                chain.kept[name] = _Kept(whole.shape, encoded=bytes(whole.value))
        return self.values


def restore(
    rows: Iterable[tuple[int, str, bytes, bytes]],
    aggregate_id: UUID,
    key: bytes,
    transcoder: Transcoder,
) -> tuple[Aggregate | None, Chain]:
    """The aggregate at the newest readable snapshot of ``rows`` (oldest first) and the chain
    to extend; (None, an empty chain) if the first row is missing or fails its check."""
    rows = list(rows)
    try:
        return _restore(rows, aggregate_id, key, transcoder)
    except Exception as error:  # noqa: BLE001 (a cache: any failure means a replay instead)
        # A row that passes its MAC but does not decode: made by code the fingerprint does
        # not cover. Nothing decoded is kept; the whole chain is made again from the events.
        logger.warning("snapshots of %s do not decode (%r); replaying", aggregate_id, error)
        chain = Chain(aggregate_id, key, transcoder)
        chain.broken_at = rows[0][0] if rows else None
        return None, chain


def _restore(
    rows: list[tuple[int, str, bytes, bytes]],
    aggregate_id: UUID,
    key: bytes,
    transcoder: Transcoder,
) -> tuple[Aggregate | None, Chain]:
    chain = Chain(aggregate_id, key, transcoder)
    decoding = _Decoding(transcoder)
    topic = ""
    for version, row_topic, state, mac in rows:
        expected = _mac(
            key, aggregate_id, version, topic=row_topic, state=state, previous=chain.mac
        )
        if version <= chain.version or not hmac.compare_digest(mac, expected):
            logger.warning(
                "snapshot of %s at version %s fails its check; replaying from version %s",
                aggregate_id,
                version,
                chain.version,
            )
            chain.broken_at = version
            break
        row = _row_decoder.decode(state)
        decoding.apply(row)
        chain.version, chain.mac, topic = version, mac, row_topic
        chain.names = row.names if row.names is not None else chain.names
    if chain.version == 0:
        return None, chain
    values = decoding.finish(chain, chain.names)
    aggregate = cast("Aggregate", object.__new__(resolve_topic(topic)))
    object.__setattr__(aggregate, "__dict__", values)
    return aggregate, chain


# Storage --------------------------------------------------------------------------------


def load(
    cursor: Any, aggregate_id: UUID, version: int, key: bytes, transcoder: Transcoder
) -> tuple[Aggregate | None, Chain]:
    """The aggregate at its newest snapshot at or before ``version``, and its chain."""
    cursor.execute(
        "SELECT originator_version, topic, state, mac FROM history_snapshots "
        "WHERE fingerprint = %s AND originator_id = %s AND originator_version <= %s "
        "ORDER BY originator_version",
        (fingerprint(), aggregate_id, version),
        binary=True,  # the states as they are stored, not as hex text to decode
    )
    return restore(cursor.fetchall(), aggregate_id, key, transcoder)


def save(cursor: Any, chain: Chain) -> None:
    """Store the chain's new rows; rows from a failed check on are replaced."""
    if chain.broken_at is not None:
        cursor.execute(
            "DELETE FROM history_snapshots WHERE fingerprint = %s AND originator_id = %s "
            "AND originator_version >= %s",
            (fingerprint(), chain.aggregate_id, chain.broken_at),
        )
    if chain.new_rows:
        cursor.executemany(
            "INSERT INTO history_snapshots "
            "(fingerprint, originator_id, originator_version, topic, state, mac) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(fingerprint(), chain.aggregate_id, *row) for row in chain.new_rows],
        )
