"""A check shared by the aggregates' state machines: the aggregate restored from its snapshot
chain equals the live one, attribute by attribute and in each dictionary's order."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoder

from procurement.audit import snapshots

KEY = b"snapshot-test-key-of-32-bytes!!!"


def attributes(aggregate: Aggregate) -> dict[str, Any]:
    return {name: value for name, value in vars(aggregate).items() if name != "_pending_events"}


def orders(aggregate: Aggregate) -> dict[str, list[Any]]:
    return {name: list(value) for name, value in vars(aggregate).items() if type(value) is dict}


class SnapshotWatch:
    """Records snapshots of the aggregate as it is shown, and restores them: one chain takes
    every version, another every third or so, so that a row holds several events' changes
    (a dictionary emptied and filled again in another order, a key taken and put back)."""

    def __init__(self, transcoder: Transcoder) -> None:
        self.transcoder = transcoder
        self.chains: dict[int, snapshots.Chain] = {}

    def check(self, live: Aggregate) -> None:
        for step in (1, 3):
            chain = self.chains.setdefault(step, snapshots.Chain(live.id, KEY, self.transcoder))
            if live.version - chain.version < step:
                continue
            chain.record(live)
            assert not chain.disabled, f"a {type(live).__name__} could not be snapshotted"
            restored, read = snapshots.restore(chain.new_rows, live.id, KEY, self.transcoder)
            assert restored is not None
            assert read.broken_at is None
            assert type(restored) is type(live)
            assert restored.version == live.version
            rebuilt, current = attributes(restored), attributes(live)
            differ = sorted(n for n in {*rebuilt, *current} if rebuilt.get(n) != current.get(n))
            assert not differ, f"the restored {type(live).__name__} differs in {differ}"
            assert orders(restored) == orders(live)
            assert list(vars(restored)) == list(vars(live)), "attributes in another order"
