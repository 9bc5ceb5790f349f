"""A check shared by the aggregates' state machines: the aggregate restored from its snapshot
chain equals the live one, attribute by attribute and in each dictionary's order."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoder

from procurement import snapshots

KEY = b"snapshot-test-key-of-32-bytes!!!"


def attributes(aggregate: Aggregate) -> dict[str, Any]:
    return {name: value for name, value in vars(aggregate).items() if name != "_pending_events"}


def orders(aggregate: Aggregate) -> dict[str, list[Any]]:
    return {name: list(value) for name, value in vars(aggregate).items() if type(value) is dict}


class SnapshotWatch:
    """Records a snapshot of the aggregate at each version it is shown, and restores it."""

    def __init__(self, transcoder: Transcoder) -> None:
        self.transcoder = transcoder
        self.chain: snapshots.Chain | None = None

    def check(self, live: Aggregate) -> None:
        if self.chain is None:
            self.chain = snapshots.Chain(live.id, KEY, self.transcoder)
        self.chain.record(live)
        assert not self.chain.disabled, f"a {type(live).__name__} could not be snapshotted"
        restored, chain = snapshots.restore(self.chain.new_rows, live.id, KEY, self.transcoder)
        assert restored is not None
        assert chain.broken_at is None
        assert type(restored) is type(live)
        assert restored.version == live.version
        rebuilt, current = attributes(restored), attributes(live)
        differ = sorted(n for n in {*rebuilt, *current} if rebuilt.get(n) != current.get(n))
        assert not differ, f"the restored {type(live).__name__} differs in {differ}"
        assert orders(restored) == orders(live)
        assert list(vars(restored)) == list(vars(live)), "the attributes are in another order"
