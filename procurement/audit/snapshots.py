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
  source and of this module. A deployment that changes an aggregate or this encoding never
  reads the old rows.

Snapshots are derived data, made as auditors travel (``history.state_as_of`` writes the rows
its replay passes) and by the worker (``SnapshotRunner``); deleting them loses only speed.
Accounts are never snapshotted: their password hashes stay in their events alone.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache, partial
from importlib import metadata
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import AwareDatetime, BaseModel, NaiveDatetime, TypeAdapter

import domain
from domain.text import STORED

INTERVAL = 64
"""Versions between snapshots: at most 63 events are replayed after one (about 1 ms)."""

EXCLUDED_TOPICS = ("procurement:Account",)
_MAC_LABEL = b"urn:sindh-procurement:history-snapshots:v1"
_MISSING = object()

logger = logging.getLogger("procurement.snapshots")  # the name operators filter on

Shape = list[Any]
"""How a value is typed, as JSON: ``["uuid"]``, ``["dict", ["uuid"], ["type", topic]]``..."""


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


# Shapes -----------------------------------------------------------------------------------

_SCALARS: dict[type, str] = {
    type(None): "none",
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    bytes: "bytes",
    UUID: "uuid",
    datetime: "datetime",
    date: "date",
    Decimal: "decimal",
}
_SCALAR_TYPES: dict[str, Any] = {name: kind for kind, name in _SCALARS.items()} | {"any": Any}
_IMMUTABLE = frozenset(_SCALARS.values()) | {"enum"}
_KEYS = frozenset({"any", "str", "int", "uuid", "date", "datetime", "decimal", "enum"})
_SEQUENCES: dict[str, Callable[[Any], Any]] = {
    "list": lambda item: list[item],  # type: ignore[valid-type]
    "tuple": lambda item: tuple[item, ...],  # type: ignore[valid-type]
    "set": lambda item: set[item],  # type: ignore[valid-type]
    "frozenset": lambda item: frozenset[item],  # type: ignore[valid-type]
}


def shape_of(value: Any) -> Shape | None:
    """The value's shape, or None if it has none this encoding can decode exactly (a mixed
    list, an unregistered object): such a value goes through the event transcoder."""
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        return [scalar]
    if isinstance(value, Enum):
        return ["enum", get_topic(kind)]
    if isinstance(value, BaseModel | msgspec.Struct):
        return ["type", get_topic(kind)]
    return _container_shape(value)


def _container_shape(value: Any) -> Shape | None:
    kind = type(value)
    if kind in {list, tuple, set, frozenset}:
        item = _common_shape(value)
        return None if item is None else [kind.__name__, item]
    if kind is dict:
        key, item = _common_shape(value.keys()), _common_shape(value.values())
        if key is None or item is None:
            return None
        # JSON's keys are strings: a dictionary keyed by anything else is a list of pairs.
        return ["dict" if key[0] in _KEYS else "pairs", key, item]
    return None


def _common_shape(values: Iterable[Any]) -> Shape | None:
    kinds = {type(value) for value in values}
    if not kinds:
        return ["any"]
    if len(kinds) > 1:
        return None
    if kinds.pop() in {list, tuple, set, frozenset, dict}:  # containers: their items decide
        shapes = {msgspec.json.encode(shape_of(value)) for value in values}
        return None if len(shapes) != 1 else msgspec.json.decode(shapes.pop())
    return shape_of(next(iter(values)))


def _immutable(shape: Shape) -> bool:
    """Whether a value of this shape can never change in place: a patch compares a
    dictionary's entries by identity, and would miss such a change."""
    if shape[0] in _IMMUTABLE:
        return True
    if shape[0] == "type":
        return _frozen_type(resolve_topic(shape[1]))
    return shape[0] in {"tuple", "frozenset"} and _immutable(shape[1])


@cache
def _frozen_type(kind: Any) -> bool:
    """A type whose values are immutable all the way down: scalars, enums, and frozen models
    or structs (and tuples, frozensets, unions and literals) of such types only."""
    origin = get_origin(kind)
    if origin is not None:
        return _frozen_generic(origin, get_args(kind))
    if not isinstance(kind, type):
        return False
    if kind in _SCALARS or kind in _PYDANTIC_SCALARS or issubclass(kind, Enum):
        return True
    if issubclass(kind, msgspec.Struct):
        return bool(kind.__struct_config__.frozen) and all(
            _frozen_type(field.type) for field in msgspec.structs.fields(kind)
        )
    if issubclass(kind, BaseModel):
        return bool(kind.model_config.get("frozen")) and all(
            _frozen_type(cast("Any", field.annotation)) for field in kind.model_fields.values()
        )
    return False


def _frozen_generic(origin: Any, args: tuple[Any, ...]) -> bool:
    if origin is Annotated:
        return bool(_frozen_type(args[0]))
    if origin is Literal:
        return True
    if origin in {Union, UnionType, tuple, frozenset}:
        return all(arg is Ellipsis or _frozen_type(arg) for arg in args)
    return False


_PYDANTIC_SCALARS = frozenset({AwareDatetime, NaiveDatetime})
"""Annotations pydantic reads as a plain datetime."""


def _type_of(shape: Shape) -> tuple[Any, bool]:
    """The type a shape names, and whether pydantic must decode it (a model inside)."""
    name = shape[0]
    if name in _SCALAR_TYPES:
        return _SCALAR_TYPES[name], False
    if name in {"enum", "type"}:
        kind = resolve_topic(shape[1])
        return kind, issubclass(kind, BaseModel)
    if name in _SEQUENCES:
        item, pydantic = _type_of(shape[1])
        return _SEQUENCES[name](item), pydantic
    key, key_pydantic = _type_of(shape[1])
    item, item_pydantic = _type_of(shape[2])
    pydantic = key_pydantic or item_pydantic
    if name == "pairs":
        return list[tuple[key, item]], pydantic  # type: ignore[valid-type]
    return dict[key, item], pydantic  # type: ignore[valid-type]


@cache
def _decoder(shape_json: bytes) -> Callable[[bytes], Any]:
    kind, pydantic = _type_of(msgspec.json.decode(shape_json))
    if pydantic:  # what was stored is not checked against today's text rule again
        return partial(TypeAdapter(kind).validate_json, context=STORED)
    return cast("Callable[[bytes], Any]", msgspec.json.Decoder(kind).decode)


def _decode(shape: Shape, data: msgspec.Raw | bytes, transcoder: Transcoder) -> Any:
    if shape == ["transcoded"]:
        return transcoder.decode(bytes(data))
    value = _decoder(msgspec.json.encode(shape))(bytes(data))
    return dict(value) if shape[0] == "pairs" else value


def _model_builtins(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    msg = f"no snapshot encoding for {type(value).__name__}"
    raise TypeError(msg)


_encoder = msgspec.json.Encoder(enc_hook=_model_builtins, decimal_format="string")


def _encode(value: Any, transcoder: Transcoder) -> tuple[Shape, bytes]:
    shape = shape_of(value)
    if shape is None:
        return ["transcoded"], transcoder.encode(value)
    return shape, _encode_as(shape, value)


def _encode_as(shape: Shape, value: Any) -> bytes:
    if shape[0] in {"set", "frozenset"}:
        # In order, so that two processes encode the same set alike (strings hash apart).
        return _encoder.encode(sorted(value))
    if shape[0] == "pairs":
        return _encoder.encode(list(value.items()))
    return _encoder.encode(value)


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
