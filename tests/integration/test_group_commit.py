"""The group commit on PostgreSQL: concurrent bids share transactions, conflicts stay theirs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.bid import Bid, BidContents, BidStatus, LotPrice, bid_id_for
from domain.errors import BidExistsError, TenderCancelledError, VersionConflictError
from domain.tender import Tender
from domain.values import Method, Money
from procurement.commands.application import ProcurementApplication
from procurement.settings import Settings
from procurement.store.group_commit import GroupCommitter
from procurement.store.recorder import StaleReadError
from tests.support import FakeClock, officer, terms, timeline, vendor


def _tender(application: ProcurementApplication, clock: FakeClock) -> UUID:
    works = officer()
    draft = application.draft_tender(works, terms(clock.now()))
    application.publish_tender(works, draft.id, None)
    return draft.id


def _contents(amount: str) -> BidContents:
    return BidContents(prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(amount))),))


def _events(dsn: str, topic_prefix: str) -> list[tuple[int, UUID]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT notification_id, originator_id FROM procurement_events "
            "WHERE topic LIKE %s ORDER BY 1",
            (topic_prefix + "%",),
        ).fetchall()


def test_concurrent_bids_are_all_saved_once(
    application: ProcurementApplication, settings: Settings, clock: FakeClock
) -> None:
    tender_id = _tender(application, clock)
    vendors = [vendor() for _ in range(60)]
    start = threading.Barrier(20)

    def bid(n: int) -> int:
        if n < 20:
            start.wait()
        return application.submit_bid(vendors[n], tender_id, _contents(f"{n + 1}.00")).version

    with ThreadPoolExecutor(max_workers=20) as pool:
        versions = list(pool.map(bid, range(60)))
    assert versions == [1] * 60
    stored = _events(settings.dsn, "procurement:Bid.")
    assert sorted(o for _, o in stored) == sorted(
        bid_id_for(tender_id, v.account_id) for v in vendors
    )
    positions = [n for n, _ in stored]
    assert positions == list(range(positions[0], positions[0] + 60))  # contiguous, none lost


def test_concurrent_submissions_by_one_vendor_leave_exactly_one_live_bid(
    application: ProcurementApplication, settings: Settings, clock: FakeClock
) -> None:
    tender_id = _tender(application, clock)
    same = vendor()
    start = threading.Barrier(8)

    def bid(n: int) -> str:
        start.wait()
        try:
            application.submit_bid(same, tender_id, _contents(f"{n + 1}.00"))
        except (VersionConflictError, BidExistsError) as refused:
            return refused.code
        return "accepted"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(bid, range(8)))
    assert outcomes.count("accepted") == 1
    assert set(outcomes) <= {"accepted", "version_conflict", "bid_exists"}
    bids = _events(settings.dsn, "procurement:Bid.")
    assert len(bids) == 1
    stored: Bid = application.repository.get(bid_id_for(tender_id, same.account_id))
    assert stored.status is BidStatus.SUBMITTED


def test_a_conflicting_member_fails_alone(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = _tender(application, clock)
    owner = vendor()
    first = application.submit_bid(owner, tender_id, _contents("1.00"))
    later = clock.now().replace(year=2030)
    stale: Bid = application.repository.get(first.id)
    fresh: Bid = application.repository.get(first.id)
    fresh.withdraw(deadline=later, actor=owner, timestamp=clock.now())
    application.save(fresh)
    stale.withdraw(deadline=later, actor=owner, timestamp=clock.now())  # now out of date
    others = [
        Bid(
            tender_id=tender_id,
            vendor_id=v.account_id,
            envelopes=fresh.envelopes,
            method=Method.SINGLE_STAGE_ONE_ENVELOPE,
            deadline=later,
            actor=v,
            timestamp=clock.now(),
        )
        for v in (vendor(), vendor())
    ]
    committer = GroupCommitter(application, window=0.05)  # wide enough to batch all three
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(committer.save, a) for a in (others[0], stale, others[1])]
        assert futures[0].result().version == 1
        assert futures[2].result().version == 1
        with pytest.raises(IntegrityError):
            futures[1].result()
    finally:
        committer.stop()
    stored: list[Bid] = [application.repository.get(a.id) for a in others]
    assert [b.status for b in stored] == [BidStatus.SUBMITTED, BidStatus.SUBMITTED]


# A tender remembered by one process, changed by another -----------------------------------


@pytest.fixture
def other_process(settings: Settings, clock: FakeClock) -> Iterator[ProcurementApplication]:
    """A second application on the same store: another API process, with its own memory."""
    app = ProcurementApplication.from_settings(settings, clock)
    yield app
    app.close()


def _vendor_bids(dsn: str, tender_id: UUID) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procurement_events WHERE topic = %s "
            "AND convert_from(state, 'UTF8')::jsonb #>> '{tender_id,_data_}' = %s",
            (Bid.BidSubmitted.TOPIC, tender_id.hex),
        ).fetchone()
    return int(row[0]) if row else 0


def test_a_tender_cancelled_elsewhere_takes_no_more_bids(
    application: ProcurementApplication,
    other_process: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
) -> None:
    tender_id = _tender(application, clock)
    application.submit_bid(vendor(), tender_id, _contents("1.00"))  # the tender is remembered
    other_process.cancel_tender(officer(), tender_id, "funds withdrawn", None)
    with pytest.raises(TenderCancelledError):
        application.submit_bid(vendor(), tender_id, _contents("2.00"))
    assert _vendor_bids(settings.dsn, tender_id) == 1


def test_a_deadline_extended_elsewhere_is_honoured(
    application: ProcurementApplication,
    other_process: ProcurementApplication,
    clock: FakeClock,
) -> None:
    tender_id = _tender(application, clock)
    application.submit_bid(vendor(), tender_id, _contents("1.00"))  # the tender is remembered
    old = application.tender_for_officer(officer(), tender_id).terms.timeline
    later = timeline(clock.now(), days=40)
    other_process.amend_tender(officer(), tender_id, "more time for site visits", later, None)
    clock.advance(old.submission_deadline - clock.now() + timedelta(hours=1))
    accepted = application.submit_bid(vendor(), tender_id, _contents("2.00"))
    assert accepted.status is BidStatus.SUBMITTED


def test_a_member_decided_on_a_stale_read_fails_alone(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = _tender(application, clock)
    tender: Tender = application.repository.get(tender_id)
    version = tender.version
    first = application.submit_bid(vendor(), tender_id, _contents("1.00"))
    stored: Bid = application.repository.get(first.id)
    envelopes = stored.envelopes
    bidders = [vendor(), vendor(), vendor()]
    bids = [
        Bid(
            tender_id=tender_id,
            vendor_id=v.account_id,
            envelopes=envelopes,
            method=Method.SINGLE_STAGE_ONE_ENVELOPE,
            deadline=clock.now().replace(year=2030),
            actor=v,
            timestamp=clock.now(),
        )
        for v in bidders
    ]
    committer = GroupCommitter(application, window=0.05)  # wide enough to batch all three
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [
                pool.submit(committer.save, bid, {tender_id: expected})
                for bid, expected in zip(bids, (version, version - 1, version), strict=True)
            ]
        assert futures[0].result().version == 1
        assert futures[2].result().version == 1
        with pytest.raises(StaleReadError) as stale:
            futures[1].result()
        assert stale.value.stale == {tender_id: version}
    finally:
        committer.stop()
    assert application.repository.get(bids[0].id).version == 1
    with pytest.raises(AggregateNotFoundError):
        application.repository.get(bids[1].id)


def test_a_caller_that_stops_waiting_leaves_its_batch_alone(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = _tender(application, clock)
    first = application.submit_bid(vendor(), tender_id, _contents("1.00"))
    stored: Bid = application.repository.get(first.id)
    bids = [
        Bid(
            tender_id=tender_id,
            vendor_id=v.account_id,
            envelopes=stored.envelopes,
            method=Method.SINGLE_STAGE_ONE_ENVELOPE,
            deadline=clock.now().replace(year=2030),
            actor=v,
            timestamp=clock.now(),
        )
        for v in (vendor(), vendor())
    ]
    committer = GroupCommitter(application, window=0.05)
    try:
        gone, waiting = (committer.submit(bid) for bid in bids)
        assert not gone.cancel()  # handed over: written or refused with its batch
        assert waiting.result(timeout=10).version == 1
        assert gone.result(timeout=10).version == 1
    finally:
        committer.stop()
