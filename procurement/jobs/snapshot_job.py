"""The worker's job that keeps time travel's snapshots up to date, so that an auditor's first
question about a long stream finds them made (``procurement/audit/snapshots.py``).

Each pass reads which streams reached a multiple of ``snapshots.INTERVAL`` since the last pass
(an event at such a version), and extends each one's chain. Snapshots are a cache: a stream this job
misses (a write committed out of order with its position, a crash between passes) is
snapshotted by its next event's pass, or by the first time travel that replays it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

import psycopg

from procurement.audit import history, snapshots
from procurement.commands.application import ProcurementApplication
from procurement.jobs.periodic import PeriodicJob
from procurement.store.recorder import EventReads

log = logging.getLogger("procurement.snapshotter")  # the name operators filter on


@dataclass
class Snapshotter(PeriodicJob):
    application: ProcurementApplication
    dsn: str
    interval: float = 2.0
    position: int = 0  # the newest event seen; from the start of the store after a restart
    swept: bool = False
    name: str = "snapshots"

    def run_once(self) -> int:
        """One pass; returns the snapshot rows written. The first also deletes the rows made
        by other domain code (an earlier deployment's), which nothing reads any more."""
        if not snapshots.enabled():
            return 0
        if not self.swept:
            with psycopg.connect(self.dsn) as conn:
                conn.execute(
                    "DELETE FROM history_snapshots WHERE fingerprint <> %s",
                    (snapshots.fingerprint(),),
                )
            self.swept = True
        written = 0
        for aggregate_id in self._due():
            try:
                written += history.snapshot(self.application, aggregate_id)
            except Exception:
                log.exception("snapshots of %s not made", aggregate_id)
        return written

    def _due(self) -> list[UUID]:
        """The streams with an event at a multiple of the interval since the last pass; the
        position moves to the store's newest event, so a pass reads only what is new."""
        with psycopg.connect(self.dsn) as conn, conn.cursor() as cursor:
            reads = EventReads(cursor)
            upto = reads.head()
            due = reads.streams_at_multiples(
                self.position, upto, snapshots.INTERVAL, list(snapshots.EXCLUDED_TOPICS)
            )
        self.position = max(self.position, upto)
        return due
