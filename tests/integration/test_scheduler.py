"""The scheduler closes bidding once the deadline is past by the opening grace, once, and only
where it is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import psycopg
import pytest

from domain.rules import OPENING_GRACE
from domain.tender import TenderStatus
from procurement.commands.application import ProcurementApplication
from procurement.jobs import runners
from procurement.jobs.projection_runner import ProjectionJob
from procurement.jobs.scheduler import Scheduler
from procurement.settings import Settings
from procurement.store.database import eventsourcing_env
from tests.support import FakeClock, officer, terms, timeline


@pytest.fixture
def runner(settings: Settings) -> Iterator[ProjectionJob]:
    with ExitStack() as stack:
        started, *_ = runners.start_runners(eventsourcing_env(settings.dsn, 2), stack)
        yield started


def test_bidding_closes_once_the_grace_after_the_deadline(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    runner: ProjectionJob,
) -> None:
    works = officer()
    soon = application.draft_tender(works, terms(clock.now(), timeline=timeline(clock.now(), 16)))
    later = application.draft_tender(works, terms(clock.now(), timeline=timeline(clock.now(), 30)))
    application.publish_tender(works, soon.id, None)
    last = application.publish_tender(works, later.id, None)
    runner.wait(last.position, timeout=10)
    scheduler = Scheduler(application, settings.dsn)

    assert scheduler.run_once() == 0
    clock.advance(timedelta(days=16))
    # At the deadline, bids that arrived before it may still be being written: not yet.
    assert scheduler.run_once() == 0
    assert application.tender_for_officer(works, soon.id).status is TenderStatus.ACTIVE
    clock.advance(OPENING_GRACE)
    assert scheduler.run_once() == 1
    assert application.tender_for_officer(works, soon.id).status is TenderStatus.CLOSED
    assert application.tender_for_officer(works, later.id).status is TenderStatus.ACTIVE
    runner.wait(application.recorder.max_notification_id(), timeout=10)
    with psycopg.connect(settings.dsn) as conn:
        statuses: dict[object, object] = dict(
            conn.execute("SELECT tender_id, status FROM public_tenders").fetchall()
        )
    assert statuses == {soon.id: "closed", later.id: "active"}

    # The read model may lag behind the close: a second pass must change nothing.
    with psycopg.connect(settings.dsn) as conn:
        before = conn.execute("SELECT count(*) FROM procurement_events").fetchone()
    scheduler.run_once()
    with psycopg.connect(settings.dsn) as conn:
        after = conn.execute("SELECT count(*) FROM procurement_events").fetchone()
    assert before == after


def test_the_scheduler_thread_runs_and_stops(
    application: ProcurementApplication, settings: Settings, clock: FakeClock
) -> None:
    scheduler = Scheduler(application, settings.dsn, interval=0.05)
    scheduler.start()
    assert scheduler._periodic is not None
    thread = scheduler._periodic._thread
    assert thread is not None
    assert thread.is_alive()
    scheduler.stop()
    assert not thread.is_alive()
