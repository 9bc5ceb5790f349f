"""The application's plumbing: configuration, loading and saving aggregates, and the
object-level checks every command shares (an officer acts only on its entity's tenders, a
vendor only on its own bid). The commands are sibling mixins over this base, one module per
aggregate in ``procurement/commands/``.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Self, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain.account import Account, account_id_for
from domain.award import Award, AwardStatus
from domain.bid import Bid, bid_id_for
from domain.debarment import Debarment, debarment_id_for
from domain.errors import (
    AccountNotFoundError,
    AwardLiveError,
    AwardNotFoundError,
    BidNotFoundError,
    BidValidityExpiredError,
    ComplaintNotFoundError,
    ComplaintPendingError,
    ContractSignedError,
    DebarmentCaseNotFoundError,
    EvaluationNotFoundError,
    FrameworkNotAwardedError,
    GrievanceCommitteeNotFoundError,
    InvalidCommitteeError,
    LotCancellationHeldError,
    LotInBundleError,
    NotEntityHeadError,
    PerformanceSecurityRequiredError,
    PlanNotFoundError,
    ProcurementError,
    TenderNotFoundError,
    VersionConflictError,
    VersionMismatchError,
)
from domain.evaluation import Evaluation, award_id_for, evaluation_id_for
from domain.framework import FrameworkCallOffs, call_offs_id_for, framework_terms
from domain.grievance import (
    ComplaintStage,
    GrievanceCommittee,
    GrievanceStatus,
    TenderComplaints,
    complaints_id_for,
)
from domain.plan import ProcurementPlan, plan_id_for
from domain.rules import grievance_rules
from domain.securities import TenderSecurities, securities_id_for, validity_end
from domain.tender import Tender, TenderStatus
from domain.values import Actor, Relationship, Role
from procurement.clock import Clock, SystemClock
from procurement.crypto.receipts import ReceiptSigner
from procurement.settings import Settings
from procurement.store import transcodings
from procurement.store.aggregate_ids import id_key, new_id
from procurement.store.database import eventsourcing_env
from procurement.store.group_commit import GroupCommitter
from procurement.store.idempotency_keys import Attempt
from procurement.store.recorder import StaleReadError, StoreRecorder

A = TypeVar("A", bound=Aggregate)
AWAITING_DECISION = frozenset(
    {
        GrievanceStatus.PENDING,
        GrievanceStatus.OVERDUE,
        GrievanceStatus.APPEALED,
        GrievanceStatus.APPEAL_OVERDUE,
    }
)
"""A complaint no one has decided yet (the committee, or on appeal the regulator)."""
TENDERS_REMEMBERED = 256
"""Tenders a process keeps for deciding bids (the ones being bid on just now)."""


@dataclass(frozen=True)
class WriteResult:
    id: UUID
    version: int
    position: int


class ProcurementStore(Application[UUID]):
    name = "procurement"  # the event table is procurement_events

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        rule_profile: str = "sppra",
        kek: bytes | None = None,
        signer: ReceiptSigner | None = None,
    ) -> None:
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        self.rule_profile = rule_profile
        self._kek = kek
        self._signer = signer
        self._committer: GroupCommitter | None = None
        self._committer_lock = threading.Lock()
        self._tenders: OrderedDict[UUID, Tender] = OrderedDict()
        self._tenders_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Self:
        return cls(
            eventsourcing_env(settings.dsn, settings.db_pool_size),
            clock=clock,
            rule_profile=settings.rule_profile,
            kek=settings.kek,
            signer=ReceiptSigner(settings.signing_seed),
        )

    @property
    def signer(self) -> ReceiptSigner:
        if self._signer is None:
            msg = "this application instance has no receipt signing key"
            raise RuntimeError(msg)
        return self._signer

    @property
    def kek(self) -> bytes:
        if self._kek is None:
            msg = "this application instance has no key-encryption key"
            raise RuntimeError(msg)
        return self._kek

    @property
    def has_kek(self) -> bool:
        return self._kek is not None

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcodings.register_all(transcoder)

    def _vendors_bid(
        self, actor: Actor, tender_id: UUID, expected_version: int | None = None
    ) -> Bid:
        """The caller's own bid on the tender; anybody else's does not exist for it. With
        ``expected_version`` (the request's ``If-Match``), only at that version."""
        bid = self._load(Bid, bid_id_for(tender_id, actor.account_id))
        if bid.vendor_id != actor.account_id:  # pragma: no cover (ids are per vendor)
            raise BidNotFoundError("no bid of yours on this tender")
        _check_version(bid, expected_version)
        return bid

    def _position_of(self, originator_id: UUID, version: int) -> int:
        """The global position of an aggregate's event at ``version``."""
        position = cast("StoreRecorder", self.recorder).position_of(originator_id, version)
        if position is None:  # pragma: no cover (the version was just loaded)
            msg = f"no event {originator_id} at version {version} in the store"
            raise RuntimeError(msg)
        return position

    def _written(self, aggregate: Aggregate, result_id: UUID | None = None) -> WriteResult:
        """The answer a write that made ``aggregate``'s current version gave (or would have
        given): for a retry that finds its earlier attempt's write in the store."""
        return WriteResult(
            id=result_id or aggregate.id,
            version=aggregate.version,
            position=self._position_of(aggregate.id, aggregate.version),
        )

    def _last_written_by(self, aggregate: Aggregate, attempt: Attempt) -> bool:
        """Whether the aggregate's latest event was written by ``attempt``: under its request
        id, no sooner than it began (so not an older write that reused the request id)."""
        [stored] = self.recorder.select_events(
            aggregate.id, gt=aggregate.version - 1, lte=aggregate.version
        )
        latest = self.mapper.to_domain_event(stored)
        actor = getattr(latest, "actor", None)
        written_at = getattr(latest, "timestamp", None)
        return (
            isinstance(actor, Actor)
            and actor.request_id == attempt.request_id
            and isinstance(written_at, datetime)
            and written_at >= attempt.began
        )

    def has_events(self) -> bool:
        return self.recorder.max_notification_id() is not None

    def _now(self) -> datetime:
        return self.clock.now()

    def _load(self, kind: type[A], aggregate_id: UUID) -> A:
        not_found = {
            Tender: TenderNotFoundError,
            Bid: BidNotFoundError,
            Evaluation: EvaluationNotFoundError,
            Award: AwardNotFoundError,
            TenderComplaints: ComplaintNotFoundError,
            GrievanceCommittee: GrievanceCommitteeNotFoundError,
            Debarment: DebarmentCaseNotFoundError,
            TenderSecurities: TenderNotFoundError,
            ProcurementPlan: PlanNotFoundError,
            FrameworkCallOffs: TenderNotFoundError,
        }.get(kind, AccountNotFoundError)
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise not_found(f"no {kind.__name__.lower()} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise not_found(f"no {kind.__name__.lower()} {aggregate_id}")
        return aggregate

    def _officers_tender(
        self, actor: Actor, tender_id: UUID, expected_version: int | None
    ) -> Tender:
        """The tender, if this officer's entity owns it: otherwise, as if it did not exist."""
        tender = self._load(Tender, tender_id)
        if actor.role is not Role.OFFICER or actor.entity != tender.entity:
            raise TenderNotFoundError(f"no tender {tender_id}")
        _check_version(tender, expected_version)
        return tender

    def _framework_suppliers(self, framework_id: UUID) -> tuple[dict[UUID, Award], dict[UUID, int]]:
        """A framework's suppliers: each vendor whose award stands with its contract signed
        (the contract is its framework agreement), to that award; and the versions read
        (a call-off holds only if none changed meanwhile). ``framework_not_awarded`` if
        none has signed yet."""
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(framework_id))
        except EvaluationNotFoundError:
            evaluation = None
        read: dict[UUID, int] = {}
        suppliers: dict[UUID, Award] = {}
        for award_id in evaluation.live_awards if evaluation else ():
            award = self._load(Award, award_id)
            if award.status is AwardStatus.CONTRACTED:
                suppliers[award.vendor_id] = award
                read[award.id] = award.version
        if evaluation is None or not suppliers:
            raise FrameworkNotAwardedError("no supplier of the framework has signed yet")
        return suppliers, read | {evaluation.id: evaluation.version}

    def _call_offs_of(self, framework: Tender, actor: Actor, now: datetime) -> FrameworkCallOffs:
        """The framework's call-offs; opened with its terms at its first call-off."""
        terms = framework_terms(framework.terms)
        try:
            return self._load(FrameworkCallOffs, call_offs_id_for(framework.id))
        except TenderNotFoundError:
            return FrameworkCallOffs(
                framework_id=framework.id,
                entity=framework.entity,
                title=framework.terms.title,
                period=terms.period,
                ceiling=terms.ceiling,
                actor=actor,
                timestamp=now,
            )

    def _framework_of(self, tender: Tender) -> Tender | None:
        """The framework a mini-competition calls off from (None: not a call-off)."""
        related = tender.terms.related
        if related is None or related.relationship is not Relationship.FRAMEWORK:
            return None
        return self._load(Tender, related.tender_id)

    def _check_head(self, actor: Actor) -> str:
        """The entity the officer heads (``not_entity_head`` otherwise)."""
        if actor.role is not Role.OFFICER or not actor.entity:
            raise NotEntityHeadError("only the head of a procuring entity may do this")
        account = self._load(Account, actor.account_id)
        if not account.head_of_entity or account.entity != actor.entity:
            raise NotEntityHeadError("only the head of a procuring entity may do this")
        return actor.entity

    def _plan_of(self, entity: str, fiscal_year: str) -> ProcurementPlan | None:
        """The entity's plan for the fiscal year, draft or published; None if it has none."""
        try:
            return self._load(ProcurementPlan, plan_id_for(entity, fiscal_year))
        except PlanNotFoundError:
            return None

    def _entity_officer(self, entity: str, username: str) -> Account:
        """An enabled officer of ``entity``, by username, to sit on one of its committees.
        No account, a vendor's, another entity's: one answer, so that naming a committee
        does not tell an officer which usernames exist on the platform."""
        not_ours = InvalidCommitteeError(f"{username!r} is not an officer of {entity}")
        try:
            account = self._load(Account, account_id_for(username))
        except AccountNotFoundError:
            raise not_ours from None
        if account.role is not Role.OFFICER or account.entity != entity:
            raise not_ours
        if account.disabled:
            raise InvalidCommitteeError(f"{username!r} is disabled")
        return account

    def _complaints_of(self, tender_id: UUID) -> TenderComplaints | None:
        try:
            return self._load(TenderComplaints, complaints_id_for(tender_id))
        except ComplaintNotFoundError:
            return None

    def _check_not_held(
        self,
        tender_id: UUID,
        stage: ComplaintStage,
        refusal: type[ProcurementError],
        now: datetime,
        award_id: UUID | None = None,
    ) -> dict[UUID, int]:
        """Refuse the step a complaint of ``stage`` holds until it is settled. Returns the
        complaints' version as read (0: none yet): the step's write holds only if no
        complaint came in meanwhile (``_save``'s ``unless_changed``)."""
        complaints = self._complaints_of(tender_id)
        if complaints is None:
            return {complaints_id_for(tender_id): 0}
        holding = complaints.holding(stage, now, award_id)
        if holding:
            first = holding[0]
            raise refusal(
                f"complaint {first.id} ({first.status.value}) holds this step until it is "
                "decided and the time to appeal has passed"
            )
        return {complaints.id: complaints.version}

    def _securities_of(self, tender_id: UUID) -> TenderSecurities | None:
        try:
            return self._load(TenderSecurities, securities_id_for(tender_id))
        except TenderNotFoundError:
            return None

    def _check_bid_valid(self, tender: Tender, bid_id: UUID, now: datetime) -> dict[UUID, int]:
        """Refuse to award (or contract) a bid whose validity ended or whose bidder declined
        (or let lapse) an extension (409 ``bid_validity_expired``), or whose security was
        forfeited. Returns the securities file's version as read (0: none yet, the notice's
        validity stands): the write holds only if no extension was answered meanwhile."""
        securities = self._securities_of(tender.id)
        if securities is None:
            if now >= validity_end(tender.terms):
                raise BidValidityExpiredError(
                    f"the bid's validity ended at {validity_end(tender.terms).isoformat()}"
                )
            return {securities_id_for(tender.id): 0}
        securities.check_can_award(bid_id, now)
        return {securities.id: securities.version}

    def _check_performance_security(self, award: Award, tender: Tender) -> dict[UUID, int]:
        """Refuse the contract while the performance security the notice (of ``tender``,
        the award's) asks is not recorded (409 ``performance_security_required``). Returns
        the versions read."""
        if tender.terms.performance_security_percent is None:
            return {}
        securities = self._securities_of(award.tender_id)
        if securities is None:
            raise PerformanceSecurityRequiredError(
                "the notice asks a performance security: record the bank's confirmation of "
                "the winner's before the contract"
            )
        securities.check_performance_security(award.id)
        return {securities.id: securities.version}

    def _check_not_debarred(self, vendor_id: UUID, now: datetime) -> dict[UUID, int]:
        """Refuse a debarred vendor (403 ``vendor_debarred``). Returns the record's version
        as read (0: none): a write that names it holds only if no decision came meanwhile."""
        record_id = debarment_id_for(vendor_id)
        try:
            record = self._load(Debarment, record_id)
        except DebarmentCaseNotFoundError:
            return {record_id: 0}
        record.check_not_debarred(now)
        return {record_id: record.version}

    def _public_tender(self, tender_id: UUID) -> Tender:
        tender = self._load(Tender, tender_id)
        if tender.status is TenderStatus.DRAFT:
            raise TenderNotFoundError(f"no tender {tender_id}")
        return tender

    def _remembered_tender(self, tender_id: UUID) -> Tender | None:
        """The published tender as this process last loaded it, if it has it. It may be
        behind the store: a write decided from it must name its version (``_save_bid``)."""
        with self._tenders_lock:
            tender = self._tenders.get(tender_id)
            if tender is not None:
                self._tenders.move_to_end(tender_id)
            return tender

    def _loaded_tender(self, tender_id: UUID) -> Tender:
        """The published tender from the store, remembered for the next bids on it. Only
        read from, never changed: commands that change a tender load their own copy."""
        tender = self._public_tender(tender_id)
        with self._tenders_lock:
            self._tenders[tender_id] = tender
            self._tenders.move_to_end(tender_id)
            while len(self._tenders) > TENDERS_REMEMBERED:
                self._tenders.popitem(last=False)
        return tender

    def _forget_tender(self, tender_id: UUID) -> None:
        with self._tenders_lock:
            self._tenders.pop(tender_id, None)

    def _save_bid(self, bid: Bid, tender: Tender) -> WriteResult:
        """Bids go through the group commit: many vendors at the deadline share a write.
        The write holds only if ``tender``, which the bid was decided from, is still at
        its version when the batch commits; otherwise ``StaleReadError`` and nothing is
        written."""
        try:
            saved = self._group_commit().save(bid, {tender.id: tender.version}, _index(bid))
        except IntegrityError:
            raise _bid_conflict() from None
        return WriteResult(id=bid.id, version=saved.version, position=saved.position)

    async def _save_bid_async(self, bid: Bid, tender: Tender) -> WriteResult:
        """``_save_bid`` for an event loop: the task awaits the batch, no thread waits."""
        outcome = self._group_commit().submit(bid, {tender.id: tender.version}, _index(bid))
        try:
            saved = await asyncio.wrap_future(outcome)
        except IntegrityError:
            raise _bid_conflict() from None
        return WriteResult(id=bid.id, version=saved.version, position=saved.position)

    def _group_commit(self) -> GroupCommitter:
        with self._committer_lock:
            if self._committer is None:
                self._committer = GroupCommitter(self)
            return self._committer

    def close(self) -> None:
        with self._committer_lock:
            if self._committer is not None:
                self._committer.stop()
                self._committer = None
        super().close()

    def _new_id(self, actor: Actor, idempotency_key: str | None) -> UUID:
        """A new object's id: random, or keyed on the server's secret and the client's
        idempotency key (``procurement.store.aggregate_ids``)."""
        if idempotency_key is None:
            return new_id(actor, None, b"")
        return new_id(actor, idempotency_key, id_key(self.kek))

    def check_tender_cancellable(self, tender_id: UUID) -> dict[UUID, int]:
        """A tender is cancelled only when no award of it stands and no complaint against
        one waits for its decision: a cancelled tender's award would stay public as made,
        and its complaints could never be decided (the tender's acts are refused).

        Returns the versions read (the evaluation, every award): the cancellation holds
        only if they are unchanged when it commits (``_save``'s ``unless_changed``)."""
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            return self._check_no_complaint_unsettled(tender_id)
        read = {evaluation.id: evaluation.version}
        for live in evaluation.live_awards:
            award = self._load(Award, live)
            if award.status is AwardStatus.CONTRACTED:
                raise ContractSignedError(
                    "the contract is signed: the tender can no longer be cancelled"
                )
            raise AwardLiveError(
                f"the tender's award {award.id} stands: cancel the award first "
                f"(POST /awards/{award.id}/cancel), then the tender"
            )
        for number in range(1, evaluation.awards_made + 1):
            award = self._load(Award, award_id_for(tender_id, number))
            if award.pending_complaints():
                raise ComplaintPendingError(
                    f"a complaint against award {award.id} is pending: decide it first"
                )
            read[award.id] = award.version
        return read | self._check_no_complaint_unsettled(tender_id)

    def check_lot_cancellable(self, tender_id: UUID, lot_id: str, now: datetime) -> dict[UUID, int]:
        """One lot is cancelled alone only when no award of it stands (nor its contract),
        no complaint that concerns it waits for its decision (about one of its awards, or
        about the report or the documents: every lot's), and its bidders can no longer
        complain about what would be cancelled: the latest report's complaint period is
        over, and so is the standstill of every award of the lot that was cancelled.

        Returns the versions read (the evaluation, the lot's awards, the complaints file):
        the cancellation holds only if they are unchanged when it commits."""
        try:
            evaluation = self._load(Evaluation, evaluation_id_for(tender_id))
        except EvaluationNotFoundError:
            return self._check_no_complaint_unsettled(tender_id)
        read = {evaluation.id: evaluation.version}
        self._check_report_lets_lot_go(evaluation, lot_id, now)
        for live in evaluation.awards_on(lot_id):
            award = self._load(Award, live)
            if award.status is AwardStatus.CONTRACTED:
                raise ContractSignedError(
                    f"lot {lot_id}'s contract is signed: the lot can no longer be cancelled"
                )
            raise AwardLiveError(
                f"lot {lot_id}'s award {award.id} stands: cancel the award first "
                f"(POST /awards/{award.id}/cancel), then the lot"
            )
        awards = []
        for number in range(1, evaluation.awards_made + 1):
            award = self._load(Award, award_id_for(tender_id, number))
            if award.lot_id != lot_id:
                continue
            if award.pending_complaints():
                raise ComplaintPendingError(
                    f"a complaint against award {award.id} is pending: decide it first"
                )
            if now < award.standstill_ends:
                raise LotCancellationHeldError(
                    f"award {award.id} of lot {lot_id} was cancelled within its standstill, "
                    f"which runs until {award.standstill_ends.isoformat()}: a lot is "
                    "cancelled alone after that"
                )
            read[award.id] = award.version
            awards.append(award.id)
        return read | self._check_no_complaint_unsettled(tender_id, awards)

    def _check_report_lets_lot_go(self, evaluation: Evaluation, lot_id: str, now: datetime) -> None:
        """The report's bidders may no longer complain about it, and it does not recommend
        the lot in a bundle (whose discount was offered for its lots together)."""
        if evaluation.finalised_at is not None:
            closes = (
                evaluation.finalised_at + grievance_rules(self.rule_profile).report_complaint_period
            )
            if now < closes:
                raise LotCancellationHeldError(
                    f"bidders may complain about the report until {closes.isoformat()}: "
                    "a lot is cancelled alone after that"
                )
        report = evaluation.latest_report
        part = None if report is None else report.part_of(lot_id)
        if part is not None and part.discount_percent is not None:
            raise LotInBundleError(
                f"the report recommends lot {lot_id} in the bundle {' + '.join(part.lots)} "
                "at its discount, offered for those lots together: it is not cancelled alone "
                "(cancel the tender, or cancel the lot before a report)"
            )

    def _check_no_complaint_unsettled(
        self, tender_id: UUID, awards: Collection[UUID] | None = None
    ) -> dict[UUID, int]:
        """No complaint about the tender awaits its decision; with ``awards``, a complaint
        about another award than these (another lot's) does not count."""
        complaints = self._complaints_of(tender_id)
        if complaints is None:
            return {complaints_id_for(tender_id): 0}
        for complaint in complaints.complaints.values():
            if (
                awards is not None
                and complaint.stage is ComplaintStage.AWARD
                and complaint.award_id not in awards
            ):
                continue
            if complaint.status in AWAITING_DECISION:
                stage = complaint.stage.value.replace("_", " ")
                raise ComplaintPendingError(
                    f"complaint {complaint.id} about the {stage} is {complaint.status.value}: "
                    "it is decided first"
                )
        return {complaints.id: complaints.version}

    def _save(
        self,
        aggregate: Aggregate,
        *others: Aggregate,
        unless_changed: Mapping[UUID, int] | None = None,
    ) -> WriteResult:
        """Save in one transaction; the answer names the first aggregate. With
        ``unless_changed``, the write holds only if every aggregate named there (decided
        from, not written) is still at that version when it commits (checked under the
        event table's lock, ``procurement.store.recorder``): otherwise nothing is written, 409
        version_conflict. That ties a write on one aggregate to what another said when it
        was decided (a tender's cancellation and an award made at the same moment)."""
        for changed in (aggregate, *others):
            if isinstance(changed, Tender):  # a remembered copy of it is behind now
                self._forget_tender(changed.id)
        try:
            recordings = self.save(aggregate, *others, expected_versions=unless_changed or {})
        except IntegrityError:
            raise VersionConflictError(
                "another change to this object was saved first; reload and try again"
            ) from None
        except StaleReadError:
            raise VersionConflictError(
                "the tender, its evaluation or an award changed while this was decided; "
                "reload and try again"
            ) from None
        return WriteResult(
            id=aggregate.id,
            version=aggregate.version,
            position=max(r.notification.id for r in recordings),
        )


def _check_version(aggregate: Aggregate, expected: int | None) -> None:
    """``If-Match``: the write is decided on the version the client saw, or refused (412)."""
    if expected is not None and expected != aggregate.version:
        name = type(aggregate).__name__.lower()
        raise VersionMismatchError(f"the {name} is at version {aggregate.version}, not {expected}")


def _index(bid: Bid) -> dict[UUID, UUID]:
    """A new bid goes into its tender's index of bids (``StoreRecorder.bids_on``) in the
    transaction that stores it; a replacement or withdrawal is already there."""
    return {bid.id: bid.tender_id} if bid.version == 1 else {}


def _bid_conflict() -> VersionConflictError:
    return VersionConflictError("another change to this bid was saved first; reload and try again")
