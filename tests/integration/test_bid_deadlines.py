"""The edges of the deadline when a bid's write has to wait: a bid that arrived in time is not
refused because its write came after the deadline, and the opening never leaves out a bid
whose write lands while it runs.

A bid command awaits its loads and its write (``Waits`` in ``procurement/commands/bids.py``);
here a ``Stepwise`` hands each of them to the test, which carries them out one by one, so that
another write can be put between two of them."""

from __future__ import annotations

import types
from collections.abc import Callable, Coroutine, Generator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import pytest

from domain.account import VendorProfile, account_id_for
from domain.bid import Bid, BidContents, LotPrice
from domain.errors import BiddingClosedError, ForbiddenError
from domain.rules import OPENING_GRACE
from domain.tender import Tender, TenderStatus
from domain.values import Actor, Money, Role
from procurement.commands.application import BidView, ProcurementApplication, system_actor
from procurement.store.application_base import WriteResult
from procurement.store.recorder import StaleReadError
from tests.support import FakeClock, terms

OFFICER = Actor(
    account_id=account_id_for("d.officer@wsd"), role=Role.OFFICER, request_id="t", entity="wsd"
)
PASSWORD = "pw-123456789"
T = TypeVar("T")


@dataclass(frozen=True)
class Blocking:
    """A load the command waits for."""

    call: Callable[[], Any]


@dataclass(frozen=True)
class Commit:
    """A write through the group commit the command waits for."""

    bid: Bid
    tender: Tender


Steps = Coroutine[Blocking | Commit, Any, BidView]


@types.coroutine
def _pause(step: Blocking | Commit) -> Generator[Blocking | Commit, Any, Any]:
    return (yield step)


class Stepwise:
    """``Waits`` that hand each load and write to the test, one at a time."""

    async def load(self, call: Callable[[], T]) -> T:
        loaded: T = await _pause(Blocking(call))
        return loaded

    async def commit(self, bid: Bid, tender: Tender) -> WriteResult:
        written: WriteResult = await _pause(Commit(bid, tender))
        return written


def vendor(name: str) -> Actor:
    return Actor(account_id=account_id_for(name), role=Role.VENDOR, request_id="t")


def price(amount: str) -> BidContents:
    return BidContents(prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(amount))),))


def published(application: ProcurementApplication, clock: FakeClock) -> Tender:
    system = system_actor("t")
    application.register_account(
        system, username="d.officer@wsd", password=PASSWORD, role=Role.OFFICER, entity="wsd"
    )
    for name in ("d.alpha", "d.beta"):
        application.register_account(
            system,
            username=name,
            password=PASSWORD,
            role=Role.VENDOR,
            vendor=VendorProfile(legal_name=name, ntn="1234567-8", contact_email="a@b.example"),
        )
    drafted = application.draft_tender(OFFICER, terms(clock.now()))
    application.publish_tender(OFFICER, drafted.id, None)
    return application._load(Tender, drafted.id)


def waiting_write(steps: Steps) -> Commit:
    """Run a bid command's steps up to its write, and stop there."""
    step = steps.send(None)
    while isinstance(step, Blocking):
        step = steps.send(step.call())
    assert isinstance(step, Commit)
    return step


def finish(application: ProcurementApplication, steps: Steps, step: Commit) -> BidView:
    written = application._save_bid(step.bid, step.tender)
    with pytest.raises(StopIteration) as done:
        steps.send(written)
    view: BidView = done.value.value
    return view


def test_a_bid_that_arrived_before_the_deadline_is_kept_when_its_write_comes_after(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender = published(application, clock)
    deadline = tender.terms.timeline.submission_deadline
    clock.set(deadline - timedelta(seconds=1))
    steps = application._submit(vendor("d.beta"), tender.id, price("800000"), None, Stepwise())
    waiting_write(steps)
    # The write waited (the tender changed under it) until after the deadline.
    clock.set(deadline + timedelta(seconds=5))
    retry = steps.throw(StaleReadError({tender.id: tender.version}))
    assert isinstance(retry, Blocking)  # decided again on a fresh load of the tender
    step = steps.send(retry.call())
    while isinstance(step, Blocking):
        step = steps.send(step.call())
    assert isinstance(step, Commit)

    view = finish(application, steps, step)

    assert view.receipt["kind"] == "submitted"
    arrived = (deadline - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert view.receipt["received_at"] == arrived


def test_the_opening_closes_bidding_before_it_reads_the_bids(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender = published(application, clock)
    application.submit_bid(vendor("d.alpha"), tender.id, price("900000"))
    steps = application._submit(vendor("d.beta"), tender.id, price("800000"), None, Stepwise())
    waiting = waiting_write(steps)  # decided in time, its write still waiting
    timeline = tender.terms.timeline
    clock.set(max(timeline.opening_time, timeline.submission_deadline + OPENING_GRACE))
    read_bids = application._bids_on
    late: list[BaseException] = []

    def bids_on(tender_id: UUID) -> Iterator[Bid]:
        # The waiting write tries to land between the opening's reading of the bids and
        # its record: the tender is closed by then, so it is refused, not left out.
        try:
            application._save_bid(waiting.bid, waiting.tender)
        except StaleReadError as error:
            late.append(error)
        return iter(list(read_bids(tender_id)))

    application._bids_on = bids_on  # type: ignore[method-assign]
    application.open_bids(OFFICER, tender.id, None)

    assert len(late) == 1
    retry = steps.throw(late[0])
    assert isinstance(retry, Blocking)
    with pytest.raises(BiddingClosedError):
        steps.send(retry.call())  # refused on its fresh load, before any receipt
    opened = application._load(Tender, tender.id)
    assert opened.status is TenderStatus.OPENED
    assert opened.opening is not None
    assert [bid.vendor_name for bid in opened.opening.bids] == ["d.alpha"]
    topics = [event.topic for event in application.recorder.select_events(tender.id)]
    assert topics[-2:] == [Tender.BiddingClosed.TOPIC, Tender.BidsOpened.TOPIC]


def test_only_a_vendor_account_can_bid(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender = published(application, clock)
    before = application.recorder.max_notification_id()

    with pytest.raises(ForbiddenError):
        application.submit_bid(OFFICER, tender.id, price("1"))
    with pytest.raises(ForbiddenError):
        application.withdraw_bid(OFFICER, tender.id)

    assert application.recorder.max_notification_id() == before
