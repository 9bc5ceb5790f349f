"""The audit export (JSON Lines) and its verification, offline or against the live database.

The export holds, in position order, every stored event with its ledger leaf, then every signed
checkpoint. The verifier needs nothing but the file and the platform's public key: it
recomputes every leaf and root, checks every checkpoint's signature and its consistency with
the previous one (and with a checkpoint the auditor kept from earlier, when given one), says how
many events the latest signed checkpoint covers and how many it does not yet, checks that every
released key is the private half of the key its tender was published with, re-decrypts every
opened bid with it and re-checks its commitment and prices, tries every bid marked unreadable
(which must not open to a bid the opening accepts), checks that no bid on the tender is left
out of the opening record, and reports the first position where anything disagrees. The format
and the algorithms are in ``docs/audit.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import msgspec
import psycopg
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from psycopg.rows import dict_row

from domain.bid import BidContents
from domain.bid_prices import read_sealed_bid
from domain.errors import UnreadableBidError
from domain.sealing import EnvelopeName, SealedEnvelope
from domain.text import STORED
from procurement import gc_pause as collector
from procurement.audit import merkle
from procurement.audit.ledger import LEAF_VERSION, leaf_data
from procurement.crypto import hpke as sealing
from procurement.crypto import receipts

FORMAT = "sindh-procurement-audit"
REDACTED_TOPICS = ("procurement:Account.",)  # password hashes are nobody's business
OPENED = "procurement:Tender.BidsOpened"
PUBLISHED = "procurement:Tender.TenderPublished"  # its sealing keys: the released ones' halves
BID_ENVELOPES = ("procurement:Bid.BidSubmitted", "procurement:Bid.BidReplaced")
WITHDRAWN = "procurement:Bid.BidWithdrawn"


def leaf_from_digest(
    position: int, aggregate_id: UUID, version: int, topic: str, state_digest: bytes
) -> bytes:
    return merkle.leaf_hash(leaf_data(position, aggregate_id, version, topic, state_digest))


# Export ----------------------------------------------------------------------------------


def export_lines(conn: psycopg.Connection[Any], public_key: str, origin: str) -> Iterator[str]:
    """The export, line by line, from one consistent read of ``conn``."""
    yield _line(
        {
            "type": "header",
            "format": FORMAT,
            "version": 1,
            "origin": origin,
            "public_key": public_key,
            "leaf_encoding": "SPL1",
        }
    )
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            "SELECT l.leaf_index, coalesce(e.notification_id, l.position) AS position, "
            "l.leaf_hash, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM ledger_leaves l FULL OUTER JOIN procurement_events e "
            "ON e.notification_id = l.position ORDER BY 2"
        )
        for row in cursor:
            yield _line(_event_line(row))
        cursor.execute("SELECT checkpoint FROM ledger_checkpoints ORDER BY tree_size")
        for row in cursor:
            yield _line(row["checkpoint"])


def _event_line(row: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "event",
        "position": int(row["position"]),
        "leaf_index": row["leaf_index"],
        "leaf_hash": bytes(row["leaf_hash"]).hex() if row["leaf_hash"] is not None else None,
    }
    if row["originator_id"] is None:
        return {**line, "missing": True}
    state = bytes(row["state"])
    redacted = row["topic"].startswith(REDACTED_TOPICS)
    return {
        **line,
        "aggregate_id": str(row["originator_id"]),
        "version": int(row["originator_version"]),
        "topic": row["topic"],
        "state_sha256": hashlib.sha256(state).hexdigest(),
        "state": None if redacted else base64.b64encode(state).decode("ascii"),
        "redacted": redacted,
    }


def _line(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"


# Verification ----------------------------------------------------------------------------


@dataclass
class Report:
    events: int = 0
    leaves: int = 0
    checkpoints: int = 0
    openings: int = 0
    bids_rechecked: int = 0
    # The events the latest checkpoint that verifies covers (its tree size), and those after
    # it: hashed since, or not hashed by the ledger yet (``unhashed``, part of ``uncovered``).
    # Events after the latest checkpoint are normal (checkpoints are periodic) but nothing
    # signed vouches for them yet; ``first_uncovered`` is the first one's position.
    covered: int = 0
    uncovered: int = 0
    unhashed: int = 0
    first_uncovered: int | None = None
    pinned: int | None = None  # the tree size of the auditor's own checkpoint, when given
    problems: list[tuple[int, str]] = field(default_factory=list)
    # The lines the verifier could not read: (line number, position, why). Each is a problem
    # too, at its own position when it can be read, else at the position of the line before.
    damaged: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> tuple[int, str] | None:
        return min(self.problems) if self.problems else None

    def add(self, position: int, what: str) -> None:
        self.problems.append((position, what))

    def add_damaged(self, line: int, position: int, why: str) -> None:
        self.damaged.append((line, position, why))
        self.add(position, f"line {line} (position {position}) is damaged: {why}")


def file_lines(data: bytes) -> list[str]:
    """An export file's lines. Bytes that are not UTF-8 stay on their line (as surrogates),
    which ``verify`` then reports as damaged."""
    return data.decode("utf-8", "surrogateescape").splitlines()


def verify(lines: Iterable[str], public_key: str, pinned: dict[str, Any] | None = None) -> Report:
    """Verify an export (see the module's docstring). ``pinned``: a signed checkpoint the
    auditor kept from earlier, which the export's tree must extend. The cyclic garbage
    collector is paused meanwhile: the events held are acyclic, and rescanning them took a
    third of the time."""
    with collector.paused():
        return _verify(lines, public_key, pinned)


class _Event(msgspec.Struct, forbid_unknown_fields=True):
    """One event line, decoded in one pass of C (the base64 state included), every field
    required. A line this strict decoding refuses (another type, a field of another JSON type,
    an absent or unknown field, a position's event missing from the store) is read again as
    plain JSON by ``_event_of``, which reads what the export's format allows (a whole number
    written as a float, say) alike and names what it does not."""

    type: Literal["event"]
    position: int
    leaf_index: int | None
    leaf_hash: str | None
    aggregate_id: str
    version: int
    topic: str
    state_sha256: str
    state: bytes | None
    redacted: bool
    missing: bool = False  # read by ``_event_of`` only: a missing event's line has no fields


_decode_event = msgspec.json.Decoder(_Event).decode


def _verify(lines: Iterable[str], public_key: str, pinned: dict[str, Any] | None) -> Report:
    report = Report()
    reader = _Reader(report, public_key)
    events = reader.events
    for number, raw in enumerate(lines, start=1):
        if not raw or raw.isspace():
            continue
        try:
            if reader.header is not None and (event := _strict_event(raw)) is not None:
                events.add(event)  # the line of nearly every line: read in one pass of C
            else:
                reader.read(raw)
        except _Damaged as damage:
            report.add_damaged(number, damage.position or events.previous, str(damage))
            if reader.header is None:  # nothing can be read without it
                return report
    checkpoints = reader.checkpoints
    report.leaves = len(events.leaves)
    tree = merkle.Tree(events.leaves)
    _check_origins(reader.header, checkpoints, report)
    _check_checkpoints(checkpoints, events.positions, tree, public_key, report)
    _check_coverage(events, report)
    if pinned is not None:
        _check_pinned(pinned, events.positions, tree, public_key, report)
    _check_openings(events.bids, report)
    return report


class _Damaged(Exception):  # noqa: N818 (a line that is damaged, not an error of ours)
    """A line the verifier cannot read, and why; with its position when that could be read."""

    def __init__(self, why: str, position: int | None = None) -> None:
        super().__init__(why)
        self.position = position


def _document(raw: str) -> dict[str, Any]:
    """The JSON object on a line the strict decoding did not take."""
    try:
        raw.encode()
    except UnicodeEncodeError:  # read with surrogateescape: bytes that are not UTF-8
        raise _Damaged("the line is not UTF-8") from None
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise _Damaged(f"the line is not JSON ({error})") from None
    if not isinstance(document, dict):
        raise _Damaged("the line is not a JSON object")
    return document


_HEADER_KEYS = frozenset({"type", "format", "version", "origin", "public_key", "leaf_encoding"})
_EVENT_KEYS = frozenset(
    {
        "type",
        "position",
        "leaf_index",
        "leaf_hash",
        "aggregate_id",
        "version",
        "topic",
        "state_sha256",
        "state",
        "redacted",
    }
)
_MISSING_KEYS = frozenset({"type", "position", "leaf_index", "leaf_hash", "missing"})
_CHECKPOINT_KEYS = frozenset(
    {"type", "origin", "tree_size", "root", "time", "key_id", "algorithm", "signature"}
)


def _keys(document: dict[str, Any], expected: frozenset[str], position: int | None = None) -> None:
    """The line has exactly the fields of its kind."""
    absent = sorted(expected - document.keys())
    unknown = sorted(document.keys() - expected)
    if absent or unknown:
        said = [f"no {', '.join(absent)}"] if absent else []
        said += [f"unknown {', '.join(map(repr, unknown))}"] if unknown else []
        raise _Damaged(f"fields: {'; '.join(said)}", position)


def _whole(document: dict[str, Any], key: str, position: int | None = None) -> int:
    """A whole number (JSON has one kind of number: 7.0 is 7, 7.5 and "7" are not)."""
    value = document[key]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _Damaged(f"{key} is not a whole number", position)


def _string(document: dict[str, Any], key: str, position: int | None = None) -> str:
    value = document[key]
    if not isinstance(value, str):
        raise _Damaged(f"{key} is not a string", position)
    return value


def _hex(document: dict[str, Any], key: str, position: int | None = None) -> str:
    """A SHA-256 in hex, as the export writes it: 64 lowercase hexits."""
    value = _string(document, key, position)
    if len(value) != 2 * _HASH_BYTES or not _HEXITS.issuperset(value):
        raise _Damaged(f"{key} is not a SHA-256 in hex", position)
    return value


_HEXITS = frozenset("0123456789abcdef")
_HASH_BYTES = 32


def _check_header(header: dict[str, Any], public_key: str) -> None:
    _keys(header, _HEADER_KEYS, 0)
    if header["version"] != 1 or isinstance(header["version"], bool):
        raise _Damaged(f"the export's version {header['version']!r} is not 1", 0)
    if header["leaf_encoding"] != "SPL1":
        raise _Damaged(f"the leaf encoding {header['leaf_encoding']!r} is not SPL1", 0)
    _string(header, "origin", 0)
    if header["public_key"] != public_key:
        raise _Damaged("the header names another public key than the one verified with", 0)


class _Reader:
    """The export, line by line: the header first, then events (checked as they come) and
    checkpoints (checked once every leaf is known). ``read`` raises ``_Damaged`` for a line
    it cannot read, having counted nothing of it."""

    def __init__(self, report: Report, public_key: str) -> None:
        self.public_key = public_key
        self.events = _Events(report)
        self.checkpoints: list[_Checkpoint] = []
        self.header: dict[str, Any] | None = None

    def read(self, raw: str) -> None:
        """A line the strict decoding of events did not take."""
        document = _document(raw)
        kind = document.get("type")
        if self.header is None:
            if kind != "header" or document.get("format") != FORMAT:
                raise _Damaged("not an audit export: the first line is not its header")
            self.header = document
            _check_header(document, self.public_key)
        elif kind == "event":
            self.events.add(_event_of(document))
        elif kind == "checkpoint":
            self.checkpoints.append(_checkpoint_of(document))
        else:
            raise _Damaged(f"not a line of the export (type {kind!r})")


def _strict_event(raw: str) -> _Event | None:
    """The event on this line, if it is one with every field of its JSON type, consistent;
    None sends the line to ``_event_of``, which reads it or says what is wrong."""
    try:
        event = _decode_event(raw)
    except (msgspec.MsgspecError, UnicodeEncodeError):
        return None
    if (
        not event.missing
        and (event.leaf_index is None) == (event.leaf_hash is None)
        and event.redacted == (event.state is None)
    ):
        return event
    return None


def _event_of(document: dict[str, Any]) -> _Event:
    """An event line the strict decoding refused: read as the export's format allows, or
    ``_Damaged`` naming what is not."""
    position = _whole(document, "position") if "position" in document else None
    if "missing" in document:
        _keys(document, _MISSING_KEYS, position)
        if document["missing"] is not True:
            raise _Damaged("missing is not true", position)
        return _Event(
            "event",
            _whole(document, "position"),
            _whole(document, "leaf_index", position),
            _hex(document, "leaf_hash", position),
            aggregate_id="",
            version=0,
            topic="",
            state_sha256="",
            state=None,
            redacted=False,
            missing=True,
        )
    _keys(document, _EVENT_KEYS, position)
    leaf_index, leaf_hash, state = document["leaf_index"], document["leaf_hash"], document["state"]
    if (leaf_index is None) != (leaf_hash is None):
        raise _Damaged("leaf_index and leaf_hash are not both given or both null", position)
    if document["redacted"] is not (state is None):
        raise _Damaged("redacted does not say whether the state is given", position)
    try:
        stored = None if state is None else base64.b64decode(state, validate=True)
    except (ValueError, TypeError):
        raise _Damaged("the state is not base64", position) from None
    return _Event(
        "event",
        _whole(document, "position"),
        None if leaf_index is None else _whole(document, "leaf_index", position),
        None if leaf_hash is None else _hex(document, "leaf_hash", position),
        aggregate_id=_string(document, "aggregate_id", position),
        version=_whole(document, "version", position),
        topic=_string(document, "topic", position),
        state_sha256=_hex(document, "state_sha256", position),
        state=stored,
        redacted=document["redacted"],
    )


@dataclass(frozen=True)
class _Checkpoint:
    size: int
    root: bytes
    document: dict[str, Any]  # as signed


def _checkpoint_of(document: dict[str, Any]) -> _Checkpoint:
    _keys(document, _CHECKPOINT_KEYS)
    for key in ("origin", "time", "key_id", "algorithm", "signature"):
        _string(document, key)
    size = _whole(document, "tree_size")
    if size < 0:
        raise _Damaged("tree_size is negative")
    return _Checkpoint(size, bytes.fromhex(_hex(document, "root")), document)


def _check_origins(
    header: dict[str, Any] | None, checkpoints: list[_Checkpoint], report: Report
) -> None:
    """The checkpoints name the ledger the header names (their origin is signed)."""
    origin = header.get("origin") if header else None
    for checkpoint in checkpoints:
        if isinstance(origin, str) and checkpoint.document["origin"] != origin:
            report.add(0, f"checkpoint {checkpoint.size} names another ledger than the header")
            return


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
        """Count the event, check its position's order, keep it for the openings' check."""
        self.report.events += 1
        if event.position <= self.previous:
            self.report.add(event.position, "positions are out of order")
        self.first = self.first or event.position
        self.previous = event.position
        if event.state and event.topic in _OPENING_TOPICS:
            self.bids.append(event)

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


def _check_openings(events: list[_Event], report: Report) -> None:
    """Check that every released key is the private half of the key the tender published;
    re-decrypt every opened bid with it, and every bid marked unreadable (it must not open to
    a bid the opening accepts: ``read_sealed_bid``);
    re-check commitments and prices, and that every bid submitted on the tender before its
    opening is in its record. ``events``: the tenders' publications, the bids' envelopes and
    withdrawals and the openings, with their states."""
    latest: dict[str, dict[str, Any]] = {}  # bid id -> its latest envelope or withdrawal
    tenders: dict[str, list[str]] = {}  # tender id -> its bids (their ids as ``latest`` has)
    published: dict[str, _Publication] = {}  # tender id -> its keys and lots, as published
    for event in events:
        try:
            state = _state(event)
        except (ValueError, TypeError, AttributeError, RecursionError):  # not JSON, or not
            # the transcoder's (a "uuid_hex" that is no UUID); JSONDecodeError is a ValueError
            report.add(event.position, "the event's state is not the JSON it should be")
            continue
        try:
            if event.topic == PUBLISHED:
                _published_keys(event, state, published, report)
            elif event.topic == OPENED:
                report.openings += 1
                keys = published.get(str(UUID(event.aggregate_id)))
                _check_opening(event, state, latest, tenders, report, published=keys)
            else:
                _bid_event(event, state, latest, tenders, report)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            # A state its digest and leaf may vouch for, but not of its topic's shape: reported
            # at its position (its leaf, if it was changed, is reported there too).
            report.add(event.position, f"the event's state is not what {event.topic} holds")


def _bid_event(
    event: _Event,
    state: dict[str, Any],
    latest: dict[str, dict[str, Any]],
    tenders: dict[str, list[str]],
    report: Report,
) -> None:
    """Keep a bid's latest envelope or withdrawal, and which tender its submission names."""
    bid_id: str = event.aggregate_id
    entry = {"topic": event.topic, **state}
    if event.topic == BID_ENVELOPES[0] and bid_id not in latest:
        tender = _canonical_id(state.get("tender_id"))
        if tender is None:
            report.add(event.position, "the bid's submission names no tender")
        else:
            tenders.setdefault(tender, []).append(bid_id)
    if "vendor_id" not in entry and bid_id in latest:  # the submission names the vendor
        entry["vendor_id"] = latest[bid_id].get("vendor_id")
    latest[bid_id] = entry


def _canonical_id(value: Any) -> str | None:
    """``value`` as an id in its 8-4-4-4-12 form, or None when it is not one."""
    try:
        return str(UUID(value))
    except (TypeError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class _Publication:
    """What an opening is checked against from its tender's ``TenderPublished``."""

    keys: dict[str, str]  # envelope -> its public key (base64)
    lots: frozenset[str]  # the notice's lot ids (a bid pricing another is unreadable)


def _published_keys(
    event: _Event, state: dict[str, Any], published: dict[str, _Publication], report: Report
) -> None:
    """Keep the public key of each envelope a tender was published with, and its lots."""
    tender = _canonical_id(event.aggregate_id)
    try:
        keys = {k["envelope"]: k["public_key"] for k in state["sealing_keys"]["keys"]}
        lots = frozenset(lot["id"] for lot in state["notice"]["lots"])
    except (KeyError, TypeError):
        report.add(event.position, "the tender's published sealing keys or lots are not readable")
        return
    if tender is not None:
        published[tender] = _Publication(keys, lots)


def _check_opening(
    event: _Event,
    state: dict[str, Any],
    latest: dict[str, dict[str, Any]],
    tenders: dict[str, list[str]],
    report: Report,
    *,
    published: _Publication | None,
) -> None:
    position = event.position
    tender_id = UUID(event.aggregate_id)
    record = state["record"]
    _check_complete(position, record, tenders.get(str(tender_id), ()), latest, report)
    published_keys = None if published is None else published.keys
    keys = _released_keys(position, tender_id, record, published_keys, report)
    name = EnvelopeName(record["envelope"])
    for opened in record["bids"]:
        bid = latest.get(str(UUID(opened["bid_id"])))
        if opened["status"] == "withdrawn":
            if bid is None or bid["topic"] != WITHDRAWN:
                report.add(position, f"bid {opened['bid_id']} is listed withdrawn but is not")
            continue
        if bid is None or bid["topic"] == WITHDRAWN:
            report.add(position, f"bid {opened['bid_id']} is opened but has no live envelope")
            continue
        envelope = next((e for e in bid["envelopes"]["envelopes"] if e["name"] == name.value), None)
        recorded = dict(opened["commitments"]).get(name.value)
        if envelope is None or recorded != envelope["commitment"]:
            report.add(position, f"bid {opened['bid_id']}: the opened envelope is not its own")
            continue
        vendor = _vendor(position, opened, bid, report)
        report.bids_rechecked += 1
        plain = _open(keys.get(name.value), tender_id, vendor, envelope)
        if opened["status"] != "opened":  # unreadable: it must not open to a bid
            if plain is not None and _accepted(plain, published):
                report.add(
                    position,
                    f"bid {opened['bid_id']} was marked {opened['status']} "
                    "but opens with the released key",
                )
            continue
        contents = None if plain is None else _as_bid(plain)
        if contents is None:
            report.add(position, f"bid {opened['bid_id']} does not open with the released key")
            continue
        prices = [p.model_dump(mode="json") for p in contents.prices]
        if prices != opened["prices"]:
            report.add(position, f"bid {opened['bid_id']}: the published prices are not its own")


def _vendor(position: int, opened: dict[str, Any], bid: dict[str, Any], report: Report) -> str:
    """The bid's vendor, as its submission names it (the opening binds the envelope to it),
    which the record must name too."""
    vendor = _canonical_id(bid.get("vendor_id"))
    if vendor is None:
        return str(opened["vendor_id"])
    if vendor != _canonical_id(opened["vendor_id"]):
        report.add(position, f"bid {opened['bid_id']}: the record names another vendor")
    return vendor


def _open(
    private_key: bytes | None, tender_id: UUID, vendor_id: str, envelope: dict[str, Any]
) -> bytes | None:
    """The envelope's plaintext, opened as the opening opens it: its commitment checked, HPKE
    with ``info`` binding the tender, the bid's vendor and the envelope. None when it does not
    open (the opening records it unreadable)."""
    if private_key is None:
        return None
    try:
        sealed = SealedEnvelope.model_validate(envelope)
        return sealing.open_envelope(private_key, tender_id, UUID(vendor_id), sealed)
    except (sealing.SealingError, ValueError, TypeError):
        return None


def _as_bid(plain: bytes) -> BidContents | None:
    """The plaintext read as a bid, as it was accepted when it was opened (an opening made
    before today's text rule may have opened text it now refuses)."""
    try:
        return BidContents.model_validate_json(plain, context=STORED)
    except ValueError:
        return None


def _accepted(plain: bytes, published: _Publication | None) -> bool:
    """Whether the opening would accept this plaintext (``read_sealed_bid``: a bid, its text,
    its prices): one sealed on the vendor's machine that it refuses is recorded unreadable."""
    if published is not None:
        lots: Collection[str] = published.lots
    else:  # the notice is not readable (reported): the bid's own lots
        contents = _as_bid(plain)
        if contents is None:
            return False
        lots = [price.lot_id for price in contents.prices]
    try:
        read_sealed_bid(plain, lots)
    except UnreadableBidError:
        return False
    return True


def _released_keys(
    position: int,
    tender_id: UUID,
    record: dict[str, Any],
    published: dict[str, str] | None,
    report: Report,
) -> dict[str, bytes]:
    """The released private keys by envelope, each checked against the key the tender was
    published with: its X25519 public half must be that envelope's published public key. A
    wrong key would make every bid unreadable, and the record could say just that."""
    if published is None:
        what = "no published sealing keys to check the released ones against"
        report.add(position, f"tender {tender_id}: {what}")
    keys: dict[str, bytes] = {}
    for released in record["keys"]:
        envelope = released["envelope"]
        try:
            private = base64.b64decode(released["private_key"])
            public = X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
        except ValueError:  # binascii.Error included, and a key of another length
            public = None
        else:
            keys[envelope] = private
        if published is not None and (public is None or _bytes(published.get(envelope)) != public):
            report.add(
                position,
                f"tender {tender_id}: the released key of envelope {envelope} "
                "is not the one it published",
            )
    if record["envelope"] not in {released["envelope"] for released in record["keys"]}:
        report.add(
            position, f"tender {tender_id}: no key of envelope {record['envelope']} is released"
        )
    return keys


def _bytes(text: str | None) -> bytes | None:
    """The bytes of a published key's base64, or None when it is not base64."""
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def _check_complete(
    position: int,
    record: dict[str, Any],
    bids: Iterable[str],
    latest: dict[str, dict[str, Any]],
    report: Report,
) -> None:
    """Every bid submitted on the tender before its opening is in the opening's record: the
    live ones opened (or unreadable), the withdrawn ones as withdrawn (each entry is checked
    against the bid's own events in ``_check_opening``)."""
    listed = {_canonical_id(opened["bid_id"]) for opened in record["bids"]}
    for bid_id in bids:
        if _canonical_id(bid_id) not in listed:
            live = latest[bid_id]["topic"] != WITHDRAWN
            what = "was live at the opening" if live else "was withdrawn before the opening"
            report.add(position, f"bid {bid_id} {what} but is not in its record")


def _state(event: _Event) -> dict[str, Any]:
    plain: dict[str, Any] = _plain(json.loads(event.state))  # type: ignore[arg-type]
    return plain


def _plain(node: Any) -> Any:
    """The stored JSON with the transcoder's ``{"_type_", "_data_"}`` wrappers removed."""
    if isinstance(node, dict):
        if set(node) == {"_type_", "_data_"}:
            if node["_type_"] == "uuid_hex":
                return str(UUID(node["_data_"]))
            return _plain(node["_data_"])
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def database_lines(dsn: str, public_key: str, origin: str) -> list[str]:
    """The export of the live database, read in one repeatable-read transaction."""
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return list(export_lines(conn, public_key, origin))
