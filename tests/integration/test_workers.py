"""Background jobs across processes: one holder per job through advisory locks, a takeover
when the holder dies, and read models that end equal to a rebuild after kill -9 at random
points while events stream in."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from procurement.commands.application import ProcurementApplication
from procurement.jobs import runners
from procurement.jobs.coordination import Singleton
from procurement.settings import Settings
from procurement.store.database import eventsourcing_env
from projections.ocds.releases_projection import TABLES as OCDS_TABLES
from projections.public_tenders import TABLES as PUBLIC_TABLES
from tests.support import FakeClock, officer, terms


def _wait(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.05)


def test_one_holder_per_job_and_a_takeover_when_it_stops(settings: Settings) -> None:
    runs: list[str] = []

    def job(name: str) -> Any:
        def start() -> Any:
            runs.append(name)
            return lambda: runs.append(f"{name} stopped")

        return start

    first = Singleton(settings.dsn, "test-job", job("first"), heartbeat=0.1)
    second = Singleton(settings.dsn, "test-job", job("second"), heartbeat=0.1)
    first.start()
    _wait(first.holding.is_set)
    second.start()
    time.sleep(0.5)
    assert not second.holding.is_set()
    first.stop()  # its session ends: the lock is free
    _wait(second.holding.is_set, 5)
    second.stop()
    assert runs == ["first", "first stopped", "second", "second stopped"]


@pytest.fixture
def worker_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    assert settings.jwt_secret
    assert settings.sealing_kek
    assert settings.signing_key
    return {
        **os.environ,
        "DATABASE_URL": settings.dsn,
        "PROCUREMENT_DATA_DIR": str(tmp_path / "data"),
        "PROCUREMENT_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "PROCUREMENT_SEALING_KEK": settings.sealing_kek.get_secret_value(),
        "PROCUREMENT_SIGNING_KEY": settings.signing_key.get_secret_value(),
        "PROCUREMENT_LOG_LEVEL": "WARNING",
        "PROCUREMENT_SCHEDULER_INTERVAL": "1",
    }


@pytest.fixture
def workers(worker_env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                process.kill()


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (our own command line, fixed arguments)
        [str(Path(sys.executable).parent / "procurement"), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _positions(dsn: str) -> tuple[int, int, int]:
    with psycopg.connect(dsn) as conn:
        head = conn.execute("SELECT coalesce(max(notification_id), 0) FROM procurement_events")
        public = conn.execute(
            "SELECT coalesce(max(notification_id), 0) FROM public_tenders_tracking"
        )
        ocds = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ocds_releases_tracking")
        return (
            int(head.fetchone()[0]),  # type: ignore[index]
            int(public.fetchone()[0]),  # type: ignore[index]
            int(ocds.fetchone()[0]),  # type: ignore[index]
        )


def _snapshot(dsn: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(dsn) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608
            for table in (*PUBLIC_TABLES, *OCDS_TABLES)
        }


def test_kill_9_at_random_points_leaves_read_models_equal_to_a_rebuild(
    settings: Settings,
    application: ProcurementApplication,
    clock: FakeClock,
    worker_env: dict[str, str],
    workers: list[subprocess.Popen[bytes]],
) -> None:
    workers.extend(_start_worker(worker_env) for _ in range(2))
    done = threading.Event()
    works = officer("wsd")

    def stream() -> None:
        try:
            for n in range(40):
                drafted = application.draft_tender(works, terms(clock.now(), reference=f"K/{n}"))
                application.publish_tender(works, drafted.id, None)
                if n % 3 == 0:
                    application.amend_tender(works, drafted.id, f"Addendum {n}", None, None)
                time.sleep(0.02)
        finally:
            done.set()

    writer = threading.Thread(target=stream)
    writer.start()
    chance = random.Random(7)  # noqa: S311 (reproducible "random points", not a secret)
    while not done.is_set():
        time.sleep(chance.uniform(0.2, 0.6))
        victim = workers.pop(chance.randrange(len(workers)))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        workers.append(_start_worker(worker_env))
    writer.join()

    _wait(lambda: len(set(_positions(settings.dsn))) == 1, 60)  # both caught up with the store
    live = _snapshot(settings.dsn)
    assert len(live["public_tenders"]) == 40
    assert len(live["ocds_releases"]) == 40 + 14  # one per publication and per addendum
    for process in workers:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
    runners.rebuild(eventsourcing_env(settings.dsn, 2), context=runners.ocds_context(settings))
    assert _snapshot(settings.dsn) == live
