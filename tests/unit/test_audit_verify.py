"""The offline verifier on hand-made exports: it reports, it never crashes."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from uuid import UUID, uuid4

from procurement import audit
from procurement.ledger import event_leaf


def _line(document: dict[str, object]) -> str:
    return json.dumps(document)


def test_an_unreadable_state_is_reported_at_its_position() -> None:
    state = b"\xff\xfe not JSON"
    aggregate = uuid4()
    topic = "procurement:Bid.BidSubmitted"
    lines = [
        _line({"type": "header", "format": audit.FORMAT, "version": 1}),
        _line(
            {
                "type": "event",
                "position": 7,
                "leaf_index": 0,
                "leaf_hash": event_leaf(7, aggregate, 1, topic, state).hex(),
                "aggregate_id": str(aggregate),
                "version": 1,
                "topic": topic,
                "state_sha256": hashlib.sha256(state).hexdigest(),
                "state": base64.b64encode(state).decode(),
            }
        ),
    ]
    report = audit.verify(lines, base64.b64encode(bytes(32)).decode())
    assert report.first_problem == (7, "the event's state is not the JSON it should be")
    assert report.leaves == 1


def test_a_file_that_is_not_an_export_is_refused() -> None:
    report = audit.verify([_line({"type": "event"})], "key")
    assert report.first_problem is not None
    assert report.first_problem[0] == 0


def _event(position: int, index: int, aggregate: str, state: bytes) -> dict[str, Any]:
    topic = "procurement:Tender.QuestionAsked"
    return {
        "type": "event",
        "position": position,
        "leaf_index": index,
        "leaf_hash": event_leaf(position, UUID(aggregate), 1, topic, state).hex(),
        "aggregate_id": aggregate,
        "version": 1,
        "topic": topic,
        "state_sha256": hashlib.sha256(state).hexdigest(),
        "state": base64.b64encode(state).decode(),
        "redacted": False,
    }


def test_lines_read_strictly_or_as_plain_json_give_one_report() -> None:
    """Event lines are decoded strictly (msgspec) and fall back to plain JSON when a field has
    another type: an export whose numbers are written as floats takes the second path."""
    ids = [uuid4() for _ in range(5)]
    events = [
        _event(1, 0, str(ids[0]), b"{}"),
        _event(2, 1, str(ids[1]).upper(), b'{"a": 1}'),  # not the canonical form: UUID reads it
        _event(4, 2, ids[2].hex, b"[]"),
        _event(5, 3, f"{{{ids[3]}}}", b"1"),
        _event(6, 4, str(ids[4]), b"2"),
    ]
    events[3]["state"] = base64.b64encode(b"3").decode()  # tampered: the digest disagrees
    header = _line({"type": "header", "format": audit.FORMAT, "version": 1})
    strict = [header, *(_line(e) for e in events)]
    floats = [header, *(_line({**e, "position": float(e["position"])}) for e in events)]
    key = base64.b64encode(bytes(32)).decode()
    expected = [
        (5, "the event's state does not match its digest"),
        (5, "the stored event differs from what the ledger hashed"),
    ]
    for report in (audit.verify(strict, key), audit.verify(floats, key)):
        assert (report.events, report.leaves, report.problems) == (5, 5, expected)
