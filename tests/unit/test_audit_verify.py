"""The offline verifier on hand-made exports: it reports, it never crashes."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from procurement.audit import export as audit_export
from procurement.audit import merkle
from procurement.audit import verify as audit
from procurement.audit.ledger import checkpoint_fields, event_leaf
from procurement.crypto.receipts import ReceiptSigner

SIGNER = ReceiptSigner(bytes(range(32)))
KEY = SIGNER.public_key


def _line(document: dict[str, object]) -> str:
    return json.dumps(document)


def _header() -> str:
    """The export's first line, as ``audit_export.export_lines`` writes it."""
    header = {"type": "header", "format": audit_export.FORMAT, "version": 1, "origin": "o"}
    return _line({**header, "public_key": KEY, "leaf_encoding": "SPL1"})


def _checkpoint(events: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """A checkpoint signed over the first ``size`` of ``events``' leaves."""
    leaves = [bytes.fromhex(e["leaf_hash"]) for e in events[:size]]
    at = datetime(2026, 12, 21, tzinfo=UTC)
    return SIGNER.sign(checkpoint_fields("o", size, merkle.root(leaves), at))


def test_an_unreadable_state_is_reported_at_its_position() -> None:
    state = b"\xff\xfe not JSON"
    aggregate = uuid4()
    topic = "procurement:Bid.BidSubmitted"
    event = {
        "type": "event",
        "position": 7,
        "leaf_index": 0,
        "leaf_hash": event_leaf(7, aggregate, 1, topic, state).hex(),
        "aggregate_id": str(aggregate),
        "version": 1,
        "topic": topic,
        "state_sha256": hashlib.sha256(state).hexdigest(),
        "state": base64.b64encode(state).decode(),
        "redacted": False,
    }
    lines = [
        _header(),
        _line(event),
        _line(_checkpoint([event], 1)),
    ]
    report = audit.verify(lines, KEY)
    assert report.first_problem == (7, "the event's state is not the JSON it should be")
    assert report.leaves == 1


def test_a_file_that_is_not_an_export_is_refused() -> None:
    report = audit.verify([_line({"type": "event"})], "key")
    assert report.first_problem is not None
    assert report.first_problem[0] == 0


def _event(
    position: int,
    index: int,
    aggregate: str,
    state: bytes,
    topic: str = "procurement:Tender.QuestionAsked",
) -> dict[str, Any]:
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
    header = _header()
    checkpoint = _line(_checkpoint(events, 5))
    strict = [header, *(_line(e) for e in events), checkpoint]
    floats = [
        header,
        *(_line({**e, "position": float(e["position"])}) for e in events),
        checkpoint,
    ]
    expected = [
        (5, "the event's state does not match its digest"),
        (5, "the stored event differs from what the ledger hashed"),
    ]
    for report in (audit.verify(strict, KEY), audit.verify(floats, KEY)):
        assert (report.events, report.leaves, report.problems) == (5, 5, expected)


# Coverage and pinning ----------------------------------------------------------------------


def _export(count: int, sizes: tuple[int, ...], *, unhashed: int = 0) -> list[str]:
    """``count`` hashed events (positions 1, 2, ...), ``unhashed`` more the ledger has not
    hashed yet, and a signed checkpoint at each of ``sizes``."""
    ids = [uuid4() for _ in range(count + unhashed)]
    events = [_event(i + 1, i, str(ids[i]), b'{"n": %d}' % i) for i in range(count)]
    later = [
        {**_event(i + 1, i, str(ids[i]), b"{}"), "leaf_index": None, "leaf_hash": None}
        for i in range(count, count + unhashed)
    ]
    return [
        _header(),
        *(_line(e) for e in [*events, *later]),
        *(_line(_checkpoint(events, size)) for size in sizes),
    ]


def test_events_after_the_latest_checkpoint_are_counted_not_failed() -> None:
    report = audit.verify(_export(10, (4, 7), unhashed=2), KEY)
    assert report.ok, report.problems
    assert (report.covered, report.uncovered, report.unhashed) == (7, 5, 2)
    assert report.first_uncovered == 8
    covered = audit.verify(_export(6, (6,)), KEY)
    assert (covered.ok, covered.covered, covered.uncovered, covered.first_uncovered) == (
        True,
        6,
        0,
        None,
    )


def test_events_with_no_signed_checkpoint_at_all_are_not_ok() -> None:
    """The reviewer's export: every checkpoint deleted, events rewritten with their leaves."""
    for report in (
        audit.verify(_export(3, ()), KEY),
        audit.verify(_export(0, (), unhashed=2), KEY),
    ):
        assert report.first_problem == (
            1,
            "no signed checkpoint covers the events: nothing is signed",
        )
        assert report.covered == 0
    forged = _export(3, ())
    unsigned = ReceiptSigner(bytes(32)).sign(
        checkpoint_fields("o", 3, bytes(32), datetime.now(UTC))
    )
    report = audit.verify([*forged, _line(unsigned)], KEY)
    assert (1, "no signed checkpoint covers the events: nothing is signed") in report.problems
    assert audit.verify(_export(0, ()), KEY).ok  # nothing stored, nothing to sign


def test_a_pinned_checkpoint_the_export_extends_verifies() -> None:
    lines = _export(10, (10,))
    kept = json.loads(_export(10, (4,))[-1])  # another export's events: another root
    honest = [json.loads(line) for line in lines[1:5]]
    pinned = _checkpoint(honest, 4)
    report = audit.verify(lines, KEY, pinned)
    assert report.ok, report.problems
    assert report.pinned == 4
    inconsistent = audit.verify(lines, KEY, kept)
    assert inconsistent.problems == [
        (
            4,
            (
                "the export is inconsistent with the pinned checkpoint 4: "
                "its first 4 leaves do not give the pinned root"
            ),
        )
    ]


def test_a_pinned_checkpoint_beyond_the_export_or_unsigned_is_a_problem() -> None:
    lines = _export(10, (10,))
    events = [json.loads(line) for line in lines[1:11]]
    longer = _checkpoint([*events, _event(11, 10, str(uuid4()), b"{}")], 11)
    assert audit.verify(lines, KEY, longer).problems == [
        (10, "the export has 10 leaves, fewer than the pinned checkpoint 11 covers")
    ]
    forged = {**_checkpoint(events, 10), "time": "2030-01-01T00:00:00Z"}
    assert audit.verify(lines, KEY, forged).problems == [
        (0, "the pinned checkpoint 10 is not signed by the platform's key")
    ]
    assert audit.verify(lines, KEY, {"tree_size": "ten"}).problems == [
        (0, "the pinned checkpoint is not a checkpoint (no tree_size and root)")
    ]


# Openings: the released keys ----------------------------------------------------------------


def _raw(key: X25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes_raw()).decode()


def _opening(published: str | None, released: str, *, envelope: str = "bid") -> list[str]:
    """A tender published with the public key ``published`` (no publication when None), then
    opened with no bids, releasing ``released`` for ``envelope``."""
    tender = str(uuid4())
    keys = {"keys": [{"envelope": "bid", "public_key": published}]}
    released_keys = [{"envelope": envelope, "private_key": released}]
    record = {"envelope": "bid", "keys": released_keys, "bids": []}
    publication = {
        "notice": {"lots": [{"id": "1"}]},
        "sealing_keys": {"_data_": keys, "_type_": "k"},
    }
    states = [
        ("procurement:Tender.TenderPublished", publication),
        (
            "procurement:Tender.BidsOpened",
            {"record": {"_type_": "opening_record", "_data_": record}},
        ),
    ]
    if published is None:
        states = states[1:]
    events = [
        _event(i + 1, i, tender, json.dumps(state).encode(), topic)
        for i, (topic, state) in enumerate(states)
    ]
    return [
        _header(),
        *(_line(e) for e in events),
        _line(_checkpoint(events, len(events))),
    ]


def test_a_released_key_is_checked_against_the_published_one() -> None:
    key = X25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    honest = audit.verify(_opening(public, _raw(key)), KEY)
    assert honest.ok, honest.problems
    assert honest.openings == 1
    lines = _opening(public, _raw(X25519PrivateKey.generate()))
    tender = json.loads(lines[1])["aggregate_id"]
    mismatch = f"tender {tender}: the released key of envelope bid is not the one it published"
    assert audit.verify(lines, KEY).problems == [(2, mismatch)]
    for not_a_key in ("AAAA", "not base64!"):  # three bytes; no key at all: reported, no crash
        lines = _opening(public, not_a_key)
        tender = json.loads(lines[1])["aggregate_id"]
        assert audit.verify(lines, KEY).problems == [
            (2, f"tender {tender}: the released key of envelope bid is not the one it published")
        ]


def test_a_released_key_with_nothing_published_to_check_it_against_is_a_problem() -> None:
    key = X25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    lines = _opening(None, _raw(key))
    tender = json.loads(lines[1])["aggregate_id"]
    assert audit.verify(lines, KEY).problems == [
        (1, f"tender {tender}: no published sealing keys to check the released ones against")
    ]
    lines = _opening(public, _raw(key), envelope="financial")  # not the envelope opened
    tender = json.loads(lines[1])["aggregate_id"]
    assert audit.verify(lines, KEY).problems == [
        (2, f"tender {tender}: the released key of envelope financial is not the one it published"),
        (2, f"tender {tender}: no key of envelope bid is released"),
    ]


def _documents_export(*states: tuple[str, bytes]) -> list[str]:
    """An export of one tender's events (topic, state), all under a checkpoint."""
    tender = str(uuid4())
    events = [
        _event(position, position - 1, tender, state, topic)
        for position, (topic, state) in enumerate(states, start=1)
    ]
    return [_header(), *map(_line, events), _line(_checkpoint(events, len(events)))]


def test_the_documents_check_asks_for_each_file_once_and_reads_no_documents_in_old_events() -> None:
    file = {"sha256": "ab" * 32}
    document = str(uuid4())
    published = {"documents": {"_type_": "notice_documents", "_data_": {"items": []}}}
    added = {"action": "add", "document_id": document, "file": file}
    replaced = {"action": "replace", "document_id": document, "file": file}
    lines = _documents_export(
        (
            "procurement:Tender.DraftDocumentsChanged",
            json.dumps({"changes": {"items": [added]}}).encode(),
        ),
        ("procurement:Tender.TenderPublished", json.dumps(published).encode()),
        ("procurement:Tender.TenderAmended", json.dumps({"text": "old, no documents"}).encode()),
        (
            "procurement:Tender.TenderAmended",
            json.dumps({"documents": {"items": [replaced]}}).encode(),
        ),
    )
    asked: list[list[str]] = []

    def check(hashes: list[str]) -> dict[str, str | None]:
        asked.append(hashes)
        return dict.fromkeys(hashes, "missing from the document store")

    report = audit.verify(lines, KEY, documents=check)
    assert asked == [[file["sha256"]]]
    assert (report.documents, report.document_files) == (2, 1)
    assert [problem.split(",")[0] for problem in report.document_problems] == [
        f"document {document} version 1 (SHA-256 {file['sha256']})",
        f"document {document} version 2 (SHA-256 {file['sha256']})",
    ]
    named = [at for at, what in report.problems if what.startswith("document ")]
    assert named == [1, 4]  # (the hand-made notice has no keys: the openings' check says so)


def test_documents_an_event_cannot_name_are_reported_at_its_position() -> None:
    lines = _documents_export(
        (
            "procurement:Tender.TenderAmended",
            json.dumps({"documents": {"items": [{"file": {}}]}}).encode(),
        ),
    )
    report = audit.verify(lines, KEY, documents=dict.fromkeys)  # every file intact
    assert report.problems == [
        (1, "the documents procurement:Tender.TenderAmended names are not readable")
    ]


def test_a_bids_sealed_documents_in_the_opening_record_are_checked_by_their_blob() -> None:
    bid = str(uuid4())
    blob = "cd" * 32
    record = {
        "record": {
            "_type_": "opening_record",
            "_data_": {
                "envelope": "bid",
                "keys": [],
                "bids": [
                    {
                        "bid_id": bid,
                        "status": "opened",
                        "attachments": [
                            {"name": "plan.pdf", "blob": blob, "sha256": "ef" * 32, "size": 9}
                        ],
                    }
                ],
            },
        }
    }
    lines = _documents_export(("procurement:Tender.BidsOpened", json.dumps(record).encode()))
    asked: list[list[str]] = []

    def check(hashes: list[str]) -> dict[str, str | None]:
        asked.append(hashes)
        return dict.fromkeys(hashes, "missing from the document store")

    report = audit.verify(lines, KEY, documents=check)
    assert asked == [[blob]]
    assert report.document_problems[0].startswith(
        f"bid {bid}'s sealed document 'plan.pdf' (blob SHA-256 {blob}), named by BidsOpened"
    )
