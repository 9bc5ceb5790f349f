"""Complaints, grievance committees and debarments in the public read model: a row for each
event, the complainant, the grounds and a case in hearing kept out, the scheduler's question,
and a rebuild that gives the same rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from domain.award import Remedy
from domain.grievance import ComplaintStage
from procurement.commands.application import ProcurementApplication
from procurement.jobs import runners
from procurement.jobs.projection_runner import ProjectionJob
from procurement.settings import Settings
from procurement.store.database import eventsourcing_env
from projections.grievances_due import complaints_due
from projections.public_tenders import TABLES
from tests.grievances import RULES, Grievances, debar, later, open_case
from tests.support import FakeClock, officer, terms, vendor

GRIEVANCE_TABLES = (
    "public_complaints",
    "public_complaint_files",
    "public_grievance_committees",
    "public_debarments",
    "public_debarment_records",
)


@pytest.fixture
def runner(settings: Settings) -> Iterator[ProjectionJob]:
    with ExitStack() as stack:
        started, *_ = runners.start_runners(eventsourcing_env(settings.dsn, 2), stack)
        yield started


def _rows(dsn: str, query: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(query).fetchall()


def _snapshot(dsn: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(dsn) as conn:
        return {
            table: conn.execute(f"SELECT t::text FROM {table} t ORDER BY 1").fetchall()  # noqa: S608
            for table in TABLES
        }


def grievance_history(application: ProcurementApplication, clock: FakeClock) -> int:
    """A published tender with three complaints (one upheld; one overdue, appealed, the
    appeal overdue then dismissed; one dismissed, appealed and upheld on appeal), its
    entity's committee named and reconstituted, and a vendor debarred, cleared of a second
    case and in hearing on a third. Returns the last position."""
    works = officer("wsd")
    tender = application.draft_tender(works, terms(clock.now(), reference="G"))
    application.publish_tender(works, tender.id, None)
    grievances = Grievances(application, clock, tender.id, "wsd")
    committee = grievances.name_committee("Ayesha Khan", "Bilal Shah", "Chandni Memon")
    committee.reconstitute(
        members=[*committee.members[:2], committee.members[2].model_copy(update={"name": "Dur"})],
        min_size=RULES.committee_min_size,
        actor=works,
        timestamp=clock.now(),
    )
    grievances.application._save(committee)
    alpha, beta = vendor(), vendor()
    upheld = grievances.lodge(ComplaintStage.DOCUMENTS, alpha)
    grievances.decide(upheld, Remedy.AMEND_DOCUMENTS, "The specification is amended.")
    silent = grievances.lodge(ComplaintStage.DOCUMENTS, beta)
    later(clock, RULES.decision_period)
    grievances.overdue(silent)
    grievances.appeal(silent, beta)
    later(clock, RULES.appeal_decision_period)
    grievances.appeal_overdue(silent)
    grievances.decide_appeal(silent, None, "The documents were in order.")
    report = grievances.lodge(ComplaintStage.FINAL_REPORT, alpha)
    grievances.decide(report, None, "The report stands.")
    grievances.appeal(report, alpha)
    grievances.decide_appeal(report, Remedy.REOPEN_EVALUATION, "Alpha's bid was responsive.")
    record, _, _ = debar(
        application, clock, uuid4(), "Crooked (Pvt) Ltd", until=clock.now() + timedelta(days=365)
    )
    later(clock, timedelta(days=1))
    debar(application, clock, record.vendor_id, "", until=None, record=record)
    _, position = open_case(application, clock, record, entity="wsd")
    return position


def test_each_event_gives_its_row_and_a_rebuild_the_same_rows(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    runner: ProjectionJob,
) -> None:
    position = grievance_history(application, clock)
    runner.wait(position, timeout=10)
    complaints = _rows(settings.dsn, "SELECT * FROM public_complaints ORDER BY lodged_at")
    assert [(c["stage"], c["status"]) for c in complaints] == [
        ("documents", "upheld"),
        ("documents", "appeal_dismissed"),
        ("final_report", "appeal_upheld"),
    ]
    upheld, silent, report = complaints
    assert upheld["remedy"] == "amend_documents"
    assert upheld["reasons"] == "The specification is amended."
    assert upheld["panel_size"] == 3
    assert upheld["decision_due"] - upheld["lodged_at"] == RULES.decision_period
    assert silent["overdue"]
    assert silent["appeal_overdue"]
    assert silent["decided_at"] is None
    assert silent["appeal_due"] - silent["appeal_lodged_at"] == RULES.appeal_decision_period
    assert silent["appeal_upheld"] is False
    assert report["upheld"] is False
    assert report["appeal_remedy"] == "reopen_evaluation"
    [committee] = _rows(settings.dsn, "SELECT * FROM public_grievance_committees")
    assert committee["entity"] == "wsd"
    assert committee["members"] == [
        {"name": "Ayesha Khan", "chair": True},
        {"name": "Bilal Shah", "chair": False},
        {"name": "Dur", "chair": False},
    ]
    assert committee["version"] == 2
    cases = _rows(settings.dsn, "SELECT * FROM public_debarments ORDER BY opened_at, status")
    assert [c["status"] for c in cases] == ["debarred", "dismissed", "hearing"]
    assert cases[0]["vendor_name"] == "Crooked (Pvt) Ltd"
    assert cases[0]["debarred_until"] - cases[0]["decided_at"] == timedelta(days=365)
    assert cases[2]["referred_by_entity"] == "wsd"
    assert cases[2]["hearing_closes"] - cases[2]["opened_at"] == RULES.hearing_period

    live = _snapshot(settings.dsn)
    assert all(live[table] for table in GRIEVANCE_TABLES)
    text = str(live)
    assert "SECRET" not in text  # neither grounds of a complaint, an appeal, nor an answer
    runner.stop()
    runners.rebuild(eventsourcing_env(settings.dsn, 2))
    assert _snapshot(settings.dsn) == live


def test_no_complainant_column_in_the_complaints(settings: Settings) -> None:
    with psycopg.connect(settings.dsn) as conn:
        columns = {
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ANY(%s)",
                (["public_complaints", "public_complaint_files"],),
            )
        }
    assert columns
    assert not {"vendor_id", "account_id", "grounds", "complainant"} & columns


def test_the_scheduler_finds_the_complaints_and_appeals_past_their_dates(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    runner: ProjectionJob,
) -> None:
    works = officer("wsd")
    tenders = []
    for reference in ("A", "B"):
        tender = application.draft_tender(works, terms(clock.now(), reference=reference))
        application.publish_tender(works, tender.id, None)
        tenders.append(Grievances(application, clock, tender.id, "wsd"))
    first, second = tenders
    first.name_committee("Ayesha Khan", "Bilal Shah", "Chandni Memon")
    second.members = first.members
    alpha = vendor()
    pending = first.lodge(ComplaintStage.DOCUMENTS, alpha)
    decided = second.lodge(ComplaintStage.DOCUMENTS, alpha)
    second.decide(decided, None, "No merit.")
    second.appeal(decided, alpha)
    runner.wait(second.position, timeout=10)
    due = clock.now() + RULES.decision_period
    assert complaints_due(settings.dsn, due - timedelta(seconds=1)) == []
    assert complaints_due(settings.dsn, due) == [first.tender_id]
    appeal_due = clock.now() + RULES.appeal_decision_period
    assert complaints_due(settings.dsn, appeal_due) == [first.tender_id, second.tender_id]
    assert complaints_due(settings.dsn, appeal_due, limit=1) == [first.tender_id]
    later(clock, RULES.decision_period)
    runner.wait(first.overdue(pending), timeout=10)
    assert complaints_due(settings.dsn, appeal_due) == [second.tender_id]
    later(clock, RULES.appeal_decision_period)
    runner.wait(second.appeal_overdue(decided), timeout=10)
    assert complaints_due(settings.dsn, appeal_due + timedelta(days=999)) == []
