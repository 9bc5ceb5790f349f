"""Time travel's snapshots: deltas that restore the aggregate exactly, and a MAC chain that
stops at the first row changed, removed, reordered or borrowed. No I/O."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate, event
from pydantic import BaseModel, ConfigDict

from domain.tender import Tender
from procurement.audit import snapshots
from tests.property.test_tender_machine import MAPPER
from tests.snapshot_check import KEY, attributes, orders
from tests.support import START, officer, terms, vendor
from tests.unit.test_tender import SPPRA, publish

TRANSCODER = MAPPER.transcoder


class Shelf(Aggregate):
    """A small aggregate whose dictionary loses keys and gets them back."""

    @event("Created")
    def __init__(self) -> None:
        self.items: dict[str, int] = {}
        self.tags: set[str] = set()
        self.note: Any = None

    @event("Put")
    def put(self, key: str, count: int) -> None:
        self.items[key] = count

    @event("Taken")
    def take(self, key: str) -> None:
        del self.items[key]

    @event("Tagged")
    def tag(self, tag: str) -> None:
        self.tags.add(tag)


def chain_of(aggregate: Aggregate) -> snapshots.Chain:
    return snapshots.Chain(aggregate.id, KEY, TRANSCODER)


def assert_restores(rows: list[tuple[int, str, bytes, bytes]], live: Aggregate) -> None:
    restored, chain = snapshots.restore(rows, live.id, KEY, TRANSCODER)
    assert restored is not None
    assert chain.broken_at is None
    assert attributes(restored) == attributes(live)
    assert orders(restored) == orders(live)


def busy_tender(questions: int) -> tuple[Tender, snapshots.Chain]:
    """A tender with questions asked and every other one answered, snapshotted after every
    event."""
    actor = officer("wsd")
    tender = Tender(id=uuid4(), entity="wsd", terms=terms(START), actor=actor, timestamp=START)
    publish(tender, SPPRA, START)
    chain = chain_of(tender)
    chain.record(tender)
    for n in range(questions):
        asked = uuid4()
        tender.ask_question(question_id=asked, text=f"q{n}", actor=vendor(), timestamp=START)
        chain.record(tender)
        if n % 2:
            tender.answer_question(question_id=asked, answer="a", actor=actor, timestamp=START)
            chain.record(tender)
    return tender, chain


def test_a_chain_of_deltas_restores_the_tender_with_its_questions_in_order() -> None:
    tender, chain = busy_tender(30)
    assert_restores(chain.new_rows, tender)
    assert len(chain.new_rows) == tender.version - 1  # one row per version from the second
    # Deltas, not copies: a question is in the row of the version that asked it, and in the
    # row of the version that answered it, and in no other.
    for question in tender.questions.values():
        holding = [v for v, _, state, _ in chain.new_rows if str(question.id).encode() in state]
        assert len(holding) == (1 if question.answer is None else 2)


def test_a_key_taken_and_put_again_keeps_its_place_at_the_end() -> None:
    shelf = Shelf()
    chain = chain_of(shelf)
    chain.record(shelf)
    for key in ("a", "b", "c"):
        shelf.put(key=key, count=1)
    chain.record(shelf)
    shelf.take(key="a")
    shelf.put(key="a", count=2)  # now last: a patch cannot say that, the row sets it whole
    shelf.tag(tag="y")
    shelf.tag(tag="x")
    chain.record(shelf)
    shelf.take(key="b")
    chain.record(shelf)
    assert list(shelf.items) == ["c", "a"]
    assert_restores(chain.new_rows, shelf)


def test_a_value_with_no_encoding_leaves_the_stream_without_snapshots() -> None:
    shelf = Shelf()
    shelf.note = object()
    chain = chain_of(shelf)
    chain.record(shelf)
    assert chain.disabled
    assert chain.new_rows == []


def _restored_version(rows: list[tuple[int, str, bytes, bytes]], aggregate_id: Any) -> Any:
    restored, chain = snapshots.restore(rows, aggregate_id, KEY, TRANSCODER)
    return (None if restored is None else restored.version), chain.broken_at


def test_the_chain_stops_at_the_first_row_changed_removed_reordered_or_borrowed() -> None:
    tender, chain = busy_tender(12)
    rows = list(chain.new_rows)
    v = [version for version, _, _, _ in rows]
    assert _restored_version(rows, tender.id) == (tender.version, None)

    changed = [*rows]
    version, topic, state, mac = changed[4]
    changed[4] = (version, topic, state.replace(b"q", b"Q", 1), mac)
    assert _restored_version(changed, tender.id) == (v[3], v[4])

    removed = rows[:4] + rows[5:]
    assert _restored_version(removed, tender.id) == (v[3], v[5])

    reordered = [*rows[:4], rows[5], rows[4], *rows[6:]]
    assert _restored_version(reordered, tender.id) == (v[3], v[5])

    # Another stream's rows, or this stream's under another key, fail from the first.
    assert _restored_version(rows, uuid4()) == (None, v[0])
    restored, other = snapshots.restore(
        rows, tender.id, b"another-key-of-thirty-two-bytes!", TRANSCODER
    )
    assert restored is None
    assert other.broken_at == v[0]


def test_accounts_are_never_snapshotted() -> None:
    assert not snapshots.snapshotted("procurement:Account.Registered")
    assert snapshots.snapshotted("procurement:Tender.QuestionAsked")


class Note(BaseModel):
    """Frozen, yet its list can change in place."""

    model_config = ConfigDict(frozen=True)
    tags: list[str]


class Box(Aggregate):
    @event("Created")
    def __init__(self) -> None:
        self.notes: dict[str, Note] = {}

    @event("Put")
    def put(self, key: str) -> None:
        self.notes[key] = Note(tags=[])

    @event("Tagged")
    def tag(self, key: str, tag: str) -> None:
        self.notes[key].tags.append(tag)


def test_a_dictionary_of_values_that_change_in_place_is_stored_whole() -> None:
    """A patch compares entries by identity: it would miss a frozen model's list growing."""
    box = Box()
    box.put(key="k")
    chain = chain_of(box)
    chain.record(box)
    box.tag(key="k", tag="late")
    chain.record(box)
    assert_restores(chain.new_rows, box)
    assert box.notes["k"].tags == ["late"]


def test_snapshots_are_on_in_a_source_tree() -> None:
    # The code hashed besides the domain is found by module name, wherever its wing puts it:
    # a file missing from the list would turn snapshots off without a word.
    sources = snapshots._sources()
    assert snapshots.enabled()
    assert all(path.is_file() for path in sources)
    expected = {"snapshots.py", "snapshot_shapes.py", "history.py", "transcodings.py"}
    assert {path.name for path in sources} >= expected
