"""The public tenders projection on PostgreSQL: live, rebuilt, and atomic with its tracking."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError, Tracking
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from domain.account import VendorProfile, account_id_for
from domain.award import ContractPeriod, Remedy
from domain.bid import BidContents, BidSecurityOffer, LotPrice
from domain.documents import DocumentChange, DocumentChanges, DocumentKind, FileFacts, MediaType
from domain.values import Actor, Money, Role
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.jobs import runners
from procurement.jobs.projection_runner import ProjectionJob
from procurement.settings import Settings
from procurement.store.database import eventsourcing_env
from projections.public_tenders import TABLES, PublicTendersView
from tests.accounts import name_grievance_committee
from tests.support import FakeClock, officer, terms, vendor


@pytest.fixture
def runner(settings: Settings) -> Iterator[ProjectionJob]:
    with ExitStack() as stack:
        started, *_ = runners.start_runners(eventsourcing_env(settings.dsn, 2), stack)
        yield started


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()  # noqa: S608
            for table in TABLES
        }


def _history(application: ProcurementApplication, clock: FakeClock) -> int:
    """Published (with documents), amended (a document replaced, one withdrawn), questioned,
    answered and cancelled tenders, and a draft."""
    works = officer("wsd")
    first = application.draft_tender(works, terms(clock.now()))
    sbd, plan = uuid4(), uuid4()
    application.change_draft_documents(
        works, first.id, DocumentChanges(items=(_added(sbd, b"sbd"), _added(plan, b"plan"))), None
    )
    application.publish_tender(works, first.id, None)
    asked = application.ask_question(vendor(), first.id, "Which quarry?")
    application.ask_question(vendor(), first.id, "Unanswered question")
    application.answer_question(works, first.id, asked.id, "Any quarry.")
    revised = DocumentChange(action="replace", document_id=sbd, file=_file(b"sbd, revised"))
    withdrawn = DocumentChange(action="withdraw", document_id=plan)
    application.amend_tender(
        works,
        first.id,
        "Addendum 1",
        None,
        None,
        documents=DocumentChanges(items=(revised, withdrawn)),
    )
    second = application.draft_tender(works, terms(clock.now(), reference="B"))
    application.publish_tender(works, second.id, None)
    application.cancel_tender(works, second.id, "Budget withdrawn", None)
    last = application.draft_tender(works, terms(clock.now(), reference="C"))
    return last.position


def _file(content: bytes) -> FileFacts:
    return FileFacts(
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        media_type=MediaType.PDF,
        file_name="document.pdf",
    )


def _added(document_id: UUID, content: bytes) -> DocumentChange:
    return DocumentChange(
        action="add",
        document_id=document_id,
        kind=DocumentKind.BIDDING_DOCUMENT,
        title="Bidding document",
        language="en",
        file=_file(content),
    )


def _as(username: str, role: Role = Role.OFFICER) -> Actor:
    entity = "wsd" if role is Role.OFFICER else None
    return Actor(account_id=account_id_for(username), role=role, request_id=username, entity=entity)


def _evaluated_history(application: ProcurementApplication, clock: FakeClock) -> int:
    """A tender opened, evaluated, awarded, complained about (upheld), re-evaluated,
    awarded again and contracted."""
    system = system_actor("test")
    for username in ("m.one@wsd", "m.two@wsd", "m.three@wsd", "proc.officer@wsd"):
        application.register_account(
            system, username=username, password="pw-123456789", role=Role.OFFICER, entity="wsd"
        )
    for username in ("v.alpha", "v.beta"):
        application.register_account(
            system,
            username=username,
            password="pw-123456789",
            role=Role.VENDOR,
            vendor=VendorProfile(
                legal_name=username, ntn="1234567-8", contact_email=f"{username}@example.com"
            ),
        )
    works = _as("proc.officer@wsd")
    chair = name_grievance_committee(application, "wsd")
    tender = application.draft_tender(works, terms(clock.now(), reference="E"))
    application.publish_tender(works, tender.id, None)
    security = BidSecurityOffer(
        instrument="pay_order", issuer="NBP", amount=Money(amount=Decimal(200000))
    )
    bids = {}
    for username, price in (("v.alpha", "900000"), ("v.beta", "950000")):
        bids[username] = application.submit_bid(
            _as(username, Role.VENDOR),
            tender.id,
            BidContents(
                prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(price))),),
                bid_security=security,
            ),
        ).id
    start = clock.now()
    clock.set(start + timedelta(days=20, minutes=31))
    application.open_bids(works, tender.id, None)
    application.start_evaluation(
        works, tender.id, ["m.one@wsd", "m.two@wsd", "m.three@wsd"], "m.one@wsd"
    )
    for member in ("m.one@wsd", "m.two@wsd", "m.three@wsd"):
        application.declare_interests(_as(member), tender.id, conflict=False, statement="")
    application.finalise_evaluation(_as("m.one@wsd"), tender.id)
    first = application.award_tender(works, tender.id, bids["v.alpha"], "")
    complaint = application.lodge_award_complaint(_as("v.beta", Role.VENDOR), first.id, "Forged")
    application.decide_award_complaint(
        chair,
        first.id,
        complaint.id,
        upheld=True,
        remedy=Remedy.REOPEN_EVALUATION,
        reasons="The guarantee is forged.",
    )
    application.disqualify_bid(_as("m.one@wsd"), tender.id, bids["v.alpha"], "Forged guarantee")
    application.finalise_evaluation(_as("m.one@wsd"), tender.id)
    second = application.award_tender(works, tender.id, bids["v.beta"], "")
    clock.set(clock.now() + timedelta(days=8))
    signed = application.sign_contract(
        works,
        second.id,
        Money(amount=Decimal(950000)),
        ContractPeriod(start=clock.now(), end=clock.now() + timedelta(days=90)),
    )
    return signed.position


def test_evaluation_award_and_contract_rebuild_equal_to_live(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    runner: ProjectionJob,
) -> None:
    position = _evaluated_history(application, clock)
    runner.wait(position, timeout=10)
    live = _snapshot(settings.dsn)
    assert [row[10] for row in sorted(live["public_awards"], key=lambda r: r[2])] == [
        "cancelled",
        "contracted",
    ]
    runner.stop()
    runners.rebuild(eventsourcing_env(settings.dsn, 2))
    assert _snapshot(settings.dsn) == live


def test_the_read_model_follows_the_store_and_a_rebuild_equals_it(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    runner: ProjectionJob,
) -> None:
    position = _history(application, clock)
    runner.wait(position, timeout=10)
    live = _snapshot(settings.dsn)
    assert len(live["public_tenders"]) == 2  # the draft is not public
    assert {row[17] for row in live["public_tenders"]} == {"active", "cancelled"}
    assert len(live["public_tender_questions"]) == 2
    assert len(live["public_tender_amendments"]) == 1

    runner.stop()
    replayed = runners.rebuild(eventsourcing_env(settings.dsn, 2))
    assert replayed == position
    assert _snapshot(settings.dsn) == live


def test_the_public_tables_never_hold_the_asker(settings: Settings) -> None:
    with psycopg.connect(settings.dsn) as conn:
        columns = {
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ANY(%s)",
                # A debarment names its vendor: that is what the list is for. A bidder's
                # security row is keyed by its vendor (the events name it) and never served
                # by a public read (projections/reads.tender_securities selects no id).
                (
                    [
                        t
                        for t in TABLES
                        if not t.startswith("public_debarment") and t != "public_securities"
                    ],
                ),
            )
        }
    assert not {"asked_by", "asker", "vendor_id", "account_id"} & columns


def test_rows_and_tracking_commit_together_or_not_at_all(settings: Settings) -> None:
    env = eventsourcing_env(settings.dsn, 2)
    factory = PostgresFactory(Environment("public_tenders", env))
    view = factory.tracking_recorder(PublicTendersView)
    try:
        with pytest.raises(PersistenceError):
            view.apply([("INSERT INTO no_such_table VALUES (1)", {})], Tracking("procurement", 7))
        assert view.max_tracking_id("procurement") is None
        view.apply([], Tracking("procurement", 7))
        assert view.max_tracking_id("procurement") == 7
    finally:
        factory.close()
