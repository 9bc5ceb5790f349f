"""A background job's failures: the back-off doubles to its cap, and the log gets one error
for a failure however many attempts it takes, and one more when the failure changes."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any

import pytest

from procurement.jobs.failures import Backoff, JobHealth


def test_back_off_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=1.0, cap=60.0)
    assert [backoff.delay(n) for n in (1, 2, 3, 6, 7, 100)] == [1, 2, 4, 32, 60, 60]


@contextmanager
def nowhere() -> Any:
    msg = "no database here"
    raise OSError(msg)
    yield  # pragma: no cover


def test_a_failing_job_logs_one_error_until_the_failure_changes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    health = JobHealth(nowhere, "projection:x", Backoff(first=1.0, cap=4.0))
    with caplog.at_level(logging.WARNING, logger="procurement.failures"):
        delays = [health.failed(ZeroDivisionError("x"), 7, "t") for _ in range(5)]
        health.failed(KeyError("y"), 8, "t")  # another failure: said again
    assert delays == [1, 2, 4, 4, 4]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [("at position 7" in r.message, "at position 8" in r.message) for r in errors] == [
        (True, False),
        (False, True),
    ]
    # Recording it failed too (the database may be the cause): said once per error logged.
    assert len([r for r in caplog.records if "could not be recorded" in r.message]) == 2
