"""A background job's stop returns only once its threads are gone: after that, another process
may take the job over (or a test empty the tables), and a late write would be a second
writer."""

from __future__ import annotations

import threading

from procurement.commands.application import ProcurementApplication
from procurement.jobs.runners import jobs
from procurement.settings import Settings
from tests.support import FakeClock


def test_stopping_a_projection_job_waits_for_its_threads(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    found = jobs(settings, application, clock, projections_and_ledger=True, scheduler=False)
    projection_jobs = [start for name, start in found.items() if name.startswith("projection:")]
    assert projection_jobs
    for start in projection_jobs:
        before = set(threading.enumerate())
        stop = start()
        assert set(threading.enumerate()) - before, "the job started no thread"
        stop()
        left = {t for t in set(threading.enumerate()) - before if not t.name.startswith("pool-")}
        assert left == set()  # (a closed connection pool's workers end by themselves)
