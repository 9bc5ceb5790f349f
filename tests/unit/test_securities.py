"""A tender's bid validity and securities (``TenderSecurities``): given events, when a
command, then new events or an error (with its code). No I/O."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain import errors
from domain.rules import PROFILE_NAMES, UnknownProfileError, security_rules
from domain.securities import (
    Bidder,
    ForfeitReason,
    Instrument,
    SecurityState,
    Standing,
    TenderSecurities,
    check_performance_security_percent,
    securities_id_for,
    validity_end,
)
from domain.values import Actor, Money, Role
from tests.support import START, officer, terms, vendor

DAY = timedelta(days=1)
RULES = security_rules("sppra")
ENDS = START + 90 * DAY
REQUIRED = Money(amount=Decimal("200000.00"))


def system_actor_for_tests() -> Actor:
    return Actor(account_id=uuid4(), role=Role.SYSTEM, request_id="scheduler")


def instrument(amount: str = "200000.00", *, confirmed: bool = True) -> Instrument:
    return Instrument(
        bank="Sindh Bank",
        reference="BG-1",
        amount=Money(amount=Decimal(amount)),
        confirmed_at=START if confirmed else None,
    )


def refusal(command: Callable[[], object], aggregate: Any) -> errors.ProcurementError:
    """The error the command is refused with; it leaves no event behind."""
    version = aggregate.version
    with pytest.raises(errors.ProcurementError) as refused:
        command()
    assert aggregate.version == version
    return refused.value


def given(*, bid_security: Money | None = REQUIRED) -> tuple[TenderSecurities, Actor, list[Actor]]:
    """A file opened at START with three bidders whose validity ends at ENDS."""
    entity = officer()
    bidders = [vendor() for _ in range(3)]
    tender_id = uuid4()
    file = TenderSecurities(
        tender_id=tender_id,
        entity="works",
        bidders=[
            Bidder(
                bid_id=uuid4(),
                vendor_id=b.account_id,
                vendor_name=f"bidder {n}",
                valid_until=ENDS,
            )
            for n, b in enumerate(bidders)
        ],
        bid_security=bid_security,
        rules=RULES,
        actor=entity,
        timestamp=START,
    )
    assert file.id == securities_id_for(tender_id)
    return file, entity, bidders


def bid_of(file: TenderSecurities, actor: Actor) -> Any:
    return file.bidders[actor.account_id].bid_id


def test_the_notice_sets_the_validity_end() -> None:
    notice = terms(START)
    assert validity_end(notice) == notice.timeline.submission_deadline + 90 * DAY


def test_an_extension_declined_or_lapsed_bars_the_award_accepted_extends_it() -> None:
    file, entity, (a, b, c) = given()
    new_end = ENDS + 30 * DAY
    assert (
        refusal(
            lambda: file.request_extension(new_end=ENDS, reason="x", actor=entity, timestamp=START),
            file,
        ).code
        == "invalid_terms"
    )
    assert (
        refusal(
            lambda: file.request_extension(
                new_end=new_end, reason=" ", actor=entity, timestamp=START
            ),
            file,
        ).code
        == "reason_required"
    )
    assert (
        refusal(
            lambda: file.request_extension(new_end=new_end, reason="x", actor=a, timestamp=START),
            file,
        ).code
        == "forbidden"
    )
    file.request_extension(new_end=new_end, reason="audit", actor=entity, timestamp=START)
    assert (
        refusal(
            lambda: file.request_extension(
                new_end=new_end, reason="x", actor=entity, timestamp=START
            ),
            file,
        ).code
        == "extension_request_closed"
    )

    file.answer_extension(accepted=False, instrument=None, actor=a, timestamp=START)
    assert (
        refusal(
            lambda: file.answer_extension(accepted=True, instrument=None, actor=b, timestamp=START),
            file,
        ).code
        == "security_not_recorded"
    )
    file.answer_extension(accepted=True, instrument=instrument(), actor=b, timestamp=START)
    assert file.bidders[b.account_id].valid_until == new_end
    assert file.lapsing(ENDS - DAY) == []
    assert file.lapsing(ENDS) == [c.account_id]
    assert (
        refusal(
            lambda: file.answer_extension(accepted=True, instrument=None, actor=c, timestamp=ENDS),
            file,
        ).code
        == "extension_request_closed"
    )
    file.lapse(vendors=[c.account_id], actor=system_actor_for_tests(), timestamp=ENDS)
    assert file.open_request is None
    assert file.bidders[c.account_id].standing is Standing.LAPSED

    for gone in (a, c):
        with pytest.raises(errors.BidValidityExpiredError):
            file.check_can_award(bid_of(file, gone), ENDS - DAY)
    file.check_can_award(bid_of(file, b), ENDS + DAY)
    with pytest.raises(errors.BidValidityExpiredError):
        file.check_can_award(bid_of(file, b), new_end)


def test_no_extension_is_asked_once_the_validity_ended() -> None:
    file, entity, _ = given()
    assert (
        refusal(
            lambda: file.request_extension(
                new_end=ENDS + DAY, reason="late", actor=entity, timestamp=ENDS
            ),
            file,
        ).code
        == "extension_request_closed"
    )


def test_a_security_is_recorded_once_and_closed_once() -> None:
    file, entity, (a, b, _) = given()
    assert (
        refusal(
            lambda: file.record_bid_security(
                vendor_id=a.account_id, instrument=instrument("1.00"), actor=entity, timestamp=START
            ),
            file,
        ).code
        == "security_insufficient"
    )
    assert (
        refusal(
            lambda: file.record_bid_security(
                vendor_id=a.account_id,
                instrument=instrument(confirmed=False),
                actor=entity,
                timestamp=START,
            ),
            file,
        ).code
        == "invalid_terms"
    )
    assert (
        refusal(
            lambda: file.release_bid_security(
                vendor_id=a.account_id, actor=entity, timestamp=START
            ),
            file,
        ).code
        == "security_not_recorded"
    )
    for bidder in (a, b):
        file.record_bid_security(
            vendor_id=bidder.account_id, instrument=instrument(), actor=entity, timestamp=START
        )
    assert (
        refusal(
            lambda: file.record_bid_security(
                vendor_id=a.account_id, instrument=instrument(), actor=entity, timestamp=START
            ),
            file,
        ).code
        == "security_already_recorded"
    )
    file.release_bid_security(vendor_id=a.account_id, actor=entity, timestamp=START)
    assert (
        refusal(
            lambda: file.release_bid_security(
                vendor_id=a.account_id, actor=entity, timestamp=START
            ),
            file,
        ).code
        == "security_closed"
    )
    assert (
        refusal(
            lambda: file.forfeit_bid_security(
                vendor_id=a.account_id,
                reason=ForfeitReason.OTHER,
                text="late",
                actor=entity,
                timestamp=START,
            ),
            file,
        ).code
        == "security_closed"
    )
    assert (
        refusal(
            lambda: file.forfeit_bid_security(
                vendor_id=b.account_id,
                reason=ForfeitReason.REFUSAL_TO_SIGN,
                text=" ",
                actor=entity,
                timestamp=START,
            ),
            file,
        ).code
        == "reason_required"
    )
    file.forfeit_bid_security(
        vendor_id=b.account_id,
        reason=ForfeitReason.REFUSAL_TO_SIGN,
        text="did not sign within the period",
        actor=entity,
        timestamp=START,
    )
    assert file.bidders[b.account_id].state is SecurityState.FORFEITED
    assert file.bidders[a.account_id].state is SecurityState.RELEASED


def test_a_bidder_who_declined_leaves_without_forfeiture() -> None:
    file, entity, (a, _, _) = given()
    file.record_bid_security(
        vendor_id=a.account_id, instrument=instrument(), actor=entity, timestamp=START
    )
    file.request_extension(new_end=ENDS + DAY, reason="audit", actor=entity, timestamp=START)
    file.answer_extension(accepted=False, instrument=None, actor=a, timestamp=START)
    assert (
        refusal(
            lambda: file.forfeit_bid_security(
                vendor_id=a.account_id,
                reason=ForfeitReason.OTHER,
                text="declined",
                actor=entity,
                timestamp=START,
            ),
            file,
        ).code
        == "invalid_terms"
    )
    # Its release is due the rules' period after it left.
    assert file.release_due(file.bidders[a.account_id], None) == START + RULES.release_period


def test_releases_are_overdue_the_period_after_the_contract_for_the_losers_only() -> None:
    file, entity, (a, b, c) = given()
    for bidder in (a, b, c):
        file.record_bid_security(
            vendor_id=bidder.account_id, instrument=instrument(), actor=entity, timestamp=START
        )
    file.release_bid_security(vendor_id=c.account_id, actor=entity, timestamp=START)
    signed = START + 10 * DAY
    due = signed + RULES.release_period
    assert (
        file.overdue_releases([a.account_id], {b.account_id: signed}, due - timedelta(seconds=1))
        == []
    )
    assert file.overdue_releases([a.account_id], {b.account_id: signed}, due) == [b.account_id]
    assert file.overdue_releases([a.account_id], {}, ENDS + RULES.release_period) == [b.account_id]
    file.flag_overdue(vendors=[b.account_id], actor=system_actor_for_tests(), timestamp=due)
    assert file.overdue_releases([a.account_id], {b.account_id: signed}, due) == []
    assert (
        refusal(
            lambda: file.flag_overdue(
                vendors=[c.account_id], actor=system_actor_for_tests(), timestamp=due
            ),
            file,
        ).code
        == "security_closed"
    )


def test_the_performance_security_is_at_least_the_notices_share_and_recorded_once() -> None:
    file, entity, (a, _, _) = given()
    award_id = uuid4()
    required = Money(amount=Decimal("90000.00"))
    assert refusal(lambda: file.check_performance_security(award_id), file).code == (
        "performance_security_required"
    )
    assert (
        refusal(
            lambda: file.record_performance_security(
                award_id=award_id,
                vendor_id=a.account_id,
                instrument=instrument("89999.99"),
                required=required,
                actor=entity,
                timestamp=START,
            ),
            file,
        ).code
        == "security_insufficient"
    )
    file.record_performance_security(
        award_id=award_id,
        vendor_id=a.account_id,
        instrument=instrument("90000.00"),
        required=required,
        actor=entity,
        timestamp=START,
    )
    file.check_performance_security(award_id)
    assert (
        refusal(
            lambda: file.record_performance_security(
                award_id=award_id,
                vendor_id=a.account_id,
                instrument=instrument("90000.00"),
                required=required,
                actor=entity,
                timestamp=START,
            ),
            file,
        ).code
        == "security_already_recorded"
    )


def test_the_file_replays_to_the_same_state() -> None:
    file, entity, (a, b, _) = given()
    file.record_bid_security(
        vendor_id=a.account_id, instrument=instrument(), actor=entity, timestamp=START
    )
    file.request_extension(new_end=ENDS + DAY, reason="audit", actor=entity, timestamp=START)
    file.answer_extension(accepted=True, instrument=instrument(), actor=a, timestamp=START)
    file.answer_extension(accepted=False, instrument=None, actor=b, timestamp=START)
    events = file.collect_events()
    replayed: Any = None
    for stored in events:
        replayed = stored.mutate(replayed)
    assert replayed.bidders == file.bidders
    assert replayed.requests == file.requests


@pytest.mark.parametrize("percent", ["0", "10.01", "50"])
def test_a_performance_security_percent_outside_the_cap_is_refused(percent: str) -> None:
    notice = terms(START, performance_security_percent=Decimal(percent))
    with pytest.raises(errors.PerformanceSecurityTooHighError):
        check_performance_security_percent(notice, RULES)


def test_the_release_period_is_the_verified_seven_days() -> None:
    assert RULES.release_period == 7 * DAY
    assert RULES.citations["release_period"].verified
    assert RULES.performance_security_max_percent == 10
    assert not RULES.citations["performance_security_max_percent"].verified
    for name in PROFILE_NAMES:
        assert security_rules(name).profile == name
    with pytest.raises(UnknownProfileError):
        security_rules("nowhere")
    check_performance_security_percent(terms(START), RULES)  # none asked
    check_performance_security_percent(
        terms(START, performance_security_percent=Decimal(10)), RULES
    )
