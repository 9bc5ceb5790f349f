"""One lot of a tender awarded by lot cancelled alone (docs/lots.md): the Tender's guards,
the report that skips the lot and replays as stored, and the securities' outcome. No I/O."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import uuid4

import pytest

from domain import errors
from domain.evaluation import Evaluation
from domain.tender import Tender
from domain.values import Item, Lot
from projections.ocds import release_events
from tests.support import START, officer, terms
from tests.unit.test_lots import by_lot, lot_ranking, on
from tests.unit.test_methods import _published

CANCELLED_AT = START + timedelta(days=2)


def lot(lot_id: str) -> Lot:
    return Lot(
        id=lot_id,
        title=f"Lot {lot_id}",
        items=(Item(id=f"{lot_id}-1", description="Works", quantity=Decimal(1), unit="job"),),
    )


def by_lot_tender(*lot_ids: str, award_by_lot: bool = True) -> Tender:
    return _published(lots=tuple(lot(i) for i in lot_ids), award_by_lot=award_by_lot)


def cancel(tender: Tender, lot_id: str, reason: str = "Merged into the district's scheme") -> None:
    tender.cancel_lot(lot_id=lot_id, reason=reason, actor=officer(), timestamp=CANCELLED_AT)


def test_a_lot_is_cancelled_once_with_its_reason_while_another_stays_open() -> None:
    tender = by_lot_tender("1", "2", "3")
    cancel(tender, "2")
    cancellation = tender.cancelled_lots["2"]
    assert (cancellation.reason, cancellation.cancelled_at) == (
        "Merged into the district's scheme",
        CANCELLED_AT,
    )
    assert tender.open_lots() == ["1", "3"]
    with pytest.raises(errors.LotCancelledError, match="lot 2 was cancelled"):
        cancel(tender, "2")
    with pytest.raises(errors.LotCancelledError):
        tender.check_lot_open("2")
    tender.check_lot_open("1")
    tender.check_lot_open(None)  # the whole tender's award names no lot
    with pytest.raises(errors.UnknownLotError):
        cancel(tender, "9")
    with pytest.raises(errors.InvalidTermsError, match="reason"):
        cancel(tender, "1", reason="  ")
    cancel(tender, "1")
    with pytest.raises(errors.LastOpenLotError, match="cancel the tender"):
        cancel(tender, "3")
    assert errors.LastOpenLotError.field == errors.LotCancelledError.field == "lot_id"


def test_only_a_published_tender_awarded_by_lot_and_not_cancelled_has_a_lot_cancelled() -> None:
    with pytest.raises(errors.NotAwardedByLotError):
        cancel(by_lot_tender("1", "2", award_by_lot=False), "1")
    drafted = terms(START, lots=(lot("1"), lot("2")), award_by_lot=True)
    draft = Tender(id=uuid4(), entity="wsd", terms=drafted, actor=officer(), timestamp=START)
    with pytest.raises(errors.TenderNotPublishedError):
        cancel(draft, "1")
    tender = by_lot_tender("1", "2")
    tender.cancel(reason="No budget", actor=officer(), timestamp=CANCELLED_AT)
    with pytest.raises(errors.TenderCancelledError):
        cancel(tender, "1")


def test_a_replayed_tender_has_its_lots_cancelled() -> None:
    tender = by_lot_tender("1", "2")
    cancel(tender, "1")
    replayed: Any = None
    for recorded in tender.collect_events():
        replayed = recorded.mutate(replayed)
    assert isinstance(replayed, Tender)
    assert replayed.cancelled_lots == tender.cancelled_lots
    assert replayed.open_lots() == ["2"]


def test_a_bid_in_plain_prices_no_cancelled_lot() -> None:
    tender = by_lot_tender("1", "2", "3")
    cancel(tender, "2")
    tender.check_prices_open(["1", "3"])
    with pytest.raises(errors.CancelledLotPricedError, match="price only the open lots"):
        tender.check_prices_open(["1", "2"])
    assert errors.CancelledLotPricedError.field == "contents.prices"


def test_the_report_skips_a_cancelled_lot_and_replays_as_stored() -> None:
    best, second = on({"1": "300.00", "2": "300.00"}), on({"1": "400.00", "2": "200.00"})
    case = by_lot(best, second)
    report = case.evaluation.compute_report(("2",))
    assert report.cancelled_lots == ("2",)
    assert [result.lot_id for result in report.lots] == ["1"]
    assert lot_ranking(report, "2") == []  # neither ranked nor recommended
    assert lot_ranking(report, "1") == [best.bid_id, second.bid_id]
    case.evaluation.finalise(report=report, actor=case.chair, timestamp=START)
    case.events()
    replayed: Any = None
    for recorded in case.history:
        replayed = recorded.mutate(replayed)
    assert isinstance(replayed, Evaluation)
    assert replayed.latest_report == report
    # A report that does not skip what it says it skips is refused.
    other = by_lot(best, second)
    forged = other.evaluation.compute_report().model_copy(update={"cancelled_lots": ("2",)})
    with pytest.raises(errors.EvaluationStateError):
        other.evaluation.finalise(report=forged, actor=other.chair, timestamp=START)
    # With none cancelled, the report is as every report stored before.
    assert other.evaluation.compute_report().cancelled_lots == ()


def test_every_lot_cancelled_but_one_without_a_bid_leaves_the_report_unsuccessful() -> None:
    only_on_2 = on({"2": "300.00"})
    case = by_lot(only_on_2)
    report = case.evaluation.compute_report(("2",))
    assert report.unsuccessful
    assert [(r.lot_id, r.recommended_bid) for r in report.lots] == [("1", None)]


def test_ocds_marks_the_lot_cancelled_and_decides_the_tender_once_no_lot_is_active() -> None:
    tender = by_lot_tender("1", "2", "3")
    tender.collect_events()
    cancel(tender, "3")
    [event] = tender.collect_events()
    state: Any = {
        "tender": {
            "status": "active",
            "lots": [{"id": lot_id, "status": "active"} for lot_id in ("1", "2", "3")],
            "documents": [],
        }
    }
    assert release_events.apply(event, state, cast("Any", None)) == "tenderUpdate"
    lots = state["tender"]["lots"]
    assert [lot["status"] for lot in lots] == ["active", "active", "cancelled"]
    assert state["tender"]["status"] == "active"  # lots 1 and 2 are still open
    [document] = state["tender"]["documents"]
    assert (document["documentType"], document["relatedLots"]) == ("cancellationDetails", ["3"])
    release_events._set_status(state["tender"], "active")  # e.g. a report reopened
    assert lots[2]["status"] == "cancelled"  # a cancelled lot stays so
    lots[0]["status"] = lots[1]["status"] = "unsuccessful"
    release_events._lots_decided(state["tender"])
    assert state["tender"]["status"] == "unsuccessful"  # no lot contracted
    lots[1]["status"] = "complete"
    release_events._lots_decided(state["tender"])
    assert state["tender"]["status"] == "complete"
