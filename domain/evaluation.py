"""The Evaluation aggregate: a tender's committee, its work on the opened bids, its report.

One per tender (its id is derived from the tender's), started after the public opening with
a copy of what the opening record says about every bid, so that its guards read only itself.

- The committee (an odd number of the entity's officers, one of them chair) is named when
  the evaluation starts. Each member declares conflicts of interest before doing anything
  else; a member with a conflict is recused and never scores.
- Responsiveness is checked mechanically (bid security, validity, required documents, every
  lot priced in the tender's currency) and by the chair, who may disqualify a bid only with a
  published reason (and reinstate one it disqualified, again with a reason).
- Quality and cost based selection: every unrecused member scores every responsive bid on
  every published criterion, with a justification, before any price is seen; the technical
  score is the members' mean, in percent of the maximum.
- Two-envelope methods: the financial envelopes of technically qualified bids only are opened
  (by the application, which records their prices here); the others stay sealed for ever.
- Finalising publishes the report: every bid, its responsiveness and reasons, its scores,
  read and evaluated price, rank. Its content is a pure function of this aggregate, checked
  again on every replay.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from domain.bid import LotPrice
from domain.bid_prices import MAX_TOTAL
from domain.bid_prices import check_bid_prices as check_bid_prices  # noqa: PLC0414 (re-export)
from domain.bid_prices import read_sealed_bid as read_sealed_bid  # noqa: PLC0414 (re-export)
from domain.errors import (
    AlreadyScoredError,
    BidNotFoundError,
    BidNotResponsiveError,
    CommitteeNotReadyError,
    CorrectedTotalOutOfRangeError,
    DeclarationRequiredError,
    EvaluationStateError,
    FinancialOpeningRequiredError,
    InvalidCommitteeError,
    InvalidScoresError,
    NoResponsiveBidError,
    NotChairError,
    NotCommitteeMemberError,
    PricesOpenError,
    ReasonRequiredError,
    ScoringIncompleteError,
)
from domain.opening import OpenedBid, OpenedStatus
from domain.values import (
    Actor,
    EvaluationMethod,
    EvaluationTerms,
    Money,
    TieBreak,
    ValueObject,
)

EVALUATION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:evaluation")
AWARD_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:award")
CENT = Decimal("0.01")
Reason = Annotated[str, Field(max_length=5000)]


def evaluation_id_for(tender_id: UUID) -> UUID:
    return uuid5(EVALUATION_NAMESPACE, str(tender_id))


def award_id_for(tender_id: UUID, number: int) -> UUID:
    """The tender's n-th award: derived, so two concurrent awards cannot both land."""
    return uuid5(AWARD_NAMESPACE, f"{tender_id}:{number}")


class EvaluationStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    FINALISED = "finalised"  # the report is published; no award is live
    AWARDED = "awarded"  # an award made on the report is live


class Member(ValueObject):
    account_id: UUID
    name: str
    chair: bool = False


class Candidate(ValueObject):
    """A bid as the evaluation sees it: what the opening (and, for two envelopes, the
    financial opening) revealed. Withdrawn and unreadable bids are listed, not evaluated."""

    bid_id: UUID
    vendor_id: UUID
    vendor_name: str
    received_at: datetime
    status: OpenedStatus
    problem: str | None = None
    prices: tuple[LotPrice, ...] | None = None  # None: the financial envelope is sealed
    security_sufficient: bool | None = None
    validity_days: int | None = None
    documents: tuple[str, ...] = ()

    @classmethod
    def from_opening(cls, opened: OpenedBid, *, prices_known: bool) -> Candidate:
        return cls(
            bid_id=opened.bid_id,
            vendor_id=opened.vendor_id,
            vendor_name=opened.vendor_name,
            received_at=opened.received_at,
            status=opened.status,
            problem=opened.problem,
            prices=opened.prices if prices_known and opened.status is OpenedStatus.OPENED else None,
            security_sufficient=opened.security_sufficient,
            validity_days=opened.validity_days,
            documents=opened.documents,
        )


class Declaration(ValueObject):
    member_id: UUID
    conflict: bool
    statement: str
    declared_at: datetime


class CriterionScore(ValueObject):
    criterion_id: Annotated[str, Field(min_length=1, max_length=64)]
    score: Annotated[int, Field(ge=0, le=1000)]
    justification: Annotated[str, Field(min_length=1, max_length=5000)]


