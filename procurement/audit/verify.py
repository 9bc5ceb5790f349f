"""The audit export's verification (``export.py`` writes it), offline or against the live
database. The verifier needs nothing but the file and the platform's public key: it
recomputes every leaf and root, checks every checkpoint's signature and its consistency with
the previous one (and with a checkpoint the auditor kept from earlier, when given one), says how
many events the latest signed checkpoint covers and how many it does not yet, checks that every
released key is the private half of the key its tender was published with, re-decrypts every
opened bid with it and re-checks its commitment and prices, tries every bid marked unreadable
(which must not open to a bid the opening accepts), checks that no bid on the tender is left
out of the opening record, and reports the first position where anything disagrees. Asked
to, it also checks every document version the events name against the document store
(``verify_documents.py``: the one check that needs more than the file). The format and the
algorithms are in ``docs/audit.md``; the checks are in ``verify_ledger.py``,
``verify_openings.py`` and ``verify_documents.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

import msgspec

from procurement import gc_pause as collector
from procurement.audit import merkle
from procurement.audit.export import FORMAT
from procurement.audit.verify_documents import DocumentCheck, check_documents
from procurement.audit.verify_ledger import (
    _check_checkpoints,
    _check_coverage,
    _check_pinned,
    _Events,
)
from procurement.audit.verify_openings import _check_openings
from procurement.audit.verify_report import Report, _Checkpoint, _Damaged, _Event


def file_lines(data: bytes) -> list[str]:
    """An export file's lines. Bytes that are not UTF-8 stay on their line (as surrogates),
    which ``verify`` then reports as damaged."""
    return data.decode("utf-8", "surrogateescape").splitlines()


def verify(
    lines: Iterable[str],
    public_key: str,
    pinned: dict[str, Any] | None = None,
    documents: DocumentCheck | None = None,
) -> Report:
    """Verify an export (see the module's docstring). ``pinned``: a signed checkpoint the
    auditor kept from earlier, which the export's tree must extend. ``documents``: the
    document store's check of stored files, to check every document version the events name
    against it (``verify_documents.py``). The cyclic garbage collector is paused meanwhile:
    the events held are acyclic, and rescanning them took a third of the time."""
    with collector.paused():
        return _verify(lines, public_key, pinned, documents)


_decode_event = msgspec.json.Decoder(_Event).decode


def _verify(
    lines: Iterable[str],
    public_key: str,
    pinned: dict[str, Any] | None,
    documents: DocumentCheck | None,
) -> Report:
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
    if documents is not None:
        check_documents(events.documents, documents, report)
    return report


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
