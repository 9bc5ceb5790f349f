"""Time travel from snapshots on PostgreSQL: every version's answer is the full replay's, byte
for byte; snapshot rows changed or removed in the database change nothing an auditor sees and
are made again; the worker's job makes them before anyone asks."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from domain.rules import rules_for
from domain.tender import Tender
from procurement import history, snapshots
from procurement.application import ProcurementApplication
from procurement.settings import Settings
from procurement.snapshotter import Snapshotter
from tests.support import START, officer, sealing_keys, terms, vendor

QUESTIONS = 150  # 152 events with the draft and the publication: two snapshots, at 64 and 128


def busy_tender(application: ProcurementApplication) -> Tender:
    works = officer("wsd")
    tender = Tender(id=uuid4(), entity="wsd", terms=terms(START), actor=works, timestamp=START)
    tender.publish(
        notice=tender.terms,
        rules=rules_for("sppra", tender.terms.method, tender.terms.scope),
        sealing_keys=sealing_keys(tender.terms),
        actor=works,
        timestamp=START,
    )
    for n in range(QUESTIONS):
        tender.ask_question(
            question_id=uuid4(), text=f"Which quarry, {n}?", actor=vendor(), timestamp=START
        )
    application.save(tender)
    return tender


def rows(dsn: str, tender_id: UUID) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT originator_version, state, mac FROM history_snapshots "
            "WHERE originator_id = %s ORDER BY originator_version",
            (tender_id,),
        ).fetchall()


def answer(
    application: ProcurementApplication, tender_id: UUID, version: int, *, use: bool
) -> bytes:
    return history.state_as_of_json(application, tender_id, version=version, snapshots=use).json


@pytest.fixture
def tender(application: ProcurementApplication) -> Tender:
    return busy_tender(application)


def test_every_version_from_snapshots_is_the_full_replay_byte_for_byte(
    application: ProcurementApplication, settings: Settings, tender: Tender
) -> None:
    assert rows(settings.dsn, tender.id) == []
    latest = history.state_as_of(application, tender.id)
    assert latest["version"] == QUESTIONS + 2
    assert len(latest["state"]["questions"]) == QUESTIONS
    assert [version for version, _, _ in rows(settings.dsn, tender.id)] == [64, 128]
    for version in range(1, QUESTIONS + 3):
        assert answer(application, tender.id, version, use=True) == answer(
            application, tender.id, version, use=False
        ), f"version {version}"


def test_a_snapshot_changed_in_the_database_changes_nothing_an_auditor_sees(
    application: ProcurementApplication, settings: Settings, tender: Tender
) -> None:
    truth = answer(application, tender.id, 140, use=False)
    assert answer(application, tender.id, 140, use=True) == truth  # the rows are made
    [(_, first, _), (_, second, mac)] = rows(settings.dsn, tender.id)
    assert b"Which quarry, 70?" in second
    forged = second.replace(b"Which quarry, 70?", b"Which forest, 70?")
    with psycopg.connect(settings.dsn) as conn:
        conn.execute(
            "UPDATE history_snapshots SET state = %s WHERE originator_id = %s "
            "AND originator_version = 128",
            (forged, tender.id),
        )
    seen = answer(application, tender.id, 140, use=True)
    assert seen == truth
    assert b"Which forest" not in seen
    # The forged row was replaced by the one the replay made, MAC and all.
    assert rows(settings.dsn, tender.id) == [
        (64, first, rows(settings.dsn, tender.id)[0][2]),
        (128, second, mac),
    ]


def test_a_snapshot_removed_from_the_middle_of_a_chain_is_made_again(
    application: ProcurementApplication, settings: Settings, tender: Tender
) -> None:
    truth = answer(application, tender.id, QUESTIONS + 2, use=False)
    assert answer(application, tender.id, QUESTIONS + 2, use=True) == truth
    made = rows(settings.dsn, tender.id)
    with psycopg.connect(settings.dsn) as conn:
        conn.execute(
            "DELETE FROM history_snapshots WHERE originator_id = %s AND originator_version = 64",
            (tender.id,),
        )
    assert answer(application, tender.id, QUESTIONS + 2, use=True) == truth
    assert rows(settings.dsn, tender.id) == made


def test_rows_of_other_domain_code_are_never_read(
    application: ProcurementApplication, settings: Settings, tender: Tender
) -> None:
    truth = answer(application, tender.id, 100, use=False)
    assert answer(application, tender.id, 100, use=True) == truth
    with psycopg.connect(settings.dsn) as conn:
        conn.execute(
            "UPDATE history_snapshots SET fingerprint = %s WHERE originator_id = %s",
            (b"another version!", tender.id),
        )
    assert answer(application, tender.id, 100, use=True) == truth
    with psycopg.connect(settings.dsn) as conn:
        fingerprints = conn.execute(
            "SELECT fingerprint, count(*) FROM history_snapshots GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert dict(fingerprints) == {b"another version!": 1, snapshots.fingerprint(): 1}
    # The worker's first pass sweeps rows that no deployment of this code reads.
    Snapshotter(application, settings.dsn).run_once()
    assert [version for version, _, _ in rows(settings.dsn, tender.id)] == [64, 128]


def test_the_worker_makes_the_snapshots_before_anyone_asks(
    application: ProcurementApplication, settings: Settings, tender: Tender
) -> None:
    job = Snapshotter(application, settings.dsn)
    assert job.run_once() == 2
    assert [version for version, _, _ in rows(settings.dsn, tender.id)] == [64, 128]
    assert job.run_once() == 0  # nothing new since
    more: Tender = application.repository.get(tender.id)
    for n in range(60):
        more.ask_question(question_id=uuid4(), text=f"And {n}?", actor=vendor(), timestamp=START)
    application.save(more)
    assert job.run_once() == 1
    assert [version for version, _, _ in rows(settings.dsn, tender.id)] == [64, 128, 192]
    assert answer(application, tender.id, 200, use=True) == answer(
        application, tender.id, 200, use=False
    )
