"""The application: load an aggregate, call one command, save in one transaction, return
plain values. Object-level authorisation happens here, on the same load that runs the
command, so it cannot be skipped by a handler and cannot race with the write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Self, TypeVar, cast
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from domain.account import Account, VendorProfile, account_id_for
from domain.bid import Bid, BidContents, BidStatus
from domain.errors import (
    AccountNotFoundError,
    BidExistsError,
    BidNotLiveError,
    ForbiddenError,
    InvalidCredentialsError,
    InvalidResetCodeError,
    InvalidSecondFactorError,
    NoSecondFactorError,
    OwnAccountError,
    ProcurementError,
    SecondFactorRequiredError,
    TenderNotFoundError,
    TenderNotPublishedError,
    UnreadableBidError,
    UsernameTakenError,
    VersionConflictError,
    WrongCurrentPasswordError,
)
from domain.opening import OpenedBid, OpenedStatus, OpeningRecord, ReleasedKey
from domain.rules import rules_for
from domain.sealing import SealedBid, envelopes_for
from domain.tender import Tender, TenderStatus
from domain.values import Actor, Role, TenderTerms, Timeline
from procurement import sealing, second_factor
from procurement.clock import Clock
from procurement.evaluations import EvaluationCommands, check_prices, read_sealed
from procurement.idempotency import Attempt
from procurement.recorder import StaleReadError, StoreRecorder
from procurement.security import (
    ENROL_SCOPE,
    FULL_SCOPE,
    Principal,
    hash_password,
    verify_password,
)
from procurement.settings import Settings
from procurement.store import WriteResult

A = TypeVar("A", bound=Aggregate)
SYSTEM_ACCOUNT_ID = UUID(int=0)
STALE_ATTEMPTS = 3
"""Attempts at a bid whose tender keeps changing under it before the vendor gets a 409."""


def system_actor(request_id: str) -> Actor:
    """The platform itself: the scheduler, the command line, the demo loader."""
    return Actor(account_id=SYSTEM_ACCOUNT_ID, role=Role.SYSTEM, request_id=request_id)


def _check_vendor(actor: Actor) -> None:
    """Bids are made by vendors' own accounts (the API's guards say so too; this layer does
    not rely on them)."""
    if actor.role is not Role.VENDOR:
        raise ForbiddenError("only a vendor's account can bid")


@dataclass(frozen=True)
class Blocking:
    """A step of a bid command: a call that may wait on the database (a load)."""

    call: Callable[[], Any]


@dataclass(frozen=True)
class Commit:
    """A step of a bid command: save ``bid`` through the group commit, provided ``tender``
    is still at its version; gives the ``WriteResult``."""

    bid: Bid
    tender: Tender


Steps = Generator[Blocking | Commit, Any, "BidView"]
"""A bid command as the steps it takes; ``_run`` and ``_run_async`` carry them out."""


@dataclass(frozen=True)
class BidView:
    """A vendor's own bid: its status and its signed receipt. Never its contents."""

    id: UUID
    tender_id: UUID
    status: BidStatus
    version: int
    receipt: dict[str, Any]


@dataclass(frozen=True)
class TenderView:
    """A tender as its officers see it, drafts included."""

    id: UUID
    version: int
    entity: str
    status: TenderStatus
    terms: TenderTerms
    published_at: datetime | None
    amendments: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    cancellation_reason: str | None


@dataclass(frozen=True)
class AccountView:
    """An account as its owner sees it: never a hash, and a secret only while enrolling."""

    username: str
    role: Role
    second_factor: bool
    second_factor_required: bool
    recovery_codes_left: int
    pending_enrolment: tuple[str, str] | None
    """The secret being enrolled and its otpauth URI, until it is confirmed."""


