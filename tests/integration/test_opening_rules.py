"""A bid sealed on the vendor's machine is checked at the opening by the rules a plain bid
meets on arrival, and no envelope's length tells the size of its prices."""

from __future__ import annotations

from decimal import Decimal

from domain.bid import BidContents, EnvelopeName, LotPrice, SealedBid
from domain.opening import OpenedStatus
from domain.rules import OPENING_GRACE
from domain.tender import Tender
from domain.values import Money
from procurement.commands.application import ProcurementApplication
from procurement.crypto import hpke as sealing
from tests.integration.test_bid_deadlines import OFFICER, price, published, vendor
from tests.support import FakeClock


def sealed_by_vendor(tender: Tender, name: str, contents: BidContents) -> SealedBid:
    assert tender.sealing_keys is not None
    return sealing.seal_parts(
        tender.sealing_keys,
        tender.id,
        vendor(name).account_id,
        contents.split(tender.terms.method),
    )


def test_vendor_sealed_prices_that_break_the_rules_open_as_unreadable(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender = published(application, clock)
    one = Money(amount=Decimal("100.00"))
    twice = BidContents(prices=(LotPrice(lot_id="1", price=one), LotPrice(lot_id="1", price=one)))
    application.submit_bid(vendor("d.alpha"), tender.id, sealed_by_vendor(tender, "d.alpha", twice))
    application.submit_bid(vendor("d.beta"), tender.id, price("900000"))
    timeline = tender.terms.timeline
    clock.set(max(timeline.opening_time, timeline.submission_deadline + OPENING_GRACE))

    application.open_bids(OFFICER, tender.id, None)

    opening = application._load(Tender, tender.id).opening
    assert opening is not None
    outcome = {bid.vendor_name: (bid.status, bid.problem) for bid in opening.bids}
    assert outcome["d.alpha"][0] is OpenedStatus.UNREADABLE
    assert "price each lot once" in str(outcome["d.alpha"][1])
    assert outcome["d.beta"][0] is OpenedStatus.OPENED


def test_an_envelopes_length_does_not_tell_its_prices_size(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender = published(application, clock)
    small, large = (
        sealed_by_vendor(
            tender,
            "d.alpha",
            BidContents(prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(amount))),)),
        ).envelopes[0]
        for amount in ("1.00", "123456789012.00")
    )
    assert small.name == large.name == EnvelopeName.BID
    assert len(small.ciphertext) == len(large.ciphertext)
