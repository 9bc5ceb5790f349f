"""The offline verifier on hand-made exports: it reports, it never crashes."""

from __future__ import annotations

import base64
import hashlib
import json
from uuid import uuid4

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
