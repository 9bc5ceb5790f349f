"""The application's plumbing: configuration, loading and saving aggregates, and the
object-level checks every command shares (an officer acts only on its entity's tenders, a
vendor only on its own bid). The commands are in ``procurement/application.py`` and
``procurement/evaluations.py``, subclasses of this one.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Self, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.postgres import PostgresApplicationRecorder

from domain.award import Award
from domain.bid import Bid, bid_id_for
from domain.errors import (
    AccountNotFoundError,
    AwardNotFoundError,
    BidNotFoundError,
    EvaluationNotFoundError,
    TenderNotFoundError,
    VersionConflictError,
    VersionMismatchError,
)
from domain.evaluation import Evaluation
from domain.tender import Tender, TenderStatus
from domain.values import Actor, Role
from procurement import snapshots, transcodings
from procurement.batcher import GroupCommitter
from procurement.clock import Clock, SystemClock
from procurement.database import eventsourcing_env
from procurement.idempotency import Attempt
from procurement.receipts import ReceiptSigner
from procurement.recorder import StaleReadError
from procurement.settings import Settings

A = TypeVar("A", bound=Aggregate)
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

    @cached_property
    def snapshot_key(self) -> bytes | None:
        """The key of time travel's snapshot MACs (none without a KEK, or where the code
        cannot be fingerprinted: no snapshots)."""
        if self._kek is None or not snapshots.enabled():
            return None
        return snapshots.mac_key(self._kek)

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
        datastore = cast("PostgresApplicationRecorder", self.recorder).datastore
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT notification_id FROM procurement_events "
                "WHERE originator_id = %s AND originator_version = %s",
                (originator_id, version),
            )
            row = cursor.fetchone()
        if row is None:  # pragma: no cover (the version was just loaded)
            msg = f"no event {originator_id} at version {version} in the store"
            raise RuntimeError(msg)
        return int(row["notification_id"])

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

    def _save(
        self,
        aggregate: Aggregate,
        *others: Aggregate,
        unless_changed: Mapping[UUID, int] | None = None,
    ) -> WriteResult:
        """Save in one transaction; the answer names the first aggregate. With
        ``unless_changed``, the write holds only if every aggregate named there (decided
        from, not written) is still at that version when it commits (checked under the
        event table's lock, ``procurement.recorder``): otherwise nothing is written, 409
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
