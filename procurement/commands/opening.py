"""The public opening of a tender's bids."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import cast
from uuid import UUID

from domain.account import Account
from domain.bid import Attachment, Bid, BidStatus, EnvelopeName, envelopes_for
from domain.errors import (
    AmendmentRequiredError,
    OpeningHeldError,
    TenderNotPublishedError,
    UnreadableBidError,
)
from domain.grievance import ComplaintStage
from domain.opening import (
    DocumentCheck,
    OpenedBid,
    OpenedDocument,
    OpenedStatus,
    OpeningRecord,
    ReleasedKey,
)
from domain.tender import Tender, TenderStatus
from domain.values import Actor
from procurement.crypto import hpke as sealing
from procurement.crypto.hpke import SealingError
from procurement.crypto.sealed_documents import open_blob, sealed_size
from procurement.store.application_base import ProcurementStore, WriteResult
from procurement.store.documents import read_blob, stored_size
from procurement.store.recorder import StoreRecorder

log = logging.getLogger("procurement.opening")
READ_FAULTS = (ArithmeticError, LookupError, TypeError, ValueError, RecursionError)
"""What reading one bid may raise beyond the rules' own refusals (pydantic's errors are
``ValueError``s); never a database error."""


class OpeningCommands(ProcurementStore):
    """The opening (mixed into ``ProcurementApplication``)."""

    def open_bids(self, actor: Actor, tender_id: UUID, expected_version: int | None) -> WriteResult:
        """The public opening: release the key, decrypt every live bid, check every
        commitment, and record it all on the tender in one event."""
        tender = self._officers_tender(actor, tender_id, expected_version)
        now = self._now()
        tender.check_can_open(now)
        held = self._check_not_held(tender.id, ComplaintStage.DOCUMENTS, OpeningHeldError, now)
        self._check_amended_as_ordered(tender)
        if tender.sealing_keys is None:  # pragma: no cover (published implies keys)
            raise TenderNotPublishedError("the tender has no sealing keys")
        if tender.status is TenderStatus.ACTIVE:
            # Close bidding first, in a transaction of its own: a bid write still waiting
            # names the tender's earlier version and is refused from here on (the group
            # commit checks it under the table lock), and every bid written before it is
            # in the store when the bids are read below. Read first and closed after, a
            # late write could land in between and be missing from the record.
            tender.close_bidding(actor=actor, timestamp=now)
            self._save(tender)
        name = envelopes_for(tender.terms.method)[0]
        [key] = [k for k in tender.sealing_keys.keys if k.envelope == name]
        private = sealing.unwrap(self.kek, tender.id, key)
        # One bid in memory at a time (with its documents, a bid can be megabytes): each is
        # loaded, opened and let go; only what the record keeps stays.
        opened = tuple(
            sorted(
                (self._opened_or_marked(tender, bid, private) for bid in self._bids_on(tender.id)),
                key=lambda record: (record.received_at, record.bid_id),
            )
        )
        record = OpeningRecord(
            envelope=name,
            keys=(ReleasedKey(envelope=name, private_key=sealing.b64(private)),),
            bids=opened,
        )
        tender.open_bids(record=record, actor=actor, timestamp=now)
        return self._save(tender, unless_changed=held)

    def _check_amended_as_ordered(self, tender: Tender) -> None:
        """An upheld complaint that ordered the documents amended holds the opening until an
        addendum issued after the order has moved the deadline."""
        complaints = self._complaints_of(tender.id)
        ordered = None if complaints is None else complaints.amendment_ordered_at()
        if ordered is None:
            return
        amended = any(a.issued_at >= ordered and a.timeline for a in tender.amendments)
        moved = tender.terms.timeline.submission_deadline > self._deadline_at(tender.id, ordered)
        if not (amended and moved):
            raise AmendmentRequiredError(
                f"a complaint upheld at {ordered.isoformat()} ordered the documents amended: "
                "issue the addendum, with a later deadline, before the opening"
            )

    def _deadline_at(self, tender_id: UUID, moment: datetime) -> datetime:
        """The tender's submission deadline as it stood at ``moment`` (its state then, from
        its events: a rare question, asked only of a tender an upheld complaint ordered
        amended)."""
        version = None
        for stored in self.recorder.select_events(tender_id):
            event = cast("Tender.Event", self.mapper.to_domain_event(stored))
            if event.timestamp > moment:
                break
            version = stored.originator_version
        then: Tender = self.repository.get(tender_id, version=version)
        return then.terms.timeline.submission_deadline

    def opening_for_officer(self, actor: Actor, tender_id: UUID) -> OpeningRecord | None:
        """The tender's opening record (None before the opening), for its entity's officers."""
        return self._officers_tender(actor, tender_id, None).opening

    def _bids_on(self, tender_id: UUID) -> Iterator[Bid]:
        """Every bid ever submitted on the tender, from the store's own index of them (not
        from a projection that could lag): the opening must not miss one. Loaded as they
        are asked for."""
        ids = cast("StoreRecorder", self.recorder).bids_on(tender_id)
        return (self._load(Bid, bid_id) for bid_id in ids)

    def _checked(self, bid: Bid, envelope: EnvelopeName, attachment: Attachment) -> OpenedDocument:
        """A sealed document read from the store a chunk at a time and opened with the key
        its envelope gave: the blob its commitment, the bytes the hash and size named."""
        found = OpenedDocument(
            name=attachment.name,
            blob=attachment.blob,
            sha256=attachment.sha256,
            size=attachment.size,
            status=DocumentCheck.OPENED,
        )
        outer, inner, size = hashlib.sha256(), hashlib.sha256(), 0
        datastore = cast("StoreRecorder", self.recorder).datastore

        def counted() -> Iterator[bytes]:
            for chunk in read_blob(datastore, attachment.blob):
                outer.update(chunk)
                yield chunk

        stored = stored_size(datastore, attachment.blob)
        if stored is None:
            return found.model_copy(
                update={"status": DocumentCheck.MISSING, "problem": "not in the document store"}
            )
        if stored != sealed_size(attachment.size):
            problem = f"the stored blob is {stored} bytes, not what {attachment.size} seal into"
            return found.model_copy(update={"status": DocumentCheck.ALTERED, "problem": problem})
        key = base64.b64decode(attachment.key)
        try:
            for part in open_blob(counted(), key, bid.tender_id, bid.vendor_id, envelope):
                inner.update(part)
                size += len(part)
        except FileNotFoundError:
            return found.model_copy(
                update={"status": DocumentCheck.MISSING, "problem": "not in the document store"}
            )
        except SealingError as error:
            return found.model_copy(update={"status": DocumentCheck.ALTERED, "problem": str(error)})
        if outer.hexdigest() != attachment.blob:
            why = "the stored blob does not match its commitment"
        elif inner.hexdigest() != attachment.sha256 or size != attachment.size:
            why = "the document is not the one its envelope names (hash or size)"
        else:
            return found
        return found.model_copy(update={"status": DocumentCheck.ALTERED, "problem": why})

    def _opened_or_marked(self, tender: Tender, bid: Bid, private: bytes) -> OpenedBid:
        """``_opened``, or, if reading this one bid fails in a way no rule foresaw, the bid
        marked unreadable with the fault named and the error logged: one vendor's bid never
        fails the opening of all the others. (A database fault still fails the opening,
        which is retried: it says nothing about the bid.)"""
        try:
            return self._opened(tender, bid, private)
        except READ_FAULTS as fault:
            log.exception("the opening could not read bid %s of tender %s", bid.id, tender.id)
            return OpenedBid(
                bid_id=bid.id,
                vendor_id=bid.vendor_id,
                vendor_name=str(bid.vendor_id),
                status=OpenedStatus.UNREADABLE,
                received_at=bid.received_at,
                commitments=tuple((e.name, e.commitment) for e in bid.envelopes.envelopes),
                problem=f"the platform could not read it ({type(fault).__name__})",
            )

    def _opened(self, tender: Tender, bid: Bid, private: bytes) -> OpenedBid:
        vendor = self._load(Account, bid.vendor_id)
        base = OpenedBid(
            bid_id=bid.id,
            vendor_id=bid.vendor_id,
            vendor_name=vendor.vendor.legal_name if vendor.vendor else vendor.username,
            status=OpenedStatus.WITHDRAWN,
            received_at=bid.received_at,
        )
        if bid.status is BidStatus.WITHDRAWN:
            return base
        commitments = tuple((e.name, e.commitment) for e in bid.envelopes.envelopes)
        envelope = next(
            e for e in bid.envelopes.envelopes if e.name == envelopes_for(tender.terms.method)[0]
        )
        try:
            # Sealed on the vendor's machine, it was not checked on arrival: the same rules
            # now, or a bid could price lots the tender does not have, or one lot twice, or
            # hold text the platform does not accept.
            contents = tender.read_sealed_bid(
                sealing.open_envelope(private, tender.id, bid.vendor_id, envelope)
            )
        except (sealing.SealingError, UnreadableBidError) as problem:
            return base.model_copy(
                update={
                    "status": OpenedStatus.UNREADABLE,
                    "commitments": commitments,
                    "problem": str(problem),
                }
            )
        # Stage one takes unpriced proposals, and a technical envelope is opened before the
        # financial one: a price (or discount) sealed into either on the vendor's machine is
        # never recorded, so never published to its competitors or the technical scorers.
        unpriced = tender.terms.method.is_stage_one or envelope.name == EnvelopeName.TECHNICAL
        required = tender.terms.bid_security
        offered = contents.bid_security
        sufficient = (
            None
            if required is None
            else (
                offered is not None
                and offered.amount.currency == required.amount.currency
                and offered.amount.amount >= required.amount.amount
            )
        )
        return base.model_copy(
            update={
                "status": OpenedStatus.OPENED,
                "commitments": commitments,
                "prices": () if unpriced else contents.prices,
                "rate_totals": () if unpriced else contents.rate_totals(tender.terms.lots),
                "validity_days": contents.validity_days,
                "documents": tuple(document.name for document in contents.documents),
                "attachments": tuple(
                    self._checked(bid, EnvelopeName(envelope.name), attachment)
                    for attachment in contents.attachments
                ),
                "bid_security": offered,
                "security_sufficient": sufficient,
                "discounts": () if unpriced else contents.discounts,
            }
        )
