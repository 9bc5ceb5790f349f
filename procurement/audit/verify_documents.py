"""The audit verifier's check of a tender's documents (``audit verify --documents``): every
version of every document the events name, its stored bytes against the SHA-256 the event
records.

The export carries the events, not the files (a tender may carry gigabytes), so this check
needs the document store: ``check`` answers, for each hash, why the stored bytes are not the
file it names (``procurement.store.documents.check_stored``), or None. The versions are read
from the events' states: a draft's changes (each file version 1, as a draft keeps no
history), the notice's documents (their versions as published) and an amendment's changes
(an added file version 1, a replacement the document's next version). A bid's sealed
documents are named by the opening record (each blob by its SHA-256, the commitment the
envelope gave it; the re-opening checks that the record lists what the envelope named).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from procurement.audit.export import OPENED, PUBLISHED
from procurement.audit.verify_openings import _state
from procurement.audit.verify_report import Report, _Event

DRAFT_CHANGED = "procurement:Tender.DraftDocumentsChanged"
AMENDED = "procurement:Tender.TenderAmended"
DOCUMENT_TOPICS = frozenset((DRAFT_CHANGED, PUBLISHED, AMENDED, OPENED))
"""The events that name documents' files."""

DocumentCheck = Callable[[list[str]], Mapping[str, str | None]]
"""Why the stored bytes of each hash are not the file it names; None for those that are."""


@dataclass(frozen=True)
class NamedVersion:
    """One version of a document, as one event names it."""

    document_id: str
    version: int
    sha256: str
    event: _Event
    bid: str | None = None  # a bid's sealed document: document_id is its name

    @property
    def label(self) -> str:
        if self.bid is not None:
            name = self.document_id
            return f"bid {self.bid}'s sealed document {name!r} (blob SHA-256 {self.sha256})"
        return f"document {self.document_id} version {self.version} (SHA-256 {self.sha256})"


def check_documents(events: Iterable[_Event], check: DocumentCheck, report: Report) -> None:
    """Check the stored bytes of every document version ``events`` name (each file once),
    reporting each one that is missing or changed at the position of each event naming it."""
    named = named_versions(events, report)
    found = check(sorted({version.sha256 for version in named}))
    report.documents += len(named)
    report.document_files += len(found)
    for version in named:
        why = found.get(version.sha256)
        if why is not None:
            event = version.event
            said = (
                f"{version.label}, named by {event.topic.rsplit('.', 1)[-1]} "
                f"(stream {event.aggregate_id} version {event.version}, position "
                f"{event.position}): {why}"
            )
            report.document_problems.append(said)
            report.add(event.position, said)


def named_versions(events: Iterable[_Event], report: Report) -> list[NamedVersion]:
    """Every document version the events name, in their order; an event whose state does
    not hold what its topic does is reported."""
    versions: dict[tuple[str, str], int] = {}  # (tender, document) -> its versions so far
    named: list[NamedVersion] = []
    for event in events:
        try:
            state = _state(event)
            if event.topic == PUBLISHED:
                found = _published(event, state)
            elif event.topic == OPENED:
                found = _opened(event, state)
            else:
                found = _changed(event, state, versions)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError):
            report.add(event.position, f"the documents {event.topic} names are not readable")
            continue
        for version in found:
            key = (event.aggregate_id, version.document_id)
            versions[key] = max(versions.get(key, 0), version.version)
        named += found
    return named


def _published(event: _Event, state: dict[str, Any]) -> list[NamedVersion]:
    """The notice's documents, every version (a notice before documents names none)."""
    items = (state.get("documents") or {"items": []})["items"]
    return [
        NamedVersion(str(document["id"]), int(v["version"]), str(v["file"]["sha256"]), event)
        for document in items
        for v in document["versions"]
    ]


def _opened(event: _Event, state: dict[str, Any]) -> list[NamedVersion]:
    """The sealed documents of the bids an opening opened (an earlier record names none)."""
    return [
        NamedVersion(str(document["name"]), 1, str(document["blob"]), event, bid=str(bid["bid_id"]))
        for bid in state["record"]["bids"]
        for document in bid.get("attachments") or ()
    ]


def _changed(
    event: _Event, state: dict[str, Any], versions: Mapping[tuple[str, str], int]
) -> list[NamedVersion]:
    """A draft's or an amendment's added and replaced files (a withdrawal names none)."""
    draft = event.topic == DRAFT_CHANGED
    changes = state["changes"] if draft else state.get("documents") or {"items": []}
    named = []
    for change in changes["items"]:
        if change.get("file") is None:
            continue
        document = str(change["document_id"])
        replaced = change["action"] == "replace" and not draft
        version = versions.get((event.aggregate_id, document), 0) + 1 if replaced else 1
        named.append(NamedVersion(document, version, str(change["file"]["sha256"]), event))
    return named
