"""Bid validity extensions, bid securities and the performance security (docs/securities.md).

Who may do what:

- an officer of the tender's entity asks the bidders to extend their bids' validity, records
  the bank's confirmation of a bid security (or of its extension), releases or forfeits it,
  and records the winner's performance security;
- a bidder answers an extension request: accepts (stating its extended security) or
  declines;
- the scheduler lapses the answers not given before the old validity end, and flags the
  securities not released within the rules' period.

A tender's securities file (``TenderSecurities``) is opened by the first of these, from the
tender's opening record: before the opening there are no bidders to ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from domain.award import Award, AwardStatus
from domain.errors import (
    AwardNotFoundError,
    BidNotFoundError,
    BidsSealedError,
    EvaluationNotFoundError,
)
from domain.evaluation import Evaluation, award_id_for, evaluation_id_for
from domain.opening import OpenedStatus
from domain.rules import SecurityRules, security_rules
from domain.securities import (
    Bidder,
    ForfeitReason,
    Instrument,
    TenderSecurities,
    validity_end,
)
from domain.tender import Tender
from domain.values import Actor, Money, Role
from procurement.store.application_base import ProcurementStore, WriteResult


class SecurityCommands(ProcurementStore):
    """Validity extensions and securities (mixed into ``ProcurementApplication``)."""

    @property
    def security_rules(self) -> SecurityRules:
        return security_rules(self.rule_profile)

    def _officers_securities(self, actor: Actor, tender_id: UUID) -> TenderSecurities:
        """The tender's securities file, opened from its opening record if it has none yet,
        if this officer's entity owns the tender (as if it did not exist otherwise)."""
        tender = self._officers_tender(actor, tender_id, None)
        tender.check_not_cancelled()
        found = self._securities_of(tender_id)
        if found is not None:
            return found
        return self._open_file(tender, actor)

    def _open_file(self, tender: Tender, actor: Actor) -> TenderSecurities:
        if tender.opening is None:
            raise BidsSealedError("the bids are not opened yet: there are no bidders")
        ends = validity_end(tender.terms)
        bidders = [
            Bidder(
                bid_id=bid.bid_id,
                vendor_id=bid.vendor_id,
                vendor_name=bid.vendor_name,
                valid_until=ends,
            )
            for bid in tender.opening.bids
            if bid.status is not OpenedStatus.WITHDRAWN
        ]
        security = tender.terms.bid_security
        return TenderSecurities(
            tender_id=tender.id,
            entity=tender.entity,
            bidders=bidders,
            bid_security=None if security is None else security.amount,
            rules=self.security_rules,
            actor=actor,
            timestamp=self._now(),
        )

    def request_validity_extension(
        self, actor: Actor, tender_id: UUID, new_end: datetime, reason: str
    ) -> WriteResult:
        securities = self._officers_securities(actor, tender_id)
        securities.request_extension(
            new_end=new_end, reason=reason, actor=actor, timestamp=self._now()
        )
        return self._save(securities)

    def answer_validity_extension(
        self, actor: Actor, tender_id: UUID, *, accepted: bool, instrument: Instrument | None
    ) -> WriteResult:
        """A bidder's answer; anybody else finds no request waiting for it."""
        securities = self._vendors_securities(actor, tender_id)
        securities.answer_extension(
            accepted=accepted, instrument=instrument, actor=actor, timestamp=self._now()
        )
        return self._save(securities)

    def _vendors_securities(self, actor: Actor, tender_id: UUID) -> TenderSecurities:
        securities = self._securities_of(tender_id)
        if (
            actor.role is not Role.VENDOR
            or securities is None
            or actor.account_id not in securities.bidders
        ):
            raise BidNotFoundError("no extension request or security of yours on this tender")
        return securities

    def record_bid_security(
        self, actor: Actor, tender_id: UUID, vendor_id: UUID, instrument: Instrument
    ) -> WriteResult:
        securities = self._officers_securities(actor, tender_id)
        securities.record_bid_security(
            vendor_id=vendor_id, instrument=instrument, actor=actor, timestamp=self._now()
        )
        return self._save(securities)

    def release_bid_security(self, actor: Actor, tender_id: UUID, vendor_id: UUID) -> WriteResult:
        securities = self._officers_securities(actor, tender_id)
        securities.release_bid_security(vendor_id=vendor_id, actor=actor, timestamp=self._now())
        return self._save(securities)

    def forfeit_bid_security(
        self, actor: Actor, tender_id: UUID, vendor_id: UUID, reason: ForfeitReason, text: str
    ) -> WriteResult:
        securities = self._officers_securities(actor, tender_id)
        securities.forfeit_bid_security(
            vendor_id=vendor_id, reason=reason, text=text, actor=actor, timestamp=self._now()
        )
        return self._save(securities)

    def record_performance_security(
        self, actor: Actor, award_id: UUID, instrument: Instrument
    ) -> WriteResult:
        """The winner's performance security: at least the notice's percent of the award's
        value (rounded up to the paisa)."""
        award = self._load(Award, award_id)
        if actor.role is not Role.OFFICER or actor.entity != award.entity:
            raise AwardNotFoundError(f"no award {award_id}")
        securities = self._officers_securities(actor, award.tender_id)
        tender = self._load(Tender, award.tender_id)
        required = _required(award, tender.terms.performance_security_percent) or Money(
            amount=Decimal(0), currency=award.value.currency
        )
        award.check_active()
        securities.record_performance_security(
            award_id=award.id,
            vendor_id=award.vendor_id,
            instrument=instrument,
            required=required,
            actor=actor,
            timestamp=self._now(),
        )
        return self._save(securities, unless_changed={award.id: award.version})

    # The scheduler --------------------------------------------------------------------------

    def securities_due(self, tender_id: UUID, actor: Actor) -> int:
        """Lapse the answers not given before the old validity end, and flag the securities
        not released in the rules' period. Returns the steps done (0: nothing due)."""
        securities = self._securities_of(tender_id)
        if securities is None:
            return 0
        now = self._now()
        done = 0
        lapsing = securities.lapsing(now)
        if lapsing:
            securities.lapse(vendors=lapsing, actor=actor, timestamp=now)
            done += 1
        winners, signed_at = self._winners(tender_id)
        overdue = securities.overdue_releases(winners, signed_at, now)
        if overdue:
            securities.flag_overdue(vendors=overdue, actor=actor, timestamp=now)
            done += 1
        if done:
            self._save(securities)
        return done

    def _winners(self, tender_id: UUID) -> tuple[set[UUID], datetime | None]:
        """The vendors of the awards that stand, and when the first contract was signed."""
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            return set(), None
        winners: set[UUID] = set()
        signed: list[datetime] = []
        for number in range(1, evaluation.awards_made + 1):
            award = self._load(Award, award_id_for(tender_id, number))
            if award.status is not AwardStatus.CANCELLED:
                winners.add(award.vendor_id)
            if award.contract is not None:
                signed.append(award.contract.signed_at)
        return winners, min(signed, default=None)

    # Reads --------------------------------------------------------------------------------

    def securities_for_officer(self, actor: Actor, tender_id: UUID) -> dict[str, Any]:
        """The file as the entity's officers see it: every bidder. Before its first event,
        as it would be opened now (version 0), or with no bidders before the opening."""
        tender = self._officers_tender(actor, tender_id, None)
        stored = self._securities_of(tender_id)
        if stored is None and tender.opening is None:
            return {
                "tender_id": str(tender_id),
                "version": 0,
                "open_request": None,
                "requests": [],
                "bidders": [],
                "performance_securities": [],
                "awards": [],
            }
        # Not opened yet: as it would be opened now (read only, never saved here).
        securities = stored or self._open_file(tender, actor)
        winners, signed_at = self._winners(tender_id)
        view = _file_view(securities, securities.bidders.values(), winners, signed_at)
        view["version"] = 0 if stored is None else stored.version
        view["awards"] = self._awards_view(tender, securities)
        return view

    def _awards_view(self, tender: Tender, securities: TenderSecurities) -> list[dict[str, Any]]:
        """The tender's awards that stand, with the performance security each needs."""
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender.id))
        except EvaluationNotFoundError:
            return []
        out: list[dict[str, Any]] = []
        for number in range(1, evaluation.awards_made + 1):
            award = self._load(Award, award_id_for(tender.id, number))
            if award.status is AwardStatus.CANCELLED:
                continue
            required = _required(award, tender.terms.performance_security_percent)
            out.append(
                {
                    "award_id": str(award.id),
                    "status": award.status.value,
                    "vendor_name": award.vendor_name,
                    "value": award.value.model_dump(mode="json"),
                    "performance_required": None
                    if required is None
                    else required.model_dump(mode="json"),
                    "performance_recorded": award.id in securities.performance,
                }
            )
        return out

    def securities_for_vendor(self, actor: Actor, tender_id: UUID) -> dict[str, Any]:
        """A bidder's own: its validity, the request waiting for its answer, its security."""
        securities = self._vendors_securities(actor, tender_id)
        winners, signed_at = self._winners(tender_id)
        mine = [securities.bidders[actor.account_id]]
        view = _file_view(securities, mine, winners, signed_at)
        view["performance_securities"] = [
            p for p in view["performance_securities"] if p["vendor_id"] == str(actor.account_id)
        ]
        return view


def _required(award: Award, percent: Decimal | None) -> Money | None:
    """The performance security the notice asks of this award: its percent of the award's
    value, rounded half up to the paisa (None: none asked)."""
    if percent is None:
        return None
    amount = (award.value.amount * percent / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return Money(amount=amount, currency=award.value.currency)


def _file_view(
    securities: TenderSecurities,
    bidders: Iterable[Bidder],
    winners: set[UUID],
    signed_at: datetime | None,
) -> dict[str, Any]:
    request = securities.open_request
    return {
        "tender_id": str(securities.tender_id),
        "version": securities.version,
        "open_request": None if request is None else request.model_dump(mode="json"),
        "requests": [r.model_dump(mode="json") for r in securities.requests],
        "bidders": [
            {
                **b.model_dump(mode="json"),
                "waiting_answer": request is not None and securities.waiting(b, request),
                "release_due": None
                if b.vendor_id in winners
                else securities.release_due(b, signed_at).isoformat(),
            }
            for b in bidders
        ],
        "performance_securities": [
            p.model_dump(mode="json") for p in securities.performance.values()
        ],
    }
