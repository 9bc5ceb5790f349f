"""The event store's recorder: eventsourcing's PostgreSQL application recorder, inserting
outside psycopg's pipeline mode, and able to make a write conditional on what it was
decided from.

With the pipeline (eventsourcing 9.5.6, psycopg 3.3.9), an insert whose events weigh about
512 KB or more never completes: the client waits for results while the server waits for the
rest of the query (``tests/integration/test_event_store.py`` saves a 4 MB event). A bid may
carry documents of several megabytes, and the opening record of a large tender is that big,
so the store must take them. Everything else (the table lock that keeps positions in commit
order, the notification, the ids returned) is the parent's.

``save(..., expected_versions={id: version})``: after the insert has taken the table lock,
and before the commit, the recorder checks that each named aggregate is still at that
version, and rolls the whole transaction back with ``StaleReadError`` otherwise. A bid is
decided from its tender (status, deadline, sealing keys) but saved on another aggregate, so
this is what ties the two: a bid decided from a tender that has since been amended, closed
or cancelled is never stored. Under the table lock no other insert can come between the
check and the commit.

``save(..., tender_bids={bid id: tender id})``: the bids a write creates, indexed in
``tender_bids`` in the same transaction as their events, so that the opening finds every bid
of a tender by its key (``bids_on``) instead of reading every bid event of the store.

Every other query on the event table is here too, under a name (``position_of``,
``count_events``, ``stored_topics``; ``EventReads`` for reads inside a caller's transaction;
``topic_counts`` and ``head_position`` for asyncpg pools), so that one test of the stored
format (``tests/integration/test_event_store.py``) covers them all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow, TupleRow, tuple_row
from psycopg.sql import SQL, Identifier

MAX_VERSION = 2**63 - 1  # originator_version is a bigint


class StaleReadError(Exception):
    """An aggregate a write was decided from has changed since: nothing was written."""

    def __init__(self, stale: Mapping[UUID, int | None]) -> None:
        super().__init__(f"changed since read: {sorted(str(k) for k in stale)}")
        self.stale = dict(stale)
        """Each stale aggregate's current version (None: it has no events)."""


class StoreRecorder(PostgresApplicationRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids: Sequence[int] | None = None
        expected: Mapping[UUID, int] = kwargs.pop("expected_versions", None) or {}
        tender_bids: Mapping[UUID, UUID] = kwargs.pop("tender_bids", None) or {}
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
            if stored_events:
                with conn.cursor() as curs:
                    self._insert_stored_events(curs, stored_events, **kwargs)
                    notification_ids = self._fetch_ids_after_insert_events(
                        curs, stored_events, **kwargs
                    )
                if expected:
                    with conn.cursor() as curs:
                        self._check_versions(curs, expected)
                if tender_bids:
                    with conn.cursor() as curs:
                        curs.executemany(
                            "INSERT INTO tender_bids (tender_id, bid_id) VALUES (%s, %s) "
                            "ON CONFLICT DO NOTHING",
                            [(tender, bid) for bid, tender in tender_bids.items()],
                        )
        return notification_ids

    def bids_on(self, tender_id: UUID) -> list[UUID]:
        """The id of every bid ever submitted on the tender, in the order they were first
        stored: from the index written with their events, never from a projection."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT bid_id FROM tender_bids WHERE tender_id = %s ORDER BY seq",
                (tender_id,),
                prepare=True,
            )
            return [row["bid_id"] for row in curs.fetchall()]

    def position_of(self, originator_id: UUID, version: int) -> int | None:
        """The global position of an aggregate's event at ``version`` (None: no such event)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT notification_id FROM procurement_events "
                "WHERE originator_id = %s AND originator_version = %s",
                (originator_id, version),
            )
            row = curs.fetchone()
        return None if row is None else int(row["notification_id"])

    def count_events(self, upto: int) -> int:
        """How many events the store holds at positions up to ``upto``."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT count(*) AS events FROM procurement_events WHERE notification_id <= %s",
                (upto,),
            )
            row = curs.fetchone()
        return int(row["events"]) if row else 0

    def stored_topics(self) -> list[str]:
        """Every topic the store holds an event of (older names of renamed events too)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT DISTINCT topic FROM procurement_events")
            return [str(row["topic"]) for row in curs.fetchall()]

    @contextmanager
    def reading(self, *, commit: bool = False) -> Iterator[EventReads]:
        """One transaction of the store's, for several reads of the event table (and, through
        ``EventReads.cursor``, of the tables kept beside it)."""
        with (
            self.datastore.transaction(commit=commit) as curs,
            curs.connection.cursor(row_factory=tuple_row) as rows,
        ):
            yield EventReads(rows)

    def _check_versions(self, curs: Cursor[DictRow], expected: Mapping[UUID, int]) -> None:
        """Raise ``StaleReadError`` (rolling back) unless every aggregate in ``expected`` is
        at its expected version. Runs after the insert, so under the table lock."""
        curs.execute(
            SQL(
                "SELECT originator_id, max(originator_version) AS version FROM {schema}.{table} "
                "WHERE originator_id = ANY(%s) GROUP BY originator_id"
            ).format(
                schema=Identifier(self.datastore.schema),
                table=Identifier(self.events_table_name),
            ),
            (list(expected),),
            prepare=True,
        )
        found = {row["originator_id"]: int(row["version"]) for row in curs.fetchall()}
        stale = {
            aggregate_id: found.get(aggregate_id)
            for aggregate_id, version in expected.items()
            if found.get(aggregate_id, 0) != version  # 0: no events yet
        }
        if stale:
            raise StaleReadError(stale)


