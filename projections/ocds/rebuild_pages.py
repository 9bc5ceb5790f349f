"""The OCDS releases' part of a rebuild (``procurement/jobs/rebuild.py``): a page of events
applied in memory to each process's state, the states written once and the releases in one
COPY; and the states' text, as ``jsonb`` would give it back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from psycopg import Cursor
from psycopg.rows import DictRow

from projections.ocds import release_builder as ocds
from projections.ocds import release_events
from projections.ocds import releases_projection as ocds_releases

Page = Sequence[tuple[Any, int]]
"""Decoded events with their positions, in the store's order."""


def handles(dispatcher: Any, event_class: type[Any]) -> bool:
    """Whether a singledispatch function has a handler of its own for the class."""
    return bool(dispatcher.dispatch(event_class) is not dispatcher.dispatch(object))


class OcdsReleasesPages:
    """The OCDS releases of a page: each process's state read once, the page's events
    applied to it in memory as the live view applies each to the state it reads back, the
    states written once and the releases in one COPY."""

    LINKS = ocds_releases.LINKS

    def __init__(self, context: ocds.Context) -> None:
        self.context = context
        # Every link recorded so far: the rebuild started from empty tables and is their
        # only writer, so a link missing here is missing from ocds_aggregates too.
        self.links: dict[UUID, UUID] = {}

    def shows(self, event_class: type[Any]) -> bool:
        return handles(release_events.apply, event_class) or issubclass(event_class, self.LINKS)

    def write(self, cursor: Cursor[DictRow], page: Page) -> None:
        links: list[tuple[UUID, UUID]] = []
        processes: list[tuple[Any, int, UUID]] = []
        for event, position in page:
            found = ocds_releases.link(event)
            if found is not None:
                links.append(found)
                self.links.setdefault(*found)
            tender_id = ocds_releases.tender_of(event, self.links.get)
            if tender_id is not None:
                processes.append((event, position, tender_id))
        # Arrays in binary (%b): no escaping in Python, however large the states.
        if links:
            cursor.execute(
                b"INSERT INTO ocds_aggregates (aggregate_id, tender_id) "
                b"SELECT * FROM unnest(%b::uuid[], %b::uuid[]) ON CONFLICT DO NOTHING",
                ([a for a, _ in links], [t for _, t in links]),
            )
        stored = self._states(cursor, {tender_id for _, _, tender_id in processes})
        changed, releases = self._applied(processes, stored)
        if changed:
            cursor.execute(
                b"INSERT INTO ocds_processes (tender_id, ocid, state) "
                b"SELECT tender_id, ocid, state::jsonb "
                b"FROM unnest(%b::uuid[], %b::text[], %b::text[]) AS t(tender_id, ocid, state) "
                b"ON CONFLICT (tender_id) DO UPDATE SET state = EXCLUDED.state",
                (
                    list(changed),
                    [ocid for ocid, _ in changed.values()],
                    [state for _, state in changed.values()],
                ),
            )
        if releases:
            with cursor.copy(
                b"COPY ocds_releases (position, ocid, release_id, tag, date, release) FROM STDIN"
            ) as copy:
                for release in releases:
                    copy.write_row(release)

    def _applied(
        self, processes: list[tuple[Any, int, UUID]], stored: dict[UUID, str]
    ) -> tuple[dict[UUID, tuple[str, str]], list[ocds_releases.Release]]:
        """The page's events applied: each process's state to write (ocid and text) and the
        releases. Each state is the JSON text of what jsonb gives back (``stored_text``),
        loaded afresh for every event, as the live view reads it before every event."""
        changed: dict[UUID, tuple[str, str]] = {}
        releases: list[ocds_releases.Release] = []
        for event, position, tender_id in processes:
            text = stored.get(tender_id)
            state = None if text is None else state_from_text(text)
            result = ocds_releases.release_for(event, state, position, self.context)
            if result is not None:
                stored[tender_id] = stored_text(result[0])
                changed[tender_id] = (result[0]["ocid"], stored[tender_id])
                if result[1] is not None:
                    releases.append(result[1])
        return changed, releases

    @staticmethod
    def _states(cursor: Cursor[DictRow], tender_ids: set[UUID]) -> dict[UUID, str]:
        if not tender_ids:
            return {}
        cursor.execute(
            b"SELECT tender_id, state::text AS state FROM ocds_processes "
            b"WHERE tender_id = ANY(%b::uuid[])",
            (list(tender_ids),),
        )
        return {UUID(str(row["tender_id"])): str(row["state"]) for row in cursor.fetchall()}


def stored_text(state: ocds.State) -> str:
    """The JSON text of a state as the live view reads it back after storing it as jsonb:
    each object's keys in jsonb's order (shorter first, then bytewise) and each number as
    jsonb's text gives it back. The live view applies every event to the state as read back,
    and a release keeps the order of its state's keys (it is stored as json, as written).
    Only its parse matters (it goes back to PostgreSQL as jsonb, and to ``state_from_text``),
    so msgspec writes it: a few times faster than ``json.dumps`` for the same values."""
    return msgspec.json.encode(_as_jsonb(state)).decode()


def state_from_text(text: str) -> ocds.State:
    """A state from its stored text, as a new object to change in place."""
    state: ocds.State = msgspec.json.decode(text)
    return state


_PLAIN = frozenset({str, int, bool, type(None)})  # the same after a trip through jsonb


def _as_jsonb(value: Any) -> Any:
    if isinstance(value, dict):
        try:
            ascii_keys = all(map(str.isascii, value))
        except TypeError:  # a key that is not text: as JSON writes it
            return _as_jsonb(
                {k if isinstance(k, str) else json.dumps(k): v for k, v in value.items()}
            )
        # For ASCII keys, jsonb's order is by length, ties in code point order: two sorts
        # in C (the second is stable) instead of a key function called for every key.
        order = sorted(sorted(value), key=len) if ascii_keys else sorted(value, key=_jsonb_order)
        return {
            key: item if type(item := value[key]) in _PLAIN else _as_jsonb(item) for key in order
        }
    if isinstance(value, list | tuple):
        return [item if type(item) in _PLAIN else _as_jsonb(item) for item in value]
    if isinstance(value, float):
        return _jsonb_number(repr(value))
    return value


def _jsonb_order(key: str) -> tuple[int, str]:
    """jsonb's order of an object's keys: shorter first (in UTF-8 bytes), then bytewise (the
    order of code points)."""
    return (len(key) if key.isascii() else len(key.encode())), key


def _jsonb_number(text: str) -> float | int:
    """jsonb keeps a number as ``numeric``, whose text has no exponent: 1e+16 comes back as
    the integer 10000000000000000."""
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
        if "." not in text:
            return int(text)
    return float(text)
