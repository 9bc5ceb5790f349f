"""The evaluation's report, and the queries it is computed from: each bid's reasons,
scores, prices and rank, as a pure function of the evaluation's state."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from domain.bid import MAX_TOTAL, BundleDiscount, LotPrice
from domain.errors import (
    BidNotFoundError,
    CommitteeNotReadyError,
    CorrectedTotalOutOfRangeError,
    PricesOpenError,
    ScoringIncompleteError,
)
from domain.evaluation.combination import CombinationPart, cheapest_combination
from domain.evaluation.values import (
    CENT,
    Candidate,
    Correction,
    Declaration,
    FinancialBid,
    Member,
    MemberScore,
    Ruling,
)
from domain.opening import OpenedStatus
from domain.public_status import PublicTenderStatus
from domain.values import EvaluationMethod, EvaluationTerms, Money, TieBreak, ValueObject


class LotStanding(ValueObject):
    """A bid's place on one lot it priced, in a tender awarded by lot (docs/lots.md)."""

    lot_id: str
    evaluated_price: Money
    financial_score: Decimal | None = None
    combined_score: Decimal | None = None
    rank: int


class LotResult(ValueObject):
    """One lot's outcome in a tender awarded by lot: its best-ranked bid, if any."""

    lot_id: str
    recommended_bid: UUID | None


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
    rank: int | None = None  # awarded by lot: None, each lot's rank is in ``lots``
    lots: tuple[LotStanding, ...] = ()  # awarded by lot: the lots the bid is ranked on
    # Its lot-bundle discounts, when the notice allows them (docs/lots.md#bundle-discounts).
    discounts: tuple[BundleDiscount, ...] = ()

    @property
    def ranked(self) -> bool:
        """Ranked: on the whole tender, or (awarded by lot) on a lot at least."""
        return self.rank is not None or bool(self.lots)

    def standing(self, lot_id: str) -> LotStanding | None:
        return next((s for s in self.lots if s.lot_id == lot_id), None)


class EvaluationReport(ValueObject):
    number: int
    method: EvaluationMethod
    tie_break: TieBreak
    committee: tuple[Member, ...]
    entries: tuple[ReportEntry, ...]
    # Awarded by lot: the first lot's best-ranked bid (the notice's order) that has one, so
    # that None still means that no lot has a responsive bid; each lot's is in ``lots``.
    recommended_bid: UUID | None
    award_by_lot: bool = False
    lots: tuple[LotResult, ...] = ()
    # Awarded by lot: the lots cancelled before the report (docs/lots.md), neither ranked
    # nor in ``lots``; none in every report stored before lots were cancelled alone.
    cancelled_lots: tuple[str, ...] = ()
    # The notice allows bundle discounts: the cheapest combination of the lots' bids, which
    # each lot's ``recommended_bid`` follows, and its total (docs/lots.md#bundle-discounts).
    combination: tuple[CombinationPart, ...] = ()
    combination_total: Money | None = None

    def part_of(self, lot_id: str | None) -> CombinationPart | None:
        """The combination's part that covers the lot; None without a combination."""
        return next((part for part in self.combination if lot_id in part.lots), None)

    @property
    def unsuccessful(self) -> bool:
        return self.recommended_bid is None

    @property
    def public_status(self) -> PublicTenderStatus:
        """The tender's public status once this report is published (stage one of a
        two-stage tender: evaluated if it qualifies a bidder)."""
        if self.method is EvaluationMethod.QUALIFICATION:
            if any(entry.responsive for entry in self.entries):
                return PublicTenderStatus.EVALUATED
            return PublicTenderStatus.UNSUCCESSFUL
        if self.unsuccessful:
            return PublicTenderStatus.UNSUCCESSFUL
        return PublicTenderStatus.EVALUATED

    def entry(self, bid_id: UUID) -> ReportEntry:
        for entry in self.entries:
            if entry.bid_id == bid_id:
                return entry
        raise BidNotFoundError(f"no bid {bid_id} in the evaluation report")


