"""Running a projection: the store's events, in order, into its view, until it is stopped; and
the events as every read model reads them.

Not eventsourcing's ``ProjectionRunner``: its thread ends at the first exception, silently
(the error waits for someone to call ``run_forever`` or leave the runner), so one event the
view cannot take stopped the read model for good while ``/ready`` said nothing. Here a failure
of any step (reading the store, decoding an event, applying it) is reported to the job's
``JobHealth`` (logged once, recorded for ``/ready``, ``/metrics`` and ``projections status``)
and the job starts again, after a back-off, from the view's tracking position. That position
commits in the transaction of the view's rows, so the retry resumes exactly after the last
event applied: none skipped, none applied twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, Self

from eventsourcing.persistence import JSONTranscoder, Subscription, Tracking, Transcoder
from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.conninfo import make_conninfo

from procurement.jobs.failures import Backoff, JobHealth, connect_to
from procurement.store.application_base import ProcurementStore
from projections.storable import storable_json

log = logging.getLogger("procurement.projecting")  # the name operators filter on


class StorableTextTranscoder(JSONTranscoder):
    """Decodes stored events with the text PostgreSQL cannot store replaced
    (``projections/storable.py``)."""

    def decode(self, data: bytes) -> Any:
        return self.decoder.decode(storable_json(data.decode("utf8")))


class ReadModelsApplication(ProcurementStore):
    """The store as the read models read it: the same events, decoded with
    ``StorableTextTranscoder``. Reads only."""

    name = "procurement"

    def construct_transcoder(self) -> Transcoder:
        transcoder = StorableTextTranscoder()
        self.register_transcodings(transcoder)
        return transcoder


def dsn_of(env: Mapping[str, str]) -> str:
    """The connection string of eventsourcing's PostgreSQL settings."""
    return make_conninfo(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD", ""),
    )


class ProjectionJob:
    """One projection kept up to date in a thread of its own, from ``start`` to ``stop``."""

    def __init__(
        self,
        env: Mapping[str, str],
        projection_class: type[Any],
        view_class: type[Any],
        backoff: Backoff | None = None,
    ) -> None:
        self.name: str = projection_class.name
        self.app = ReadModelsApplication(env)
        self.factory = PostgresFactory(Environment(self.name, dict(env)))
        self.view: PostgresTrackingRecorder = self.factory.tracking_recorder(view_class)
        self.projection = projection_class(view=self.view)
        self.health = JobHealth(connect_to(dsn_of(env)), f"projection:{self.name}", backoff)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._subscription: Subscription[Any] | None = None
        self._thread: threading.Thread | None = None
        self._in_hand: tuple[int | None, str | None] = (None, None)

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=f"projection:{self.name}")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop, once the event in hand is applied (or its attempt failed): after this, no
        write of this job lands (another process may hold the job by then)."""
        self._stopping.set()
        with self._lock:
            if self._subscription is not None:
                self._subscription.stop()
        if self._thread is not None:
            self._thread.join()
        self.factory.close()
        self.app.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self, position: int | None, timeout: float = 1.0) -> None:
        """Until the view has applied ``position``; TimeoutError when ``timeout`` passes."""
        self.view.wait(self.app.name, position, timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._follow()
            except Exception as error:  # noqa: BLE001 (every failure is reported, then retried)
                position, topic = self._in_hand
                self._stopping.wait(self.health.failed(error, position, topic))

    def _follow(self) -> None:
        """Apply the events after the view's position as they come, until stopped."""
        self._in_hand = (None, None)
        after = self.view.max_tracking_id(self.app.name)
        if (after or 0) >= (self.app.recorder.max_notification_id() or 0):
            self.health.succeeded(after)  # caught up: nothing is failing
        subscription = self.app.recorder.subscribe(gt=after, topics=self.projection.topics)
        with subscription:
            with self._lock:
                self._subscription = subscription
                if self._stopping.is_set():
                    subscription.stop()
            try:
                for notification in subscription:
                    self._in_hand = (notification.id, notification.topic)
                    event = self.app.mapper.to_domain_event(notification)
                    self.projection.process_event(event, Tracking(self.app.name, notification.id))
                    self._in_hand = (None, None)
                    self.health.succeeded(notification.id)
            finally:
                with self._lock:
                    self._subscription = None
