"""Events already stored with text PostgreSQL cannot store (U+0000, a lone surrogate) do not
stop the read models: they show U+FFFD in its place, live and rebuilt alike."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from domain.tender import Tender
from procurement.commands.application import ProcurementApplication
from procurement.jobs import runners
from procurement.jobs.projection_runner import ProjectionJob
from procurement.settings import Settings
from procurement.store.database import eventsourcing_env
from tests.support import FakeClock, officer, terms, vendor

PLACEHOLDER = "PLACEHOLDER-TEXT"


@pytest.fixture
def live(settings: Settings) -> Iterator[list[ProjectionJob]]:
    with ExitStack() as stack:
        yield runners.start_runners(
            eventsourcing_env(settings.dsn, 2), stack, runners.ocds_context(settings)
        )


def stored_question(
    application: ProcurementApplication, tender_id: UUID, escaped: bytes, now: datetime
) -> UUID:
    """A question whose stored text holds the JSON escape ``escaped``, written with the
    application's mapper and recorder past the API and the domain's commands: as an event
    stored before the input boundary refused such text."""
    tender: Tender = application.repository.get(tender_id)
    question_id = uuid4()
    tender.ask_question(question_id=question_id, text=PLACEHOLDER, actor=vendor(), timestamp=now)
    [stored] = [application.mapper.to_stored_event(e) for e in tender.collect_events()]
    assert PLACEHOLDER.encode() in stored.state
    odd = stored.state.replace(PLACEHOLDER.encode(), b"Which quarry" + escaped + b"?")
    application.recorder.insert_events([dataclasses.replace(stored, state=odd)])
    return question_id


def rows(dsn: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, args).fetchall()


def test_text_postgresql_refuses_is_replaced_and_the_read_models_go_on(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    live: list[ProjectionJob],
) -> None:
    works = officer("wsd")
    tender = application.draft_tender(works, terms(clock.now()))
    application.publish_tender(works, tender.id, None)
    nul = stored_question(application, tender.id, b"\\u0000", clock.now())
    surrogate = stored_question(application, tender.id, b"\\ud800", clock.now())
    answered = application.ask_question(vendor(), tender.id, "And the sand?")
    application.answer_question(works, tender.id, answered.id, "Any quarry.")
    later = application.draft_tender(works, terms(clock.now(), reference="B"))
    last = application.publish_tender(works, later.id, None).position

    for job in live:
        job.wait(last, timeout=30)
    texts = dict(rows(settings.dsn, "SELECT question_id, text FROM public_tender_questions"))
    assert texts[nul] == texts[surrogate] == "Which quarry\ufffd?"
    assert texts[answered.id] == "And the sand?"
    # The OCDS state keeps unanswered questions aside, as jsonb: the text it could not take.
    [(kept,)] = rows(
        settings.dsn,
        "SELECT state -> '_private' -> 'questions' FROM ocds_processes WHERE tender_id = %s",
        tender.id,
    )
    assert kept == {str(nul): "Which quarry\ufffd?", str(surrogate): "Which quarry\ufffd?"}
    assert rows(settings.dsn, "SELECT count(*) FROM public_tenders") == [(2,)]
    assert rows(settings.dsn, "SELECT count(*) FROM job_failures") == [(0,)]

    # The store keeps the events as they were; a rebuild reads them as the live runners do.
    [(state,)] = rows(
        settings.dsn,
        "SELECT state FROM procurement_events WHERE originator_id = %s AND topic = %s "
        "AND position(%s IN state) > 0",
        tender.id,
        Tender.QuestionAsked.TOPIC,
        b"\\u0000",
    )
    assert b"Which quarry\\u0000?" in bytes(state)
    tables = ("public_tender_questions", "ocds_processes", "ocds_releases")
    before = {t: rows(settings.dsn, f"SELECT * FROM {t} ORDER BY 1") for t in tables}  # noqa: S608
    for job in live:
        job.stop()
    runners.rebuild(eventsourcing_env(settings.dsn, 2), context=runners.ocds_context(settings))
    after = {t: rows(settings.dsn, f"SELECT * FROM {t} ORDER BY 1") for t in tables}  # noqa: S608
    assert after == before
