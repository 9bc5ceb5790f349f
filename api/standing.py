"""Vendors' standing on the Active Taxpayer List where the API and the portal need it: the
check before a bid's write (the API's submit and replace, the portal's bid form), the
answer to a registration, and the officers' view of an opening.

The check sits here, before the bid command, rather than in it: it reads a side table on
the API's pool, and the command stays the one place for the bid's own rules. Withdrawing a
bid is never refused for the vendor's standing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

import asyncpg
from litestar import Request

from domain.values import Actor
from procurement.clock import Clock
from procurement.commands.application import ProcurementApplication
from procurement.settings import Settings
from procurement.store.vendor_standing import Standing, VendorStandings, registered_ntn

T = TypeVar("T")
log = logging.getLogger(__name__)


def vendor_standings(
    settings: Settings, pool: asyncpg.Pool, clock: Clock, procurement: ProcurementApplication
) -> VendorStandings:
    """The process's standings, as the settings say (``app.state.standings``)."""
    return VendorStandings(
        pool,
        clock,
        partial(registered_ntn, procurement),
        max_age=timedelta(days=settings.atl_max_age_days),
        enforce=settings.atl_enforce,
    )


def standings_of(request: Request[Any, Any, Any]) -> VendorStandings:
    standings: VendorStandings = request.app.state.standings
    return standings


async def check_bidder(request: Request[Any, Any, Any], actor: Actor) -> None:
    """403 ``vendor_not_active_taxpayer`` before a bid's write, where the list is enforced
    (not enforced, the bid's path reads one attribute and goes no further)."""
    standings = standings_of(request)
    if standings.enforce:
        await standings.check_may_bid(actor.account_id)


def checked_bid(
    request: Request[Any, Any, Any], actor: Actor, write: Callable[[], Awaitable[T]]
) -> Callable[[], Awaitable[T]]:
    """``write`` once the vendor passes ``check_bidder`` (a refusal raised from it)."""

    async def checked() -> T:
        await check_bidder(request, actor)
        return await write()

    return checked


async def before_registration(request: Request[Any, Any, Any], ntn: str) -> Standing:
    """The standing of the NTN a vendor registers with, read before the account is made (a
    failure to read it then writes nothing). It is advice: no standing refuses an account."""
    return await standings_of(request).of_ntn(ntn)


def registered(request: Request[Any, Any, Any], actor: Actor, ntn: str, standing: Standing) -> None:
    """The new vendor's NTN kept for its bids, and its standing logged."""
    standings_of(request).remember_ntn(actor.account_id, ntn)
    log.info("vendor %s registered: ATL standing %s", actor.account_id, standing.status.value)
