"""Request and response bodies of bids: plain contents or sealed envelopes."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from api.body import REQUEST_MAX_BODY_SIZE
from api.schemas.common import Body, StrictCount
from api.schemas.tenders import MoneyIn
from domain.bid import (
    MAX_DISCOUNT_PERCENT,
    MAX_DISCOUNTS,
    Attachment,
    BidContents,
    BidSecurityOffer,
    BundleDiscount,
    Document,
    EnvelopeName,
    ItemRate,
    LotPrice,
    SealedBid,
)
from domain.documents import MAX_DOCUMENT_BYTES
from domain.fields import (
    MAX_DOCUMENTS,
    MAX_ITEMS,
    MAX_LOTS,
    MAX_VALIDITY_DAYS,
    DocumentName,
    Sha256Hex,
    ShortId,
    Title,
)
from domain.text import MULTI_LINE
from procurement.crypto.hpke import envelope_from_ciphertext


def _decodes_as_base64(value: str) -> str:
    """The alphabet is not enough: a length that is not a multiple of four matches the pattern
    but does not decode (it would fail later, inside the command)."""
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error:
        msg = "must be standard base64, padded with = to a multiple of 4 characters"
        raise ValueError(msg) from None
    return value


_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
Base64Text = Annotated[
    str,
    # Checked by decoding (as fast as reading it); stated as the pattern it amounts to.
    Field(json_schema_extra={"pattern": _BASE64}),
    AfterValidator(_decodes_as_base64),
]
LONGEST_BASE64 = (REQUEST_MAX_BODY_SIZE - 100) // 4 * 4
"""The longest base64 field a request can carry: the smallest body around one takes fewer than
100 bytes, and the body as a whole is at most ``REQUEST_MAX_BODY_SIZE`` (413 beyond)."""


class EnvelopeIn(Body):
    """An envelope sealed on the vendor's machine (``procurement seal``)."""

    name: EnvelopeName
    ciphertext: Annotated[Base64Text, Field(min_length=44, max_length=LONGEST_BASE64)]


class LotPriceIn(Body):
    lot_id: ShortId
    price: MoneyIn


class ItemRateIn(Body):
    item_id: ShortId
    rate: MoneyIn


DISCOUNT_PERCENT_PATTERN = r"^[0-9]{1,2}(\.[0-9]{1,2})?$"
"""A bundle discount's percent as typed: ASCII digits, at most two decimals (no exponent, no
underscores, no other script's digits), as amounts are."""


def _discount_in_range(text: str) -> str:
    if not Decimal(0) < Decimal(text) <= MAX_DISCOUNT_PERCENT:
        msg = f"a percent more than 0 and at most {MAX_DISCOUNT_PERCENT}"
        raise ValueError(msg)
    return text


DiscountPercentText = Annotated[
    str,
    Field(pattern=DISCOUNT_PERCENT_PATTERN, examples=["7.5", "10"]),
    AfterValidator(_discount_in_range),
]


def _distinct(lots: list[str]) -> list[str]:
    if len(set(lots)) != len(lots):
        msg = "name each lot of a bundle once"
        raise ValueError(msg)
    return lots


class BundleDiscountIn(Body):
    """If the bid is awarded every lot in ``lots``, each of their prices is reduced by
    ``percent`` (docs/lots.md#bundle-discounts)."""

    lots: Annotated[
        list[ShortId],
        Field(min_length=2, max_length=MAX_LOTS, json_schema_extra={"uniqueItems": True}),
        AfterValidator(_distinct),
    ]
    percent: DiscountPercentText

    def to_domain(self) -> BundleDiscount:
        return BundleDiscount(lots=tuple(self.lots), percent=Decimal(self.percent))


def _one_per_bundle(discounts: list[BundleDiscountIn]) -> list[BundleDiscountIn]:
    bundles = [frozenset(d.lots) for d in discounts]
    if len(set(bundles)) != len(bundles):
        msg = "offer one discount per bundle of lots"
        raise ValueError(msg)
    return discounts


class BidSecurityOfferIn(Body):
    instrument: ShortId
    issuer: Title
    amount: MoneyIn


class DocumentIn(Body):
    name: DocumentName
    content: Annotated[Base64Text, Field(max_length=LONGEST_BASE64)]


