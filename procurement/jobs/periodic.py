"""A background thread that runs one step every few seconds until it is stopped, and outlives
the step's failures (a database outage must not end it: the next pass retries). A failure is
reported to the job's ``JobHealth`` (``procurement/jobs/failures.py``): logged once, recorded for
``/metrics`` and ``procurement projections status``, and the next pass waits the back-off when
that is longer than the interval."""

from __future__ import annotations

import threading
from collections.abc import Callable

from procurement.jobs.failures import Backoff, JobHealth, connect_to


class Periodic:
    def __init__(
        self,
        name: str,
        interval: float,
        step: Callable[[], object],
        dsn: str,
        backoff: Backoff | None = None,
    ) -> None:
        self.name = name
        self.interval = interval
        self.step = step
        self.health = JobHealth(connect_to(dsn), name, backoff)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        delay = self.interval
        while not self._stop.wait(delay):
            try:
                self.step()
            except Exception as error:  # noqa: BLE001 (reported, then tried again)
                delay = max(self.interval, self.health.failed(error))
            else:
                self.health.succeeded()
                delay = self.interval


class PeriodicJob:
    """A job that runs ``run_once`` every ``interval`` seconds once started (the scheduler,
    the snapshots): ``start`` and ``stop`` as the coordinator calls them."""

    name: str
    interval: float
    dsn: str
    _periodic: Periodic | None = None

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> None:
        self._periodic = Periodic(self.name, self.interval, self.run_once, self.dsn)
        self._periodic.start()

    def stop(self) -> None:
        if self._periodic is not None:
            self._periodic.stop()
