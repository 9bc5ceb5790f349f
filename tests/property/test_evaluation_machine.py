"""A state machine for Evaluation: a committee of three (one chair) of the entity's five
officers, and a handful of opened, withdrawn and unreadable bids, under least cost with one
or two envelopes and under quality and cost based selection with two. Members and outsiders
declare, score, disqualify and reinstate, correct prices; the committee is re-formed (well
or badly); the financial envelopes open (the right set or a wrong one); the report is
finalised, an award recorded, released or the evaluation reopened. Some tenders are awarded
by lot (docs/lots.md): a bid prices any of the lots, each lot is ranked and awarded on its
own, and a bidder may win several.

A small model says whether each command must be refused or must go through (a refusal is a
ProcurementError and changes nothing) and what the evaluation concludes of every bid. After
every step: replay through real serialisation equals the live evaluation; every finalised
report ranks exactly its responsive bids, 1 to n, best first; a recused member has no
scores; under two envelopes a bid whose financial envelope never opened has no price and
no rank; an award is live exactly when the evaluation is awarded; each lot is awarded at
most once at a time, and a bid only on a lot it priced and is ranked on."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain import errors
from domain.bid import LotPrice
from domain.evaluation import (
    Candidate,
    CriterionScore,
    Evaluation,
    EvaluationReport,
    EvaluationStatus,
    FinancialBid,
    Member,
    award_id_for,
    evaluation_id_for,
)
from domain.opening import OpenedStatus
from domain.values import Actor, Criterion, EvaluationMethod, EvaluationTerms, Money, TieBreak
from tests.property.test_tender_machine import (
    MAPPER,
    assert_replay_equals_live,
    blanks,
    is_blank,
    state_of,
    store,
    texts,
)
from tests.snapshot_check import SnapshotWatch
from tests.support import START, officer

CENT = Decimal("0.01")
MINUTE = timedelta(minutes=1)
LOTS = ["1", "2"]
CURRENCY = "PKR"
VALIDITY = 90
DOCUMENT = "tax certificate"
CRITERIA = (
    Criterion(id="experience", name="Experience of similar works", max_score=40),
    Criterion(id="method", name="Methodology and work plan", max_score=60),
)
SET_UPS = [
    "least cost, one envelope",
    "least cost, two envelopes",
    "qcbs, two envelopes",
    "least cost, one envelope, by lot",
    "qcbs, two envelopes, by lot",
]
MIN_COMMITTEE = 3

amounts = st.sampled_from([Decimal("1000.00"), Decimal("1500.50"), Decimal("2000.00"), Decimal(0)])
"""Few, so that totals tie and the tie-break decides."""
reasons = st.one_of(
    blanks,
    texts,
    st.just("Arithmetic error in the bill of quantities"),
    st.just("The bank did not confirm the bid security"),
)
"""Blank in about a third of the draws."""
chair_mostly = st.sampled_from(["chair", "chair", "chair", "member", "outsider"])
anyone = st.sampled_from(["chair", "member", "member", "outsider"])


@st.composite
def offers(draw: st.DrawFn) -> tuple[LotPrice, ...]:
    """What a bidder priced: every lot once (mostly), or one lot only, no lot, a lot twice, a
    lot the tender does not have, a lot in a foreign currency."""
    shape = draw(
        st.sampled_from(
            ["every lot"] * 6 + ["one lot", "other lot", "none", "twice", "alien", "foreign"]
        )
    )
    lots = {
        "one lot": ["1"],
        "other lot": ["2"],
        "none": [],
        "twice": ["1", "1", "2"],
        "alien": ["1", "2", "9"],
    }.get(shape, LOTS)
    return tuple(
        LotPrice(
            lot_id=lot,
            price=Money(
                amount=draw(amounts), currency="USD" if shape == "foreign" and lot == "2" else "PKR"
            ),
        )
        for lot in lots
    )


def quantized(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_EVEN)


@dataclass
class Model:
    """What the evaluation should conclude, worked out without it."""

    terms: EvaluationTerms
    two_envelopes: bool
    committee: list[Member]
    bids: dict[UUID, Candidate]  # as they started
    offers: dict[UUID, tuple[LotPrice, ...]]  # what every opened bid priced
    status: EvaluationStatus = EvaluationStatus.IN_PROGRESS
    declared: dict[UUID, bool] = field(default_factory=dict)  # member: conflict
    totals: dict[tuple[UUID, UUID], int] = field(default_factory=dict)  # (bid, member)
    disqualified: set[UUID] = field(default_factory=set)
    ruled: bool = False  # the chair disqualified or reinstated a bid
    financial: dict[UUID, tuple[LotPrice, ...] | None] = field(default_factory=dict)  # None: bad
    corrections: dict[UUID, dict[str, Decimal]] = field(default_factory=dict)
    reports: int = 0
    awards_made: int = 0
    by_lot: bool = False
    live: dict[str | None, UUID] = field(default_factory=dict)  # lot (None: whole): award
    awarded: dict[UUID, tuple[str | None, UUID]] = field(default_factory=dict)  # award: lot, bid
    fallen: set[UUID] = field(default_factory=set)  # awards released or reopened

    @property
    def qcbs(self) -> bool:
        return self.terms.method is EvaluationMethod.QCBS

    @property
    def in_progress(self) -> bool:
        return self.status is EvaluationStatus.IN_PROGRESS

    @property
    def chair(self) -> UUID:
        return next(m.account_id for m in self.committee if m.chair)

    def is_member(self, account_id: UUID) -> bool:
        return any(m.account_id == account_id for m in self.committee)

    def may_act(self, account_id: UUID) -> bool:
        """A member who declared no conflict."""
        return self.is_member(account_id) and self.declared.get(account_id) is False

    def is_acting_chair(self, account_id: UUID) -> bool:
        return account_id == self.chair and self.may_act(account_id)

    def unrecused(self) -> list[UUID]:
        return [m.account_id for m in self.committee if self.declared.get(m.account_id) is False]

    def work_started(self) -> bool:
        return bool(self.totals or self.ruled or self.corrections or self.financial or self.reports)

    def prices(self, bid_id: UUID) -> tuple[LotPrice, ...] | None:
        """The prices the evaluation may read: all opened bids' under one envelope, the
        opened financial envelopes' under two."""
        if not self.two_envelopes:
            return self.offers.get(bid_id)
        if bid_id not in self.financial:
            return None
        return self.financial[bid_id] or ()

    def technical_problem(self, bid_id: UUID) -> bool:
        bid = self.bids[bid_id]
        return (
            bid.status is not OpenedStatus.OPENED
            or bid.security_sufficient is False
            or (bid.validity_days is not None and bid.validity_days < VALIDITY)
            or any(d not in bid.documents for d in self.terms.required_documents)
            or bid_id in self.disqualified
        )

    def price_problem(self, bid_id: UUID) -> bool:
        """Every lot priced once, in the tender's currency, and nothing else; or, under two
        envelopes, the financial envelope did not open."""
        if self.two_envelopes and bid_id in self.financial and self.financial[bid_id] is None:
            return True
        prices = self.prices(bid_id)
        if prices is None:
            return False
        given = [p.lot_id for p in prices]
        if self.by_lot:  # any of the lots, each once, and at least one
            lots_wrong = not given or len(set(given)) != len(given) or not set(given) <= set(LOTS)
        else:
            lots_wrong = sorted(given) != sorted(LOTS)
        return lots_wrong or any(p.price.currency != CURRENCY for p in prices)

    def technical_score(self, bid_id: UUID) -> Decimal | None:
        scorers = self.unrecused()
        totals = [self.totals[bid_id, m] for m in scorers if (bid_id, m) in self.totals]
        if not self.qcbs or not scorers or len(totals) != len(scorers):
            return None
        maximum = len(scorers) * self.terms.max_technical
        return quantized(Decimal(sum(totals)) * 100 / maximum)

    def technically_qualified(self, bid_id: UUID) -> bool:
        if self.technical_problem(bid_id):
            return False
        score = self.technical_score(bid_id)
        return not self.qcbs or (score is not None and score >= self.terms.pass_mark)

    def responsive(self, bid_id: UUID) -> bool:
        return not self.price_problem(bid_id) and self.technically_qualified(bid_id)

    def to_open(self) -> list[UUID]:
        return [b for b in self.bids if b not in self.financial and self.technically_qualified(b)]

    def technical_work_done(self) -> bool:
        if any(m.account_id not in self.declared for m in self.committee):
            return False
        scorers = self.unrecused()
        if len(scorers) * 2 <= len(self.committee):
            return False
        return not self.qcbs or all(
            (bid_id, m) in self.totals
            for bid_id in self.bids
            if not self.technical_problem(bid_id)
            for m in scorers
        )

    def may_finalise(self, account_id: UUID) -> bool:
        return (
            self.in_progress
            and self.is_acting_chair(account_id)
            and self.technical_work_done()
            and not (self.two_envelopes and self.to_open())
        )

    def evaluated_price(self, bid_id: UUID) -> Decimal | None:
        prices = self.prices(bid_id)
        if prices is None:
            return None
        corrected = self.corrections.get(bid_id, {})
        return sum((corrected.get(p.lot_id, p.price.amount) for p in prices), Decimal(0))


