"""The opening finds a tender's bids through the index the store writes with each new bid
(``tender_bids``), in the transaction of its event: never by reading every bid event."""

from __future__ import annotations

import psycopg

from alembic import command
from domain.rules import OPENING_GRACE
from domain.tender import Tender
from procurement import migrations
from procurement.application import ProcurementApplication
from procurement.settings import Settings
from tests.integration.test_bid_deadlines import OFFICER, price, published, vendor
from tests.support import FakeClock, terms


def _another(application: ProcurementApplication, clock: FakeClock) -> Tender:
    drafted = application.draft_tender(OFFICER, terms(clock.now(), reference="another"))
    application.publish_tender(OFFICER, drafted.id, None)
    return application._load(Tender, drafted.id)


def _indexed(dsn: str) -> list[tuple[object, object]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT tender_id, bid_id FROM tender_bids ORDER BY seq").fetchall()


def test_each_new_bid_is_indexed_once_under_its_tender(
    application: ProcurementApplication, clock: FakeClock, settings: Settings
) -> None:
    one = published(application, clock)
    other = _another(application, clock)
    first = application.submit_bid(vendor("d.alpha"), one.id, price("100"))
    application.replace_bid(vendor("d.alpha"), one.id, price("90"))
    second = application.submit_bid(vendor("d.beta"), other.id, price("200"))
    third = application.submit_bid(vendor("d.beta"), one.id, price("300"))

    assert _indexed(settings.dsn) == [(one.id, first.id), (other.id, second.id), (one.id, third.id)]
    assert application.recorder.bids_on(one.id) == [first.id, third.id]  # type: ignore[attr-defined]


def test_the_opening_reads_the_bids_the_index_names(
    application: ProcurementApplication, clock: FakeClock, settings: Settings
) -> None:
    tender = published(application, clock)
    application.submit_bid(vendor("d.alpha"), tender.id, price("100"))
    application.submit_bid(vendor("d.beta"), tender.id, price("200"))
    with psycopg.connect(settings.dsn) as conn:  # a bid the index does not name is not read
        conn.execute(
            "DELETE FROM tender_bids WHERE bid_id = (SELECT bid_id FROM tender_bids "
            "ORDER BY seq DESC LIMIT 1)"
        )
    timeline = tender.terms.timeline
    clock.set(max(timeline.opening_time, timeline.submission_deadline + OPENING_GRACE))

    application.open_bids(OFFICER, tender.id, None)

    opening = application._load(Tender, tender.id).opening
    assert opening is not None
    assert [bid.vendor_name for bid in opening.bids] == ["d.alpha"]


def test_the_migration_indexes_the_bids_already_stored(
    application: ProcurementApplication, clock: FakeClock, settings: Settings
) -> None:
    tender = published(application, clock)
    bids = [
        application.submit_bid(vendor(name), tender.id, price("100")).id
        for name in ("d.alpha", "d.beta")
    ]
    config = migrations.alembic_config(settings.dsn)
    command.downgrade(config, "0013")
    try:
        migrations.upgrade(settings.dsn)
    finally:
        command.upgrade(config, "head")

    assert _indexed(settings.dsn) == [(tender.id, bid) for bid in bids]
