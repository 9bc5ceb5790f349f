"""A vendor's standing on the Active Taxpayer List (ATL), and the check before a bid.

A standing is computed when it is asked for, from the latest imported list
(``procurement/store/active_taxpayers.py``) and the platform's clock, never stored in an
event: the list changes every week or so, and a vendor missing from one may be on the next.

- ``active``: the vendor's NTN is on the latest list, which is fresh;
- ``not_listed``: a fresh list is imported and the NTN is not on it;
- ``unknown``: no list was ever imported;
- ``stale``: the latest list is older than ``max_age`` (counted from the date FBR published
  it, if the operator gave it, else from the import); ``on_list`` still says whether the NTN
  was on it.

Only ``not_listed`` refuses a bid, and only where the platform enforces the list
(``PROCUREMENT_ATL_ENFORCE``): an old list or none at all is no ground to refuse anybody.

The bid's check must not slow the deadline's rush. A vendor's NTN never changes (no event
changes a vendor's profile), so each process reads it once from the account's registration
event (``registered_ntn``, in a worker thread) and keeps it; whether the list has it is one
indexed query, kept ``TTL`` per vendor. So a new import reaches every API process within
``TTL``. With enforcement off, a bid reads nothing at all.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

import asyncpg
from eventsourcing.application import AggregateNotFoundError

from domain.account import Account
from domain.errors import VendorNotActiveTaxpayerError
from procurement.clock import Clock
from procurement.store.active_taxpayers import ListFacts, latest_and_listed
from procurement.store.application_base import ProcurementStore

TTL = timedelta(seconds=30)
REMEMBERED = 10_000
V = TypeVar("V")


class StandingStatus(StrEnum):
    ACTIVE = "active"
    NOT_LISTED = "not_listed"
    UNKNOWN = "unknown"
    STALE = "stale"


@dataclass(frozen=True)
class Standing:
    status: StandingStatus
    on_list: bool | None
    """Whether the latest list has the NTN (None: no list, or no NTN on the account)."""
    list_published_on: date | None
    list_imported_at: datetime | None


def standing_of(
    latest: ListFacts | None, on_list: bool | None, now: datetime, max_age: timedelta
) -> Standing:
    """The standing from the latest list's facts and whether it has the NTN."""
    if latest is None:
        return Standing(StandingStatus.UNKNOWN, None, None, None)
    dated = (
        datetime.combine(latest.published_on, time(), UTC)
        if latest.published_on is not None
        else latest.imported_at
    )
    if now - dated > max_age:
        status = StandingStatus.STALE
    elif on_list:
        status = StandingStatus.ACTIVE
    else:
        status = StandingStatus.NOT_LISTED
    return Standing(status, on_list, latest.published_on, latest.imported_at)


def registered_ntn(store: ProcurementStore, account_id: UUID) -> str | None:
    """The NTN the vendor registered with (its account's first event), or None."""
    try:
        account: object = store.repository.get(account_id, version=1)
    except AggregateNotFoundError:
        return None
    if not isinstance(account, Account) or account.vendor is None:
        return None
    return account.vendor.ntn


@dataclass(frozen=True)
class _Known:
    latest: ListFacts | None
    on_list: bool
    read_at: datetime


class VendorStandings:
    """Vendors' standings as this process last read them, each for ``TTL``."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        clock: Clock,
        ntn_of: Callable[[UUID], str | None],
        *,
        max_age: timedelta,
        enforce: bool,
        ttl: timedelta = TTL,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._ntn_of = ntn_of
        self.max_age = max_age
        self.enforce = enforce
        self._ttl = ttl
        self._ntns: OrderedDict[UUID, str] = OrderedDict()
        self._known: OrderedDict[UUID, _Known] = OrderedDict()

    def remember_ntn(self, account_id: UUID, ntn: str) -> None:
        """The NTN a vendor just registered with, so its first bid reads no event."""
        self._keep(self._ntns, account_id, ntn)

    async def of_ntn(self, ntn: str) -> Standing:
        """The standing of an NTN, read now (a registration)."""
        latest, listed = await latest_and_listed(self._pool, [ntn])
        return standing_of(latest, ntn in listed, self._clock.now(), self.max_age)

    async def of_vendor(self, account_id: UUID) -> Standing:
        """A vendor's standing, as read within ``TTL``."""
        known = self._fresh(account_id)
        if known is None:
            ntn = await self._ntn(account_id)
            if ntn is None:
                return standing_of(None, None, self._clock.now(), self.max_age)
            latest, listed = await latest_and_listed(self._pool, [ntn])
            known = _Known(latest, ntn in listed, self._clock.now())
            self._keep(self._known, account_id, known)
        return standing_of(known.latest, known.on_list, self._clock.now(), self.max_age)

    async def of_vendors(self, account_ids: Iterable[UUID]) -> dict[UUID, Standing]:
        """Many vendors' standings, read now in one query (the bidders at an opening); none
        asked, nothing read."""
        ntns = {account_id: await self._ntn(account_id) for account_id in account_ids}
        if not ntns:
            return {}
        latest, listed = await latest_and_listed(self._pool, [n for n in ntns.values() if n])
        now = self._clock.now()
        return {
            account_id: standing_of(
                latest, None if ntn is None else ntn in listed, now, self.max_age
            )
            for account_id, ntn in ntns.items()
        }

    async def check_may_bid(self, account_id: UUID) -> None:
        """``VendorNotActiveTaxpayerError`` when the platform enforces the list and a fresh
        one does not have the vendor's NTN; nothing read when it does not enforce it."""
        if not self.enforce:
            return
        standing = await self.of_vendor(account_id)
        if standing.status is StandingStatus.NOT_LISTED:
            listed = standing.list_published_on or standing.list_imported_at
            shown = listed.isoformat() if listed else "the latest list"
            msg = (
                f"your NTN is not on FBR's Active Taxpayer List of {shown}: only active "
                "taxpayers may bid (you may bid once a list imported later has you)"
            )
            raise VendorNotActiveTaxpayerError(msg)

    async def _ntn(self, account_id: UUID) -> str | None:
        if account_id in self._ntns:
            return self._ntns[account_id]
        ntn = await asyncio.to_thread(self._ntn_of, account_id)
        if ntn is not None:
            self._keep(self._ntns, account_id, ntn)
        return ntn

    def _fresh(self, account_id: UUID) -> _Known | None:
        known = self._known.get(account_id)
        if known is None:
            return None
        age = self._clock.now() - known.read_at
        if not timedelta(0) <= age < self._ttl:  # a clock set back counts as stale too
            return None
        return known

    @staticmethod
    def _keep(remembered: OrderedDict[UUID, V], account_id: UUID, value: V) -> None:
        remembered[account_id] = value
        remembered.move_to_end(account_id)
        while len(remembered) > REMEMBERED:
            remembered.popitem(last=False)
