"""A read model that cannot apply an event says so: one error in the log, the failure in the
metrics, ``/ready`` and ``procurement projections status``; once the cause is gone it resumes
exactly after the last event it applied, whether it retried by itself or was restarted."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from domain.tender import Tender
from procurement.commands.application import ProcurementApplication
from procurement.jobs import runners
from procurement.jobs.failures import Backoff
from procurement.jobs.projection_runner import ProjectionJob
from procurement.settings import Settings
from procurement.store.database import eventsourcing_env
from projections import public_tenders
from tests.support import FakeClock, officer, terms, vendor

TOKEN = "scrape-me"
JOB = "projection:public_tenders"
ASKED = "procurement:Tender.QuestionAsked"
ERROR = "DivisionByZero (22012)"
QUICK = Backoff(first=0.02, cap=0.1)
T = TypeVar("T")


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient[Litestar]]:
    """The API without background jobs of its own: the tests run the projections."""
    served = settings.model_copy(
        update={
            "run_projections": False,
            "run_scheduler": False,
            "metrics_token": SecretStr(TOKEN),
        }
    )
    with TestClient(create_app(served, clock=clock), raise_server_exceptions=False) as client:
        yield client


@dataclass
class Breakage:
    """The public tenders projection's statements for one event class made to fail (as a
    statement PostgreSQL refuses would), until ``fix``."""

    event_class: type[Any]
    original: Callable[..., Any]

    def fix(self) -> None:
        public_tenders.statements_for.register(self.event_class, self.original)


@contextmanager
def broken(event_class: type[Any]) -> Iterator[Breakage]:
    original = public_tenders.statements_for.dispatch(event_class)

    def failing(event: Any, tracking: Any) -> list[public_tenders.Statement]:
        return [("SELECT 1 / 0", {})]

    public_tenders.statements_for.register(event_class, failing)
    breakage = Breakage(event_class, original)
    try:
        yield breakage
    finally:
        breakage.fix()


def until(probe: Callable[[], T | None], what: str) -> T:
    """Poll until ``probe`` answers; a generous bound so that a broken test ends."""
    for _ in range(1200):
        found = probe()
        if found:
            return found
        time.sleep(0.025)
    raise AssertionError(f"never: {what}")


def recorded(dsn: str, job: str = JOB) -> dict[str, Any] | None:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        return cursor.execute("SELECT * FROM job_failures WHERE job = %s", (job,)).fetchone()


def tracked(dsn: str, projection: str = "public_tenders") -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT notification_id FROM {projection}_tracking").fetchone()  # noqa: S608
    return int(row[0]) if row else 0


def metric(client: TestClient[Litestar], line: str) -> float | None:
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200, scraped.text
    for text in scraped.text.splitlines():
        if text.startswith(line + " "):
            return float(text.rsplit(" ", 1)[1])
    return None


def status(settings: Settings) -> tuple[int, dict[str, Any]]:
    env = {
        "DATABASE_URL": settings.dsn,
        "PROCUREMENT_DATA_DIR": str(settings.data_dir),
        "PROCUREMENT_LOG_LEVEL": "WARNING",
    }
    answer = CliRunner().invoke(cli, ["projections", "status", "--json"], env=env)
    return answer.exit_code, json.loads(answer.stdout)


@dataclass(frozen=True)
class Story:
    """Positions: a tender published, a question (the event made to fail), an amendment."""

    published: int
    asked: int
    amended: int


def history(application: ProcurementApplication, clock: FakeClock) -> Story:
    works = officer("wsd")
    draft = application.draft_tender(works, terms(clock.now()))
    published = application.publish_tender(works, draft.id, None)
    asked = application.ask_question(vendor(), draft.id, "Which quarry? (a secret detail)")
    amended = application.amend_tender(works, draft.id, "Addendum 1", None, None)
    return Story(published.position, asked.position, amended.position)


def start(settings: Settings, stack: ExitStack) -> list[ProjectionJob]:
    env = eventsourcing_env(settings.dsn, 2)
    return runners.start_runners(env, stack, runners.ocds_context(settings), QUICK)


def failing_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "procurement.failures" and r.levelno >= logging.ERROR and JOB in r.message
    ]


def test_a_failing_projection_is_loud_everywhere_and_resumes_where_it_stopped(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    client: TestClient[Litestar],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    with ExitStack() as stack:
        breakage = stack.enter_context(broken(Tender.QuestionAsked))
        public, ocds = start(settings, stack)
        story = history(application, clock)
        failure = until(
            lambda: (found := recorded(settings.dsn)) and found["attempts"] >= 3 and found,
            "three failed attempts recorded",
        )
        # Stopped after the last event it applied; the other read model goes on.
        assert tracked(settings.dsn) == story.published
        ocds.wait(story.amended, timeout=30)
        assert (failure["position"], failure["topic"]) == (story.asked, ASKED)
        assert (failure["error"], failure["message"]) == (ERROR, "division by zero")
        assert failure["resolved_at"] is None
        _logged_once(caplog, story)
        _ready_names_it(client, story)
        _counted(client, failing=True)
        _in_status(settings, story, failing=True)

        # Fixed (a transient cause passes): the next retry applies the question, then the rest.
        breakage.fix()
        public.wait(story.amended, timeout=30)
        assert tracked(settings.dsn) == story.amended
        with psycopg.connect(settings.dsn) as conn:
            questions = conn.execute("SELECT count(*) FROM public_tender_questions").fetchone()
            amendments = conn.execute("SELECT count(*) FROM public_tender_amendments").fetchone()
        assert (questions, amendments) == ((1,), (1,))  # each applied once
        until(
            lambda: (found := recorded(settings.dsn)) and found["resolved_at"],
            "the failure resolved",
        )

    assert client.get("/ready").status_code == 200
    _counted(client, failing=False)
    _in_status(settings, story, failing=False)
    assert len(failing_errors(caplog)) == 1  # still the one error
    assert any(
        f"recovered at position {story.asked}" in r.message
        for r in caplog.records
        if r.name == "procurement.failures"
    )


def _logged_once(caplog: pytest.LogCaptureFixture, story: Story) -> None:
    """One error for all the attempts, with the exception."""
    [logged] = failing_errors(caplog)
    assert f"at position {story.asked}" in logged.message
    assert ASKED in logged.message
    assert ERROR in logged.message
    assert logged.exc_info is not None


def _ready_names_it(client: TestClient[Litestar], story: Story) -> None:
    """/ready names the projection and the position, never the event's contents."""
    ready = client.get("/ready")
    assert ready.status_code == 503
    problem = ready.json()
    assert problem["code"] == "projection_failing"
    assert "public_tenders" in problem["detail"]
    assert f"position {story.asked}" in problem["detail"]
    [failing] = problem["failing"]
    assert (failing["projection"], failing["position"]) == ("public_tenders", story.asked)
    assert failing["error"] == ERROR
    assert problem["projections"]["public_tenders"] == "failing"
    assert "secret detail" not in ready.text


