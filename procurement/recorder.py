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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


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
            if found.get(aggregate_id) != version
        }
        if stale:
            raise StaleReadError(stale)
