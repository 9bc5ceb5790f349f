"""Group commit for the hot write path (bids at the deadline).

Each insert into the event table takes a table lock, so one event per transaction runs at
about a thousand a second however many threads call ``save``; a hundred events in one
transaction run at about twenty times that (DESIGN.md). The batcher lets concurrent callers
hand over their aggregates; one writer thread saves everything queued in one transaction.
While it commits, new bids queue up, so the busier the rush the bigger the batches, and an
idle platform adds no waiting (a fixed window only delayed a CPU-bound server: see
docs/benchmarks.md). If that transaction meets a conflict, its members are saved one by one, so only
the conflicting caller fails. Every caller waits for its own outcome: nothing is acknowledged
before it is committed.

A caller may name the versions of other aggregates its write was decided from (a bid: its
tender's version). The batch's transaction checks them all after taking the table lock
(``procurement/recorder.py``); a member whose read is stale gets ``StaleReadError`` and
nothing of it is written, while the rest of the batch is saved.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from procurement.recorder import StaleReadError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from uuid import UUID

    from eventsourcing.application import Application


@dataclass(frozen=True)
class _Item:
    aggregate: Aggregate
    expected: Mapping[UUID, int]
    """The versions of other aggregates the write was decided from."""
    tender_bids: Mapping[UUID, UUID]
    """The bids the write creates, by tender (``procurement/recorder.py``)."""
    outcome: Future[Saved]


@dataclass(frozen=True)
class _Pending:
    item: _Item
    events: Sequence[Any]


@dataclass(frozen=True)
class Saved:
    version: int
    position: int


class GroupCommitter:
    def __init__(
        self, application: Application[UUID], window: float = 0.0, max_batch: int = 64
    ) -> None:
        self._application = application
        self._window = window
        self._max_batch = max_batch
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def save(
        self,
        aggregate: Aggregate,
        expected_versions: Mapping[UUID, int] | None = None,
        tender_bids: Mapping[UUID, UUID] | None = None,
    ) -> Saved:
        """Save ``aggregate`` in the next batch, provided the aggregates in
        ``expected_versions`` are still at those versions then; raise what its own save
        would raise (``StaleReadError`` if they are not)."""
        return self.submit(aggregate, expected_versions, tender_bids).result()

    def submit(
        self,
        aggregate: Aggregate,
        expected_versions: Mapping[UUID, int] | None = None,
        tender_bids: Mapping[UUID, UUID] | None = None,
    ) -> Future[Saved]:
        """Hand ``aggregate`` over without waiting: the future gets the outcome. Once handed
        over it is written or refused like the rest of its batch: the future cannot be
        cancelled (a caller that stops waiting, e.g. a request whose client went away, does
        not take its batch's outcomes with it)."""
        outcome: Future[Saved] = Future()
        outcome.set_running_or_notify_cancel()
        self._queue.put(_Item(aggregate, expected_versions or {}, tender_bids or {}, outcome))
        return outcome

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join()
        # Anything handed over after the stop is refused, never left waiting.
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item.outcome.set_exception(RuntimeError("the platform is shutting down"))

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = self._collect(batch)
            try:
                self._commit(batch)
            except BaseException as error:  # noqa: BLE001 (the writer outlives any batch)
                for item in batch:
                    if not item.outcome.done():
                        item.outcome.set_exception(error)
            if stopping:
                return

    def _collect(self, batch: list[_Item]) -> bool:
        """Add what is queued (or arrives within the window); True if a stop arrived."""
        while len(batch) < self._max_batch:
            try:
                item = (
                    self._queue.get(timeout=self._window)
                    if self._window > 0
                    else self._queue.get_nowait()
                )
            except queue.Empty:
                return False
            if item is None:
                return True
            batch.append(item)
        return False

    def _commit(self, batch: list[_Item]) -> None:
        # Take the pending events out first: a failed save would otherwise lose them.
        pending = [_Pending(item, item.aggregate.collect_events()) for item in batch]
        ids = [item.aggregate.id for item in batch]
        expected = _merged([item.expected for item in batch])
        together = len(set(ids)) == len(ids) and expected is not None
        if together and self._commit_together(pending, expected or {}):
            return
        self._commit_one_by_one(pending)

    def _commit_together(self, batch: list[_Pending], expected: Mapping[UUID, int]) -> bool:
        """One transaction for the whole batch; False if somebody in it conflicts."""
        try:
            recordings = self._application.save(
                *(e for member in batch for e in member.events),
                expected_versions=expected,
                tender_bids={
                    bid: tender
                    for member in batch
                    for bid, tender in member.item.tender_bids.items()
                },
            )
        except (IntegrityError, StaleReadError):
            return False
        except Exception as error:  # noqa: BLE001 (handed to every waiting caller)
            for member in batch:
                member.item.outcome.set_exception(error)
            return True
        positions: dict[object, int] = {}
        for recording in recordings:
            key = recording.domain_event.originator_id
            positions[key] = max(positions.get(key, 0), recording.notification.id)
        for member in batch:
            aggregate = member.item.aggregate
            member.item.outcome.set_result(Saved(aggregate.version, positions[aggregate.id]))
        return True

    def _commit_one_by_one(self, batch: list[_Pending]) -> None:
        for member in batch:
            item = member.item
            try:
                recordings = self._application.save(
                    *member.events, expected_versions=item.expected, tender_bids=item.tender_bids
                )
            except Exception as error:  # noqa: BLE001 (handed to its caller)
                item.outcome.set_exception(error)
            else:
                position = max(r.notification.id for r in recordings)
                item.outcome.set_result(Saved(item.aggregate.version, position))


def _merged(expectations: Sequence[Mapping[UUID, int]]) -> dict[UUID, int] | None:
    """Every member's expected versions in one mapping; None if two members expect
    different versions of the same aggregate (they cannot both be right)."""
    merged: dict[UUID, int] = {}
    for expected in expectations:
        for aggregate_id, version in expected.items():
            if merged.setdefault(aggregate_id, version) != version:
                return None
    return merged