class EventReads:
    """Reads of the event table inside a caller's transaction, rows as tuples: for the
    history's replays (``StoreRecorder.reading``) and for jobs that hold only a DSN."""

    def __init__(self, cursor: Cursor[TupleRow]) -> None:
        self.cursor = cursor

    def last_version(self, aggregate_id: UUID) -> int:
        """The aggregate's latest version (0: it has no events)."""
        self.cursor.execute(
            "SELECT max(originator_version) FROM procurement_events WHERE originator_id = %s",
            (aggregate_id,),
        )
        row = self.cursor.fetchone()
        return int(row[0] or 0) if row else 0

    def stream(
        self, aggregate_id: UUID, *, after: int = 0, upto: int | None = None
    ) -> list[tuple[int, StoredEvent]]:
        """The aggregate's stored events after version ``after`` and up to ``upto`` (all
        without it), oldest first, with their positions: one query, rows as tuples (half the
        time of ``select_events`` for a long stream)."""
        self.cursor.execute(
            "SELECT notification_id, originator_version, topic, state FROM procurement_events "
            "WHERE originator_id = %s AND originator_version > %s "
            "AND originator_version <= %s ORDER BY originator_version",
            (aggregate_id, after, upto if upto is not None else MAX_VERSION),
            binary=True,
        )
        return [
            (
                position,
                StoredEvent(
                    originator_id=aggregate_id,
                    originator_version=number,
                    topic=topic,
                    state=bytes(state),
                ),
            )
            for position, number, topic, state in self.cursor.fetchall()
        ]

    def head(self) -> int:
        """The position of the store's newest event (0: none)."""
        row = self.cursor.execute("SELECT max(notification_id) FROM procurement_events").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def streams_at_multiples(
        self, after: int, upto: int, interval: int, excluded_prefixes: Sequence[str]
    ) -> list[UUID]:
        """The aggregates with an event at a positive multiple of ``interval`` of their
        versions, stored after position ``after`` and up to ``upto``, whose topic starts with
        none of ``excluded_prefixes``."""
        rows = self.cursor.execute(
            "SELECT DISTINCT e.originator_id FROM procurement_events e "
            "WHERE e.notification_id > %(after)s AND e.notification_id <= %(upto)s "
            "AND e.originator_version > 0 AND mod(e.originator_version, %(interval)s) = 0 "
            "AND e.topic NOT LIKE ALL(%(excluded)s)",
            {
                "after": after,
                "upto": upto,
                "interval": interval,
                "excluded": [f"{prefix}%" for prefix in excluded_prefixes],
            },
        ).fetchall()
        return [aggregate_id for (aggregate_id,) in rows]


async def topic_counts(
    pool: asyncpg.Pool, originator_id: UUID, topics: Sequence[str]
) -> tuple[int, int]:
    """Of the aggregate's events: how many have one of ``topics``, and how many there are."""
    row = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE topic = ANY($2::text[])) AS matching, count(*) AS events "
        "FROM procurement_events WHERE originator_id = $1",
        originator_id,
        list(topics),
    )
    return (int(row["matching"]), int(row["events"])) if row else (0, 0)


async def head_position(pool: asyncpg.Pool) -> int:
    """The position of the store's newest event (0: none), for an asyncpg pool."""
    value = await pool.fetchval("SELECT max(notification_id) FROM procurement_events")
    return int(value or 0)