class AttachmentIn(Body):
    """A document uploaded with ``POST /tenders/{id}/bids/documents``: its answer's
    ``attachment``, as it was given (the key opens the document at the opening)."""

    name: DocumentName
    blob: Sha256Hex
    sha256: Sha256Hex
    size: Annotated[StrictCount, Field(ge=1, le=MAX_DOCUMENT_BYTES)]
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]


class BidContentsIn(Body):
    """A bid in plain form: the platform seals it on arrival and keeps only the envelopes."""

    prices: Annotated[list[LotPriceIn], Field(max_length=MAX_LOTS)] = []
    technical_offer: Annotated[str, Field(max_length=200_000), MULTI_LINE] = ""
    documents: Annotated[
        list[DocumentIn],
        Field(
            max_length=MAX_DOCUMENTS,
            deprecated="inside the envelope, so in the event: upload documents and name them "
            "in attachments instead",
        ),
    ] = []
    attachments: Annotated[list[AttachmentIn], Field(max_length=MAX_DOCUMENTS)] = []
    rates: Annotated[list[ItemRateIn], Field(max_length=MAX_LOTS * MAX_ITEMS)] = []
    """Unit rates for the bill of quantities: a lot rated in full and left out of ``prices``
    is priced at its rates' total; a lot in both must agree with them."""
    bid_security: BidSecurityOfferIn | None = None
    validity_days: Annotated[StrictCount, Field(ge=1, le=MAX_VALIDITY_DAYS)] | None = None
    discounts: Annotated[
        list[BundleDiscountIn], Field(max_length=MAX_DISCOUNTS), AfterValidator(_one_per_bundle)
    ] = []
    """Lot-bundle discounts, if the tender's notice allows them (``bundle_discounts``): each
    names lots the bid prices; sealed with the prices (the financial envelope)."""

    def to_domain(self) -> BidContents:
        return BidContents(
            prices=tuple(LotPrice(lot_id=p.lot_id, price=p.price.to_domain()) for p in self.prices),
            technical_offer=self.technical_offer,
            documents=tuple(Document(name=d.name, content=d.content) for d in self.documents),
            attachments=tuple(Attachment(**a.model_dump()) for a in self.attachments),
            rates=tuple(ItemRate(item_id=r.item_id, rate=r.rate.to_domain()) for r in self.rates),
            bid_security=None
            if self.bid_security is None
            else BidSecurityOffer(
                instrument=self.bid_security.instrument,
                issuer=self.bid_security.issuer,
                amount=self.bid_security.amount.to_domain(),
            ),
            validity_days=self.validity_days,
            discounts=tuple(d.to_domain() for d in self.discounts),
        )


class BidIn(Body):
    """Either ``envelopes`` sealed by the vendor, or ``contents`` for the platform to seal."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["envelopes"], "properties": {"envelopes": {"type": "array"}}},
                {"required": ["contents"], "properties": {"contents": {"type": "object"}}},
            ]
        }
    )

    envelopes: Annotated[list[EnvelopeIn], Field(min_length=1, max_length=2)] | None = None
    contents: BidContentsIn | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if (self.envelopes is None) == (self.contents is None):
            msg = "send either envelopes (sealed by you) or contents (sealed by the platform)"
            raise ValueError(msg)
        return self

    def to_domain(self) -> SealedBid | BidContents:
        if self.contents is not None:
            return self.contents.to_domain()
        return SealedBid(
            envelopes=tuple(
                envelope_from_ciphertext(e.name, base64.b64decode(e.ciphertext))
                for e in self.envelopes or ()
            )
        )


class BidOut(BaseModel):
    id: UUID
    tender_id: UUID
    status: str
    version: int
    receipt: dict[str, Any]
    ledger: dict[str, Any] | None = None  # the receipt's inclusion proof, once checkpointed


class BidDocumentOut(BaseModel):
    """A bid's document, stored sealed. ``attachment`` (when the platform sealed it): put it
    in the bid's contents as given; it holds the key, which the platform does not keep."""

    blob: str
    blob_size: int
    envelope: str
    attachment: AttachmentIn | None = None


class ReceiptKeyOut(BaseModel):
    """The key the platform signs receipts and ledger checkpoints with."""

    algorithm: Literal["Ed25519"]
    key_id: str
    public_key: str
    encoding: Annotated[str, Field(description="how public_key is written")]
    signed_bytes: Annotated[str, Field(description="what a signature is over")]


class KeysOut(BaseModel):
    receipt_signing_key: ReceiptKeyOut
