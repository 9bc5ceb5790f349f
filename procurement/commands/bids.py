"""A vendor's bid commands: submit, replace, withdraw, and the receipt of each.

A bid command is written once, as plain ``async`` code that awaits ``waits.load(...)`` and
``waits.commit(...)``. ``OnLoop`` runs it on the event loop (loads in a worker thread, the
write awaited without holding a thread: the deadline's hot path); ``InThread`` runs it in the
caller's thread, where ``run_to_end`` drives it without an event loop, since it never suspends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from domain.bid import Bid, BidContents, BidStatus, EnvelopeName, SealedBid, envelopes_for
from domain.errors import (
    BidExistsError,
    BidNotLiveError,
    ForbiddenError,
    InvalidDiscountError,
    ProcurementError,
    TenderNotPublishedError,
    UnpricedProposalError,
    VendorNotInvitedError,
    VersionConflictError,
)
from domain.tender import Tender
from domain.values import Actor, Role
from procurement.commands.views import BidView
from procurement.crypto import hpke as sealing
from procurement.store.application_base import ProcurementStore, WriteResult
from procurement.store.idempotency_keys import Attempt
from procurement.store.recorder import StaleReadError

T = TypeVar("T")


class Waits(Protocol):
    async def load(self, call: Callable[[], T]) -> T:
        """``call()``, a load that may wait on the database."""
        ...

    async def commit(self, bid: Bid, tender: Tender) -> WriteResult:
        """Save ``bid`` through the group commit, provided ``tender`` is still at its
        version (``StaleReadError`` otherwise, nothing written)."""
        ...


class InThread:
    """Everything in the caller's thread: it blocks on its batch of the group commit."""

    def __init__(self, store: ProcurementStore) -> None:
        self.store = store

    async def load(self, call: Callable[[], T]) -> T:
        return call()

    async def commit(self, bid: Bid, tender: Tender) -> WriteResult:
        return self.store._save_bid(bid, tender)  # noqa: SLF001 (the store's own write)


