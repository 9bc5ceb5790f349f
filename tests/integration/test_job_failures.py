"""The background jobs other than projections fail loudly the same way (the ledger writer
here; the scheduler and the snapshots run on the same ``Periodic``)."""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg.rows import dict_row

from procurement.commands.application import ProcurementApplication
from procurement.jobs import runners
from procurement.settings import Settings
from tests.support import FakeClock, officer, terms


def recorded(dsn: str, job: str) -> dict[str, Any] | None:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute("SELECT * FROM job_failures WHERE job = %s", (job,)).fetchone()


def until(probe: Any, what: str) -> Any:
    """Poll until ``probe`` answers; a generous bound so that a broken test ends."""
    for _ in range(1200):
        if found := probe():
            return found
        time.sleep(0.025)
    raise AssertionError(f"never: {what}")


def test_a_ledger_that_cannot_sign_is_a_failing_job_until_it_can(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    application.draft_tender(officer("wsd"), terms(clock.now()))
    with psycopg.connect(settings.dsn) as conn:  # it signed a tree no checkpoint is left of
        conn.execute("UPDATE ledger_state SET signed_size = 5")
    writer = runners.ledger_writer(settings, application, clock)
    writer.poll_interval = 0.05
    writer.start()
    try:
        failure = until(lambda: recorded(settings.dsn, "ledger"), "the refusal recorded")
        assert failure["error"] == "LedgerError"
        assert failure["message"].startswith("the ledger signed checkpoint 5 but the newest")
        assert (failure["position"], failure["resolved_at"]) == (None, None)
        with psycopg.connect(settings.dsn) as conn:
            conn.execute("UPDATE ledger_state SET signed_size = 0")
        until(
            lambda: (found := recorded(settings.dsn, "ledger")) and found["resolved_at"],
            "the failure resolved",
        )
    finally:
        writer.stop()