def valid_scores(draw: st.DrawFn) -> list[CriterionScore]:
    quality = draw(st.sampled_from(["strong", "strong", "weak", "any"]))
    scores = []
    for criterion in CRITERIA:
        top = criterion.max_score
        low, high = {"strong": (top * 3 // 4, top), "weak": (0, top * 3 // 5), "any": (0, top)}[
            quality
        ]
        scores.append(
            CriterionScore(
                criterion_id=criterion.id,
                score=draw(st.integers(low, high)),
                justification=draw(st.sampled_from(["Shown in the offer", "Four similar works"])),
            )
        )
    return scores


valid_score_sheets = st.composite(valid_scores)()


@st.composite
def score_sheets(draw: st.DrawFn) -> tuple[list[CriterionScore], bool]:
    """A member's scores for one bid, and whether they are valid."""
    scores = valid_scores(draw)
    flaw = draw(st.sampled_from([None, None, None, "missing", "twice", "over", "blank", "alien"]))
    if flaw == "missing":
        scores = scores[:1]
    elif flaw == "twice":
        scores = [scores[0], scores[0]]
    elif flaw == "over":
        scores[1] = scores[1].model_copy(update={"score": CRITERIA[1].max_score + 1})
    elif flaw == "blank":
        scores[0] = scores[0].model_copy(update={"justification": " \t"})
    elif flaw == "alien":
        scores.append(CriterionScore(criterion_id="price", score=1, justification="Cheap"))
    return scores, flaw is None


class EvaluationMachine(RuleBasedStateMachine):
    evaluation: Evaluation
    model: Model

    def __init__(self) -> None:
        super().__init__()
        # Fixed ids, not uuid4: draws are made from lists sorted by id (awards, bids), and
        # hypothesis must see the same lists when it replays an example.
        self.officers = [
            officer("wsd").model_copy(update={"account_id": UUID(int=n + 1)}) for n in range(5)
        ]  # the entity's: committees come from them
        # Never on a committee:
        self.outsider = officer("wsd").model_copy(update={"account_id": UUID(int=99)})
        self.tender_id = UUID("0b0e7a1e-0000-4000-8000-000000000020")
        self.now = START
        self.stored: list[StoredEvent] = []
        self.snapshots = SnapshotWatch(MAPPER.transcoder)

    @initialize(data=st.data(), set_up=st.sampled_from(SET_UPS))
    def start(self, data: st.DataObject, set_up: str) -> None:
        qcbs, two, by_lot = set_up.startswith("qcbs"), "two" in set_up, "by lot" in set_up
        documents = data.draw(st.sampled_from([(), (), (DOCUMENT,)]), label="documents")
        tie_break = data.draw(st.sampled_from(TieBreak), label="tie break")
        if qcbs:
            weight = data.draw(st.sampled_from([Decimal(70), Decimal(80)]), label="weight")
            terms = EvaluationTerms(
                method=EvaluationMethod.QCBS,
                criteria=CRITERIA,
                pass_mark=data.draw(st.sampled_from([Decimal(60), Decimal(70)]), label="pass"),
                technical_weight=weight,
                financial_weight=100 - weight,
                tie_break=tie_break,
                required_documents=documents,
            )
        else:
            terms = EvaluationTerms(tie_break=tie_break, required_documents=documents)
        committee = self.committee_of([0, 1, 2], chair=0)
        bids, offered = self.draw_bids(data, two_envelopes=two)
        self.evaluation = Evaluation(
            tender_id=self.tender_id,
            entity="wsd",
            terms=terms,
            currency=CURRENCY,
            lot_ids=list(LOTS),
            bid_validity_days=VALIDITY,
            two_envelopes=two,
            min_committee_size=MIN_COMMITTEE,
            committee=committee,
            candidates=bids,
            actor=self.officers[0],
            timestamp=self.now,
            award_by_lot=by_lot,
        )
        assert self.evaluation.id == evaluation_id_for(self.tender_id)
        self.model = Model(
            terms=terms,
            two_envelopes=two,
            committee=committee,
            bids={bid.bid_id: bid for bid in bids},
            offers=offered,
            by_lot=by_lot,
        )
        self.stored.extend(store(started) for started in self.evaluation.collect_events())

    def committee_of(self, which: list[int], chair: int | None) -> list[Member]:
        return [
            Member(account_id=self.officers[n].account_id, name=f"officer {n}", chair=n == chair)
            for n in which
        ]

    @staticmethod
    def draw_bids(
        data: st.DataObject, *, two_envelopes: bool
    ) -> tuple[list[Candidate], dict[UUID, tuple[LotPrice, ...]]]:
        """One withdrawn bid, two to four opened ones, now and then an unreadable one."""
        opened = data.draw(st.integers(2, 4), label="opened bids")
        unreadable = data.draw(st.booleans(), label="an unreadable bid")
        statuses = [OpenedStatus.WITHDRAWN]
        statuses += [OpenedStatus.OPENED] * opened + [OpenedStatus.UNREADABLE] * unreadable
        bids, offered = [], {}
        # Drawn, not random: the tie-break's last resort is the bid id, and a run must replay.
        ids = data.draw(
            st.lists(
                st.uuids(), min_size=2 * len(statuses), max_size=2 * len(statuses), unique=True
            ),
            label="bid and vendor ids",
        )
        for n, status in enumerate(statuses):
            bid_id, vendor_id = ids[2 * n], ids[2 * n + 1]
            received = START - data.draw(st.sampled_from([1, 2, 2, 5]), label="hours") * 60 * MINUTE
            if status is not OpenedStatus.OPENED:
                bids.append(
                    Candidate(
                        bid_id=bid_id,
                        vendor_id=vendor_id,
                        vendor_name=f"Vendor {n}",
                        received_at=received,
                        status=status,
                        problem="the envelope does not open"
                        if status is OpenedStatus.UNREADABLE
                        else None,
                    )
                )
                continue
            priced = data.draw(offers(), label="prices")
            offered[bid_id] = priced
            bids.append(
                Candidate(
                    bid_id=bid_id,
                    vendor_id=vendor_id,
                    vendor_name=f"Vendor {n}",
                    received_at=received,
                    status=status,
                    prices=None if two_envelopes else priced,
                    security_sufficient=data.draw(
                        st.sampled_from([True, True, True, True, None, False]), label="security"
                    ),
                    validity_days=data.draw(
                        st.sampled_from([None, None, VALIDITY, 120, 120, 60]), label="validity"
                    ),
                    documents=data.draw(
                        st.sampled_from([(DOCUMENT,)] * 3 + [()]), label="documents"
                    ),
                )
            )
        return bids, offered

    # Running one command ------------------------------------------------------------------

    def attempt(self, command: Callable[[], None], *, refused: bool) -> bool:
        """Run the command: refused with a ProcurementError and nothing changed, when the
        model says it must be; done, with exactly one event stored, when it must not be."""
        self.now += MINUTE
        evaluation = self.evaluation
        version = evaluation.version
        before = copy.deepcopy(state_of(evaluation))
        refusal: errors.ProcurementError | None = None
        try:
            command()
        except errors.ProcurementError as error:
            refusal = error
        if refusal is not None:
            event(f"{command.__name__}: {type(refusal).__name__}")
            assert refused, f"refused with {type(refusal).__name__} ({refusal})"
            assert evaluation.version == version, "a refused command changed the version"
            assert evaluation._pending_events == [], "a refused command left an event"
            assert state_of(evaluation) == before, "a refused command changed the evaluation"
            return False
        event(f"{command.__name__}: done")
        assert not refused, "the command went through; the model expected a refusal"
        emitted = evaluation.collect_events()
        assert len(emitted) == 1, f"one command emitted {len(emitted)} events"
        assert evaluation.version == version + 1
        self.stored.append(store(emitted[0]))
        return True

    def by_id(self, account_id: UUID) -> Actor:
        return next(a for a in [*self.officers, self.outsider] if a.account_id == account_id)

    def pick_actor(self, data: st.DataObject, who: str) -> Actor:
        """The chair, another member, or an officer of the entity not on the committee."""
        if who == "outsider":
            return self.outsider
        if who == "chair":
            return self.by_id(self.model.chair)
        others = [m.account_id for m in self.model.committee if not m.chair]
        return self.by_id(data.draw(st.sampled_from(others), label="member"))

    def pick_bid(self, data: st.DataObject) -> UUID:
        """Mostly an opened bid, now and then a withdrawn or unreadable one, or none at all."""
        known = list(self.model.bids)
        opened = [b for b in known if self.model.bids[b].status is OpenedStatus.OPENED]
        return data.draw(
            st.one_of(
                st.sampled_from(opened), st.sampled_from(opened), st.sampled_from(known), st.uuids()
            ),
            label="bid",
        )

    # The committee ------------------------------------------------------------------------

    @rule(
        data=st.data(),
        shape=st.sampled_from(["three"] * 3 + ["five", "two", "four", "no chair", "two chairs"]),
        reason=reasons,
    )
    def reform_committee(self, data: st.DataObject, shape: str, reason: str) -> None:
        """A new committee, valid (three or five members, one chair) or not."""
        model = self.model
        size = {"five": 5, "two": 2, "four": 4}.get(shape, 3)
        which = data.draw(st.permutations(range(len(self.officers))), label="officers")[:size]
        chairs = {"no chair": [], "two chairs": which[:2]}.get(shape, which[:1])
        committee = [
            Member(account_id=self.officers[n].account_id, name=f"officer {n}", chair=n in chairs)
            for n in which
        ]
        refused = (
            not model.in_progress
            or is_blank(reason)
            or model.work_started()
            or shape not in {"three", "five"}
        )

        def reforming() -> None:
            self.evaluation.reform_committee(
                committee=committee,
                min_committee_size=MIN_COMMITTEE,
                reason=reason,
                actor=self.officers[0],
                timestamp=self.now,
            )

        if self.attempt(reforming, refused=refused):
            model.committee = committee
            model.declared = {}
            assert self.evaluation.committee == tuple(committee)

    @rule(
        data=st.data(),
        who=anyone,
        conflict=st.sampled_from([False, False, False, True]),
        statement=st.one_of(blanks, st.just("My brother works for Vendor 2")),
    )
    def declare(self, data: st.DataObject, who: str, conflict: bool, statement: str) -> None:
        self.declare_as(self.pick_actor(data, who), conflict, statement)

    def declare_as(self, actor: Actor, conflict: bool, statement: str) -> None:
        model = self.model
        refused = (
            not model.is_member(actor.account_id)
            or actor.account_id in model.declared
            or (conflict and is_blank(statement))
        )

        def declaring() -> None:
            self.evaluation.declare(
                conflict=conflict, statement=statement, actor=actor, timestamp=self.now
            )

        if self.attempt(declaring, refused=refused):
            model.declared[actor.account_id] = conflict

    @precondition(lambda self: len(self.model.declared) < len(self.model.committee))
    @rule(conflicts=st.sampled_from(["none"] * 3 + ["a member", "two members", "the chair"]))
    def everyone_declares(self, conflicts: str) -> None:
        """The committee's usual first step: every member still to declare does, most of
        them with no conflict."""
        others = [m for m in self.model.committee if not m.chair]
        conflicted = {
            "a member": others[:1],
            "two members": others[:2],
            "the chair": [m for m in self.model.committee if m.chair],
        }.get(conflicts, [])
        for member in self.model.committee:
            if member.account_id not in self.model.declared:
                actor = self.by_id(member.account_id)
                self.declare_as(actor, conflict=member in conflicted, statement="A cousin bids")

    # Scores -------------------------------------------------------------------------------

    @rule(data=st.data(), who=anyone, sheet=score_sheets())
    def score(
        self, data: st.DataObject, who: str, sheet: tuple[list[CriterionScore], bool]
    ) -> None:
        self.score_one(self.pick_actor(data, who), self.pick_bid(data), *sheet)

    def score_one(
        self, actor: Actor, bid_id: UUID, scores: list[CriterionScore], valid: bool
    ) -> None:
        model = self.model
        refused = (
            not model.in_progress
            or not model.may_act(actor.account_id)
            or not model.qcbs
            or bid_id not in model.bids
            or model.technical_problem(bid_id)
            or model.price_problem(bid_id)
            or bid_id in model.financial
            or (bid_id, actor.account_id) in model.totals
            or not valid
        )

        def scoring() -> None:
            self.evaluation.score(bid_id=bid_id, scores=scores, actor=actor, timestamp=self.now)

        if self.attempt(scoring, refused=refused):
            model.totals[bid_id, actor.account_id] = sum(s.score for s in scores)

    @precondition(lambda self: self.model.qcbs and self.model.in_progress)
    @rule(data=st.data())
    def everyone_scores(self, data: st.DataObject) -> None:
        """Every member scores every bid still to be scored, validly: refused to a member
        who has not declared or is recused."""
        model = self.model
        for member in model.committee:
            actor = self.by_id(member.account_id)
            for bid_id in model.bids:
                if (
                    (bid_id, actor.account_id) not in model.totals
                    and bid_id not in model.financial
                    and not model.technical_problem(bid_id)
                ):
                    scores = data.draw(valid_score_sheets, label="scores")
                    self.score_one(actor, bid_id, scores, valid=True)

    # The chair's decisions ----------------------------------------------------------------

    @rule(data=st.data(), who=chair_mostly, reason=reasons)
    def disqualify(self, data: st.DataObject, who: str, reason: str) -> None:
        actor, model, bid_id = self.pick_actor(data, who), self.model, self.pick_bid(data)
        refused = (
            not model.in_progress
            or not model.is_acting_chair(actor.account_id)
            or is_blank(reason)
            or bid_id not in model.bids
            or model.bids[bid_id].status is not OpenedStatus.OPENED
            or bid_id in model.disqualified
        )

        def disqualifying() -> None:
            self.evaluation.disqualify(
                bid_id=bid_id, reason=reason, actor=actor, timestamp=self.now
            )

        if self.attempt(disqualifying, refused=refused):
            model.disqualified.add(bid_id)
            model.ruled = True

    @rule(data=st.data(), who=chair_mostly, reason=reasons)
    def reinstate(self, data: st.DataObject, who: str, reason: str) -> None:
        actor, model = self.pick_actor(data, who), self.model
        disqualified = sorted(model.disqualified)
        pick = st.sampled_from(disqualified) if disqualified else st.sampled_from(list(model.bids))
        bid_id = data.draw(st.one_of(pick, pick, st.uuids()), label="bid")
        refused = (
            not model.in_progress
            or not model.is_acting_chair(actor.account_id)
            or is_blank(reason)
            or bid_id not in model.disqualified
        )

        def reinstating() -> None:
            self.evaluation.reinstate(bid_id=bid_id, reason=reason, actor=actor, timestamp=self.now)

        if self.attempt(reinstating, refused=refused):
            model.disqualified.discard(bid_id)
            model.ruled = True

    @rule(
        data=st.data(),
        who=chair_mostly,
        lot=st.sampled_from([*LOTS, *LOTS, *LOTS, "9"]),
        amount=amounts,
        currency=st.sampled_from([CURRENCY] * 5 + ["USD"]),
        reason=reasons,
    )
    def correct_price(
        self,
        data: st.DataObject,
        *,
        who: str,
        lot: str,
        amount: Decimal,
        currency: str,
        reason: str,
    ) -> None:
        actor, model, bid_id = self.pick_actor(data, who), self.model, self.pick_bid(data)
        prices = model.prices(bid_id) if bid_id in model.bids else None
        read = next((p.price for p in prices or () if p.lot_id == lot), None)
        refused = (
            not model.in_progress
            or not model.is_acting_chair(actor.account_id)
            or is_blank(reason)
            or read is None
            or read.currency != currency
        )
        corrected = Money(amount=amount, currency=currency)

        def correcting() -> None:
            self.evaluation.correct_price(
                bid_id=bid_id,
                lot_id=lot,
                corrected_price=corrected,
                reason=reason,
                actor=actor,
                timestamp=self.now,
            )

        if self.attempt(correcting, refused=refused):
            model.corrections.setdefault(bid_id, {})[lot] = amount

    # The financial opening ----------------------------------------------------------------

    @rule(
        data=st.data(),
        which=st.sampled_from(["qualified"] * 5 + ["one fewer", "one more", "none"]),
        problem_at=st.sampled_from([None, None, None, 0, 1]),
    )
    def open_financial(self, data: st.DataObject, which: str, problem_at: int | None) -> None:
        model = self.model
        opening = list(self.evaluation.to_open_financially())
        if which == "one fewer":
            opening = opening[1:]
        elif which == "one more":
            opening.append(self.pick_bid(data))
        elif which == "none":
            opening = []
        bids = [
            FinancialBid(
                bid_id=bid_id,
                commitment=f"{n:064x}",
                prices=() if n == problem_at else model.offers.get(bid_id, ()),
                problem="the envelope does not match its commitment" if n == problem_at else None,
            )
            for n, bid_id in enumerate(opening)
        ]
        expected = model.to_open()
        refused = (
            not model.in_progress
            or not model.two_envelopes
            or not model.technical_work_done()
            or not expected
            or sorted(opening) != sorted(expected)
        )

        def opening_envelopes() -> None:
            self.evaluation.open_financial(
                bids=bids, actor=self.by_id(model.chair), timestamp=self.now
            )

        if self.attempt(opening_envelopes, refused=refused):
            for bid in bids:
                model.financial[bid.bid_id] = None if bid.problem else bid.prices

    # The report and the award -------------------------------------------------------------

    @rule(
        data=st.data(),
        who=st.sampled_from(["chair"] * 4 + ["member", "outsider"]),
        stale=st.sampled_from([False] * 5 + [True]),
    )
    def finalise(self, data: st.DataObject, who: str, stale: bool) -> None:
        actor, model = self.pick_actor(data, who), self.model
        report = self.evaluation.compute_report()
        if stale:
            report = report.model_copy(update={"number": report.number + 1})
        refused = stale or not model.may_finalise(actor.account_id)

        def finalising() -> None:
            self.evaluation.finalise(report=report, actor=actor, timestamp=self.now)

        if self.attempt(finalising, refused=refused):
            model.status = EvaluationStatus.FINALISED
            model.reports += 1
            assert report.committee == tuple(model.committee)
            for entry in report.entries:
                assert entry.responsive == model.responsive(entry.bid_id)
                if entry.rank is not None:
                    price = model.evaluated_price(entry.bid_id)
                    assert entry.evaluated_price == Money(amount=price or 0, currency=CURRENCY)
                    assert entry.technical_score == model.technical_score(entry.bid_id)

    @rule(
        data=st.data(),
        which=st.sampled_from(["first", "first", "first", "ranked", "any"]),
        reason=st.one_of(blanks, st.just("The first-ranked bidder declined")),
        misnumber=st.sampled_from([0, 0, 0, 0, 1, -1]),
    )
    def record_award(
        self,
        data: st.DataObject,
        which: str,
        reason: str,
        misnumber: int,
        lot: str | None = "drawn",
    ) -> None:
        model = self.model
        if lot == "drawn":
            lots = [*LOTS, *LOTS, *LOTS, "9", None] if model.by_lot else [None] * 5 + ["1"]
            lot = data.draw(st.sampled_from(lots), label="lot")
        report = self.evaluation.latest_report
        ranked = self.ranked_on(report, lot)
        recommended = self.recommended_on(report, lot)
        if which == "first" and recommended is not None:
            bid_id = recommended
        elif which == "ranked" and ranked:
            bid_id = data.draw(st.sampled_from(sorted(ranked)), label="ranked bid")
        else:
            bid_id = self.pick_bid(data)
        award_id = award_id_for(self.tender_id, model.awards_made + 1 + misnumber)
        if model.by_lot:
            awardable = model.status is not EvaluationStatus.IN_PROGRESS and model.reports > 0
            awardable = awardable and lot in LOTS and lot not in model.live
        else:
            awardable = model.status is EvaluationStatus.FINALISED and lot is None
        refused = (
            not awardable
            or bid_id not in ranked
            or (ranked[bid_id] != 1 and is_blank(reason))
            or misnumber != 0
        )

        def recording() -> None:
            self.evaluation.record_award(
                award_id=award_id,
                bid_id=bid_id,
                reason=reason,
                actor=self.by_id(model.chair),
                timestamp=self.now,
                lot_id=lot,
            )

        if self.attempt(recording, refused=refused):
            model.status = EvaluationStatus.AWARDED
            model.awards_made += 1
            model.live[lot] = award_id
            model.awarded[award_id] = (lot, bid_id)

    @staticmethod
    def ranked_on(report: EvaluationReport | None, lot: str | None) -> dict[UUID, int]:
        """Each bid's rank on the report: on the whole tender (``lot`` None), or on ``lot``."""
        if report is None:
            return {}
        if lot is None:
            return {e.bid_id: e.rank for e in report.entries if e.rank}
        return {e.bid_id: s.rank for e in report.entries if (s := e.standing(lot))}

    @staticmethod
    def recommended_on(report: EvaluationReport | None, lot: str | None) -> UUID | None:
        if report is None:
            return None
        if not report.award_by_lot:
            return report.recommended_bid
        return next((r.recommended_bid for r in report.lots if r.lot_id == lot), None)

    def live_or_other_award(self, data: st.DataObject) -> UUID:
        made = [award_id_for(self.tender_id, n) for n in range(1, self.model.awards_made + 2)]
        live = sorted(self.model.live.values())
        return data.draw(st.sampled_from(live * 3 + made), label="award")

    def fall(self, award_id: UUID) -> None:
        """The model's award ``award_id`` released or reopened: its lot is free again."""
        lot, _ = self.model.awarded[award_id]
        del self.model.live[lot]
        self.model.fallen.add(award_id)

    @rule(data=st.data(), reason=reasons)
    def release_award(self, data: st.DataObject, reason: str) -> None:
        model, award_id = self.model, self.live_or_other_award(data)
        refused = award_id not in model.live.values() or is_blank(reason)

        def releasing() -> None:
            self.evaluation.release_award(
                award_id=award_id, reason=reason, actor=self.outsider, timestamp=self.now
            )

        if self.attempt(releasing, refused=refused):
            self.fall(award_id)
            if not model.live:
                model.status = EvaluationStatus.FINALISED

    @rule(data=st.data(), reason=reasons)
    def reopen(self, data: st.DataObject, reason: str) -> None:
        model, award_id = self.model, self.live_or_other_award(data)
        # Not while another lot's award stands on the report.
        refused = list(model.live.values()) != [award_id] or is_blank(reason)

        def reopening() -> None:
            self.evaluation.reopen(
                award_id=award_id, reason=reason, actor=self.outsider, timestamp=self.now
            )

        if self.attempt(reopening, refused=refused):
            self.fall(award_id)
            model.status = EvaluationStatus.IN_PROGRESS

    # The usual path -----------------------------------------------------------------------

    @rule(
        data=st.data(),
        remedy=st.sampled_from(["release", "reopen"]),
        hurry=st.booleans(),
        amount=amounts,
    )
    def next_step(self, data: st.DataObject, remedy: str, hurry: bool, amount: Decimal) -> None:
        """Whatever the committee would rightly do next, so that runs reach the report, the
        award and what follows it: declare, score, open, correct a price or finalise, award,
        release or reopen."""
        model = self.model
        if len(model.declared) < len(model.committee):
            self.everyone_declares(conflicts="none")
        elif not model.in_progress:
            free = [lot for lot in LOTS if lot not in model.live] if model.by_lot else [None]
            report = self.evaluation.latest_report
            awardable = [lot for lot in free if self.recommended_on(report, lot) is not None]
            if awardable and (model.by_lot or model.status is EvaluationStatus.FINALISED):
                self.record_award(data, which="first", reason="", misnumber=0, lot=awardable[0])
            else:
                why = "The award fell" if hurry else " "  # refused without a reason
                if remedy == "release":
                    self.release_award(data, reason=why)
                else:
                    self.reopen(data, reason=why)
        elif model.qcbs and not model.technical_work_done():
            self.everyone_scores(data)
        elif model.two_envelopes and model.to_open() and model.technical_work_done():
            if not hurry:  # refused: the qualified bids' prices are still sealed
                self.finalise(data, who="chair", stale=False)
            self.open_financial(data, which="qualified", problem_at=None)
        elif hurry:
            self.finalise(data, who="chair", stale=False)
        else:
            self.correct_price(
                data, who="chair", lot="1", amount=amount, currency=CURRENCY, reason="Arithmetic"
            )

    # Invariants ---------------------------------------------------------------------------

    @invariant()
    def follows_the_model(self) -> None:
        evaluation, model = self.evaluation, self.model
        assert evaluation.status is model.status
        assert evaluation.committee == tuple(model.committee)
        assert evaluation.awards_by_lot == model.live
        assert evaluation.current_award == model.live.get(None)
        assert evaluation.awards_made == model.awards_made
        assert {k: d.conflict for k, d in evaluation.declarations.items()} == model.declared
        assert {k: s.total for k, s in evaluation.scores.items()} == model.totals
        assert {k for k, r in evaluation.rulings.items() if r.disqualified} == model.disqualified
        assert set(evaluation.financial) == set(model.financial)
        if model.two_envelopes:
            assert evaluation.to_open_financially() == model.to_open()

    @invariant()
    def an_award_is_live_exactly_when_awarded(self) -> None:
        awarded = self.evaluation.status is EvaluationStatus.AWARDED
        assert bool(self.evaluation.live_awards) == awarded
        if not self.model.by_lot:
            assert (self.evaluation.current_award is not None) == awarded

    @invariant()
    def each_lot_is_awarded_at_most_once_at_a_time_to_a_bid_that_priced_it(self) -> None:
        """Counted from every award made and not fallen, not from the evaluation's own map."""
        model = self.model
        standing = [lot for award, (lot, _) in model.awarded.items() if award not in model.fallen]
        assert len(standing) == len(set(standing)), "a lot awarded twice at a time"
        report = self.evaluation.latest_report
        for award_id, (lot, bid_id) in model.awarded.items():
            if lot is None:
                continue
            assert model.by_lot
            assert lot in {p.lot_id for p in model.offers[bid_id]}, "awarded a lot not priced"
            if award_id not in model.fallen and report is not None:
                assert report.entry(bid_id).standing(lot) is not None

    @invariant()
    def a_recused_member_never_scores(self) -> None:
        evaluation = self.evaluation
        members = {m.account_id for m in evaluation.committee}
        for bid_id, member_id in evaluation.scores:
            assert bid_id in evaluation.candidates
            assert member_id in members, "a score by someone not on the committee"
            assert member_id in evaluation.declarations, "a score before the declaration"
            assert not evaluation.declarations[member_id].conflict, "a recused member has scores"

    @invariant()
    def the_current_report_follows_the_model(self) -> None:
        report = self.evaluation.compute_report()
        assert report.number == self.model.reports + 1
        for entry in report.entries:
            assert entry.responsive == self.model.responsive(entry.bid_id)
            assert entry.responsive == (not entry.reasons)
            assert entry.technical_score == self.model.technical_score(entry.bid_id)
        self.check_ranks(report, every_responsive_ranked=False)

    @invariant()
    def finalised_reports_rank_their_responsive_bids(self) -> None:
        reports = self.evaluation.reports
        assert [r.number for r in reports] == list(range(1, self.model.reports + 1))
        for report in reports:
            self.check_ranks(report, every_responsive_ranked=True)

    def check_ranks(self, report: EvaluationReport, *, every_responsive_ranked: bool) -> None:
        if self.model.by_lot:
            self.check_lot_ranks(report, every_responsive_ranked=every_responsive_ranked)
            return
        ranked = sorted(
            (e for e in report.entries if e.rank is not None), key=lambda e: e.rank or 0
        )
        assert [e.rank for e in ranked] == list(range(1, len(ranked) + 1)), "ranks with gaps"
        assert all(e.responsive and e.evaluated_price is not None for e in ranked)
        if every_responsive_ranked:
            responsive = {e.bid_id for e in report.entries if e.responsive}
            assert {e.bid_id for e in ranked} == responsive, "ranked is not responsive"
        assert report.recommended_bid == (ranked[0].bid_id if ranked else None)
        if self.model.qcbs:
            combined = [e.combined_score for e in ranked if e.combined_score is not None]
            assert len(combined) == len(ranked), "a ranked bid has no combined score"
            assert combined == sorted(combined, reverse=True), "a worse score ranked higher"
        else:
            prices = [e.evaluated_price.amount for e in ranked if e.evaluated_price]
            assert prices == sorted(prices), "a dearer bid ranked higher"

    def check_lot_ranks(self, report: EvaluationReport, *, every_responsive_ranked: bool) -> None:
        """Awarded by lot: no whole-tender rank; each lot ranks 1 to n the responsive bids
        that price it, best first; the lot's recommendation is its first."""
        assert report.award_by_lot
        assert all(e.rank is None for e in report.entries)
        assert [r.lot_id for r in report.lots] == LOTS
        for result in report.lots:
            lot = result.lot_id
            on_lot = [(s, e) for e in report.entries if (s := e.standing(lot)) is not None]
            on_lot.sort(key=lambda pair: pair[0].rank)
            assert [s.rank for s, _ in on_lot] == list(range(1, len(on_lot) + 1))
            assert all(e.responsive for _, e in on_lot), "an unresponsive bid ranked on a lot"
            if every_responsive_ranked:
                pricing = {
                    e.bid_id
                    for e in report.entries
                    if e.responsive and lot in {p.lot_id for p in self.model.offers[e.bid_id]}
                }
                assert {e.bid_id for _, e in on_lot} == pricing, "a lot ranks other bids"
            assert result.recommended_bid == (on_lot[0][1].bid_id if on_lot else None)
            if self.model.qcbs:
                combined = [s.combined_score for s, _ in on_lot if s.combined_score is not None]
                assert len(combined) == len(on_lot), "a ranked bid has no combined score"
                assert combined == sorted(combined, reverse=True), "a worse score ranked higher"
            else:
                prices = [s.evaluated_price.amount for s, _ in on_lot]
                assert prices == sorted(prices), "a dearer bid ranked higher on a lot"
        first = next((r.recommended_bid for r in report.lots if r.recommended_bid), None)
        assert report.recommended_bid == first

    @invariant()
    def a_sealed_financial_envelope_has_no_price(self) -> None:
        if not self.model.two_envelopes:
            return
        evaluation = self.evaluation
        for report in [*evaluation.reports, evaluation.compute_report()]:
            for entry in report.entries:
                if entry.bid_id in evaluation.financial:
                    continue
                assert evaluation.candidates[entry.bid_id].prices is None
                assert entry.read_price is None, "a sealed envelope's price was read"
                assert entry.evaluated_price is None
                assert entry.rank is None, "a bid was ranked on a sealed envelope"
                assert entry.financial_envelope in {"sealed", None}

    @invariant()
    def version_counts_the_stored_events(self) -> None:
        assert self.evaluation.version == len(self.stored)
        assert self.evaluation._pending_events == []

    @invariant()
    def replay_equals_live_state(self) -> None:
        assert_replay_equals_live(self.stored, self.evaluation)

    @invariant()
    def snapshots_restore_the_live_state(self) -> None:
        """Time travel's snapshot of every version, decoded, is the live evaluation."""
        self.snapshots.check(self.evaluation)


EvaluationMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
TestEvaluationMachine = EvaluationMachine.TestCase
