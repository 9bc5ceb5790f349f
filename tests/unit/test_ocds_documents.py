"""A tender's documents in its OCDS releases, from its events alone (no database): the codes
the kinds and media types map to, the entries after publication and after an amendment."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import Any
from uuid import uuid4

from domain.documents import DocumentChange, DocumentChanges, DocumentKind, MediaType
from projections.ocds import release_builder as ocds
from projections.ocds.documents import DOCUMENT_TYPE
from projections.ocds.releases_projection import release_for
from tests.reference_data import reference
from tests.support import officer
from tests.unit.test_tender import NOW, SPPRA, publish
from tests.unit.test_tender_documents import (
    LATER,
    add,
    amend,
    file,
    replace,
    with_documents,
    withdraw,
)

PUBLISHED = NOW + timedelta(minutes=5)
CONTEXT = ocds.Context(ocid_prefix="ocds-test", public_url="https://example.test")


@cache
def codelist(name: str) -> frozenset[str]:
    path = reference("ocds-1.1.5") / "codelists" / f"{name}.csv"
    with path.open(encoding="utf-8") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle))


def test_every_kind_and_media_type_has_its_code_in_the_codelists() -> None:
    assert DOCUMENT_TYPE.keys() == set(DocumentKind)
    assert [kind for kind, code in DOCUMENT_TYPE.items() if code is None] == [DocumentKind.OTHER]
    assert {code for code in DOCUMENT_TYPE.values() if code} <= codelist("documentType")
    assert {media.value for media in MediaType} <= codelist("mediaType")


def _releases(events: Sequence[Any]) -> list[dict[str, Any]]:
    """The releases of the events, the state read back from JSON between them as the live
    view reads it back from jsonb."""
    state: dict[str, Any] | None = None
    releases = []
    for position, event in enumerate(events, start=1):
        result = release_for(event, state, position, CONTEXT)
        if result is None:
            continue
        state, release = result
        state = json.loads(json.dumps(state))
        if release is not None:
            releases.append(json.loads(release[-1]))
    return releases


def test_the_notice_and_an_amendment_give_one_entry_per_document_with_its_hash() -> None:
    sbd, boq, photos = uuid4(), uuid4(), uuid4()
    other = DocumentChange(
        action="add",
        document_id=photos,
        kind=DocumentKind.OTHER,
        title="Site photographs",
        language="ur",
        file=file(b"%PDF photos", "photos.pdf"),
    )
    tender = with_documents(add(sbd), add(boq, b"%PDF boq"), other)
    publish(tender, SPPRA, PUBLISHED)  # after the draft's documents were attached, at NOW
    events = tender.collect_events()
    notice, *entries = _releases(events)[-1]["tender"]["documents"]
    assert notice["id"] == "notice"
    assert [e["id"] for e in entries] == [str(sbd), str(boq), str(photos)]
    assert entries[0] == {
        "id": str(sbd),
        "documentType": "biddingDocuments",
        "title": "Standard bidding document",
        "description": "document.pdf (12 bytes). SHA-256 of the file: "
        + file(b"%PDF-1.7 one").sha256,
        "format": "application/pdf",
        "language": "en",
        "url": f"https://example.test/public/documents/{sbd}?version=1",
        "datePublished": ocds._time(PUBLISHED),
        "dateModified": ocds._time(PUBLISHED),
    }
    assert "documentType" not in entries[2]  # OTHER: no code says it
    assert entries[2]["language"] == "ur"

    amend(tender, replace(sbd, b"%PDF revised"), withdraw(boq))
    amend(tender, add(uuid4(), b"%PDF minutes"))
    releases = _releases([*events, *tender.collect_events()])
    first, second = releases[-2], releases[-1]
    documents = {d["id"]: d for d in first["tender"]["documents"]}
    revised = documents[str(sbd)]
    assert revised["url"].endswith(f"/public/documents/{sbd}?version=2")
    assert revised["description"].endswith(f"SHA-256 of the file: {file(b'%PDF revised').sha256}")
    assert (revised["datePublished"], revised["dateModified"]) == (
        ocds._time(PUBLISHED),
        ocds._time(LATER),
    )
    withdrawn = documents[str(boq)]
    assert withdrawn["description"] == (
        f"Withdrawn by amendment 1 on {ocds._time(LATER)}. "
        f"document.pdf (8 bytes). SHA-256 of the file: {file(b'%PDF boq').sha256}"
    )
    assert withdrawn["url"].endswith("?version=1")  # its last version stays downloadable
    [amendment] = first["tender"]["amendments"]
    assert amendment["description"] == (
        f'Addendum: revised bill of quantities\n\nDocuments: replaced "Standard bidding '
        f'document" ({sbd}) with version 2; withdrew "Standard bidding document" ({boq}).'
    )
    assert "rationale" not in amendment  # the timeline did not move
    added = second["tender"]["documents"][-1]
    assert added["url"].endswith("?version=1")
    assert added["datePublished"] == added["dateModified"] == ocds._time(LATER)
    assert second["tender"]["amendments"][-1]["description"].endswith(
        f'Documents: added "Standard bidding document" ({added["id"]}).'
    )


def test_a_tender_without_documents_gives_the_releases_it_gave_before_documents() -> None:
    tender = with_documents(add(uuid4()))
    tender.change_draft_documents(
        changes=DocumentChanges(items=(withdraw(next(iter(tender.documents))),)),
        actor=officer("wsd"),
        timestamp=NOW,
    )
    publish(tender, SPPRA, PUBLISHED)
    tender.amend(
        number=1,
        text="Addendum 1",
        timeline=None,
        actor=officer("wsd"),
        timestamp=LATER,
        documents=DocumentChanges(),
    )
    events = tender.collect_events()
    state: dict[str, Any] | None = None
    for position, event in enumerate(events, start=1):
        result = release_for(event, state, position, CONTEXT)
        state = None if result is None else result[0]
    assert state is not None
    assert "_private" not in state  # nothing of documents is kept
    assert [d["id"] for d in state["tender"]["documents"]] == ["notice"]
    assert state["tender"]["amendments"] == [
        {"id": "1", "date": ocds._time(LATER), "description": "Addendum 1"}
    ]
