"""Time-driven transitions, done by the platform and recorded as events.

Each pass asks the read model which tenders are due and runs the command on each; the
aggregate's guard makes every step idempotent (a tender already closed refuses quietly), and
a conflict with a concurrent write is retried on the next pass.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from domain.errors import InvalidStateError, VersionConflictError
from procurement.application import ProcurementApplication
from projections.schedule import due_for_closing

log = logging.getLogger(__name__)


@dataclass
class Scheduler:
    application: ProcurementApplication
    dsn: str
    interval: float = 5.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass: close bidding on every tender whose deadline has passed. Returns steps."""
        done = 0
        for tender_id in due_for_closing(self.dsn, self.application.clock.now()):
            try:
                self.application.close_bidding(tender_id, request_id="scheduler")
            except (InvalidStateError, VersionConflictError) as refusal:
                log.info("scheduler: tender %s not closed now: %s", tender_id, refusal)
                continue
            done += 1
        return done

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:
                # A database outage must not kill the loop; the next pass retries.
                log.exception("scheduler pass failed")
