"""A vendor's standing on the Active Taxpayer List, in a registration's answer and in the
officers' view of an opening (``procurement/store/vendor_standing.py``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.answers import WriteOut
from api.schemas.common import TimeText, UuidText
from procurement.store.vendor_standing import Standing, StandingStatus

DateText = Annotated[str, Field(json_schema_extra={"format": "date"})]


class StandingOut(BaseModel):
    """Computed when asked, from the latest imported list: never stored in an event."""

    status: Annotated[
        StandingStatus,
        Field(
            description="active: on a fresh list; not_listed: a fresh list lacks the NTN; "
            "unknown: no list imported; stale: the latest list is too old to tell"
        ),
    ]
    on_list: Annotated[
        bool | None, Field(description="whether the latest list has the NTN (null: no list)")
    ]
    list_published_on: Annotated[
        DateText | None, Field(description="when FBR published the list, if the operator said")
    ]
    list_imported_at: Annotated[TimeText | None, Field(description="when the list was imported")]

    @classmethod
    def of(cls, standing: Standing) -> StandingOut:
        published, imported = standing.list_published_on, standing.list_imported_at
        return cls(
            status=standing.status,
            on_list=standing.on_list,
            list_published_on=published.isoformat() if published else None,
            list_imported_at=imported.isoformat() if imported else None,
        )


class VendorRegisteredOut(WriteOut):
    """A vendor's new account, and its standing now (advisory: registration never waits
    for the list)."""

    standing: StandingOut


class OpenedBidderOut(BaseModel):
    bid_id: UuidText
    vendor_id: UuidText
    vendor_name: str
    status: Annotated[str, Field(description="opened, withdrawn or unreadable")]
    standing: StandingOut


class OfficerOpeningOut(BaseModel):
    """The opening record's bidders as the entity's officers see them, each with its
    standing on the Active Taxpayer List now (prices and documents: the public opening
    record, ``GET /public/tenders/{id}``). Before the opening, ``opened`` is false and the
    list is empty."""

    tender_id: UuidText
    opened: bool
    envelope: Annotated[str | None, Field(description="the envelope the opening opened")]
    bids: list[OpenedBidderOut]
