"""The application on a real PostgreSQL: what is saved, how, and what a conflict does."""

from __future__ import annotations

import base64
import json
import threading
from decimal import Decimal
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from domain import errors
from domain.bid import BidContents, Document, LotPrice
from domain.tender import Tender, TenderStatus
from domain.values import Money, Role
from procurement.application import ProcurementApplication
from procurement.database import eventsourcing_env
from procurement.settings import Settings
from tests.support import FakeClock, officer, terms, vendor


def _rows(url: str) -> list[tuple[int, str, bytes]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT notification_id, topic, state FROM procurement_events ORDER BY 1"
        ).fetchall()


def test_a_tender_survives_a_restart_with_equal_state(
    application: ProcurementApplication, settings: Settings, clock: FakeClock
) -> None:
    actor = officer()
    draft = application.draft_tender(actor, terms(clock.now()))
    application.publish_tender(actor, draft.id, expected_version=1)
    live: Tender = application.repository.get(draft.id)
    fresh = ProcurementApplication(eventsourcing_env(settings.dsn, 2), clock=clock)
    try:
        reloaded: Tender = fresh.repository.get(draft.id)
    finally:
        fresh.close()
    assert isinstance(reloaded, Tender)
    assert reloaded.status is TenderStatus.ACTIVE
    assert {k: v for k, v in vars(reloaded).items() if k != "_pending_events"} == {
        k: v for k, v in vars(live).items() if k != "_pending_events"
    }


def test_events_are_stored_under_stable_topics_with_actor_and_request_id(
    application: ProcurementApplication, settings: Settings, clock: FakeClock
) -> None:
    actor = officer()
    draft = application.draft_tender(actor, terms(clock.now()))
    application.publish_tender(actor, draft.id, None)
    rows = _rows(settings.dsn)
    assert [topic for _, topic, _ in rows] == [
        "procurement:Tender.TenderDrafted",
        "procurement:Tender.TenderPublished",
    ]
    for _, _, state in rows:
        recorded = json.loads(state)["actor"]["_data_"]
        assert recorded["account_id"] == str(actor.account_id)
        assert recorded["role"] == "officer"
        assert recorded["request_id"] == actor.request_id


def test_writes_return_their_global_position(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    first = application.draft_tender(officer(), terms(clock.now()))
    second = application.draft_tender(officer(), terms(clock.now()))
    assert (first.position, second.position) == (1, 2)


def test_a_concurrent_write_is_a_conflict_never_a_lost_update(
    application: ProcurementApplication, settings: Settings, clock: FakeClock
) -> None:
    actor = officer()
    draft = application.draft_tender(actor, terms(clock.now()))
    other = ProcurementApplication(eventsourcing_env(settings.dsn, 2), clock=clock)
    try:
        mine: Tender = application.repository.get(draft.id)
        theirs: Tender = other.repository.get(draft.id)
        mine.edit_draft(terms=terms(clock.now(), title="Mine"), actor=actor, timestamp=clock.now())
        theirs.edit_draft(
            terms=terms(clock.now(), title="Theirs"), actor=actor, timestamp=clock.now()
        )
        other.save(theirs)
        with pytest.raises(errors.VersionConflictError):
            application._save(mine)
    finally:
        other.close()
    assert application.tender_for_officer(actor, draft.id).terms.title == "Theirs"
    assert len(_rows(settings.dsn)) == 2


def test_a_stale_if_match_version_is_refused(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    actor = officer()
    draft = application.draft_tender(actor, terms(clock.now()))
    application.edit_tender(actor, draft.id, {"title": "Second"}, expected_version=1)
    with pytest.raises(errors.VersionMismatchError):
        application.edit_tender(actor, draft.id, {"title": "Third"}, expected_version=1)


def test_an_officer_of_another_entity_cannot_see_or_touch_the_tender(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    draft = application.draft_tender(officer("wsd"), terms(clock.now()))
    stranger = officer("health")
    with pytest.raises(errors.TenderNotFoundError):
        application.tender_for_officer(stranger, draft.id)
    with pytest.raises(errors.TenderNotFoundError):
        application.publish_tender(stranger, draft.id, None)
    with pytest.raises(errors.TenderNotFoundError):
        application.publish_tender(officer("wsd"), uuid4(), None)


def test_vendors_cannot_ask_about_drafts(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    draft = application.draft_tender(officer(), terms(clock.now()))
    with pytest.raises(errors.TenderNotFoundError):
        application.ask_question(vendor(), draft.id, "Anything?")


def test_one_account_per_username_and_the_password_checks(
    application: ProcurementApplication,
) -> None:
    application.register_account(
        officer(), username="Officer.One@wsd", password="a-long-password", role=Role.AUDITOR
    )
    with pytest.raises(errors.UsernameTakenError):
        application.register_account(
            officer(), username="officer.one@wsd", password="another-password", role=Role.ADMIN
        )
    principal = application.authenticate("OFFICER.ONE@WSD", "a-long-password")
    assert principal.role is Role.AUDITOR
    with pytest.raises(errors.InvalidCredentialsError):
        application.authenticate("officer.one@wsd", "wrong-password")
    with pytest.raises(errors.InvalidCredentialsError):
        application.authenticate("nobody", "a-long-password")


def test_a_bid_with_megabytes_of_documents_is_stored(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    """A multi-megabyte event: eventsourcing's pipelined insert never completes at this size
    (procurement/recorder.py); the store's own recorder takes it."""
    works = officer("wsd")
    tender = application.draft_tender(works, terms(clock.now()))
    application.publish_tender(works, tender.id, None)
    bidder = vendor()
    scan = base64.b64encode(bytes(3_000_000)).decode()  # a 3 MB scanned document
    done: dict[str, Any] = {}

    def submit() -> None:
        done["view"] = application.submit_bid(
            bidder,
            tender.id,
            BidContents(
                prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(100))),),
                documents=(Document(name="licence.pdf", content=scan),),
            ),
        )

    writer = threading.Thread(target=submit, daemon=True)
    writer.start()
    writer.join(30)
    assert "view" in done, "the insert of a large event did not complete"
    assert application.my_bid(bidder, tender.id).version == 1
