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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    ForfeitureNotDueError,
    PerformanceSecurityNotAskedError,
    SecurityNotReleasableError,
)
from domain.evaluation import Evaluation, award_id_for, evaluation_id_for
from domain.grievance import ComplaintStage
from domain.opening import OpenedStatus
from domain.rules import SecurityRules, security_rules
from domain.securities import (
    Bidder,
    ForfeitReason,
    Instrument,
    Standing,
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

    def _officers_securities(
        self, actor: Actor, tender_id: UUID, *, cancelled: bool = False
    ) -> TenderSecurities:
        """The tender's securities file, opened from its opening record if it has none yet,
        if this officer's entity owns the tender (as if it did not exist otherwise). Refused
        on a cancelled tender unless ``cancelled`` (a release, a bank's confirmation: the
        securities of a cancelled tender still go back)."""
        tender = self._officers_tender(actor, tender_id, None)
        if not cancelled:
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
        securities = self._officers_securities(actor, tender_id, cancelled=True)
        securities.record_bid_security(
            vendor_id=vendor_id, instrument=instrument, actor=actor, timestamp=self._now()
        )
        return self._save(securities)

    def release_bid_security(self, actor: Actor, tender_id: UUID, vendor_id: UUID) -> WriteResult:
        securities = self._officers_securities(actor, tender_id, cancelled=True)
        outcome = self._outcome(tender_id)
        now = self._now()
        outcome.check_releasable(securities.bidder(vendor_id), now)
        securities.release_bid_security(vendor_id=vendor_id, actor=actor, timestamp=now)
        return self._save(securities, unless_changed=outcome.read)

    def forfeit_bid_security(
        self, actor: Actor, tender_id: UUID, vendor_id: UUID, reason: ForfeitReason, text: str
    ) -> WriteResult:
        securities = self._officers_securities(actor, tender_id)
        outcome = self._outcome(tender_id)
        now = self._now()
        read = dict(outcome.read)
        if ForfeitReason(reason) is ForfeitReason.REFUSAL_TO_SIGN:
            award = outcome.refused_to_sign(securities.bidder(vendor_id), now)
            # A complaint holding the contract (the tender's complaints file) means the
            # winner could not sign: it cannot have refused to.
            read |= self._check_not_held(
                tender_id, ComplaintStage.AWARD, ForfeitureNotDueError, now, award.id
            )
        securities.forfeit_bid_security(
            vendor_id=vendor_id, reason=reason, text=text, actor=actor, timestamp=now
        )
        return self._save(securities, unless_changed=read)

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
        award.check_active()
        required = _required(award, tender.terms.performance_security_percent)
        if required is None:
            raise PerformanceSecurityNotAskedError(
                "the tender's notice asks no performance security: there is none to record"
            )
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
        outcome = self._outcome(tender_id)
        overdue = securities.overdue_releases(outcome.winners, outcome.decided(securities), now)
        if overdue:
            securities.flag_overdue(vendors=overdue, actor=actor, timestamp=now)
            done += 1
        if done:  # decided from the outcome as read: an award made meanwhile fails the write
            self._save(securities, unless_changed=outcome.read)
        return done

    def _outcome(self, tender_id: UUID) -> Outcome:
        """Where the procurement stands for its bidders: the tender, its evaluation and every
        award made, with the versions read (to name in the write decided from them)."""
        tender = self._load(Tender, tender_id)
        read = {tender.id: tender.version}
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            return Outcome(tender, None, [], read)
        awards = [
            self._load(Award, award_id_for(tender_id, number))
            for number in range(1, evaluation.awards_made + 1)
        ]
        read[evaluation.id] = evaluation.version
        read.update({award.id: award.version for award in awards})
        return Outcome(tender, evaluation, awards, read)

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
        outcome = self._outcome(tender_id)
        view = _file_view(
            securities, securities.bidders.values(), outcome.winners, outcome.decided(securities)
        )
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
        outcome = self._outcome(tender_id)
        mine = [securities.bidders[actor.account_id]]
        view = _file_view(securities, mine, outcome.winners, outcome.decided(securities))
        view["performance_securities"] = [
            p for p in view["performance_securities"] if p["vendor_id"] == str(actor.account_id)
        ]
        return view


@dataclass(frozen=True)
class Outcome:
    """Where the procurement stands for its bidders (``SecurityCommands._outcome``)."""

    tender: Tender
    evaluation: Evaluation | None
    awards: list[Award]
    read: dict[UUID, int]

    @property
    def winners(self) -> set[UUID]:
        """The vendors of the awards that stand (their securities are not due back here)."""
        return {a.vendor_id for a in self.awards if a.status is not AwardStatus.CANCELLED}

    def _competes_for(self, bidder: Bidder) -> tuple[str | None, ...]:
        if self.evaluation is None:
            return (None,)
        return self.evaluation.competes_for(bidder.bid_id)

    def _contracted(self, scope: str | None) -> list[Award]:
        return [a for a in self.awards if a.lot_id == scope and a.status is AwardStatus.CONTRACTED]

    def _filled_at(self, scope: str | None) -> datetime | None:
        """When every award of ``scope`` (the whole tender or a lot: one, or a framework's
        most suppliers) was contracted: the signing that filled the last; None while one is
        open. A lot cancelled alone is decided at its cancellation: no one wins it; its
        bidders' clock starts no earlier than the notice's opening time (a lot cancelled
        before the deadline: no security is in the entity's hands before the opening)."""
        cancelled = self.tender.cancelled_lots.get(scope) if scope is not None else None
        if cancelled is not None:
            return max(cancelled.cancelled_at, self.tender.terms.timeline.opening_time)
        slots = self._slots(scope)
        signed = sorted(a.contract.signed_at for a in self._contracted(scope) if a.contract)
        return signed[slots - 1] if len(signed) >= slots else None

    def _slots(self, scope: str | None) -> int:
        """How many awards ``scope`` takes: one, or a framework's most suppliers, but no
        more than the latest report ranks on it (a framework for three suppliers that two
        bids qualify for is filled by two)."""
        evaluation = self.evaluation
        if evaluation is None or evaluation.max_awards == 1:
            return 1
        report = evaluation.latest_report
        if report is None:
            return evaluation.max_awards
        ranked = sum(1 for e in report.entries if (e.rank if scope is None else e.standing(scope)))
        return max(1, min(evaluation.max_awards, ranked))

    def _signed_by(self, scope: str | None, bidder: Bidder) -> bool:
        return any(a.vendor_id == bidder.vendor_id for a in self._contracted(scope))

    def unsuccessful_at(self, bidder: Bidder) -> datetime | None:
        """When the bidder became unsuccessful: the tender's cancellation, or the last
        contract (or lot cancellation) of what it competed for (the whole tender, or every
        lot it priced) once each is contracted to other vendors or cancelled (a framework:
        all its suppliers' agreements); None while it may still win."""
        if self.tender.cancelled_at is not None:
            return self.tender.cancelled_at
        signed = []
        for scope in self._competes_for(bidder):
            filled = self._filled_at(scope)
            if filled is None or self._signed_by(scope, bidder):
                return None
            signed.append(filled)
        return max(signed, default=None)

    def decided(self, securities: TenderSecurities) -> dict[UUID, datetime]:
        """``unsuccessful_at`` of every bidder that is."""
        return {
            b.vendor_id: at
            for b in securities.bidders.values()
            if (at := self.unsuccessful_at(b)) is not None
        }

    def check_releasable(self, bidder: Bidder, now: datetime) -> None:
        """A security goes back once its bidder cannot win nor has a contract to sign: the
        tender cancelled, the bidder left (declined or lapsed) or its validity ended, or
        each thing it competes for awarded and none of those awards its own to sign."""
        if (
            self.tender.cancelled_at is not None
            or bidder.standing is not Standing.VALID
            or now >= bidder.valid_until
        ):
            return
        mine = [a for a in self.awards if a.vendor_id == bidder.vendor_id]
        if any(a.status is AwardStatus.STANDSTILL for a in mine):
            raise SecurityNotReleasableError(
                "the bidder holds an award whose contract is not signed: its security stays "
                "until the contract (or is forfeited if it refuses to sign)"
            )
        # Contracted, not only awarded: during a standstill a complaint may still bring the
        # award back to this bidder, whose security must then be there.
        # Signed by the bidder, or by others in every slot: a framework's other suppliers'
        # agreements all signed (until then another award may still come its way).
        if any(
            not self._signed_by(scope, bidder) and self._filled_at(scope) is None
            for scope in self._competes_for(bidder)
        ):
            raise SecurityNotReleasableError(
                "the bidder still competes: no contract is signed yet (of every lot it priced, "
                "or of each of a framework's suppliers)"
            )

    def refused_to_sign(self, bidder: Bidder, now: datetime) -> Award:
        """The award the bidder refused to sign: one to it that stands unsigned once it
        could be signed (its standstill over, no complaint of its own pending; the
        tender's complaints file is the caller's to check), while its bid is still valid.
        A bidder that left the competition, or whose validity ended, was free not to sign;
        an award the entity cancelled is not a refusal (forfeit first, then cancel)."""
        if bidder.standing is not Standing.VALID or now >= bidder.valid_until:
            raise ForfeitureNotDueError(
                "the bid is no longer valid (its validity ended, or the bidder declined an "
                "extension): the bidder was free not to sign"
            )
        standing = [
            a
            for a in self.awards
            if a.vendor_id == bidder.vendor_id and a.status is AwardStatus.STANDSTILL
        ]
        if not standing:
            raise ForfeitureNotDueError(
                "the bidder holds no award of this tender to sign: it cannot have refused to"
            )
        for award in standing:
            if now >= award.standstill_ends and not award.pending_complaints():
                return award
        raise ForfeitureNotDueError(
            "the award cannot be signed yet (its standstill runs until "
            f"{standing[0].standstill_ends.isoformat()}, or a complaint is pending): "
            "the bidder cannot have refused to sign"
        )


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
    decided: Mapping[UUID, datetime],
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
                else securities.release_due(b, decided.get(b.vendor_id)).isoformat(),
            }
            for b in bidders
        ],
        "performance_securities": [
            p.model_dump(mode="json") for p in securities.performance.values()
        ],
    }
