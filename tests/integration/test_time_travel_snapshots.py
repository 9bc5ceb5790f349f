"""Time travel from snapshots on PostgreSQL: every version's answer is the full replay's, byte
for byte; snapshot rows changed or removed in the database change nothing an auditor sees and
are made again; the worker's job makes them before anyone asks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import msgspec
import psycopg
import pytest

from domain.award import Award
from domain.evaluation import Evaluation, Member
from domain.tender import Tender
from domain.values import Actor, EvaluationTerms, Money
from procurement.audit import history, snapshots
from procurement.commands.application import ProcurementApplication
from procurement.jobs.snapshot_job import Snapshotter
from procurement.settings import Settings
from tests.support import START, officer, published_tender, terms, vendor

QUESTIONS = 150  # 152 events with the draft and the publication: two snapshots, at 64 and 128


def busy_tender(application: ProcurementApplication) -> Tender:
    tender = published_tender(officer("wsd"))
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


def test_a_row_passed_off_as_the_first_of_its_chain_is_refused(
    application: ProcurementApplication, settings: Settings, tender: Tender
) -> None:
    """Without the KEK: row 128's state prefixed with row 64's MAC, row 64 deleted. Had the
    first row chained from nothing, that message would be the one row 128's MAC was made on."""
    truth = answer(application, tender.id, 140, use=False)
    answer(application, tender.id, 140, use=True)
    [(_, _, mac64), (_, state128, _)] = rows(settings.dsn, tender.id)
    with psycopg.connect(settings.dsn) as conn:
        conn.execute(
            "DELETE FROM history_snapshots WHERE originator_id = %s AND originator_version = 64",
            (tender.id,),
        )
        conn.execute(
            "UPDATE history_snapshots SET state = %s WHERE originator_id = %s "
            "AND originator_version = 128",
            (mac64 + state128, tender.id),
        )
    assert answer(application, tender.id, 140, use=True) == truth
    assert [version for version, _, _ in rows(settings.dsn, tender.id)] == [64, 128]
    assert rows(settings.dsn, tender.id)[1][1] == state128  # made again
    assert history.snapshot(application, tender.id) == 0


def test_declarations_made_again_in_another_order_restore_in_that_order(
    application: ProcurementApplication,
) -> None:
    """A dictionary emptied and filled again with a new key between old ones: a patch would
    put the new key last, so the row holds the dictionary whole."""
    a, x, b = officer("wsd"), officer("wsd"), officer("wsd")
    committee = [
        Member(account_id=person.account_id, name=name, chair=name == "A")
        for person, name in ((a, "A"), (x, "X"), (b, "B"))
    ]
    evaluation = Evaluation(
        tender_id=uuid4(),
        entity="wsd",
        terms=EvaluationTerms(),
        currency="PKR",
        lot_ids=["1"],
        bid_validity_days=90,
        two_envelopes=False,
        min_committee_size=3,
        committee=committee,
        candidates=[],
        actor=a,
        timestamp=START,
    )

    def reform_until(version: int) -> None:
        while evaluation.version < version:
            evaluation.reform_committee(
                committee=committee, min_committee_size=3, reason="again", actor=a, timestamp=START
            )

    def declare(*people: Actor) -> None:
        for person in people:
            evaluation.declare(conflict=False, statement="", actor=person, timestamp=START)

    reform_until(62)
    declare(a, b)  # version 64: {A, B}
    reform_until(125)
    declare(a, x, b)  # version 128: {A, X, B}
    application.save(evaluation)
    truth = answer(application, evaluation.id, 128, use=False)
    assert answer(application, evaluation.id, 128, use=True) == truth  # makes the rows
    assert answer(application, evaluation.id, 128, use=True) == truth  # reads them


def test_a_set_is_answered_in_order_whichever_way_it_was_made(
    application: ProcurementApplication,
) -> None:
    clerk = officer("wsd")
    bidders = [vendor() for _ in range(8)]
    award = Award(
        id=uuid4(),
        tender_id=uuid4(),
        entity="wsd",
        report_number=1,
        bid_id=uuid4(),
        vendor_id=bidders[0].account_id,
        vendor_name="V",
        value=Money(amount=Decimal(100)),
        rank=1,
        reason="",
        standstill_ends=START + timedelta(days=10),
        bidders=[person.account_id for person in reversed(bidders)],
        actor=clerk,
        timestamp=START,
    )
    while award.version < 64:
        complaint = uuid4()
        award.lodge_complaint(
            complaint_id=complaint, grounds="g", actor=bidders[1], timestamp=START
        )
        if award.version < 64:
            award.decide_complaint(
                complaint_id=complaint,
                upheld=False,
                remedy=None,
                reasons="r",
                actor=clerk,
                timestamp=START,
            )
    application.save(award)
    truth = answer(application, award.id, 64, use=False)
    assert answer(application, award.id, 64, use=True) == truth
    assert answer(application, award.id, 64, use=True) == truth
    listed = msgspec.json.decode(truth)["state"]["bidders"]
    assert listed == sorted(str(person.account_id) for person in bidders)


def test_the_worker_reads_only_what_is_new(
    application: ProcurementApplication, settings: Settings
) -> None:
    for _ in range(3):
        draft = Tender(
            id=uuid4(), entity="wsd", terms=terms(START), actor=officer("wsd"), timestamp=START
        )
        application.save(draft)
    job = Snapshotter(application, settings.dsn)
    assert job.run_once() == 0
    assert job.position == 3  # no stream is due, and the next pass starts after them
