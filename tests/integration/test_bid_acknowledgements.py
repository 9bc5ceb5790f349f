"""A bid write that landed but was reported as failed (the commit's acknowledgement lost and
the insert retried into its own row) gets its receipt, not a refusal."""

from __future__ import annotations

import pytest

from domain.errors import VersionConflictError
from procurement.commands.application import BidView, ProcurementApplication
from procurement.store.application_base import WriteResult
from tests.integration.test_bid_deadlines import (
    Blocking,
    Steps,
    Stepwise,
    price,
    published,
    vendor,
    waiting_write,
)
from tests.support import FakeClock


def landed_but_reported_lost(
    application: ProcurementApplication, steps: Steps
) -> tuple[WriteResult, BidView]:
    """Let a bid command's write land, then tell the command it failed; its answer."""
    step = waiting_write(steps)
    landed = application._save_bid(step.bid, step.tender)  # in the store...
    load = steps.throw(VersionConflictError("reported as failed"))  # ...but reported lost
    assert isinstance(load, Blocking)
    with pytest.raises(StopIteration) as done:
        steps.send(load.call())
    view: BidView = done.value.value
    return landed, view


def test_a_landed_submission_reported_as_a_conflict_gets_its_receipt(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender = published(application, clock)
    steps = application._submit(vendor("d.alpha"), tender.id, price("900000"), None, Stepwise())

    landed, view = landed_but_reported_lost(application, steps)

    assert view.receipt["kind"] == "submitted"
    assert (view.version, view.receipt["position"]) == (landed.version, landed.position)
    assert application.recorder.max_notification_id() == landed.position  # nothing again


def test_a_landed_replacement_reported_as_a_conflict_gets_its_receipt(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender = published(application, clock)
    application.submit_bid(vendor("d.alpha"), tender.id, price("900000"))
    steps = application._replace(vendor("d.alpha"), tender.id, price("850000"), None, Stepwise())

    landed, view = landed_but_reported_lost(application, steps)

    assert view.receipt["kind"] == "replaced"
    assert (view.version, view.receipt["position"]) == (landed.version, landed.position)


def test_a_conflict_with_another_write_is_decided_again(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender = published(application, clock)
    application.submit_bid(vendor("d.alpha"), tender.id, price("900000"))
    steps = application._replace(vendor("d.alpha"), tender.id, price("850000"), None, Stepwise())
    waiting_write(steps)
    application.replace_bid(vendor("d.alpha"), tender.id, price("840000"))  # another request

    load = steps.throw(VersionConflictError("another write came first"))
    assert isinstance(load, Blocking)
    again = steps.send(load.call())
    assert isinstance(again, Blocking)  # decided again on a fresh load, not taken as landed
