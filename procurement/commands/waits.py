"""How a bid command waits: for a load and for its write through the group commit.

A bid command is written once, as plain ``async`` code that awaits ``waits.load(...)`` and
``waits.commit(...)``. ``OnLoop`` runs it on the event loop (loads in a worker thread, the
write awaited without holding a thread); ``InThread`` runs it in the caller's thread, where
``run_to_end`` drives it without an event loop, since it never suspends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from domain.bid import Bid
    from domain.tender import Tender
    from procurement.store.application_base import ProcurementStore, WriteResult

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
