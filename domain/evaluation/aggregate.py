"""The Evaluation aggregate: its events, the guards their bodies run, its commands."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.bid import MAX_TOTAL
from domain.errors import (
    AlreadyScoredError,
    BidNotRankedOnLotError,
    BidNotResponsiveError,
    BundleAwardedError,
    DeclarationRequiredError,
    EvaluationStateError,
    FinancialOpeningRequiredError,
    InvalidCommitteeError,
    InvalidScoresError,
    LotAwardedError,
    LotRequiredError,
    NoResponsiveBidError,
    NotChairError,
    NotCommitteeMemberError,
    ReasonRequiredError,
    UnknownLotError,
)
from domain.evaluation.combination import CombinationPart, discounted
from domain.evaluation.report import EvaluationQueries, EvaluationReport
from domain.evaluation.values import (
    Candidate,
    Correction,
    CriterionScore,
    Declaration,
    EvaluationStatus,
    FinancialBid,
    LiveAward,
    Member,
    MemberScore,
    Ruling,
    award_id_for,
    evaluation_id_for,
)
from domain.opening import OpenedStatus
from domain.values import Actor, EvaluationMethod, EvaluationTerms, Money


class Evaluation(EvaluationQueries, Aggregate):
    """A tender's evaluation: its events, the guards their bodies run, its commands.
    What it finds about the bids, and its report, are in ``report.py``."""

    TOPIC = "procurement:Evaluation"

    class Created(Aggregate.Created):
        TOPIC = "procurement:Evaluation.Created"

    class EvaluationStarted(Aggregate.Created):
        TOPIC = "procurement:Evaluation.EvaluationStarted"
        tender_id: UUID
        entity: str
        terms: EvaluationTerms
        currency: str
        lot_ids: list[str]
        bid_validity_days: int
        two_envelopes: bool
        min_committee_size: int
        committee: list[Member]
        candidates: list[Candidate]
        actor: Actor
        award_by_lot: bool = False  # each lot ranked and awarded on its own (docs/lots.md)
        # A framework agreement's most suppliers: that many live awards at once, to as many
        # bids, in rank order (docs/frameworks.md); 1 for every other tender.
        max_awards: int = 1
        # The notice allows lot-bundle discounts (docs/lots.md#bundle-discounts).
        bundle_discounts: bool = False

    class CommitteeReformed(Aggregate.Event):
        TOPIC = "procurement:Evaluation.CommitteeReformed"
        committee: list[Member]
        min_committee_size: int
        reason: str
        actor: Actor

    class ConflictDeclared(Aggregate.Event):
        TOPIC = "procurement:Evaluation.ConflictDeclared"
        conflict: bool
        statement: str
        actor: Actor

    class BidScored(Aggregate.Event):
        TOPIC = "procurement:Evaluation.BidScored"
        bid_id: UUID
        scores: list[CriterionScore]
        actor: Actor

    class BidDisqualified(Aggregate.Event):
        TOPIC = "procurement:Evaluation.BidDisqualified"
        bid_id: UUID
        reason: str
        actor: Actor

    class BidReinstated(Aggregate.Event):
        TOPIC = "procurement:Evaluation.BidReinstated"
        bid_id: UUID
        reason: str
        actor: Actor

    class PriceCorrected(Aggregate.Event):
        TOPIC = "procurement:Evaluation.PriceCorrected"
        bid_id: UUID
        lot_id: str
        corrected_price: Money
        reason: str
        actor: Actor

    class FinancialEnvelopesOpened(Aggregate.Event):
        TOPIC = "procurement:Evaluation.FinancialEnvelopesOpened"
        bids: list[FinancialBid]
        actor: Actor

    class EvaluationFinalised(Aggregate.Event):
        TOPIC = "procurement:Evaluation.EvaluationFinalised"
        report: EvaluationReport
        actor: Actor

    class AwardRecorded(Aggregate.Event):
        TOPIC = "procurement:Evaluation.AwardRecorded"
        award_id: UUID
        bid_id: UUID
        reason: str
        actor: Actor
        lot_id: str | None = None  # None: the whole tender, as every award before lots

    class AwardReleased(Aggregate.Event):
        TOPIC = "procurement:Evaluation.AwardReleased"
        award_id: UUID
        reason: str
        actor: Actor

    class EvaluationReopened(Aggregate.Event):
        TOPIC = "procurement:Evaluation.EvaluationReopened"
        award_id: UUID
        reason: str
        actor: Actor

    class ReportWithdrawn(Aggregate.Event):
        TOPIC = "procurement:Evaluation.ReportWithdrawn"
        reason: str
        actor: Actor

    @staticmethod
    def create_id(tender_id: UUID, **_: object) -> UUID:
        return evaluation_id_for(tender_id)

    @event(EvaluationStarted)
    def __init__(
        self,
        # Before the ``*``: eventsourcing requires every keyword-only argument, even one with a
        # default, and old callers (and stored events) do not name it.
        award_by_lot: bool = False,
        max_awards: int = 1,
        bundle_discounts: bool = False,
        *,
        tender_id: UUID,
        entity: str,
        terms: EvaluationTerms,
        currency: str,
        lot_ids: list[str],
        bid_validity_days: int,
        two_envelopes: bool,
        min_committee_size: int,
        committee: list[Member],
        candidates: list[Candidate],
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.check_committee(committee, min_committee_size)
        self.tender_id = tender_id
        self.entity = entity
        self.terms = terms
        self.currency = currency
        self.lot_ids = tuple(lot_ids)  # stored events give lists back: keep values tuples
        self.award_by_lot = award_by_lot
        self.max_awards = max_awards
        self.bundle_discounts = bundle_discounts
        self.bid_validity_days = bid_validity_days
        self.two_envelopes = two_envelopes
        self.committee = tuple(committee)
        self.candidates: dict[UUID, Candidate] = {c.bid_id: c for c in candidates}
        self.status = EvaluationStatus.IN_PROGRESS
        self.declarations: dict[UUID, Declaration] = {}
        self.scores: dict[tuple[UUID, UUID], MemberScore] = {}  # (bid, member)
        self.rulings: dict[UUID, Ruling] = {}
        self.corrections: dict[UUID, dict[str, Correction]] = {}
        self.financial: dict[UUID, FinancialBid] = {}
        self.reports: list[EvaluationReport] = []
        self.finalised_at: datetime | None = None  # the latest report's publication
        self.awards_made = 0
        # The live awards: each award's lot (None: the whole tender) and bid; one a lot,
        # or a framework's most suppliers (``max_awards``). AWARDED while any is live.
        self.live_awards: dict[UUID, LiveAward] = {}

    # Guards -------------------------------------------------------------------------------

    @staticmethod
    def check_committee(committee: list[Member], min_size: int) -> None:
        ids = [member.account_id for member in committee]
        if len(set(ids)) != len(ids):
            raise InvalidCommitteeError("a member is named twice")
        if len(committee) < min_size or len(committee) % 2 == 0:
            raise InvalidCommitteeError(
                f"the committee needs an odd number of members, at least {min_size}"
            )
        if sum(member.chair for member in committee) != 1:
            raise InvalidCommitteeError("the committee needs exactly one chair, a member")

    def check_in_progress(self) -> None:
        if self.status is not EvaluationStatus.IN_PROGRESS:
            raise EvaluationStateError(
                "the evaluation is finalised; it reopens only on a complaint"
            )

    def member(self, account_id: UUID) -> Member:
        for member in self.committee:
            if member.account_id == account_id:
                return member
        raise NotCommitteeMemberError("you are not on this tender's evaluation committee")

    def check_declared_member(self, account_id: UUID) -> Member:
        """A member who has declared no conflict of interest: the only one who may act."""
        member = self.member(account_id)
        declaration = self.declarations.get(account_id)
        if declaration is None:
            raise DeclarationRequiredError(
                "declare your conflicts of interest with the bidders first"
            )
        if declaration.conflict:
            raise NotCommitteeMemberError("you declared a conflict of interest: you are recused")
        return member

    def check_chair(self, account_id: UUID) -> None:
        if not self.check_declared_member(account_id).chair:
            raise NotChairError("only the committee's chair records the committee's decisions")

    @staticmethod
    def check_reason(reason: str) -> None:
        if not reason.strip():
            raise ReasonRequiredError("give the reason: it is published")

    # Commands -----------------------------------------------------------------------------

    @event(CommitteeReformed)
    def reform_committee(
        self,
        *,
        committee: list[Member],
        min_committee_size: int,
        reason: str,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        """A new committee (a recused chair, too few unrecused members), before any work on
        the bids: everyone declares again."""
        self.check_in_progress()
        self.check_reason(reason)
        if self.scores or self.rulings or self.corrections or self.financial or self.reports:
            raise EvaluationStateError("the committee has started its work: it stays as it is")
        self.check_committee(committee, min_committee_size)
        self.committee = tuple(committee)
        self.declarations = {}

    @event(ConflictDeclared)
    def declare(self, *, conflict: bool, statement: str, actor: Actor, timestamp: datetime) -> None:
        self.member(actor.account_id)
        if actor.account_id in self.declarations:
            raise EvaluationStateError("you have already declared")
        if conflict and not statement.strip():
            raise ReasonRequiredError("say with whom and why you have a conflict of interest")
        self.declarations[actor.account_id] = Declaration(
            member_id=actor.account_id,
            conflict=conflict,
            statement=statement,
            declared_at=timestamp,
        )

    @event(BidScored)
    def score(
        self,
        *,
        bid_id: UUID,
        scores: list[CriterionScore],
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.check_in_progress()
        member = self.check_declared_member(actor.account_id)
        if self.terms.method is not EvaluationMethod.QCBS:
            raise EvaluationStateError("bids are scored only under quality and cost selection")
        self.candidate(bid_id)
        if self.reasons_against(bid_id):
            raise BidNotResponsiveError("the bid is not responsive: it is not scored")
        if bid_id in self.financial:
            raise EvaluationStateError("the bid's price is open: its scores are final")
        if (bid_id, member.account_id) in self.scores:
            raise AlreadyScoredError("you have already scored this bid")
        self.check_scores(scores)
        self.scores[bid_id, member.account_id] = MemberScore(
            member_id=member.account_id,
            member_name=member.name,
            scores=tuple(scores),
            total=sum(s.score for s in scores),
            scored_at=timestamp,
        )

    def check_scores(self, scores: list[CriterionScore]) -> None:
        maxima = {criterion.id: criterion.max_score for criterion in self.terms.criteria}
        given = [score.criterion_id for score in scores]
        if sorted(given) != sorted(maxima):
            raise InvalidScoresError(
                f"score every criterion exactly once: {', '.join(sorted(maxima))}"
            )
        for score in scores:
            if score.score > maxima[score.criterion_id]:
                raise InvalidScoresError(
                    f"{score.criterion_id} is scored out of {maxima[score.criterion_id]}"
                )
            if not score.justification.strip():
                raise InvalidScoresError("every score needs its justification")

    @event(BidDisqualified)
    def disqualify(self, *, bid_id: UUID, reason: str, actor: Actor, timestamp: datetime) -> None:
        self.check_in_progress()
        self.check_chair(actor.account_id)
        self.check_reason(reason)
        candidate = self.candidate(bid_id)
        if candidate.status is not OpenedStatus.OPENED:
            raise EvaluationStateError("only an opened bid can be disqualified")
        ruling = self.rulings.get(bid_id)
        if ruling is not None and ruling.disqualified:
            raise EvaluationStateError("the bid is already disqualified")
        self.rulings[bid_id] = Ruling(disqualified=True, reason=reason, at=timestamp)

    @event(BidReinstated)
    def reinstate(self, *, bid_id: UUID, reason: str, actor: Actor, timestamp: datetime) -> None:
        self.check_in_progress()
        self.check_chair(actor.account_id)
        self.check_reason(reason)
        ruling = self.rulings.get(bid_id)
        if ruling is None or not ruling.disqualified:
            raise EvaluationStateError("only a bid the committee disqualified is reinstated")
        self.rulings[bid_id] = Ruling(disqualified=False, reason=reason, at=timestamp)

    @event(PriceCorrected)
    def correct_price(
        self,
        *,
        bid_id: UUID,
        lot_id: str,
        corrected_price: Money,
        reason: str,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        """An arithmetic correction of one lot's price, with the reason published."""
        self.check_in_progress()
        self.check_chair(actor.account_id)
        self.check_reason(reason)
        prices = self.candidate(bid_id).prices
        if prices is None:
            raise FinancialOpeningRequiredError("the bid's price is still sealed")
        read = next((p.price for p in prices if p.lot_id == lot_id), None)
        if read is None:
            raise InvalidScoresError(f"the bid has no price for lot {lot_id}")
        if corrected_price.currency != read.currency:
            raise InvalidScoresError("a correction keeps the price's currency")
        others = sum((p.price.amount for p in prices if p.lot_id != lot_id), Decimal(0))
        if others + corrected_price.amount > MAX_TOTAL:
            raise InvalidScoresError(f"the corrected total would be above {MAX_TOTAL:,}")
        self.corrections.setdefault(bid_id, {})[lot_id] = Correction(
            lot_id=lot_id, read_price=read, corrected_price=corrected_price, reason=reason
        )

    @event(FinancialEnvelopesOpened)
    def open_financial(
        self, *, bids: list[FinancialBid], actor: Actor, timestamp: datetime
    ) -> None:
        """The second public opening: the financial envelopes of qualified bids only."""
        self.check_in_progress()
        if not self.two_envelopes:
            raise EvaluationStateError("this tender has one envelope: its prices are open")
        self.check_technical_work_done()
        expected = self.to_open_financially()
        if not expected:
            raise EvaluationStateError("no technically qualified bid is waiting to be opened")
        if sorted(bid.bid_id for bid in bids) != sorted(expected):
            raise EvaluationStateError("only the qualified bids' financial envelopes open")
        for bid in bids:
            self.financial[bid.bid_id] = bid
            candidate = self.candidates[bid.bid_id]
            self.candidates[bid.bid_id] = candidate.model_copy(
                update={"prices": bid.prices, "discounts": bid.discounts}
            )

    @event(EvaluationFinalised)
    def finalise(self, *, report: EvaluationReport, actor: Actor, timestamp: datetime) -> None:
        self.check_in_progress()
        self.check_chair(actor.account_id)
        self.check_technical_work_done()
        if self.two_envelopes and self.to_open_financially():
            raise FinancialOpeningRequiredError(
                "open the financial envelopes of the qualified bids first"
            )
        if report != self.compute_report(report.cancelled_lots):
            raise EvaluationStateError("the report must be the one the evaluation computes")
        self.reports.append(report)
        self.status = EvaluationStatus.FINALISED
        self.finalised_at = timestamp

    @event(AwardRecorded)
    def record_award(
        self,
        # Before the ``*``: eventsourcing requires every keyword-only argument, even one with a
        # default, and old callers (and stored events) do not name it.
        lot_id: str | None = None,
        *,
        award_id: UUID,
        bid_id: UUID,
        reason: str,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        """An award made on the latest report (of the whole tender, or of one lot of a
        tender awarded by lot): to its best-ranked bid, or with a reason."""
        report = self.check_can_award(lot_id)
        rank, _ = self.ranked(report, bid_id, lot_id)
        if any(
            live.lot_id == lot_id and live.bid_id == bid_id for live in self.live_awards.values()
        ):
            raise LotAwardedError("this bid's award stands already")
        part = report.part_of(lot_id)
        self.check_bundle_not_held(report, bid_id, lot_id)
        if part is not None and not self.bundle_broken(part):
            # With a combination (bundle discounts): its bid for the lot, or with a reason.
            # A broken bundle's lots go by the per-lot ranking, as without a combination.
            if part.bid_id != bid_id:
                self.check_reason(reason)
        # In rank order: the next of the ranking after the live awards, or with a reason.
        elif rank != len(self.awards_on(lot_id)) + 1:
            self.check_reason(reason)
        if award_id != award_id_for(self.tender_id, self.awards_made + 1):
            raise EvaluationStateError("awards are numbered in order")
        discount = self.bundle_discount(report, bid_id, lot_id)
        self.status = EvaluationStatus.AWARDED
        self.live_awards[award_id] = LiveAward(
            lot_id=lot_id, bid_id=bid_id, discount_percent=discount
        )
        self.awards_made += 1

    def check_bundle_not_held(
        self, report: EvaluationReport, bid_id: UUID, lot_id: str | None
    ) -> None:
        """A lot of the combination's bundle goes to another bid than the bundle's only once
        no live award of the bundle is at its discount (the bundle's bid would hold a lot at
        a price it offered only for all of them): cancel that award first."""
        part = report.part_of(lot_id)
        if part is None or part.discount_percent is None or part.bid_id == bid_id:
            return
        held = [
            live.lot_id
            for live in self.live_awards.values()
            if live.lot_id in part.lots
            and live.bid_id == part.bid_id
            and live.discount_percent is not None
        ]
        if held:
            raise BundleAwardedError(
                f"lot {', '.join(str(lot) for lot in held)} is awarded at the discount of the "
                f"bundle {' + '.join(part.lots)}: cancel that award before awarding lot "
                f"{lot_id} to another bid"
            )

    def bundle_broken(self, part: CombinationPart) -> bool:
        """Whether a lot of the combination's part is awarded (live) to another bid than
        the part's: its bundle can no longer be given whole."""
        return any(
            live.lot_id in part.lots and live.bid_id != part.bid_id
            for live in self.live_awards.values()
        )

    def bundle_discount(
        self, report: EvaluationReport, bid_id: UUID, lot_id: str | None
    ) -> Decimal | None:
        """The bundle discount of an award of the lot to the bid: the combination's, if the
        bid is its bundle's and no lot of the bundle is awarded to another bid (a broken
        bundle's lots are awarded at their undiscounted prices); None otherwise."""
        part = report.part_of(lot_id)
        if part is None or part.discount_percent is None or part.bid_id != bid_id:
            return None
        return None if self.bundle_broken(part) else part.discount_percent

    def award_value(self, report: EvaluationReport, bid_id: UUID, lot_id: str | None) -> Money:
        """An award's value: the bid's evaluated price (for the lot), less its bundle
        discount if it has one (``bundle_discount``)."""
        _, price = self.ranked(report, bid_id, lot_id)
        amount = discounted(price.amount, self.bundle_discount(report, bid_id, lot_id))
        return Money(amount=amount, currency=price.currency)

    @property
    def awards_by_lot(self) -> dict[str | None, UUID]:
        """The live awards by lot (None: the whole tender); a framework's first award."""
        by_lot: dict[str | None, UUID] = {}
        for award, live in self.live_awards.items():
            by_lot.setdefault(live.lot_id, award)
        return by_lot

    def awards_on(self, lot_id: str | None) -> list[UUID]:
        """The live awards of a lot (None: of the whole tender), in the order made."""
        return [award for award, live in self.live_awards.items() if live.lot_id == lot_id]

    def check_can_award(self, lot_id: str | None = None) -> EvaluationReport:
        if self.status is EvaluationStatus.IN_PROGRESS or not self.reports:
            raise EvaluationStateError("the evaluation report is not finalised")
        if self.award_by_lot:
            if lot_id is None:
                raise LotRequiredError("this tender is awarded by lot: name the lot (lot_id)")
            if lot_id not in self.lot_ids:
                raise UnknownLotError(f"no lot {lot_id} on this tender")
            if len(self.awards_on(lot_id)) >= self.max_awards:
                raise LotAwardedError(f"lot {lot_id} is already awarded: cancel its award first")
        elif lot_id is not None:
            raise UnknownLotError("this tender is awarded whole: name no lot")
        elif len(self.awards_on(None)) >= self.max_awards:
            if self.max_awards > 1:
                raise LotAwardedError(
                    f"the framework's {self.max_awards} suppliers are awarded: cancel one first"
                )
            raise EvaluationStateError("the tender is already awarded")
        report = self.reports[-1]
        if report.unsuccessful:
            raise NoResponsiveBidError("no bid is responsive: the tender is unsuccessful")
        return report

    @staticmethod
    def ranked(report: EvaluationReport, bid_id: UUID, lot_id: str | None) -> tuple[int, Money]:
        """The bid's rank and evaluated price on the report: for the whole tender, or (by
        lot) for ``lot_id``. Refused if the bid is not ranked there."""
        entry = report.entry(bid_id)
        if lot_id is None:
            if entry.rank is None or entry.evaluated_price is None:
                raise BidNotResponsiveError("only a responsive, ranked bid can be awarded")
            return entry.rank, entry.evaluated_price
        standing = entry.standing(lot_id)
        if standing is None:
            raise BidNotRankedOnLotError(
                f"the bid is not ranked on lot {lot_id}: it did not price it or is not responsive"
            )
        return standing.rank, standing.evaluated_price

    @event(AwardReleased)
    def release_award(
        self, *, award_id: UUID, reason: str, actor: Actor, timestamp: datetime
    ) -> None:
        """The live award was cancelled: the report stands, another award (of its lot)
        may follow."""
        self.check_current_award(award_id)
        self.check_reason(reason)
        del self.live_awards[award_id]
        if not self.live_awards:
            self.status = EvaluationStatus.FINALISED

    @event(EvaluationReopened)
    def reopen(self, *, award_id: UUID, reason: str, actor: Actor, timestamp: datetime) -> None:
        """A complaint against the award was upheld: the committee takes the bids up again.
        Not while another lot's award stands (its report would change under it)."""
        self.check_current_award(award_id)
        self.check_reason(reason)
        if set(self.live_awards) != {award_id}:
            raise EvaluationStateError(
                "another award stands on this report: order cancel_award instead"
            )
        self.status = EvaluationStatus.IN_PROGRESS
        self.live_awards = {}

    @event(ReportWithdrawn)
    def withdraw_report(self, *, reason: str, actor: Actor, timestamp: datetime) -> None:
        """An upheld complaint about the report: the committee takes the bids up again and
        publishes a new report (the withdrawn one stays in the record)."""
        if self.status is not EvaluationStatus.FINALISED:
            raise EvaluationStateError("only a finalised report with no live award is withdrawn")
        self.check_reason(reason)
        self.status = EvaluationStatus.IN_PROGRESS

    @property
    def current_award(self) -> UUID | None:
        """The live award of a tender awarded whole (awarded by lot: ``live_awards``)."""
        whole = self.awards_on(None)
        return whole[0] if whole else None

    def check_current_award(self, award_id: UUID) -> str | None:
        """The lot (None: the whole tender) of ``award_id``, a live award of the tender."""
        live = self.live_awards.get(award_id)
        if live is None:
            raise EvaluationStateError("that award is not a live award of the tender")
        return live.lot_id

    def quotations_for(self, lot_id: str | None) -> int:
        """The quotations the latest report ranks (responsive, not disqualified): on the
        whole tender (``None``), or on the lot of a request for quotations awarded by lot,
        which needs its minimum of them on each lot."""
        report = self.latest_report
        entries = report.entries if report is not None else ()
        if lot_id is None:
            return sum(1 for entry in entries if entry.rank is not None)
        return sum(1 for entry in entries if entry.standing(lot_id) is not None)

    def competes_for(self, bid_id: UUID) -> tuple[str | None, ...]:
        """What a bid competes for: the whole tender (``None``), or, awarded by lot, the lots
        it priced (responsive or not); every lot while its prices are sealed (unknown)."""
        if not self.award_by_lot:
            return (None,)
        candidate = self.candidates.get(bid_id)
        prices = None if candidate is None else candidate.prices
        if prices is None:
            return self.lot_ids
        priced = {p.lot_id for p in prices}
        return tuple(lot_id for lot_id in self.lot_ids if lot_id in priced)
