"""Award: given events, when a command, then new events or an error. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain import errors
from domain.award import Award, AwardStatus, ComplaintStatus, ContractPeriod, Remedy
from domain.evaluation import award_id_for
from domain.values import Actor, Money
from tests.support import START, officer, vendor

NOW = START
ENTITY = "wsd"
STANDSTILL_ENDS = NOW + timedelta(days=10)
AFTER = STANDSTILL_ENDS + timedelta(days=1)
VALUE = Money(amount=Decimal("9500000.00"))
PERIOD = ContractPeriod(start=AFTER, end=AFTER + timedelta(days=365))


@dataclass
class Case:
    award: Award
    winner: Actor
    loser: Actor
    officer: Actor
    history: list[Any] = field(default_factory=list)

    def events(self) -> list[Any]:
        events = list(self.award.collect_events())
        self.history.extend(events)
        return events

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events()]

    def complain(self, grounds: str = "The winner's licence is forged", at: datetime = NOW) -> UUID:
        complaint_id = uuid4()
        self.award.lodge_complaint(
            complaint_id=complaint_id, grounds=grounds, actor=self.loser, timestamp=at
        )
        self.events()
        return complaint_id

    def decide(
        self,
        complaint_id: UUID,
        *,
        upheld: bool,
        remedy: Remedy | None = None,
        reasons: str = "The licence was checked with the council",
    ) -> None:
        self.award.decide_complaint(
            complaint_id=complaint_id,
            upheld=upheld,
            remedy=remedy,
            reasons=reasons,
            actor=self.officer,
            timestamp=NOW + timedelta(days=2),
        )

    def sign(
        self, value: Money = VALUE, period: ContractPeriod = PERIOD, at: datetime = AFTER
    ) -> None:
        self.award.sign_contract(value=value, period=period, actor=self.officer, timestamp=at)


def make(
    *,
    winner: Actor | None = None,
    bidders: list[UUID] | None = None,
    standstill_ends: datetime = STANDSTILL_ENDS,
) -> Award:
    tender_id = uuid4()
    vendor_id = (winner or vendor()).account_id
    return Award(
        id=award_id_for(tender_id, 1),
        tender_id=tender_id,
        entity=ENTITY,
        report_number=1,
        bid_id=uuid4(),
        vendor_id=vendor_id,
        vendor_name="Indus Builders",
        value=VALUE,
        rank=1,
        reason="",
        standstill_ends=standstill_ends,
        bidders=[vendor_id] if bidders is None else bidders,
        actor=officer(ENTITY),
        timestamp=NOW,
    )


def given() -> Case:
    """An award made now to one of two bidders, in its standstill."""
    winner, loser = vendor(), vendor()
    award = make(winner=winner, bidders=[winner.account_id, loser.account_id])
    case = Case(award=award, winner=winner, loser=loser, officer=officer(ENTITY))
    case.events()
    return case


# Making the award ------------------------------------------------------------------------


def test_an_award_starts_its_standstill() -> None:
    winner, loser = vendor(), vendor()
    award = make(winner=winner, bidders=[winner.account_id, loser.account_id])
    [made] = award.collect_events()
    assert isinstance(made, Award.AwardMade)
    assert made.vendor_id == winner.account_id
    assert made.standstill_ends == STANDSTILL_ENDS
    assert award.status is AwardStatus.STANDSTILL
    assert award.made_at == NOW
    assert award.bidders == {winner.account_id, loser.account_id}
    assert award.complaints == {}
    assert award.contract is None


def test_the_standstill_cannot_end_before_the_award() -> None:
    with pytest.raises(errors.InvalidTermsError):
        make(standstill_ends=NOW - timedelta(microseconds=1))
    assert make(standstill_ends=NOW).standstill_ends == NOW  # no standstill at all


def test_the_award_goes_to_a_bidder() -> None:
    with pytest.raises(errors.NotABidderError):
        make(bidders=[uuid4(), uuid4()])


# Complaints ------------------------------------------------------------------------------


def test_a_bidder_complains_during_the_standstill() -> None:
    case = given()
    complaint_id = uuid4()
    at = STANDSTILL_ENDS - timedelta(microseconds=1)
    case.award.lodge_complaint(
        complaint_id=complaint_id, grounds="Forged licence", actor=case.loser, timestamp=at
    )
    [lodged] = case.events()
    assert isinstance(lodged, Award.ComplaintLodged)
    assert lodged.complaint_id == complaint_id
    assert lodged.grounds == "Forged licence"
    [pending] = case.award.pending_complaints()
    assert pending.id == complaint_id
    assert pending.vendor_id == case.loser.account_id
    assert pending.lodged_at == at
    assert pending.status is ComplaintStatus.PENDING


def test_the_winner_too_may_complain() -> None:
    case = given()
    case.award.lodge_complaint(
        complaint_id=uuid4(), grounds="The value is wrong", actor=case.winner, timestamp=NOW
    )
    assert case.names() == ["ComplaintLodged"]


@pytest.mark.parametrize("who", [vendor, lambda: officer(ENTITY)], ids=["vendor", "officer"])
def test_only_a_bidder_complains(who: Any) -> None:
    case = given()
    with pytest.raises(errors.NotABidderError):
        case.award.lodge_complaint(
            complaint_id=uuid4(), grounds="Unfair", actor=who(), timestamp=NOW
        )
    assert case.names() == []
    assert case.award.complaints == {}


@pytest.mark.parametrize(
    "at", [STANDSTILL_ENDS, STANDSTILL_ENDS + timedelta(microseconds=1), AFTER]
)
def test_complaints_close_with_the_standstill(at: datetime) -> None:
    case = given()
    with pytest.raises(errors.ComplaintPeriodClosedError):
        case.award.lodge_complaint(
            complaint_id=uuid4(), grounds="Unfair", actor=case.loser, timestamp=at
        )
    assert case.names() == []


@pytest.mark.parametrize("grounds", ["", "   ", "\n\t"])
def test_a_complaint_states_its_grounds(grounds: str) -> None:
    case = given()
    with pytest.raises(errors.ReasonRequiredError):
        case.award.lodge_complaint(
            complaint_id=uuid4(), grounds=grounds, actor=case.loser, timestamp=NOW
        )
    assert case.names() == []


def test_a_complaint_id_is_used_once() -> None:
    case = given()
    complaint_id = case.complain()
    with pytest.raises(errors.ComplaintExistsError):
        case.award.lodge_complaint(
            complaint_id=complaint_id, grounds="Again", actor=case.loser, timestamp=NOW
        )
    assert case.award.complaints[complaint_id].grounds == "The winner's licence is forged"


def test_deciding_an_unknown_complaint_is_refused() -> None:
    case = given()
    case.complain()
    with pytest.raises(errors.ComplaintNotFoundError):
        case.decide(uuid4(), upheld=False)
    assert case.names() == []


def test_a_complaint_is_decided_once() -> None:
    case = given()
    complaint_id = case.complain()
    case.decide(complaint_id, upheld=False)
    with pytest.raises(errors.ComplaintDecidedError):
        case.decide(complaint_id, upheld=True, remedy=Remedy.CANCEL_AWARD)
    assert case.names() == ["ComplaintDecided"]
    assert case.award.complaints[complaint_id].status is ComplaintStatus.DISMISSED
    assert case.award.status is AwardStatus.STANDSTILL


def test_an_upheld_complaint_names_its_remedy() -> None:
    case = given()
    complaint_id = case.complain()
    with pytest.raises(errors.ReasonRequiredError):
        case.decide(complaint_id, upheld=True, remedy=None)
    assert case.names() == []
    assert case.award.pending_complaints()


def test_a_dismissed_complaint_has_no_remedy() -> None:
    case = given()
    complaint_id = case.complain()
    with pytest.raises(errors.InvalidTermsError):
        case.decide(complaint_id, upheld=False, remedy=Remedy.REOPEN_EVALUATION)
    assert case.names() == []
    assert case.award.pending_complaints()


@pytest.mark.parametrize("upheld", [True, False])
def test_a_decision_gives_its_reasons(upheld: bool) -> None:
    case = given()
    complaint_id = case.complain()
    with pytest.raises(errors.ReasonRequiredError):
        case.decide(
            complaint_id,
            upheld=upheld,
            remedy=Remedy.CANCEL_AWARD if upheld else None,
            reasons="  ",
        )
    assert case.names() == []


@pytest.mark.parametrize("remedy", list(Remedy))
def test_an_upheld_complaint_cancels_the_award(remedy: Remedy) -> None:
    case = given()
    complaint_id = case.complain()
    case.decide(complaint_id, upheld=True, remedy=remedy, reasons="The licence is forged")
    [decided] = case.events()
    assert isinstance(decided, Award.ComplaintDecided)
    assert decided.upheld is True
    assert decided.remedy is remedy
    assert case.award.status is AwardStatus.CANCELLED
    assert case.award.cancellation_reason == "complaint upheld: The licence is forged"
    complaint = case.award.complaints[complaint_id]
    assert complaint.status is ComplaintStatus.UPHELD
    assert complaint.remedy is remedy
    assert complaint.decision_reasons == "The licence is forged"
    assert complaint.decided_at == NOW + timedelta(days=2)
    assert case.award.pending_complaints() == []
    with pytest.raises(errors.AwardNotActiveError):
        case.sign()
    with pytest.raises(errors.AwardNotActiveError):
        case.complain()
    with pytest.raises(errors.AwardNotActiveError):
        case.award.cancel(reason="again", actor=case.officer, timestamp=NOW)


def test_a_dismissed_complaint_lets_the_process_go_on() -> None:
    case = given()
    complaint_id = case.complain()
    case.decide(complaint_id, upheld=False, reasons="The licence is genuine")
    assert case.names() == ["ComplaintDecided"]
    complaint = case.award.complaints[complaint_id]
    assert complaint.status is ComplaintStatus.DISMISSED
    assert complaint.remedy is None
    assert case.award.status is AwardStatus.STANDSTILL
    assert case.award.cancellation_reason is None
    case.sign()
    assert case.names() == ["ContractSigned"]
    assert case.award.contract is not None


def test_the_remedy_is_stored_as_a_remedy_even_when_given_by_its_value() -> None:
    case = given()
    complaint_id = case.complain()
    case.decide(complaint_id, upheld=True, remedy=Remedy("reopen_evaluation"))
    assert case.award.complaints[complaint_id].remedy is Remedy.REOPEN_EVALUATION


# Cancelling ------------------------------------------------------------------------------


def test_cancelling_waits_for_a_pending_complaint() -> None:
    case = given()
    complaint_id = case.complain()
    with pytest.raises(errors.ComplaintPendingError):
        case.award.cancel(reason="Funds withdrawn", actor=case.officer, timestamp=NOW)
    assert case.names() == []
    assert case.award.status is AwardStatus.STANDSTILL
    case.decide(complaint_id, upheld=False)
    case.award.cancel(reason="Funds withdrawn", actor=case.officer, timestamp=NOW)
    assert case.names() == ["ComplaintDecided", "AwardCancelled"]


@pytest.mark.parametrize("reason", ["", "  "])
def test_cancelling_needs_a_reason(reason: str) -> None:
    case = given()
    with pytest.raises(errors.ReasonRequiredError):
        case.award.cancel(reason=reason, actor=case.officer, timestamp=NOW)
    assert case.names() == []
    assert case.award.cancellation_reason is None


def test_a_cancelled_award_takes_nothing_more() -> None:
    case = given()
    case.award.cancel(reason="Funds withdrawn", actor=case.officer, timestamp=NOW)
    [cancelled] = case.events()
    assert isinstance(cancelled, Award.AwardCancelled)
    assert cancelled.reason == "Funds withdrawn"
    assert case.award.status is AwardStatus.CANCELLED
    assert case.award.cancellation_reason == "Funds withdrawn"
    with pytest.raises(errors.AwardNotActiveError):
        case.award.cancel(reason="again", actor=case.officer, timestamp=NOW)
    with pytest.raises(errors.AwardNotActiveError):
        case.complain()
    with pytest.raises(errors.AwardNotActiveError):
        case.sign()
    assert case.names() == []
    assert case.award.contract is None


# The contract ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "at", [NOW, STANDSTILL_ENDS - timedelta(microseconds=1)], ids=["award", "last-moment"]
)
def test_no_contract_during_the_standstill(at: datetime) -> None:
    case = given()
    with pytest.raises(errors.StandstillError):
        case.sign(at=at)
    assert case.names() == []
    assert case.award.contract is None


def test_the_contract_is_signed_once_the_standstill_ends() -> None:
    case = given()
    case.sign(at=STANDSTILL_ENDS)
    assert case.names() == ["ContractSigned"]
    assert case.award.status is AwardStatus.CONTRACTED


def test_no_contract_while_a_complaint_is_pending() -> None:
    case = given()
    case.complain(at=STANDSTILL_ENDS - timedelta(hours=1))
    with pytest.raises(errors.ComplaintPendingError):
        case.sign()
    assert case.names() == []
    assert case.award.status is AwardStatus.STANDSTILL


@pytest.mark.parametrize(
    ("value", "period"),
    [
        (Money(amount=Decimal("9500000.00"), currency="USD"), PERIOD),
        (Money(amount=Decimal(0)), PERIOD),
        (VALUE, ContractPeriod(start=AFTER, end=AFTER - timedelta(days=1))),
        (VALUE, ContractPeriod(start=AFTER, end=AFTER)),
    ],
    ids=["currency", "zero", "ends-before-start", "empty-period"],
)
def test_the_contract_terms_are_checked(value: Money, period: ContractPeriod) -> None:
    case = given()
    with pytest.raises(errors.InvalidTermsError):
        case.sign(value=value, period=period)
    assert case.names() == []
    assert case.award.status is AwardStatus.STANDSTILL
    assert case.award.contract is None


def test_a_signed_contract_records_its_value_supplier_and_date() -> None:
    case = given()
    negotiated = Money(amount=Decimal("9400000.00"))
    case.sign(value=negotiated, at=AFTER + timedelta(hours=3))
    [signed] = case.events()
    assert isinstance(signed, Award.ContractSigned)
    assert signed.value == negotiated
    assert signed.period == PERIOD
    contract = case.award.contract
    assert contract is not None
    assert contract.value == negotiated
    assert contract.supplier_id == case.winner.account_id
    assert contract.supplier_name == "Indus Builders"
    assert contract.period == PERIOD
    assert contract.signed_at == AFTER + timedelta(hours=3)
    assert case.award.status is AwardStatus.CONTRACTED


def test_a_signed_contract_closes_the_award() -> None:
    case = given()
    case.sign()
    case.events()
    with pytest.raises(errors.AwardNotActiveError):
        case.sign()
    with pytest.raises(errors.AwardNotActiveError):
        case.award.cancel(reason="Funds withdrawn", actor=case.officer, timestamp=AFTER)
    with pytest.raises(errors.AwardNotActiveError):
        case.complain(at=NOW)  # even if it claims to be in time
    assert case.names() == []


def test_replaying_the_events_rebuilds_the_same_award() -> None:
    case = given()
    complaint_id = case.complain()
    case.decide(complaint_id, upheld=False)
    case.sign()
    case.events()
    replayed: Any = None
    for recorded in case.history:
        replayed = recorded.mutate(replayed)
    assert isinstance(replayed, Award)
    assert replayed.version == case.award.version == 4
    assert replayed.status is AwardStatus.CONTRACTED
    assert replayed.complaints == case.award.complaints
    assert replayed.contract == case.award.contract
    assert replayed.bidders == case.award.bidders


def test_every_event_class_has_an_explicit_stable_topic() -> None:
    names = [
        "Created",
        "AwardMade",
        "ComplaintLodged",
        "ComplaintDecided",
        "AwardCancelled",
        "ContractSigned",
    ]
    for name in names:
        assert f"procurement:Award.{name}" == getattr(Award, name).TOPIC


def test_once_the_award_has_fallen_other_complaints_are_only_dismissed() -> None:
    case = given()
    first, second = case.complain(), case.complain("Another ground")
    case.decide(first, upheld=True, remedy=Remedy.CANCEL_AWARD)
    assert case.names() == ["ComplaintDecided"]
    with pytest.raises(errors.AwardNotActiveError):
        case.decide(second, upheld=True, remedy=Remedy.REOPEN_EVALUATION)
    assert case.names() == []
    case.decide(second, upheld=False, reasons="Moot: the award was cancelled on another ground")
    assert case.award.complaints[second].status is ComplaintStatus.DISMISSED
    assert case.award.status is AwardStatus.CANCELLED
