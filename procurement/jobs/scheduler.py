"""Time-driven transitions, done by the platform and recorded as events.

Each pass asks the read model which tenders are due and runs the command on each; the
aggregate's guard makes every step idempotent (a tender already closed refuses quietly), and
a conflict with a concurrent write is retried on the next pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from domain.errors import InvalidStateError, VersionConflictError
from domain.rules import OPENING_GRACE
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.jobs.periodic import PeriodicJob
from projections.grievances_due import complaints_due
from projections.securities_due import securities_due
from projections.tenders_due import due_for_closing

log = logging.getLogger("procurement.scheduler")  # the name operators filter on


@dataclass
class Scheduler(PeriodicJob):
    application: ProcurementApplication
    dsn: str
    interval: float = 5.0
    name: str = "scheduler"

    def run_once(self) -> int:
        """One pass: close bidding on the tenders due, and mark the complaints and appeals
        past their decision date overdue; lapse the unanswered validity extensions and flag
        the securities not released in time. Returns the steps done."""
        return self._close_bidding() + self._mark_overdue() + self._securities()

    def _securities(self) -> int:
        """Extension answers not given before the old validity end lapse (as declined);
        unsuccessful bidders' securities not released in the rules' period are flagged."""
        done = 0
        now = self.application.clock.now()
        for tender_id in securities_due(self.dsn, now):
            try:
                done += self.application.securities_due(tender_id, system_actor("scheduler"))
            except (InvalidStateError, VersionConflictError) as refusal:
                log.info("scheduler: securities of %s not updated now: %s", tender_id, refusal)
        return done

    def _mark_overdue(self) -> int:
        """Complaints the grievance committee (or appeals the regulator) did not decide in
        the rules' time: marked overdue, in public, and the complainant may appeal."""
        done = 0
        now = self.application.clock.now()
        for tender_id in complaints_due(self.dsn, now):
            try:
                done += self.application.mark_complaints_overdue(
                    tender_id, system_actor("scheduler")
                )
            except (InvalidStateError, VersionConflictError) as refusal:
                log.info("scheduler: complaints of %s not marked now: %s", tender_id, refusal)
        return done

    def _close_bidding(self) -> int:
        """Close bidding on every tender whose deadline passed ``OPENING_GRACE``
        ago. Not at the deadline itself: bids that arrived before it may still be waiting
        for their write, and closing would refuse them (``_taking_bids``). Returns steps."""
        done = 0
        now = self.application.clock.now()
        for tender_id in due_for_closing(self.dsn, now - OPENING_GRACE):
            try:
                self.application.close_bidding(tender_id, request_id="scheduler")
            except (InvalidStateError, VersionConflictError) as refusal:
                log.info("scheduler: tender %s not closed now: %s", tender_id, refusal)
                continue
            done += 1
        return done