class MemberScore(ValueObject):
    member_id: UUID
    member_name: str
    scores: tuple[CriterionScore, ...]
    total: int
    scored_at: datetime


class Ruling(ValueObject):
    """The chair's disqualification of a bid (or the reinstatement of one it disqualified)."""

    disqualified: bool
    reason: str
    at: datetime


class Correction(ValueObject):
    lot_id: str
    read_price: Money
    corrected_price: Money
    reason: str


class FinancialBid(ValueObject):
    """One financial envelope opened at the second opening."""

    bid_id: UUID
    commitment: str
    prices: tuple[LotPrice, ...] = ()
    problem: str | None = None  # the envelope did not open or held no prices


class ReportEntry(ValueObject):
    bid_id: UUID
    vendor_id: UUID
    vendor_name: str
    received_at: datetime
    status: str  # evaluated, withdrawn, unreadable
    responsive: bool
    reasons: tuple[str, ...] = ()
    member_scores: tuple[MemberScore, ...] = ()
    technical_score: Decimal | None = None
    technically_qualified: bool | None = None
    financial_envelope: str | None = None  # opened, sealed (never opened), or None (one)
    read_price: Money | None = None
    corrections: tuple[Correction, ...] = ()
    evaluated_price: Money | None = None
    financial_score: Decimal | None = None
    combined_score: Decimal | None = None
    rank: int | None = None


class EvaluationReport(ValueObject):
    number: int
    method: EvaluationMethod
    tie_break: TieBreak
    committee: tuple[Member, ...]
    entries: tuple[ReportEntry, ...]
    recommended_bid: UUID | None

    @property
    def unsuccessful(self) -> bool:
        return self.recommended_bid is None

    def entry(self, bid_id: UUID) -> ReportEntry:
        for entry in self.entries:
            if entry.bid_id == bid_id:
                return entry
        raise BidNotFoundError(f"no bid {bid_id} in the evaluation report")


