"""The event store's recorder: eventsourcing's PostgreSQL application recorder, inserting
outside psycopg's pipeline mode.

With the pipeline (eventsourcing 9.5.6, psycopg 3.3.9), an insert whose events weigh about
512 KB or more never completes: the client waits for results while the server waits for the
rest of the query (``tests/integration/test_event_store.py`` saves a 4 MB event). A bid may
carry documents of several megabytes, and the opening record of a large tender is that big,
so the store must take them. Everything else (the table lock that keeps positions in commit
order, the notification, the ids returned) is the parent's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry


class StoreRecorder(PostgresApplicationRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids: Sequence[int] | None = None
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
            if stored_events:
                with conn.cursor() as curs:
                    self._insert_stored_events(curs, stored_events, **kwargs)
                    notification_ids = self._fetch_ids_after_insert_events(
                        curs, stored_events, **kwargs
                    )
        return notification_ids
