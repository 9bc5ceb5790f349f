"""The audit export (JSON Lines) and its verification, offline or against the live database.

The export holds, in position order, every stored event with its ledger leaf, then every signed
checkpoint. The verifier needs nothing but the file and the platform's public key: it
recomputes every leaf and root, checks every checkpoint's signature and its consistency with
the previous one, re-decrypts every opened bid with the released key and re-checks its
commitment and prices, and reports the first position where anything disagrees. The format
and the algorithms are in ``docs/audit.md``.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.bid import BidContents
from domain.sealing import EnvelopeName, SealedEnvelope
from procurement import merkle, receipts, sealing
from procurement.ledger import leaf_data

FORMAT = "sindh-procurement-audit"
REDACTED_TOPICS = ("procurement:Account.",)  # password hashes are nobody's business
OPENED = "procurement:Tender.BidsOpened"
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
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> tuple[int, str] | None:
        return min(self.problems) if self.problems else None

    def add(self, position: int, what: str) -> None:
        self.problems.append((position, what))


def verify(lines: Iterable[str], public_key: str) -> Report:
    """Verify an export (see the module's docstring). The cyclic garbage collector is paused
    meanwhile: the events held are acyclic, and rescanning them took a third of the time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _verify(lines, public_key)
    finally:
        if collecting:
            gc.enable()


def _verify(lines: Iterable[str], public_key: str) -> Report:
    report = Report()
    header: dict[str, Any] | None = None
    events: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    for raw in lines:
        if not raw.strip():
            continue
        document = json.loads(raw)
        kind = document.get("type")
        if header is None:
            if kind != "header" or document.get("format") != FORMAT:
                report.add(0, "not an audit export: the first line is not its header")
                return report
            header = document
        elif kind == "event":
            events.append(document)
        elif kind == "checkpoint":
            checkpoints.append(document)
    leaves = _check_events(events, report)
    _check_checkpoints(checkpoints, leaves, public_key, report)
    _check_openings(events, report)
    return report


def _check_events(events: list[dict[str, Any]], report: Report) -> list[tuple[int, bytes]]:
    """Recompute every leaf and compare it with the ledger's. Returns (position, the ledger's
    leaf) in order."""
    leaves: list[tuple[int, bytes]] = []
    previous = 0
    unledgered: int | None = None
    for event in events:
        report.events += 1
        position = int(event["position"])
        if position <= previous:
            report.add(position, "positions are out of order")
        previous = position
        if event.get("missing"):
            report.add(position, "the event is missing from the store (the ledger hashed it)")
            leaves.append((position, bytes.fromhex(event["leaf_hash"])))
            continue
        digest = bytes.fromhex(event["state_sha256"])
        state = event.get("state")
        if state is not None and hashlib.sha256(base64.b64decode(state)).digest() != digest:
            report.add(position, "the event's state does not match its digest")
            digest = hashlib.sha256(base64.b64decode(state)).digest()
        leaf = leaf_from_digest(
            position, UUID(event["aggregate_id"]), int(event["version"]), event["topic"], digest
        )
        if event["leaf_index"] is None:
            unledgered = position if unledgered is None else unledgered
            continue
        if unledgered is not None:
            report.add(unledgered, "an event the ledger never hashed sits among hashed ones")
            unledgered = None
        if int(event["leaf_index"]) != len(leaves):
            report.add(position, "the ledger's index skips or repeats a leaf")
        if event["leaf_hash"] != leaf.hex():
            report.add(position, "the stored event differs from what the ledger hashed")
        # The roots are checked on the ledger's own leaves: a changed event is named above,
        # at its position; a changed leaf shows as a root the signature does not cover.
        leaves.append((position, bytes.fromhex(event["leaf_hash"])))
    report.leaves = len(leaves)
    return leaves


def _check_checkpoints(
    checkpoints: list[dict[str, Any]],
    leaves: list[tuple[int, bytes]],
    public_key: str,
    report: Report,
) -> None:
    tree = merkle.Tree([leaf for _, leaf in leaves])
    previous: tuple[int, bytes] | None = None
    for checkpoint in sorted(checkpoints, key=lambda c: int(c["tree_size"])):
        report.checkpoints += 1
        size = int(checkpoint["tree_size"])
        last_position = leaves[size - 1][0] if 0 < size <= len(leaves) else 0
        if not receipts.verify(public_key, checkpoint):
            report.add(last_position, f"checkpoint {size} is not signed by the platform's key")
        if size > tree.size:
            report.add(last_position, f"checkpoint {size} covers events the export lacks")
            continue
        root = tree.root(0, size)
        if root.hex() != checkpoint["root"]:
            first = leaves[previous[0]][0] if previous else leaves[0][0]
            report.add(first, f"the events up to checkpoint {size} do not give its root")
        if previous is not None:
            try:
                merkle.verify_consistency(
                    previous[0],
                    size,
                    previous[1],
                    bytes.fromhex(checkpoint["root"]),
                    tree.consistency_proof(previous[0], size),
                )
            except merkle.ProofError as error:
                report.add(last_position, f"checkpoint {size} is inconsistent: {error}")
        previous = (size, bytes.fromhex(checkpoint["root"]))


def _check_openings(events: list[dict[str, Any]], report: Report) -> None:
    """Re-decrypt every opened bid with the released key; re-check commitments and prices."""
    latest: dict[str, dict[str, Any]] = {}  # bid id -> its latest envelope or withdrawal
    for event in events:
        topic = event.get("topic")
        if not event.get("state") or topic not in (*BID_ENVELOPES, WITHDRAWN, OPENED):
            continue
        try:
            state = _state(event)
        except ValueError:  # UnicodeDecodeError and JSONDecodeError included
            report.add(int(event["position"]), "the event's state is not the JSON it should be")
            continue
        if topic == OPENED:
            report.openings += 1
            _check_opening(event, state, latest, report)
        else:
            latest[event["aggregate_id"]] = {"topic": topic, **state}


def _check_opening(
    event: dict[str, Any],
    state: dict[str, Any],
    latest: dict[str, dict[str, Any]],
    report: Report,
) -> None:
    position = int(event["position"])
    tender_id = UUID(event["aggregate_id"])
    record = state["record"]
    keys = {k["envelope"]: base64.b64decode(k["private_key"]) for k in record["keys"]}
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
        if opened["status"] != "opened":
            continue
        report.bids_rechecked += 1
        try:
            plain = sealing.open_envelope(
                keys[name.value],
                tender_id,
                UUID(opened["vendor_id"]),
                SealedEnvelope.model_validate(envelope),
            )
            contents = BidContents.model_validate_json(plain)
        except (sealing.SealingError, ValueError, KeyError):
            report.add(position, f"bid {opened['bid_id']} does not open with the released key")
            continue
        prices = [p.model_dump(mode="json") for p in contents.prices]
        if prices != opened["prices"]:
            report.add(position, f"bid {opened['bid_id']}: the published prices are not its own")


def _state(event: dict[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = _plain(json.loads(base64.b64decode(event["state"])))
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