class EvaluationQueries:
    """What an evaluation's state says, read without changing it: each bid's standing, its
    scores and prices, the report; and the checks the application makes on that state
    before a command, which are not run again on replay. ``Evaluation`` sets these
    attributes (``aggregate.py``)."""

    terms: EvaluationTerms
    currency: str
    lot_ids: tuple[str, ...]
    award_by_lot: bool
    bundle_discounts: bool
    bid_validity_days: int
    two_envelopes: bool
    committee: tuple[Member, ...]
    candidates: dict[UUID, Candidate]
    declarations: dict[UUID, Declaration]
    scores: dict[tuple[UUID, UUID], MemberScore]  # (bid, member)
    rulings: dict[UUID, Ruling]
    corrections: dict[UUID, dict[str, Correction]]
    financial: dict[UUID, FinancialBid]
    reports: list[EvaluationReport]

    def candidate(self, bid_id: UUID) -> Candidate:
        candidate = self.candidates.get(bid_id)
        if candidate is None:
            raise BidNotFoundError(f"no bid {bid_id} on this tender")
        return candidate

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
        if technical_only or self.terms.method is EvaluationMethod.QUALIFICATION:
            return reasons  # stage one's proposals carry no price
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
        if self.award_by_lot and not given:
            problems.append("no price for any lot")
        elif unpriced and not self.award_by_lot:
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

    def corrected_prices(self, bid_id: UUID) -> list[tuple[str, Decimal]]:
        """Each price line of the bid, (lot, amount) after corrections; none while sealed."""
        corrections = self.corrections.get(bid_id, {})
        return [
            (
                p.lot_id,
                corrections[p.lot_id].corrected_price.amount
                if p.lot_id in corrections
                else p.price.amount,
            )
            for p in self.candidates[bid_id].prices or ()
        ]

    def evaluated_price(self, bid_id: UUID) -> Money | None:
        """The sum of the lot prices after corrections; None while sealed or out of range."""
        if self.candidates[bid_id].prices is None:
            return None
        total = sum((amount for _, amount in self.corrected_prices(bid_id)), Decimal(0))
        if total > MAX_TOTAL:
            return None
        return Money(amount=total, currency=self.currency)

    def compute_report(self, cancelled_lots: tuple[str, ...] = ()) -> EvaluationReport:
        """The report as of now: a pure function of the evaluation and of the lots cancelled
        (the tender's, given by the application; recorded in the report, so that its event
        computes it again on replay). Only a report awarded by lot skips lots."""
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
                discounts=candidate.discounts if self.bundle_discounts else (),
            )
        if self.terms.method is EvaluationMethod.QUALIFICATION:
            return self._qualification_report(entries)
        ranked = [e for e in entries.values() if e.responsive and e.evaluated_price is not None]
        if self.award_by_lot:
            return self._report_by_lot(entries, ranked, cancelled_lots)
        if qcbs and ranked:
            lowest = min(e.evaluated_price.amount for e in ranked if e.evaluated_price)
            for e in ranked:
                price = e.evaluated_price.amount if e.evaluated_price else Decimal(0)
                financial, combined = self._qcbs_scores(e.technical_score, price, lowest)
                entries[e.bid_id] = e.model_copy(
                    update={"financial_score": financial, "combined_score": combined}
                )
            ranked = [entries[e.bid_id] for e in ranked]
        ranked.sort(key=lambda e: self._ranking_key(e, e))
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

    def _qualification_report(self, entries: dict[UUID, ReportEntry]) -> EvaluationReport:
        """Stage one of a two-stage tender: each proposal qualified (responsive) or not,
        with the reasons; no price, no rank, nothing recommended for an award."""
        return EvaluationReport(
            number=len(self.reports) + 1,
            method=self.terms.method,
            tie_break=self.terms.tie_break,
            committee=self.committee,
            entries=tuple(
                entry.model_copy(update={"evaluated_price": None, "read_price": None})
                for entry in entries.values()
            ),
            recommended_bid=None,
        )

    def qualified(self) -> list[ReportEntry]:
        """Stage one's qualified bidders in its latest report, in the order they bid."""
        report = self.latest_report
        if report is None:
            return []
        return sorted(
            (entry for entry in report.entries if entry.responsive),
            key=lambda entry: (entry.received_at, str(entry.bid_id)),
        )

    def _qcbs_scores(
        self, technical: Decimal | None, price: Decimal, lowest: Decimal
    ) -> tuple[Decimal, Decimal]:
        """Quality and cost selection: the financial score (the lowest price in percent of
        this one) and the combined score, weighted as the notice says."""
        financial = (Decimal(100) if price == 0 else Decimal(100) * lowest / price).quantize(
            CENT, ROUND_HALF_EVEN
        )
        combined = (
            (technical or Decimal(0)) * self.terms.technical_weight
            + financial * self.terms.financial_weight
        ) / 100
        return financial, combined.quantize(CENT, ROUND_HALF_EVEN)

    def _report_by_lot(
        self,
        entries: dict[UUID, ReportEntry],
        responsive: list[ReportEntry],
        cancelled_lots: tuple[str, ...],
    ) -> EvaluationReport:
        """Each lot ranks on its own the responsive bids that price it, by their price for
        it after corrections (QCBS: the bid's technical score with the lot's financial
        score); ties as the notice's tie-break says, then the earlier sealed submission.
        A cancelled lot is skipped: nothing is ranked nor recommended on it."""
        standings: dict[UUID, list[LotStanding]] = {e.bid_id: [] for e in responsive}
        results: list[LotResult] = []
        for lot_id in (lot for lot in self.lot_ids if lot not in cancelled_lots):
            priced = [(e, dict(self.corrected_prices(e.bid_id))) for e in responsive]
            on_lot = [(e, prices[lot_id]) for e, prices in priced if lot_id in prices]
            lowest = min((price for _, price in on_lot), default=Decimal(0))
            scored = []
            for e, price in on_lot:
                standing = LotStanding(
                    lot_id=lot_id,
                    evaluated_price=Money(amount=price, currency=self.currency),
                    rank=0,
                )
                if self.terms.method is EvaluationMethod.QCBS:
                    financial, combined = self._qcbs_scores(e.technical_score, price, lowest)
                    standing = standing.model_copy(
                        update={"financial_score": financial, "combined_score": combined}
                    )
                scored.append((e, standing))
            scored.sort(key=lambda pair: self._ranking_key(pair[0], pair[1]))
            for rank, (e, standing) in enumerate(scored, start=1):
                standings[e.bid_id].append(standing.model_copy(update={"rank": rank}))
            results.append(
                LotResult(lot_id=lot_id, recommended_bid=scored[0][0].bid_id if scored else None)
            )
        for bid_id, lots in standings.items():
            entries[bid_id] = entries[bid_id].model_copy(update={"lots": tuple(lots)})
        combination = self._combination(standings, entries) if self.bundle_discounts else ()
        if combination:
            chosen = {lot: part.bid_id for part in combination for lot in part.lots}
            results = [
                r.model_copy(update={"recommended_bid": chosen.get(r.lot_id)}) for r in results
            ]
        return EvaluationReport(
            number=len(self.reports) + 1,
            method=self.terms.method,
            tie_break=self.terms.tie_break,
            committee=self.committee,
            entries=tuple(entries.values()),
            recommended_bid=next((r.recommended_bid for r in results if r.recommended_bid), None),
            award_by_lot=True,
            lots=tuple(results),
            cancelled_lots=tuple(lot for lot in self.lot_ids if lot in cancelled_lots),
            combination=combination,
            combination_total=Money(
                amount=sum((part.price.amount for part in combination), Decimal(0)),
                currency=self.currency,
            )
            if combination
            else None,
        )

    def _combination(
        self, standings: dict[UUID, list[LotStanding]], entries: dict[UUID, ReportEntry]
    ) -> tuple[CombinationPart, ...]:
        """The cheapest combination of the lots' ranked bids with their bundle discounts
        (``combination.py``): each lot's bids in rank order, at their evaluated prices."""
        ranked: dict[str, list[tuple[int, UUID, Decimal]]] = {}
        for bid_id, lots in standings.items():
            for standing in lots:
                ranked.setdefault(standing.lot_id, []).append(
                    (standing.rank, bid_id, standing.evaluated_price.amount)
                )
        return cheapest_combination(
            self.lot_ids,
            {lot: [(bid, price) for _, bid, price in sorted(bids)] for lot, bids in ranked.items()},
            {bid_id: entries[bid_id].discounts for bid_id in standings},
            self.currency,
        )

    def _ranking_key(
        self, entry: ReportEntry, scored: ReportEntry | LotStanding
    ) -> tuple[Decimal, Decimal, datetime, str]:
        """Best first: the method's measure (of the bid, or of its price for one lot), then
        the published tie-break, then the earlier sealed submission, then the bid's id."""
        if self.terms.method is EvaluationMethod.QCBS:
            measure = -(scored.combined_score or Decimal(0))
        else:
            measure = scored.evaluated_price.amount if scored.evaluated_price else Decimal(0)
        technical = (
            -(entry.technical_score or Decimal(0))
            if self.terms.tie_break is TieBreak.HIGHEST_TECHNICAL_SCORE
            else Decimal(0)
        )
        return (measure, technical, entry.received_at, str(entry.bid_id))

    @property
    def latest_report(self) -> EvaluationReport | None:
        return self.reports[-1] if self.reports else None

    # Checks the application makes before a command ---------------------------------------

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
