"""The OCDS releases projection: one immutable release per public event, in the store's order.

Its own tracking table and runner, beside the public tenders projection. For each event, in
one transaction: read the process's state, apply the event (``projections/ocds.py``), write
the state and the release, move the tracking position. The runner handles events one by one
in position order and commits each before the next, so a release with a higher position is
never visible before one with a lower position: a reader following ``after=`` neither skips
nor repeats.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg.types.json import Jsonb

from domain.award import Award
from domain.evaluation import Evaluation
from domain.tender import Tender
from projections import ocds

NAME = "ocds_releases"
TABLES = ("ocds_releases", "ocds_aggregates", "ocds_processes")


class OcdsReleasesView(PostgresTrackingRecorder):
    """The OCDS tables, written with their tracking position in one transaction."""

    def process(self, event: Any, tracking: Tracking, context: ocds.Context) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            tender_id = self._tender_of(cursor, event)
            if tender_id is not None:
                self._apply(cursor, event, tender_id, tracking, context)
            self._insert_tracking(cursor, tracking)

    def _tender_of(self, cursor: Any, event: Any) -> UUID | None:
        if isinstance(event, Tender.Event):
            return UUID(str(event.originator_id))
        if isinstance(event, Evaluation.EvaluationStarted | Award.AwardMade):
            cursor.execute(
                b"INSERT INTO ocds_aggregates (aggregate_id, tender_id) VALUES (%s, %s) "
                b"ON CONFLICT DO NOTHING",
                (event.originator_id, event.tender_id),
            )
            return UUID(str(event.tender_id))
        if isinstance(event, Evaluation.Event | Award.Event):
            cursor.execute(
                b"SELECT tender_id FROM ocds_aggregates WHERE aggregate_id = %s",
                (event.originator_id,),
            )
            row = cursor.fetchone()
            return None if row is None else UUID(str(row["tender_id"]))
        return None  # bids and accounts: never in a release

    def _apply(
        self, cursor: Any, event: Any, tender_id: UUID, tracking: Tracking, context: ocds.Context
    ) -> None:
        cursor.execute(b"SELECT state FROM ocds_processes WHERE tender_id = %s", (tender_id,))
        row = cursor.fetchone()
        state: dict[str, Any] | None = row["state"] if row else None
        if isinstance(event, Tender.TenderPublished):
            state = {}
        tag = ocds.apply(event, state, context)
        if tag is None or state is None:
            return
        cursor.execute(
            b"INSERT INTO ocds_processes (tender_id, ocid, state) VALUES (%s, %s, %s) "
            b"ON CONFLICT (tender_id) DO UPDATE SET state = EXCLUDED.state",
            (tender_id, state["ocid"], Jsonb(state)),
        )
        release_id = f"{state['ocid']}-{tracking.notification_id}"
        document = ocds.release(state, tag, release_id, event.timestamp)
        cursor.execute(
            b"INSERT INTO ocds_releases (position, ocid, release_id, tag, date, release) "
            b"VALUES (%s, %s, %s, %s, %s, %s::json)",
            (
                tracking.notification_id,
                state["ocid"],
                release_id,
                tag,
                event.timestamp,
                json.dumps(document, ensure_ascii=False, separators=(",", ":")),
            ),
        )

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)}".encode())
            cursor.execute(
                f"DELETE FROM {self.tracking_table_name}".encode()  # noqa: S608 (fixed name)
            )


class OcdsReleasesProjection(Projection[OcdsReleasesView]):
    """Bound to its ocid prefix and public address by ``procurement.runners.projections``."""

    name = NAME
    context = ocds.Context(ocid_prefix="ocds-sindh1", public_url="http://127.0.0.1:8000")

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.process(domain_event, tracking, self.context)