class OnLoop:
    """On the running event loop: sealing, the bid's events and the receipt on the loop,
    loads in a worker thread, and the write's batch awaited. At the deadline no thread is
    held per waiting bid."""

    def __init__(self, store: ProcurementStore) -> None:
        self.store = store

    async def load(self, call: Callable[[], T]) -> T:
        return await asyncio.to_thread(call)

    async def commit(self, bid: Bid, tender: Tender) -> WriteResult:
        return await self.store._save_bid_async(bid, tender)  # noqa: SLF001


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """The value of a coroutine that never suspends (one waiting ``InThread``): no event
    loop, no thread hop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    msg = "a command waited on something other than InThread"
    raise RuntimeError(msg)


def check_vendor(actor: Actor) -> None:
    """Bids are made by vendors' own accounts (the API's guards say so too; this layer does
    not rely on them)."""
    if actor.role is not Role.VENDOR:
        raise ForbiddenError("only a vendor's account can bid")


def check_invited(tender: Tender, actor: Actor) -> None:
    """A tender with invited vendors (stage two, a framework's mini-competition) takes bids
    from them alone; any other tender from every vendor. Checked before anything is sealed,
    so a refusal writes nothing."""
    invited = tender.terms.invited_vendors
    if invited and actor.account_id not in invited:
        raise VendorNotInvitedError("this tender takes bids only from the vendors invited to it")


STALE_ATTEMPTS = 3
"""Attempts at a bid whose tender keeps changing under it before the vendor gets a 409."""


class BidCommands(ProcurementStore):
    """A vendor's own bid (mixed into ``ProcurementApplication``)."""

    def submit_bid(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        earlier: Attempt | None = None,
    ) -> BidView:
        """A vendor's bid, or a new one after its withdrawal. Plain contents are sealed here
        with the tender's public keys and then dropped: only envelopes are stored.

        ``earlier``: this is a retry (same Idempotency-Key, same body) of an attempt that
        ended without an answer. If that attempt stored the bid, the answer is its receipt."""
        return run_to_end(self._submit(actor, tender_id, bid, earlier, InThread(self)))

    async def submit_bid_async(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        earlier: Attempt | None = None,
    ) -> BidView:
        """``submit_bid`` for an event loop: the same command, and the loop's task waits
        for the group commit instead of a thread (``OnLoop``)."""
        return await self._submit(actor, tender_id, bid, earlier, OnLoop(self))

    def replace_bid(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        expected_version: int | None = None,
    ) -> BidView:
        """Replace the vendor's live bid; with ``expected_version``, only the bid at that
        version (412 ``version_mismatch`` otherwise)."""
        return run_to_end(self._replace(actor, tender_id, bid, expected_version, InThread(self)))

    async def _replace(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        expected_version: int | None,
        waits: Waits,
    ) -> BidView:
        check_vendor(actor)
        await waits.load(lambda: self._check_not_debarred(actor.account_id, self._now()))

        async def replace(tender: Tender, now: datetime) -> BidView:
            check_invited(tender, actor)
            sealed = self._sealed(tender, actor, bid)
            live = await waits.load(lambda: self._vendors_bid(actor, tender_id, expected_version))
            if live.status is not BidStatus.SUBMITTED:
                raise BidNotLiveError("there is no live bid to replace: submit one with POST")
            live.replace(
                envelopes=sealed,
                method=tender.terms.method,
                deadline=tender.terms.timeline.submission_deadline,
                actor=actor,
                timestamp=now,
            )
            try:
                written = await waits.commit(live, tender)
            except VersionConflictError:
                stored = await waits.load(lambda: self._vendors_bid(actor, tender_id))
                if stored.envelopes == sealed and stored.status is BidStatus.SUBMITTED:
                    return self._landed(stored, "replaced")  # as in ``submit``
                raise
            return self._bid_receipt(live, "replaced", written)

        return await self._taking_bids(tender_id, replace, waits)

    def withdraw_bid(
        self, actor: Actor, tender_id: UUID, expected_version: int | None = None
    ) -> BidView:
        """Withdraw the vendor's bid; with ``expected_version``, only the bid at that
        version (412 ``version_mismatch`` otherwise)."""
        return run_to_end(self._withdraw(actor, tender_id, expected_version, InThread(self)))

    async def _withdraw(
        self, actor: Actor, tender_id: UUID, expected_version: int | None, waits: Waits
    ) -> BidView:
        check_vendor(actor)

        async def withdraw(tender: Tender, now: datetime) -> BidView:
            bid = await waits.load(lambda: self._vendors_bid(actor, tender_id, expected_version))
            bid.withdraw(
                deadline=tender.terms.timeline.submission_deadline, actor=actor, timestamp=now
            )
            written = await waits.commit(bid, tender)
            return self._bid_receipt(bid, "withdrawn", written)

        return await self._taking_bids(tender_id, withdraw, waits)

    def bid_documents_envelope(self, actor: Actor, tender_id: UUID) -> EnvelopeName:
        """The envelope a vendor's documents for a bid on the tender are sealed for (the
        technical one, or the only one), if the tender takes bids now."""
        check_vendor(actor)
        tender = self._loaded_tender(tender_id)  # fresh: a remembered copy may be stale
        tender.check_accepting_bids(self._now())
        check_invited(tender, actor)
        return envelopes_for(tender.terms.method)[0]

    def _follows_withdrawal(self, bid: Bid) -> bool:
        [previous] = self.recorder.select_events(bid.id, gt=bid.version - 2, lte=bid.version - 1)
        return previous.topic == Bid.BidWithdrawn.TOPIC

    def _landed(self, bid: Bid, kind: str) -> BidView:
        """The receipt of a write that is in the store although it was reported as failed."""
        position = self._position_of(bid.id, bid.version)
        return self._bid_receipt(bid, kind, WriteResult(bid.id, bid.version, position))

    def my_bid(self, actor: Actor, tender_id: UUID) -> BidView:
        """The vendor's bid with the receipt its latest write was answered with (the same
        kind: a bid made again after its withdrawal was "submitted", not "replaced")."""
        bid = self._vendors_bid(actor, tender_id)
        if bid.status is BidStatus.WITHDRAWN:
            kind = "withdrawn"
        elif bid.version == 1 or self._follows_withdrawal(bid):
            kind = "submitted"
        else:
            kind = "replaced"
        position = self._position_of(bid.id, bid.version)
        return self._bid_receipt(bid, kind, WriteResult(bid.id, bid.version, position))

    async def _submit(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        earlier: Attempt | None,
        waits: Waits,
    ) -> BidView:
        check_vendor(actor)
        # A debarred vendor is refused before anything is sealed or written.
        await waits.load(lambda: self._check_not_debarred(actor.account_id, self._now()))

        async def submit(tender: Tender, now: datetime) -> BidView:
            check_invited(tender, actor)
            sealed = self._sealed(tender, actor, bid)
            deadline = tender.terms.timeline.submission_deadline
            first = Bid(
                tender_id=tender_id,
                vendor_id=actor.account_id,
                envelopes=sealed,
                method=tender.terms.method,
                deadline=deadline,
                actor=actor,
                timestamp=now,
            )
            try:  # a vendor's first bid is the common case: no look-up before it
                written = await waits.commit(first, tender)
                return self._bid_receipt(first, "submitted", written)
            except VersionConflictError:
                pass
            existing = await waits.load(lambda: self._load(Bid, first.id))
            if existing.envelopes == sealed:
                # These very envelopes are stored: the write landed though it was reported
                # as failed (its acknowledgement lost, the insert retried), or a sealed bid
                # was sent again. Either way it is this bid: the same receipt, not a 409.
                # (Sealing is randomised: no other request's envelopes are equal.)
                return self._landed(existing, "submitted")
            if existing.status is BidStatus.SUBMITTED:
                if earlier is not None:
                    # A retry of an attempt that ended without an answer: if that attempt
                    # stored this bid, it is this request's bid (not a second one).
                    ours = await waits.load(lambda: self._last_written_by(existing, earlier))
                    if ours:
                        return self._landed(existing, "submitted")
                raise BidExistsError("you have a live bid: replace it with PUT or withdraw it")
            existing.replace(
                envelopes=sealed,
                method=tender.terms.method,
                deadline=deadline,
                actor=actor,
                timestamp=now,
            )
            written = await waits.commit(existing, tender)
            return self._bid_receipt(existing, "submitted", written)

        return await self._taking_bids(tender_id, submit, waits)

    async def _taking_bids(
        self,
        tender_id: UUID,
        command: Callable[[Tender, datetime], Awaitable[BidView]],
        waits: Waits,
    ) -> BidView:
        """A bid ``command``, run with the published tender, if it takes bids at the
        moment the request arrived, and that moment (the server's clock, read once).

        The tender is the one this process last loaded, not a fresh load for every bid:
        at the deadline hundreds of bids arrive on one tender. The copy may be behind the
        store, so each write names the tender's version and the group commit's transaction
        checks it under the table lock (``StaleReadError`` otherwise, nothing written).
        A stale copy, or a refusal decided on a remembered copy, is decided again on a
        fresh load: no bid is accepted or refused on an out-of-date tender. The moment of
        arrival stays the same across those attempts: a bid that arrived before the
        deadline is not refused because an answer to a question, or the rush itself, made
        its first write wait until after it. Bidding is closed only ``OPENING_GRACE`` after
        the deadline (``Scheduler``, ``open_bids``), and a write still waiting then is
        refused on its fresh load, before any receipt."""
        tender = self._remembered_tender(tender_id)
        fresh = tender is None
        arrived = self._now()
        for _ in range(STALE_ATTEMPTS):
            if tender is None:
                tender = await waits.load(lambda: self._loaded_tender(tender_id))
            try:
                tender.check_accepting_bids(arrived)
                return await command(tender, arrived)
            except StaleReadError:
                pass
            except ProcurementError:
                if fresh:
                    raise
            self._forget_tender(tender_id)
            tender, fresh = None, True
        raise VersionConflictError("the tender changed while the bid was saved; try again")

    @staticmethod
    def _sealed(tender: Tender, actor: Actor, bid: SealedBid | BidContents) -> SealedBid:
        if isinstance(bid, SealedBid):
            return bid
        if tender.terms.method.is_stage_one and (bid.prices or bid.rates or bid.discounts):
            raise UnpricedProposalError(
                "stage one of a two-stage tender takes technical proposals without prices "
                "or rates: the prices come in stage two"
            )
        bid = bid.priced(tender.terms.lots)
        if bid.discounts and not tender.terms.bundle_discounts:
            raise InvalidDiscountError(
                "this tender's notice does not allow lot-bundle discounts: leave out discounts"
            )
        bid.check_prices(tender.lot_ids())
        tender.check_prices_open(price.lot_id for price in bid.prices)
        bid.check_rates(tender.terms.lots)
        bid.check_attachments()
        if tender.sealing_keys is None:  # pragma: no cover (published implies keys)
            raise TenderNotPublishedError("the tender has no sealing keys")
        parts = bid.split(tender.terms.method)
        return sealing.seal_parts(tender.sealing_keys, tender.id, actor.account_id, parts)

    def _bid_receipt(self, bid: Bid, kind: str, written: WriteResult) -> BidView:
        fields: dict[str, Any] = {
            "kind": kind,
            "bid_id": str(bid.id),
            "tender_id": str(bid.tender_id),
            "vendor_id": str(bid.vendor_id),
            "version": written.version,
            "position": written.position,
            "received_at": bid.received_at.isoformat().replace("+00:00", "Z"),
            "commitments": {}
            if bid.status is BidStatus.WITHDRAWN
            else {str(e.name): e.commitment for e in bid.envelopes.envelopes},
        }
        return BidView(
            id=bid.id,
            tender_id=bid.tender_id,
            status=bid.status,
            version=written.version,
            receipt=self.signer.sign(fields),
        )
