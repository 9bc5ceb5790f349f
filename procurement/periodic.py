"""A background thread that runs one step every few seconds until it is stopped, and outlives
the step's failures (a database outage must not end it: the next pass retries)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval: float, step: Callable[[], object]) -> None:
        self.name = name
        self.interval = interval
        self.step = step
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
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception:
                log.exception("%s pass failed", self.name)


class PeriodicJob:
    """A job that runs ``run_once`` every ``interval`` seconds once started (the scheduler,
    the snapshots): ``start`` and ``stop`` as the coordinator calls them."""

    name: str
    interval: float
    _periodic: Periodic | None = None

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> None:
        self._periodic = Periodic(self.name, self.interval, self.run_once)
        self._periodic.start()

    def stop(self) -> None:
        if self._periodic is not None:
            self._periodic.stop()
