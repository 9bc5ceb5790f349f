"""The public opening: the keys released and what every bid turned out to contain."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.bid import BidSecurityOffer, BundleDiscount, EnvelopeName, LotPrice
from domain.fields import Base64, Sha256Hex
from domain.values import ValueObject


class ReleasedKey(ValueObject):
    """A tender's private key for one envelope, made public at the opening so that anyone
    can re-decrypt every bid and re-check every commitment."""

    envelope: EnvelopeName
    private_key: Base64


class OpenedStatus(StrEnum):
    OPENED = "opened"
    WITHDRAWN = "withdrawn"
    UNREADABLE = "unreadable"  # the envelope does not match its commitment or does not open


class DocumentCheck(StrEnum):
    OPENED = "opened"  # the blob matched its commitment, opened, and is the document named
    MISSING = "missing"  # the store does not have it
    ALTERED = "altered"  # it does not match, or does not open


class OpenedDocument(ValueObject):
    """A sealed document of an opened bid, as the opening found it."""

    name: str
    blob: Sha256Hex
    sha256: Sha256Hex
    size: int
    status: DocumentCheck
    problem: str | None = None


class OpenedBid(ValueObject):
    bid_id: UUID
    vendor_id: UUID
    vendor_name: str
    status: OpenedStatus
    received_at: datetime
    commitments: tuple[tuple[EnvelopeName, Sha256Hex], ...] = ()
    prices: tuple[LotPrice, ...] = ()
    rate_totals: tuple[LotPrice, ...] = ()  # each lot's total from its unit rates, if given
    bid_security: BidSecurityOffer | None = None
    security_sufficient: bool | None = None
    validity_days: int | None = None
    documents: tuple[str, ...] = ()  # the names of the documents in the opened envelope
    attachments: tuple[OpenedDocument, ...] = ()  # its sealed documents, each checked
    problem: str | None = None
    discounts: tuple[BundleDiscount, ...] = ()  # its lot-bundle discounts (docs/lots.md)


class OpeningRecord(ValueObject):
    envelope: EnvelopeName
    keys: tuple[ReleasedKey, ...]
    bids: tuple[OpenedBid, ...]
