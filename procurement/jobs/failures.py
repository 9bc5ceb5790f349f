"""Background jobs that fail say so: once in the log, in the ``job_failures`` table, and so in
``/ready`` (projections), ``/metrics`` and ``procurement projections status``.

A job reports each failed attempt to its ``JobHealth`` and waits the delay it answers
(exponential, capped) before trying again; it reports each success, which clears the failure.
The log gets one error when a failure begins (or changes: another position, another type of
error), with the exception, then a reminder every ``reminder`` seconds while it lasts, and one
line when the job recovers. The table is the record the other processes read: the API's
``/ready`` and ``/metrics`` may be served by a process that does not run the job.

This module owns ``job_failures``: its SQL is here and, for the API's reads, in
``projections/reads.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

log = logging.getLogger("procurement.failures")  # the name operators filter on

MESSAGE_LENGTH = 200


@dataclass(frozen=True)
class Backoff:
    """The wait before the n-th retry: ``first`` doubled each time, at most ``cap``."""

    first: float = 1.0
    cap: float = 60.0

    def delay(self, attempts: int) -> float:
        return float(min(self.cap, self.first * 2 ** min(max(attempts - 1, 0), 32)))


def database_error(error: BaseException) -> BaseException:
    """The psycopg error under ``error`` (eventsourcing's recorders wrap them in their own,
    whose message is the whole text of PostgreSQL's), or ``error`` itself."""
    found: BaseException | None = error
    while found is not None:
        if isinstance(found, psycopg.Error):
            return found
        found = found.__cause__
    return error


def error_type(error: BaseException) -> str:
    """What ``/ready`` may show of an error: its type, and PostgreSQL's SQLSTATE if any.
    Never its message, which may quote the data (PostgreSQL's context lines do)."""
    error = database_error(error)
    state = getattr(error, "sqlstate", None)
    return f"{type(error).__name__} ({state})" if state else type(error).__name__


def short_message(error: BaseException) -> str:
    """A one-line message for operators: PostgreSQL's primary message without its detail
    and context lines (which quote the data), or the first line of any other error."""
    error = database_error(error)
    diagnostic = getattr(error, "diag", None)
    primary = getattr(diagnostic, "message_primary", None) if diagnostic is not None else None
    text = primary or str(error).partition("\n")[0] or type(error).__name__
    return text[:MESSAGE_LENGTH]


Connect = Callable[[], Any]
"""Opens a cursor (a context manager) on the database, in a transaction that commits."""


def connect_to(dsn: str) -> Connect:
    @contextmanager
    def cursor() -> Iterator[psycopg.Cursor[Any]]:
        with psycopg.connect(dsn, connect_timeout=5) as conn, conn.cursor() as cursor:
            yield cursor

    return cursor


class JobHealth:
    """One job's failures, as the job reports them (from one thread)."""

    def __init__(
        self,
        connect: Connect,
        job: str,
        backoff: Backoff | None = None,
        reminder: float = 600.0,
    ) -> None:
        self.connect = connect
        self.job = job
        self.backoff = backoff or Backoff()
        self.reminder = reminder
        self.attempts = 0  # failed attempts since the last success, in this process
        self._failing: tuple[int | None, str] | None = None  # (position, error type)
        self._reminded = 0.0
        self._clear = True  # a success must still clear a failure a former run recorded

    def failed(
        self, error: BaseException, position: int | None = None, topic: str | None = None
    ) -> float:
        """Report a failed attempt; returns the seconds to wait before the next one."""
        self.attempts += 1
        self._clear = True
        delay = self.backoff.delay(self.attempts)
        failure = (position, error_type(error))
        now = time.monotonic()
        loud = failure != self._failing or now - self._reminded >= self.reminder
        if failure != self._failing:
            log.error(
                "job %s failed%s%s: %s: %s; retrying with back-off (next in %.3g s)",
                self.job,
                "" if position is None else f" at position {position}",
                "" if topic is None else f" ({topic})",
                failure[1],
                short_message(error),
                delay,
                exc_info=error,
            )
        elif loud:
            log.error(
                "job %s still failing%s: %s, %d attempts",
                self.job,
                "" if position is None else f" at position {position}",
                failure[1],
                self.attempts,
            )
        if loud:
            self._failing = failure
            self._reminded = now
        try:
            with self.connect() as cursor:
                record(cursor, self.job, position, topic, error)
        except Exception as trouble:  # noqa: BLE001 (the database may be what failed)
            if loud:
                log.warning("job %s: its failure could not be recorded: %r", self.job, trouble)
        return delay

    def succeeded(self, position: int | None = None) -> None:
        """Report a success: clears the failure, if there is one (a dictionary look-up
        otherwise, so a job may report every step)."""
        if not self._clear:
            return
        try:
            with self.connect() as cursor:
                cleared = resolve(cursor, self.job)
        except Exception as trouble:  # noqa: BLE001 (tried again at the next success)
            log.warning("job %s: its recovery could not be recorded: %r", self.job, trouble)
            return
        if self._failing is not None or cleared:
            log.warning(
                "job %s recovered%s after %d failed attempts",
                self.job,
                "" if position is None else f" at position {position}",
                self.attempts or (cleared or 0),
            )
        self._failing = None
        self._clear = False
        self.attempts = 0


def record(
    cursor: Any, job: str, position: int | None, topic: str | None, error: BaseException
) -> None:
    """Record a failed attempt. The failure keeps its start while it goes on at the same
    position with the same type of error; another begins a new one."""
    cursor.execute(
        """
        INSERT INTO job_failures AS f (job, position, topic, error, message, failing_since,
            last_failed_at, attempts, failures)
        VALUES (%(job)s, %(position)s, %(topic)s, %(error)s, %(message)s, now(), now(), 1, 1)
        ON CONFLICT (job) DO UPDATE SET
            failing_since = CASE WHEN f.resolved_at IS NULL
                AND f.position IS NOT DISTINCT FROM EXCLUDED.position
                AND f.error = EXCLUDED.error THEN f.failing_since ELSE now() END,
            attempts = CASE WHEN f.resolved_at IS NULL
                AND f.position IS NOT DISTINCT FROM EXCLUDED.position
                AND f.error = EXCLUDED.error THEN f.attempts + 1 ELSE 1 END,
            position = EXCLUDED.position, topic = EXCLUDED.topic, error = EXCLUDED.error,
            message = EXCLUDED.message, last_failed_at = now(), failures = f.failures + 1,
            resolved_at = NULL
        """,
        {
            "job": job,
            "position": position,
            "topic": topic,
            "error": error_type(error),
            "message": short_message(error),
        },
    )


def resolve(cursor: Any, job: str) -> int | None:
    """Mark the job's failure resolved; returns its attempts, or None when it had none."""
    cursor.execute(
        "UPDATE job_failures SET resolved_at = now() WHERE job = %s AND resolved_at IS NULL "
        "RETURNING attempts",
        (job,),
    )
    row = cursor.fetchone()
    return None if row is None else int(row[0])


@dataclass(frozen=True)
class Failure:
    """A job's last failure, as recorded."""

    job: str
    position: int | None
    topic: str | None
    error: str
    message: str
    failing_since: datetime
    last_failed_at: datetime
    attempts: int
    failures: int
    resolved_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "position": self.position,
            "topic": self.topic,
            "error": self.error,
            "message": self.message,
            "failing_since": _iso(self.failing_since),
            "last_failed_at": _iso(self.last_failed_at),
            "attempts": self.attempts,
            "failures": self.failures,
            "resolved_at": _iso(self.resolved_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def failures(dsn: str) -> dict[str, Failure]:
    """Every job's last failure (resolved or not), by job."""
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT job, position, topic, error, message, failing_since, last_failed_at, "
            "attempts, failures, resolved_at FROM job_failures ORDER BY job"
        ).fetchall()
    return {row["job"]: Failure(**row) for row in rows}