def _counted(client: TestClient[Litestar], *, failing: bool) -> None:
    """The metrics, from what the job recorded (it may run in another process)."""
    assert metric(client, f'procurement_job_failing{{job="{JOB}"}}') == int(failing)
    attempts = metric(client, f'procurement_job_failures_total{{job="{JOB}"}}')
    assert attempts is not None
    assert attempts >= 3


def _in_status(settings: Settings, story: Story, *, failing: bool) -> None:
    """The operators' command: position, lag and the last error; exit status 1 if failing."""
    code, found = status(settings)
    assert code == int(failing)
    [row] = [p for p in found["projections"] if p["name"] == "public_tenders"]
    at = story.published if failing else story.amended
    assert (row["position"], row["lag"], row["failing"]) == (at, story.amended - at, failing)
    error = row["last_error"]
    assert (error["position"], error["topic"], error["message"]) == (
        story.asked,
        ASKED,
        "division by zero",
    )
    assert (error["resolved_at"] is None) is failing


def test_a_restart_after_the_fix_resumes_after_the_last_applied_event(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    client: TestClient[Litestar],
) -> None:
    with broken(Tender.QuestionAsked), ExitStack() as stack:  # stopped before it is fixed
        start(settings, stack)
        story = history(application, clock)
        until(lambda: recorded(settings.dsn), "the failure recorded")
    # The process stopped while failing: the failure stays recorded, /ready says so.
    assert tracked(settings.dsn) == story.published
    assert client.get("/ready").json()["failing"][0]["position"] == story.asked

    with ExitStack() as stack:  # the code fixed, the process started again
        public, _ = start(settings, stack)
        public.wait(story.amended, timeout=30)
        assert tracked(settings.dsn) == story.amended
        found = recorded(settings.dsn)
        assert found is not None
        assert found["resolved_at"] is not None
    assert client.get("/ready").status_code == 200