class ProcurementApplication(EvaluationCommands):
    """Tenders, bids and accounts here; evaluation and award in ``procurement/evaluations.py``;
    loading, saving and the shared object-level checks in ``procurement/store.py``."""

    name = "procurement"  # the event table is procurement_events

    # Tenders ------------------------------------------------------------------------------

    def draft_tender(
        self, actor: Actor, terms: TenderTerms, idempotency_key: str | None = None
    ) -> WriteResult:
        """A new draft. With an idempotency key its id is derived from the key, so a retry
        that slipped past the idempotency store conflicts instead of drafting twice."""
        if actor.role is not Role.OFFICER or actor.entity is None:
            raise TenderNotFoundError("only an entity's officers draft its tenders")
        tender = Tender(
            id=self._new_id(actor, idempotency_key),
            entity=actor.entity,
            terms=terms,
            actor=actor,
            timestamp=self._now(),
        )
        try:
            return self._save(tender)
        except VersionConflictError:
            if idempotency_key is None:
                raise
        # The draft this account drafted with this key is stored already: an earlier attempt
        # made it and ended before its answer. Answer as it would have.
        drafted = self._load(Tender, tender.id)
        return WriteResult(id=drafted.id, version=1, position=self._position_of(drafted.id, 1))

    def edit_tender(
        self,
        actor: Actor,
        tender_id: UUID,
        changes: Mapping[str, Any],
        expected_version: int | None,
    ) -> WriteResult:
        """Change some of a draft's terms; the rest stay as they are."""
        tender = self._officers_tender(actor, tender_id, expected_version)
        current = {name: getattr(tender.terms, name) for name in TenderTerms.model_fields}
        terms = TenderTerms.model_validate({**current, **changes})
        tender.edit_draft(terms=terms, actor=actor, timestamp=self._now())
        return self._save(tender)

    def publish_tender(
        self, actor: Actor, tender_id: UUID, expected_version: int | None
    ) -> WriteResult:
        tender = self._officers_tender(actor, tender_id, expected_version)
        rules = rules_for(self.rule_profile, tender.terms.method, tender.terms.scope)
        keys = sealing.make_tender_keys(self.kek, tender.id, envelopes_for(tender.terms.method))
        tender.publish(
            notice=tender.terms,
            rules=rules,
            sealing_keys=keys,
            actor=actor,
            timestamp=self._now(),
        )
        return self._save(tender)

    def amend_tender(
        self,
        actor: Actor,
        tender_id: UUID,
        text: str,
        timeline: Timeline | None,
        expected_version: int | None,
    ) -> WriteResult:
        tender = self._officers_tender(actor, tender_id, expected_version)
        tender.amend(
            number=len(tender.amendments) + 1,
            text=text,
            timeline=timeline,
            actor=actor,
            timestamp=self._now(),
        )
        return self._save(tender)

    def cancel_tender(
        self, actor: Actor, tender_id: UUID, reason: str, expected_version: int | None
    ) -> WriteResult:
        tender = self._officers_tender(actor, tender_id, expected_version)
        read = self.check_tender_cancellable(tender_id)
        tender.cancel(reason=reason, actor=actor, timestamp=self._now())
        return self._save(tender, unless_changed=read)

    def close_bidding(self, tender_id: UUID, request_id: str) -> WriteResult:
        """The scheduler's command: record that the tender's deadline has passed."""
        tender = self._load(Tender, tender_id)
        tender.close_bidding(actor=system_actor(request_id), timestamp=self._now())
        return self._save(tender)

    def ask_question(
        self, actor: Actor, tender_id: UUID, text: str, idempotency_key: str | None = None
    ) -> WriteResult:
        """A vendor's clarification request. Returns the question's id, not the tender's."""
        tender = self._public_tender(tender_id)
        question_id = self._new_id(actor, idempotency_key)
        asked = tender.questions.get(question_id)
        if asked is not None and asked.asked_by == actor.account_id:
            # This key's question, asked by an attempt that ended before its answer.
            return self._written(tender, question_id)
        tender.ask_question(question_id=question_id, text=text, actor=actor, timestamp=self._now())
        result = self._save(tender)
        return WriteResult(id=question_id, version=result.version, position=result.position)

    def answer_question(
        self, actor: Actor, tender_id: UUID, question_id: UUID, answer: str
    ) -> WriteResult:
        tender = self._officers_tender(actor, tender_id, None)
        tender.answer_question(
            question_id=question_id, answer=answer, actor=actor, timestamp=self._now()
        )
        result = self._save(tender)
        return WriteResult(id=question_id, version=result.version, position=result.position)

    def tender_for_officer(self, actor: Actor, tender_id: UUID) -> TenderView:
        tender = self._officers_tender(actor, tender_id, None)
        return TenderView(
            id=tender.id,
            version=tender.version,
            entity=tender.entity,
            status=tender.status,
            terms=tender.terms,
            published_at=tender.published_at,
            amendments=[a.model_dump(mode="json") for a in tender.amendments],
            # Who asked is kept from the officers as from the public: it would tell them
            # which vendors are interested before the opening.
            questions=[
                {
                    name: value
                    for name, value in msgspec.to_builtins(question).items()
                    if name != "asked_by"
                }
                for question in tender.questions.values()
            ],
            cancellation_reason=tender.cancellation_reason,
        )

    # Bids ---------------------------------------------------------------------------------

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
        return self._run(self._submitting(actor, tender_id, bid, earlier))

    async def submit_bid_async(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        earlier: Attempt | None = None,
    ) -> BidView:
        """``submit_bid`` for an event loop: the same steps, and the loop's task waits for
        the group commit instead of a thread (see ``_run_async``)."""
        return await self._run_async(self._submitting(actor, tender_id, bid, earlier))

    def replace_bid(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        expected_version: int | None = None,
    ) -> BidView:
        """Replace the vendor's live bid; with ``expected_version``, only the bid at that
        version (412 ``version_mismatch`` otherwise)."""
        return self._run(self._replacing(actor, tender_id, bid, expected_version))

    def _replacing(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        expected_version: int | None = None,
    ) -> Steps:
        _check_vendor(actor)

        def replace(tender: Tender, now: datetime) -> Steps:
            sealed = self._sealed(tender, actor, bid)
            live: Bid = yield Blocking(
                lambda: self._vendors_bid(actor, tender_id, expected_version)
            )
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
                written = yield Commit(live, tender)
            except VersionConflictError:
                stored: Bid = yield Blocking(lambda: self._vendors_bid(actor, tender_id))
                if stored.envelopes == sealed and stored.status is BidStatus.SUBMITTED:
                    return self._landed(stored, "replaced")  # as in ``submit``
                raise
            return self._bid_receipt(live, "replaced", written)

        return self._taking_bids(tender_id, replace)

    def withdraw_bid(
        self, actor: Actor, tender_id: UUID, expected_version: int | None = None
    ) -> BidView:
        """Withdraw the vendor's bid; with ``expected_version``, only the bid at that
        version (412 ``version_mismatch`` otherwise)."""
        _check_vendor(actor)

        def withdraw(tender: Tender, now: datetime) -> Steps:
            bid: Bid = yield Blocking(lambda: self._vendors_bid(actor, tender_id, expected_version))
            bid.withdraw(
                deadline=tender.terms.timeline.submission_deadline, actor=actor, timestamp=now
            )
            written = yield Commit(bid, tender)
            return self._bid_receipt(bid, "withdrawn", written)

        return self._run(self._taking_bids(tender_id, withdraw))

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

    def _submitting(
        self,
        actor: Actor,
        tender_id: UUID,
        bid: SealedBid | BidContents,
        earlier: Attempt | None = None,
    ) -> Steps:
        _check_vendor(actor)

        def submit(tender: Tender, now: datetime) -> Steps:
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
                written = yield Commit(first, tender)
                return self._bid_receipt(first, "submitted", written)
            except VersionConflictError:
                pass
            existing: Bid = yield Blocking(lambda: self._load(Bid, first.id))
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
                    ours: bool = yield Blocking(lambda: self._last_written_by(existing, earlier))
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
            written = yield Commit(existing, tender)
            return self._bid_receipt(existing, "submitted", written)

        return self._taking_bids(tender_id, submit)

    def _taking_bids(self, tender_id: UUID, command: Callable[[Tender, datetime], Steps]) -> Steps:
        """The steps of a bid ``command`` with the published tender, if it takes bids at the
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
                tender = yield Blocking(lambda: self._loaded_tender(tender_id))
            try:
                tender.check_accepting_bids(arrived)
                return (yield from command(tender, arrived))
            except StaleReadError:
                pass
            except ProcurementError:
                if fresh:
                    raise
            self._forget_tender(tender_id)
            tender, fresh = None, True
        raise VersionConflictError("the tender changed while the bid was saved; try again")

    def _run(self, steps: Steps) -> BidView:
        """Carry out ``steps`` in this thread: loads as they come, writes through the group
        commit (this thread waits for its batch)."""
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as done:
                result: BidView = done.value
                return result
            value, error = None, None
            try:
                if isinstance(step, Commit):
                    value = self._save_bid(step.bid, step.tender)
                else:
                    value = step.call()
            except Exception as failed:  # noqa: BLE001 (handed back to the steps)
                error = failed

    async def _run_async(self, steps: Steps) -> BidView:
        """Carry out ``steps`` on the running event loop: sealing, the bid's events and the
        receipt on the loop, loads in a worker thread, and writes through the group commit,
        whose outcome the task awaits. At the deadline no thread is held per waiting bid,
        and a bid changes threads once (the commit) instead of for every step."""
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as done:
                result: BidView = done.value
                return result
            value, error = None, None
            try:
                if isinstance(step, Commit):
                    value = await self._save_bid_async(step.bid, step.tender)
                else:
                    value = await asyncio.to_thread(step.call)
            except Exception as failed:  # noqa: BLE001 (handed back to the steps)
                error = failed

    @staticmethod
    def _sealed(tender: Tender, actor: Actor, bid: SealedBid | BidContents) -> SealedBid:
        if isinstance(bid, SealedBid):
            return bid
        check_prices(tender, bid)
        if tender.sealing_keys is None:  # pragma: no cover (published implies keys)
            raise TenderNotPublishedError("the tender has no sealing keys")
        return sealing.seal_contents(
            tender.sealing_keys, tender.terms.method, tender.id, actor.account_id, bid
        )

    def open_bids(self, actor: Actor, tender_id: UUID, expected_version: int | None) -> WriteResult:
        """The public opening: release the key, decrypt every live bid, check every
        commitment, and record it all on the tender in one event."""
        tender = self._officers_tender(actor, tender_id, expected_version)
        now = self._now()
        tender.check_can_open(now)
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
                (self._opened(tender, bid, private) for bid in self._bids_on(tender.id)),
                key=lambda record: (record.received_at, record.bid_id),
            )
        )
        record = OpeningRecord(
            envelope=name,
            keys=(ReleasedKey(envelope=name, private_key=sealing.b64(private)),),
            bids=opened,
        )
        tender.open_bids(record=record, actor=actor, timestamp=now)
        return self._save(tender)

    def _bids_on(self, tender_id: UUID) -> Iterator[Bid]:
        """Every bid ever submitted on the tender, from the store's own index of them (not
        from a projection that could lag): the opening must not miss one. Loaded as they
        are asked for."""
        ids = cast("StoreRecorder", self.recorder).bids_on(tender_id)
        return (self._load(Bid, bid_id) for bid_id in ids)

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
            contents = read_sealed(
                tender, sealing.open_envelope(private, tender.id, bid.vendor_id, envelope)
            )
        except (sealing.SealingError, UnreadableBidError) as problem:
            return base.model_copy(
                update={
                    "status": OpenedStatus.UNREADABLE,
                    "commitments": commitments,
                    "problem": str(problem),
                }
            )
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
                "prices": contents.prices,
                "validity_days": contents.validity_days,
                "documents": tuple(document.name for document in contents.documents),
                "bid_security": offered,
                "security_sufficient": sufficient,
            }
        )

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

    # Accounts -----------------------------------------------------------------------------

    second_factor_roles: frozenset[Role] = frozenset({Role.OFFICER, Role.AUDITOR, Role.ADMIN})
    """Roles that sign in only with a second factor (``PROCUREMENT_SECOND_FACTOR_ROLES``)."""

    reset_code_ttl = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Self:
        application = super().from_settings(settings, clock)
        application.second_factor_roles = frozenset(settings.second_factor_roles)
        return application

    @cached_property
    def second_factor_keys(self) -> second_factor.SecondFactorKeys:
        return second_factor.SecondFactorKeys.from_kek(self.kek)

    def register_account(
        self,
        actor: Actor,
        *,
        username: str,
        password: str,
        role: Role,
        entity: str | None = None,
        vendor: VendorProfile | None = None,
    ) -> WriteResult:
        Account.check_new_username(username, role)
        account = Account(
            username=username,
            role=role,
            entity=entity,
            vendor=vendor,
            password_hash=hash_password(password),
            actor=actor,
            timestamp=self._now(),
        )
        try:
            return self._save(account)
        except VersionConflictError:
            raise UsernameTakenError(f"the username {username!r} is taken") from None

    def authenticate(
        self,
        username: str,
        password: str,
        *,
        totp_code: str | None = None,
        recovery_code: str | None = None,
        request_id: str = "sign-in",
    ) -> Principal:
        """The account's principal for a token, if the password (and, where the account has
        one, the second factor) is right. Staff whose role needs a second factor and who
        have none get an enrolment-only principal; a recovery code is spent (an event)."""
        try:
            account = self._load(Account, account_id_for(username))
        except AccountNotFoundError:
            verify_password(None, password)  # same work as a wrong password
            raise InvalidCredentialsError("wrong username or password") from None
        if not verify_password(account.password_hash, password):
            raise InvalidCredentialsError("wrong username or password")
        account.check_enabled()
        if account.second_factor_enabled:
            if totp_code:
                self._check_totp(account, account.totp_secret, totp_code)
            elif recovery_code:
                self._spend_recovery_code(account, recovery_code, request_id)
            else:
                raise SecondFactorRequiredError(
                    "send the code from the authenticator app (totp_code) or a recovery code"
                )
        elif account.role in self.second_factor_roles:
            return _principal(account, ENROL_SCOPE)
        return _principal(account)

    def _check_totp(self, account: Account, encrypted: str | None, code: str) -> None:
        """The code is right for a step within the window, later than any used before."""
        if encrypted is None:  # pragma: no cover (callers check first)
            raise NoSecondFactorError("the account has no second factor")
        secret = self.second_factor_keys.decrypt(account.id, encrypted)
        step = second_factor.matching_step(secret, code, self._now())
        if step is None:
            raise InvalidSecondFactorError("the code is wrong or expired")
        datastore = cast("StoreRecorder", self.recorder).datastore
        with datastore.transaction(commit=True) as cursor:
            claimed = second_factor.claim_step(cursor, account.id, step)
        if not claimed:
            raise InvalidSecondFactorError("the code has been used already: wait for the next one")

    def _spend_recovery_code(self, account: Account, code: str, request_id: str) -> None:
        code_hash = self.second_factor_keys.code_hash("recovery", account.id, code)
        account.use_recovery_code(
            code_hash=code_hash, actor=_own_actor(account, request_id), timestamp=self._now()
        )
        self._save(account)  # two sign-ins with one code: one of them meets a conflict

    def _own_account(self, actor: Actor) -> Account:
        return self._load(Account, actor.account_id)

    def account_view(self, actor: Actor) -> AccountView:
        """The caller's own account as its settings page shows it."""
        account = self._own_account(actor)
        pending = None
        if account.pending_totp_secret is not None:
            secret = self.second_factor_keys.decrypt(account.id, account.pending_totp_secret)
            pending = (secret, second_factor.otpauth_uri(secret, account.username))
        return AccountView(
            username=account.username,
            role=account.role,
            second_factor=account.second_factor_enabled,
            second_factor_required=account.role in self.second_factor_roles,
            recovery_codes_left=len(account.recovery_code_hashes),
            pending_enrolment=pending,
        )

    def change_password(
        self, actor: Actor, *, current_password: str, new_password: str
    ) -> WriteResult:
        """The owner's new password; every session of the account ends."""
        account = self._own_account(actor)
        if not verify_password(account.password_hash, current_password):
            raise WrongCurrentPasswordError("the current password is wrong")
        account.change_password(
            password_hash=hash_password(new_password), actor=actor, timestamp=self._now()
        )
        return self._save(account)

    def sign_out(self, actor: Actor) -> WriteResult:
        """Every token and portal session of the caller's account ends."""
        account = self._own_account(actor)
        account.sign_out(actor=actor, timestamp=self._now())
        return self._save(account)

    def start_second_factor(self, actor: Actor) -> tuple[str, str, WriteResult]:
        """A new TOTP secret for the caller to confirm: the secret, its otpauth URI."""
        account = self._own_account(actor)
        secret = second_factor.new_secret()
        account.start_second_factor_enrolment(
            encrypted_secret=self.second_factor_keys.encrypt(account.id, secret),
            actor=actor,
            timestamp=self._now(),
        )
        written = self._save(account)
        return secret, second_factor.otpauth_uri(secret, account.username), written

    def confirm_second_factor(
        self, actor: Actor, code: str
    ) -> tuple[list[str], Principal, WriteResult]:
        """The secret offered last, confirmed with a code from it: it becomes the account's
        second factor, with new recovery codes (shown once). The caller's sessions end; the
        answer's principal is one for the new epoch, with a full scope."""
        account = self._own_account(actor)
        account.check_enrolment_pending()
        self._check_totp(account, account.pending_totp_secret, code)
        codes = second_factor.new_recovery_codes()
        keys = self.second_factor_keys
        account.enable_second_factor(
            recovery_code_hashes=[keys.code_hash("recovery", account.id, c) for c in codes],
            actor=actor,
            timestamp=self._now(),
        )
        written = self._save(account)
        return codes, _principal(account), written

    # Accounts, by an administrator ---------------------------------------------------------

    def _administered(self, actor: Actor, account_id: UUID) -> Account:
        if actor.role not in {Role.ADMIN, Role.SYSTEM}:
            raise ForbiddenError("only an administrator manages accounts")
        return self._load(Account, account_id)

    def disable_account(self, actor: Actor, account_id: UUID, reason: str) -> WriteResult:
        account = self._administered(actor, account_id)
        if account.id == actor.account_id:
            raise OwnAccountError("an administrator does not disable their own account")
        account.disable(reason=reason, actor=actor, timestamp=self._now())
        return self._save(account)

    def enable_account(self, actor: Actor, account_id: UUID, reason: str) -> WriteResult:
        account = self._administered(actor, account_id)
        account.enable(reason=reason, actor=actor, timestamp=self._now())
        return self._save(account)

    def issue_password_reset(
        self, actor: Actor, account_id: UUID
    ) -> tuple[str, datetime, WriteResult]:
        """A one-time reset code for the account's owner (given out of band); its sessions
        end now. Only the code's keyed hash is stored."""
        account = self._administered(actor, account_id)
        code = second_factor.new_reset_code()
        expires_at = self._now() + self.reset_code_ttl
        account.issue_password_reset(
            code_hash=self.second_factor_keys.code_hash("reset", account.id, code),
            expires_at=expires_at,
            actor=actor,
            timestamp=self._now(),
        )
        return code, expires_at, self._save(account)

    def remove_second_factor(self, actor: Actor, account_id: UUID, reason: str) -> WriteResult:
        """For a lost phone: the owner enrols again at the next sign-in."""
        account = self._administered(actor, account_id)
        account.remove_second_factor(reason=reason, actor=actor, timestamp=self._now())
        return self._save(account)

    def complete_password_reset(
        self, username: str, code: str, new_password: str, request_id: str
    ) -> WriteResult:
        """The owner's new password, set with the reset code (once)."""
        try:
            account = self._load(Account, account_id_for(username))
        except AccountNotFoundError:
            raise InvalidResetCodeError("the reset code is wrong, spent or expired") from None
        account.complete_password_reset(
            code_hash=self.second_factor_keys.code_hash("reset", account.id, code),
            password_hash=hash_password(new_password),
            actor=_own_actor(account, request_id),
            timestamp=self._now(),
        )
        return self._save(account)


def _own_actor(account: Account, request_id: str) -> Actor:
    """The account acting for itself (signing in, resetting its password)."""
    return Actor(
        account_id=account.id, role=account.role, request_id=request_id, entity=account.entity
    )


def _principal(account: Account, scope: str = FULL_SCOPE) -> Principal:
    return Principal(
        account_id=account.id,
        username=account.username,
        role=account.role,
        entity=account.entity,
        epoch=account.session_epoch,
        scope=scope,
    )
