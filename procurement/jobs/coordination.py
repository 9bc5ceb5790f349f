"""Exactly one of each background job across every process and machine, through PostgreSQL
advisory locks.

Each job (a projection, the ledger writer, the scheduler, the snapshots) has its own lock. Every
process that may run jobs (``serve`` and ``worker``) keeps trying to take each lock on its own
connection; the one that holds it runs the job, and checks every ``heartbeat`` seconds that its
connection (so its lock) is alive. If that process dies, PostgreSQL ends its session and frees
the lock, and another process takes the job over at its next try, within seconds. If the
holder loses its connection, it stops the job first, so two holders never run at once for
longer than a heartbeat. A job that fails while it runs says so itself
(``procurement/jobs/failures.py``); one that cannot even start is logged here, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from procurement.store.database import lock_key

log = logging.getLogger("procurement.coordination")  # the name operators filter on

Stop = Callable[[], None]
Start = Callable[[], Stop]


@dataclass
class Singleton:
    """One job that runs in exactly one process at a time."""

    dsn: str
    name: str
    start_job: Start
    heartbeat: float = 1.0
    holding: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"lock:{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        failure = ""
        while not self._stop.is_set():
            try:
                self._hold_once()
            except (psycopg.Error, OSError) as error:
                log.warning("job %s: lost its database connection: %s", self.name, error)
            except Exception as error:
                if repr(error) != failure:  # logged once, not at every heartbeat
                    log.exception("job %s: could not start", self.name)
                failure = repr(error)
            self._stop.wait(self.heartbeat)

    def _hold_once(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(self.name),)).fetchone()
            if not row or not row[0]:
                return
            log.info("job %s: taken by this process", self.name)
            stop_job = self.start_job()
            self.holding.set()
            try:
                while not self._stop.wait(self.heartbeat):
                    conn.execute("SELECT 1")  # the session, so the lock, is alive
            finally:
                self.holding.clear()
                stop_job()
                log.info("job %s: released by this process", self.name)


@dataclass
class Coordinator:
    """The background jobs of one process, each under its own lock."""

    dsn: str
    jobs: dict[str, Start]
    heartbeat: float = 1.0
    singletons: list[Singleton] = field(default_factory=list)

    def start(self) -> None:
        for name, start in self.jobs.items():
            singleton = Singleton(self.dsn, name, start, self.heartbeat)
            singleton.start()
            self.singletons.append(singleton)

    def stop(self) -> None:
        for singleton in self.singletons:
            singleton.stop()

    def held(self) -> list[str]:
        return [s.name for s in self.singletons if s.holding.is_set()]
