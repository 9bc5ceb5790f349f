"""Each account's session epoch, as the API checks tokens and portal sessions against it.

The epoch is the number of the account's events that end its sessions
(``domain.account.SESSION_ENDING``: a password changed or reset, a reset issued, a disable, a
second factor enabled or removed, a sign-out). A token carries the epoch it was issued under
and is refused once the account's is higher.

It is read from the event store itself, not from a read model: a projection can lag or stop,
and then a sign-out would not take (a check that fails open). The query is one index range of
the account's own events (the primary key starts with the account id) and runs at most once
per account every ``TTL`` per process: the answer is kept that long, and a process that wrote
the event itself forgets it at once (``forget``). So a session ends at once in the process
that ended it and within ``TTL`` in every other. A token issued under a later epoch than the
one kept (the account signed in again elsewhere) reads the epoch afresh rather than being
refused.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from domain.account import SESSION_ENDING_TOPICS
from procurement.clock import Clock

TTL = timedelta(seconds=2)
REMEMBERED = 10_000


@dataclass(frozen=True)
class _Known:
    epoch: int | None  # None: no such account
    read_at: datetime


async def read_epoch(pool: asyncpg.Pool, account_id: UUID) -> int | None:
    """The account's session epoch in the store, or None when it has no events."""
    row = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE topic = ANY($2::text[])) AS epoch, count(*) AS events "
        "FROM procurement_events WHERE originator_id = $1",
        account_id,
        list(SESSION_ENDING_TOPICS),
    )
    if row is None or row["events"] == 0:
        return None
    return int(row["epoch"])


class SessionEpochs:
    """The epochs this process has read lately, each for ``TTL`` of the platform's clock."""

    def __init__(self, pool: asyncpg.Pool, clock: Clock, ttl: timedelta = TTL) -> None:
        self._pool = pool
        self._clock = clock
        self._ttl = ttl
        self._known: OrderedDict[UUID, _Known] = OrderedDict()

    async def is_current(self, account_id: UUID, epoch: int) -> bool:
        """Whether a token issued under ``epoch`` is still good for the account."""
        known = self._fresh(account_id)
        if known is None or (known.epoch is not None and epoch > known.epoch):
            known = await self._read(account_id)
        return known.epoch is not None and known.epoch == epoch

    def forget(self, account_id: UUID) -> None:
        """This process just ended the account's sessions: read the epoch again next time."""
        self._known.pop(account_id, None)

    def _fresh(self, account_id: UUID) -> _Known | None:
        known = self._known.get(account_id)
        if known is None:
            return None
        age = self._clock.now() - known.read_at
        if not timedelta(0) <= age < self._ttl:  # a clock set back counts as stale too
            return None
        return known

    async def _read(self, account_id: UUID) -> _Known:
        known = _Known(await read_epoch(self._pool, account_id), self._clock.now())
        self._known[account_id] = known
        self._known.move_to_end(account_id)
        while len(self._known) > REMEMBERED:
            self._known.popitem(last=False)
        return known
