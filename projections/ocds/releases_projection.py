"""The OCDS releases projection: one immutable release per public event, in the store's order.

Its own tracking table and runner, beside the public tenders projection. For each event, in
one transaction: read the process's state, apply the event
(``projections/ocds/release_builder.py``), write the state and the release, move the tracking
position. The runner handles events one by one in position order and commits each before the
next, so a release with a higher position is never visible before one with a lower position: a
reader following ``after=`` neither skips nor repeats.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg.types.json import Jsonb

from domain.award import Award
from domain.evaluation import Evaluation
from domain.framework import FrameworkCallOffs
from domain.grievance import TenderComplaints
from domain.securities import TenderSecurities
from domain.tender import Tender
from projections.ocds import release_builder as ocds
from projections.ocds import release_events

NAME = "ocds_releases"
TABLES = ("ocds_releases", "ocds_aggregates", "ocds_processes")


# The live view's statements, one event per transaction. The rebuild
# (``procurement/jobs/rebuild.py``) writes the same rows a page of events at a time.
LINK = (
    b"INSERT INTO ocds_aggregates (aggregate_id, tender_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
)
LINKED = b"SELECT tender_id FROM ocds_aggregates WHERE aggregate_id = %s"
STATE = b"SELECT state FROM ocds_processes WHERE tender_id = %s"
SAVE_STATE = (
    b"INSERT INTO ocds_processes (tender_id, ocid, state) VALUES (%s, %s, %s) "
    b"ON CONFLICT (tender_id) DO UPDATE SET state = EXCLUDED.state"
)
INSERT_RELEASE = (
    b"INSERT INTO ocds_releases (position, ocid, release_id, tag, date, release) "
    b"VALUES (%s, %s, %s, %s, %s, %s::json)"
)

Release = tuple[int, str, str, str, datetime, str]
"""An ``ocds_releases`` row: position, ocid, release id, tag, date, the release's text."""

LINKS = (
    Evaluation.EvaluationStarted,
    Award.AwardMade,
    TenderComplaints.Opened,
    TenderSecurities.Opened,
)
"""The first events of the aggregates whose later events do not name their tender."""


def link(event: Any) -> tuple[UUID, UUID] | None:
    """The (aggregate, tender) pair that an evaluation's, an award's, a complaint file's or
    a securities file's first event records: their later events do not name the tender."""
    if isinstance(event, LINKS):
        return UUID(str(event.originator_id)), UUID(str(event.tender_id))
    return None


def tender_of(event: Any, linked: Callable[[UUID], UUID | None]) -> UUID | None:
    """The tender whose contracting process an event belongs to; ``linked`` looks up the
    recorded links. None for bids and accounts: never in a release."""
    if isinstance(event, Tender.Event):
        return UUID(str(event.originator_id))
    if isinstance(event, FrameworkCallOffs.DirectOrderPlaced):  # a process of its own
        return UUID(str(event.call_off_id))
    found = link(event)
    if found is not None:
        return found[1]
    if isinstance(
        event, Evaluation.Event | Award.Event | TenderComplaints.Event | TenderSecurities.Event
    ):
        return linked(UUID(str(event.originator_id)))
    return None


def release_for(
    event: Any, state: ocds.State | None, position: int, context: ocds.Context
) -> tuple[ocds.State, Release | None] | None:
    """Apply an event to its process's stored state (None when it has none; changed in
    place) and return the state to store and the release. None when the event changes
    nothing public, and then nothing is written; the state alone (release None) for the
    events that keep bookkeeping without a release (``release_events.PRIVATE_ONLY``)."""
    if isinstance(event, Tender.TenderPublished | FrameworkCallOffs.DirectOrderPlaced):
        state = {}
    tag = release_events.apply(event, state, context)
    if state is None:
        return None
    if tag is None:
        return (state, None) if isinstance(event, release_events.PRIVATE_ONLY) else None
    release_id = f"{state['ocid']}-{position}"
    text = ocds.release_text(state, tag, release_id, event.timestamp)
    return state, (position, state["ocid"], release_id, tag, event.timestamp, text)


class OcdsReleasesView(PostgresTrackingRecorder):
    """The OCDS tables, written with their tracking position in one transaction."""

    def process(self, event: Any, tracking: Tracking, context: ocds.Context) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            found = link(event)
            if found is not None:
                cursor.execute(LINK, found)
            tender_id = tender_of(event, lambda aggregate: self._linked(cursor, aggregate))
            if tender_id is not None:
                cursor.execute(STATE, (tender_id,))
                row = cursor.fetchone()
                result = release_for(
                    event, row["state"] if row else None, tracking.notification_id, context
                )
                if result is not None:
                    state, release = result
                    cursor.execute(SAVE_STATE, (tender_id, state["ocid"], Jsonb(state)))
                    if release is not None:
                        cursor.execute(INSERT_RELEASE, release)
            self._insert_tracking(cursor, tracking)

    @staticmethod
    def _linked(cursor: Any, aggregate_id: UUID) -> UUID | None:
        cursor.execute(LINKED, (aggregate_id,))
        row = cursor.fetchone()
        return None if row is None else UUID(str(row["tender_id"]))

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)}".encode())
            cursor.execute(
                f"DELETE FROM {self.tracking_table_name}".encode()  # noqa: S608 (fixed name)
            )


class OcdsReleasesProjection(Projection[OcdsReleasesView]):
    """Bound to its ocid prefix and public address by ``procurement.jobs.runners.projections``."""

    name = NAME
    context = ocds.Context(ocid_prefix="ocds-sindh1", public_url="http://127.0.0.1:8000")

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.process(domain_event, tracking, self.context)