class Evaluation(Aggregate):
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

    @staticmethod
    def create_id(tender_id: UUID, **_: object) -> UUID:
        return evaluation_id_for(tender_id)

    @event(EvaluationStarted)
    def __init__(
        self,
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
        self.awards_made = 0
        self.current_award: UUID | None = None

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

    def candidate(self, bid_id: UUID) -> Candidate:
        candidate = self.candidates.get(bid_id)
        if candidate is None:
            raise BidNotFoundError(f"no bid {bid_id} on this tender")
        return candidate

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

    def check_committee_ready(self) -> None:
        """The committee works on the bids (scores, rulings, corrections, the financial
        opening) only once every member has declared, the chair without a conflict and a
        majority unrecused. Its composition is then final: a committee whose chair recused
        after the work started could neither finish (only the chair finalises) nor be
        replaced (a new committee is named only before any work).

        Checked by the application before each such act, not in the events' bodies: stored
        work done before this rule replays as it was."""
        missing = [m.name for m in self.committee if m.account_id not in self.declarations]
        if missing:
            raise CommitteeNotReadyError(
                f"every member declares before the committee's work: still {', '.join(missing)}"
            )
        chair = next(m for m in self.committee if m.chair)
        if self.declarations[chair.account_id].conflict:
            raise CommitteeNotReadyError(
                "the chair is recused: name a new committee (PUT /tenders/{id}/committee)"
            )
        if len(self.unrecused()) * 2 <= len(self.committee):
            raise CommitteeNotReadyError(
                "most of the committee is recused: name a new committee "
                "(PUT /tenders/{id}/committee)"
            )

    def check_corrected_total(self, bid_id: UUID, lot_id: str, corrected_price: Money) -> None:
        """The bid's evaluated price with this correction, and the other lots' own
        corrections, stays within ``MAX_TOTAL``: beyond it the bid would be left unranked
        with no published reason.

        Checked by the application before ``correct_price``, not in its body (which adds
        the read prices of the other lots): stored corrections replay as they were."""
        prices = self.candidate(bid_id).prices
        if prices is None:
            return  # the event refuses it: the price is sealed
        corrections = self.corrections.get(bid_id, {})
        total = corrected_price.amount + sum(
            (
                corrections[p.lot_id].corrected_price.amount
                if p.lot_id in corrections
                else p.price.amount
                for p in prices
                if p.lot_id != lot_id
            ),
            Decimal(0),
        )
        if total > MAX_TOTAL:
            raise CorrectedTotalOutOfRangeError(
                f"the corrected total would be {total:,}, above {MAX_TOTAL:,}"
            )

    def check_reinstatable(self, bid_id: UUID) -> None:
        """Quality and cost selection scores every bid before any price is seen: once a
        financial envelope is open, a bid comes back only if every unrecused member scored
        it before (otherwise its scores would be given knowing the others' prices).

        Checked by the application before ``reinstate``, not in its body: a stored
        reinstatement replays as it was."""
        if self.terms.method is not EvaluationMethod.QCBS or not self.financial:
            return
        unscored = [m.name for m in self.unrecused() if (bid_id, m.account_id) not in self.scores]
        if unscored:
            raise PricesOpenError(
                "financial envelopes are open: a bid not scored by every member before "
                f"({', '.join(unscored)} did not) cannot be reinstated"
            )

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
            self.candidates[bid.bid_id] = candidate.model_copy(update={"prices": bid.prices})

    @event(EvaluationFinalised)
    def finalise(self, *, report: EvaluationReport, actor: Actor, timestamp: datetime) -> None:
        self.check_in_progress()
        self.check_chair(actor.account_id)
        self.check_technical_work_done()
        if self.two_envelopes and self.to_open_financially():
            raise FinancialOpeningRequiredError(
                "open the financial envelopes of the qualified bids first"
            )
        if report != self.compute_report():
            raise EvaluationStateError("the report must be the one the evaluation computes")
        self.reports.append(report)
        self.status = EvaluationStatus.FINALISED

    @event(AwardRecorded)
    def record_award(
        self, *, award_id: UUID, bid_id: UUID, reason: str, actor: Actor, timestamp: datetime
    ) -> None:
        """An award made on the latest report: to its best-ranked bid, or with a reason."""
        report = self.check_can_award()
        entry = report.entry(bid_id)
        if entry.rank is None:
            raise BidNotResponsiveError("only a responsive, ranked bid can be awarded")
        if entry.rank != 1:
            self.check_reason(reason)
        if award_id != award_id_for(self.tender_id, self.awards_made + 1):
            raise EvaluationStateError("awards are numbered in order")
        self.status = EvaluationStatus.AWARDED
        self.current_award = award_id
        self.awards_made += 1

    def check_can_award(self) -> EvaluationReport:
        if self.status is EvaluationStatus.IN_PROGRESS or not self.reports:
            raise EvaluationStateError("the evaluation report is not finalised")
        if self.status is EvaluationStatus.AWARDED:
            raise EvaluationStateError("the tender is already awarded")
        report = self.reports[-1]
        if report.unsuccessful:
            raise NoResponsiveBidError("no bid is responsive: the tender is unsuccessful")
        return report

    @event(AwardReleased)
    def release_award(
        self, *, award_id: UUID, reason: str, actor: Actor, timestamp: datetime
    ) -> None:
        """The live award was cancelled: the report stands, another award may follow."""
        self.check_current_award(award_id)
        self.check_reason(reason)
        self.status = EvaluationStatus.FINALISED
        self.current_award = None

    @event(EvaluationReopened)
    def reopen(self, *, award_id: UUID, reason: str, actor: Actor, timestamp: datetime) -> None:
        """A complaint against the award was upheld: the committee takes the bids up again."""
        self.check_current_award(award_id)
        self.check_reason(reason)
        self.status = EvaluationStatus.IN_PROGRESS
        self.current_award = None

    def check_current_award(self, award_id: UUID) -> None:
        if self.status is not EvaluationStatus.AWARDED or self.current_award != award_id:
            raise EvaluationStateError("that award is not the tender's live award")

    # Queries ------------------------------------------------------------------------------

    def unrecused(self) -> list[Member]:
        return [
            member
            for member in self.committee
            if (d := self.declarations.get(member.account_id)) is not None and not d.conflict
        ]

    def check_technical_work_done(self) -> None:
        """Every member declared, a majority unrecused, and (QCBS) every responsive bid
        scored by every unrecused member."""
        missing = [m.name for m in self.committee if m.account_id not in self.declarations]
        if missing:
            raise ScoringIncompleteError(f"still to declare: {', '.join(missing)}")
        scorers = self.unrecused()
        if len(scorers) * 2 <= len(self.committee):
            raise ScoringIncompleteError("most of the committee is recused: it has no quorum")
        if self.terms.method is not EvaluationMethod.QCBS:
            return
        for bid_id in self.candidates:
            if self.reasons_against(bid_id, technical_only=True):
                continue
            unscored = [m.name for m in scorers if (bid_id, m.account_id) not in self.scores]
            if unscored:
                raise ScoringIncompleteError(
                    f"bid {bid_id} is still to be scored by {', '.join(unscored)}"
                )

    def technical_score(self, bid_id: UUID) -> Decimal | None:
        """The members' mean, in percent of the maximum; None until every member scored."""
        if self.terms.method is not EvaluationMethod.QCBS:
            return None
        scorers = self.unrecused()
        totals = [
            self.scores[bid_id, m.account_id].total
            for m in scorers
            if (bid_id, m.account_id) in self.scores
        ]
        if not scorers or len(totals) != len(scorers):
            return None
        mean = Decimal(sum(totals)) * 100 / (len(totals) * self.terms.max_technical)
        return mean.quantize(CENT, ROUND_HALF_EVEN)

    def technically_qualified(self, bid_id: UUID) -> bool:
        if self.reasons_against(bid_id, technical_only=True):
            return False
        if self.terms.method is not EvaluationMethod.QCBS:
            return True
        score = self.technical_score(bid_id)
        return score is not None and score >= self.terms.pass_mark

    def to_open_financially(self) -> list[UUID]:
        return [
            bid_id
            for bid_id in self.candidates
            if bid_id not in self.financial and self.technically_qualified(bid_id)
        ]

    def reasons_against(self, bid_id: UUID, *, technical_only: bool = False) -> list[str]:
        """Why the bid is not responsive, in words that are published; empty if it is."""
        candidate = self.candidates[bid_id]
        if candidate.status is OpenedStatus.WITHDRAWN:
            return ["withdrawn before the deadline"]
        if candidate.status is OpenedStatus.UNREADABLE:
            return [f"the envelope could not be opened: {candidate.problem or 'unreadable'}"]
        reasons: list[str] = []
        if candidate.security_sufficient is False:
            reasons.append("bid security missing or below the required amount")
        if candidate.validity_days is not None and candidate.validity_days < self.bid_validity_days:
            reasons.append(
                f"bid valid for {candidate.validity_days} days; {self.bid_validity_days} required"
            )
        missing = [d for d in self.terms.required_documents if d not in candidate.documents]
        if missing:
            reasons.append(f"required document missing: {', '.join(missing)}")
        ruling = self.rulings.get(bid_id)
        if ruling is not None and ruling.disqualified:
            reasons.append(f"disqualified by the committee: {ruling.reason}")
        if technical_only:
            return reasons
        problem = self.financial.get(bid_id, None)
        if problem is not None and problem.problem:
            reasons.append(f"the financial envelope could not be opened: {problem.problem}")
        elif candidate.prices is not None:
            reasons.extend(self._price_problems(candidate.prices))
        return reasons

    def _price_problems(self, prices: tuple[LotPrice, ...]) -> list[str]:
        given = [price.lot_id for price in prices]
        problems = []
        unpriced = [lot for lot in self.lot_ids if lot not in given]
        if unpriced:
            problems.append(f"no price for lot {', '.join(unpriced)}")
        twice = sorted({lot for lot in given if given.count(lot) > 1})
        if twice:
            problems.append(f"lot {', '.join(twice)} priced more than once")
        unknown = sorted(set(given) - set(self.lot_ids))
        if unknown:
            problems.append(f"a price for a lot the tender does not have: {', '.join(unknown)}")
        if any(price.price.currency != self.currency for price in prices):
            problems.append(f"a price is not in {self.currency}")
        if sum((price.price.amount for price in prices), Decimal(0)) > MAX_TOTAL:
            problems.append(f"the total price is above {MAX_TOTAL:,}")
        return problems

    def evaluated_price(self, bid_id: UUID) -> Money | None:
        """The sum of the lot prices after corrections; None while sealed or out of range."""
        prices = self.candidates[bid_id].prices
        if prices is None:
            return None
        corrections = self.corrections.get(bid_id, {})
        total = sum(
            (
                corrections[p.lot_id].corrected_price.amount
                if p.lot_id in corrections
                else p.price.amount
                for p in prices
            ),
            Decimal(0),
        )
        if total > MAX_TOTAL:
            return None
        return Money(amount=total, currency=self.currency)

    def compute_report(self) -> EvaluationReport:
        """The report as of now: a pure function of the evaluation."""
        qcbs = self.terms.method is EvaluationMethod.QCBS
        entries: dict[UUID, ReportEntry] = {}
        for bid_id, candidate in self.candidates.items():
            reasons = self.reasons_against(bid_id)
            evaluated = self.evaluated_price(bid_id) if not reasons else None
            read = (
                Money(
                    amount=sum((p.price.amount for p in candidate.prices), Decimal(0)),
                    currency=self.currency,
                )
                if candidate.prices is not None and not self._price_problems(candidate.prices)
                else None
            )
            entries[bid_id] = ReportEntry(
                bid_id=bid_id,
                vendor_id=candidate.vendor_id,
                vendor_name=candidate.vendor_name,
                received_at=candidate.received_at,
                status="evaluated"
                if candidate.status is OpenedStatus.OPENED
                else candidate.status.value,
                responsive=not reasons and (not qcbs or self.technically_qualified(bid_id)),
                reasons=tuple(reasons)
                + (
                    ()
                    if reasons or not qcbs or self.technically_qualified(bid_id)
                    else (f"technical score below the pass mark of {self.terms.pass_mark}%",)
                ),
                member_scores=tuple(
                    self.scores[bid_id, m.account_id]
                    for m in self.committee
                    if (bid_id, m.account_id) in self.scores
                ),
                technical_score=self.technical_score(bid_id),
                technically_qualified=self.technically_qualified(bid_id) if qcbs else None,
                financial_envelope=(
                    ("opened" if bid_id in self.financial else "sealed")
                    if self.two_envelopes and candidate.status is OpenedStatus.OPENED
                    else None
                ),
                read_price=read,
                corrections=tuple(self.corrections.get(bid_id, {}).values()),
                evaluated_price=evaluated,
            )
        ranked = [e for e in entries.values() if e.responsive and e.evaluated_price is not None]
        if qcbs and ranked:
            lowest = min(e.evaluated_price.amount for e in ranked if e.evaluated_price)
            for e in ranked:
                price = e.evaluated_price.amount if e.evaluated_price else Decimal(0)
                financial = (
                    Decimal(100) if price == 0 else Decimal(100) * lowest / price
                ).quantize(CENT, ROUND_HALF_EVEN)
                combined = (
                    (e.technical_score or Decimal(0)) * self.terms.technical_weight
                    + financial * self.terms.financial_weight
                ) / 100
                entries[e.bid_id] = e.model_copy(
                    update={
                        "financial_score": financial,
                        "combined_score": combined.quantize(CENT, ROUND_HALF_EVEN),
                    }
                )
            ranked = [entries[e.bid_id] for e in ranked]
        ranked.sort(key=self._ranking_key)
        for rank, entry in enumerate(ranked, start=1):
            entries[entry.bid_id] = entry.model_copy(update={"rank": rank})
        return EvaluationReport(
            number=len(self.reports) + 1,
            method=self.terms.method,
            tie_break=self.terms.tie_break,
            committee=self.committee,
            entries=tuple(entries.values()),
            recommended_bid=ranked[0].bid_id if ranked else None,
        )

    def _ranking_key(self, entry: ReportEntry) -> tuple[Decimal, Decimal, datetime, str]:
        """Best first: the method's measure, then the published tie-break."""
        if self.terms.method is EvaluationMethod.QCBS:
            measure = -(entry.combined_score or Decimal(0))
        else:
            measure = entry.evaluated_price.amount if entry.evaluated_price else Decimal(0)
        technical = (
            -(entry.technical_score or Decimal(0))
            if self.terms.tie_break is TieBreak.HIGHEST_TECHNICAL_SCORE
            else Decimal(0)
        )
        return (measure, technical, entry.received_at, str(entry.bid_id))

    @property
    def latest_report(self) -> EvaluationReport | None:
        return self.reports[-1] if self.reports else None
