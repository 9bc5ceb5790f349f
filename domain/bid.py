"""The Bid aggregate: one live bid per vendor per tender, sealed until the opening.

Its id is derived from the tender and the vendor, so "one bid per vendor" is an
optimistic-concurrency fact: two concurrent first submissions by one vendor cannot both land.
It records only envelopes (ciphertext and commitments), never a price. Here too: the envelopes
a method takes (``envelopes_for``), what goes in each (``BidContents.split``) and the rules on
a bid's prices (``BidContents.check_prices``, ``read_sealed_bid``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum
from typing import Annotated, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field, ValidationError, model_validator

from domain.documents import MAX_DOCUMENT_BYTES
from domain.errors import (
    BidNotLiveError,
    DeadlinePassedError,
    InvalidDiscountError,
    InvalidTermsError,
    UnreadableBidError,
)
from domain.fields import (
    MAX_DOCUMENTS,
    MAX_ITEMS,
    MAX_LOTS,
    Base64,
    DocumentName,
    Sha256Hex,
    ShortId,
    Title,
    ValidityDays,
)
from domain.text import MULTI_LINE, text_error
from domain.values import Actor, Lot, Method, Money, ValueObject

MAX_BID_DOCUMENT_BYTES = 1024 * 1024 * 1024
"""A bid's sealed documents, in all."""
CENT = Decimal("0.01")
MAX_TOTAL = Decimal("999999999999999.99")  # the largest amount Money holds (17 digits)
BID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:bid")


def bid_id_for(tender_id: UUID, vendor_id: UUID) -> UUID:
    return uuid5(BID_NAMESPACE, f"{tender_id}:{vendor_id}")


class EnvelopeName(StrEnum):
    BID = "bid"  # one envelope: everything, opened at the public opening
    TECHNICAL = "technical"  # two envelopes: opened at the public opening
    FINANCIAL = "financial"  # two envelopes: opened after technical evaluation


def envelopes_for(method: Method) -> tuple[EnvelopeName, ...]:
    if method in {Method.SINGLE_STAGE_TWO_ENVELOPE, Method.TWO_STAGE}:
        return (EnvelopeName.TECHNICAL, EnvelopeName.FINANCIAL)
    return (EnvelopeName.BID,)


class SealedEnvelope(ValueObject):
    """An HPKE ciphertext (``enc || ct``) and the SHA-256 of its bytes."""

    name: EnvelopeName
    ciphertext: Base64
    commitment: Sha256Hex


class SealedBid(ValueObject):
    """The envelopes of one submission, in the method's order."""

    envelopes: tuple[SealedEnvelope, ...]

    def names(self) -> tuple[EnvelopeName, ...]:
        return tuple(EnvelopeName(envelope.name) for envelope in self.envelopes)


class BidStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class Bid(Aggregate):
    TOPIC = "procurement:Bid"

    class Created(Aggregate.Created):
        TOPIC = "procurement:Bid.Created"

    class BidSubmitted(Aggregate.Created):
        TOPIC = "procurement:Bid.BidSubmitted"
        tender_id: UUID
        vendor_id: UUID
        envelopes: SealedBid
        method: Method
        deadline: datetime
        actor: Actor

    class BidReplaced(Aggregate.Event):
        TOPIC = "procurement:Bid.BidReplaced"
        envelopes: SealedBid
        method: Method
        deadline: datetime
        actor: Actor

    class BidWithdrawn(Aggregate.Event):
        TOPIC = "procurement:Bid.BidWithdrawn"
        deadline: datetime
        actor: Actor

    @staticmethod
    def create_id(tender_id: UUID, vendor_id: UUID, **_: object) -> UUID:
        return bid_id_for(tender_id, vendor_id)

    @event(BidSubmitted)
    def __init__(
        self,
        *,
        tender_id: UUID,
        vendor_id: UUID,
        envelopes: SealedBid,
        method: Method,
        deadline: datetime,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.check_before_deadline(deadline, timestamp)
        self.check_envelopes(envelopes, method)
        self.tender_id = tender_id
        self.vendor_id = vendor_id
        self.envelopes = envelopes
        self.status = BidStatus.SUBMITTED
        self.received_at = timestamp

    @staticmethod
    def check_before_deadline(deadline: datetime, now: datetime) -> None:
        if now >= deadline:
            raise DeadlinePassedError("the submission deadline has passed")

    @staticmethod
    def check_envelopes(envelopes: SealedBid, method: Method | str) -> None:
        expected = envelopes_for(Method(method))
        if envelopes.names() != expected:
            wanted = ", ".join(name.value for name in expected)
            raise InvalidTermsError(f"this tender takes the envelopes: {wanted}")

    def check_owner(self, vendor_id: UUID) -> None:
        if vendor_id != self.vendor_id:
            raise InvalidTermsError("a bid is changed only by its vendor")

    @event(BidReplaced)
    def replace(
        self,
        *,
        envelopes: SealedBid,
        method: Method,
        deadline: datetime,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        """A new sealed bid in place of the live one, or of a withdrawn one."""
        self.check_owner(actor.account_id)
        self.check_before_deadline(deadline, timestamp)
        self.check_envelopes(envelopes, method)
        self.envelopes = envelopes
        self.status = BidStatus.SUBMITTED
        self.received_at = timestamp

    @event(BidWithdrawn)
    def withdraw(self, *, deadline: datetime, actor: Actor, timestamp: datetime) -> None:
        self.check_owner(actor.account_id)
        self.check_before_deadline(deadline, timestamp)
        if self.status is not BidStatus.SUBMITTED:
            raise BidNotLiveError("the bid is already withdrawn")
        self.status = BidStatus.WITHDRAWN
        self.received_at = timestamp


class LotPrice(ValueObject):
    lot_id: ShortId
    price: Money


class ItemRate(ValueObject):
    """A unit rate for an item of the tender's bill of quantities."""

    item_id: ShortId
    rate: Money


class BidSecurityOffer(ValueObject):
    instrument: ShortId
    issuer: Title
    amount: Money


class Document(ValueObject):
    name: DocumentName
    content: Annotated[str, Field(max_length=14_000_000)]  # base64


class Attachment(ValueObject):
    """A document sealed as a blob of its own (``procurement/crypto/sealed_documents.py``)
    and stored outside the events: the envelope carries its name, the blob's commitment,
    the document's hash and size, and the key that opens it (secret until the opening)."""

    name: DocumentName
    blob: Sha256Hex
    sha256: Sha256Hex
    size: Annotated[int, Field(ge=1, le=MAX_DOCUMENT_BYTES)]
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]  # 32 bytes, base64


MAX_DISCOUNTS = 3
"""The most lot-bundle discounts one bid offers."""
MAX_DISCOUNT_PERCENT = Decimal(50)
"""A bundle discount's cap, in percent: beyond it a "discount" is another price, which the
bid states as such."""
DiscountPercent = Annotated[
    Decimal, Field(gt=0, le=MAX_DISCOUNT_PERCENT, max_digits=4, decimal_places=2)
]


class BundleDiscount(ValueObject):
    """A bid's lot-bundle discount (docs/lots.md#bundle-discounts): if the bid is awarded
    every lot in ``lots``, the price of each of them is reduced by ``percent``."""

    lots: Annotated[tuple[ShortId, ...], Field(min_length=2, max_length=MAX_LOTS)]
    percent: DiscountPercent

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if len(set(self.lots)) != len(self.lots):
            msg = "a bundle names each of its lots once"
            raise ValueError(msg)
        return self


class BidContents(ValueObject):
    """What a vendor seals: in one envelope, or split between technical and financial.
    Documents are ``attachments`` (sealed blobs, in the technical envelope); ``documents``
    inside the envelope is the earlier way, still read."""

    prices: Annotated[tuple[LotPrice, ...], Field(max_length=MAX_LOTS)] = ()  # a tender's lots
    technical_offer: Annotated[str, Field(max_length=200_000), MULTI_LINE] = ""
    documents: Annotated[tuple[Document, ...], Field(max_length=MAX_DOCUMENTS)] = ()
    attachments: Annotated[tuple[Attachment, ...], Field(max_length=MAX_DOCUMENTS)] = ()
    rates: Annotated[tuple[ItemRate, ...], Field(max_length=MAX_LOTS * MAX_ITEMS)] = ()
    bid_security: BidSecurityOffer | None = None
    validity_days: ValidityDays | None = None  # None: as the tender asks
    # Lot-bundle discounts, read only if the notice allows them (docs/lots.md): prices, so
    # in the financial envelope.
    discounts: Annotated[tuple[BundleDiscount, ...], Field(max_length=MAX_DISCOUNTS)] = ()

    def split(self, method: Method) -> dict[EnvelopeName, BidContents]:
        """The contents of each envelope of ``method``."""
        names = envelopes_for(method)
        if names == (EnvelopeName.BID,):
            return {EnvelopeName.BID: self}
        return {  # rates and discounts are prices too: sealed until the financial opening
            EnvelopeName.TECHNICAL: self.model_copy(
                update={"prices": (), "rates": (), "discounts": ()}
            ),
            EnvelopeName.FINANCIAL: BidContents(
                prices=self.prices, rates=self.rates, discounts=self.discounts
            ),
        }

    def rate_totals(self, lots: Sequence[Lot]) -> tuple[LotPrice, ...]:
        """Each lot's total from the unit rates: the sum over its items of quantity times rate,
        each line rounded half-even to two places (as the evaluation rounds), for the lots
        whose every item has a rate in one currency and whose total Money holds. The opening
        records them beside the prices: a difference is the committee's to correct (an
        arithmetic correction)."""
        totals = []
        for lot in lots:
            found = self._lot_total(lot)
            if found is not None and found[0] <= MAX_TOTAL:
                totals.append(
                    LotPrice(lot_id=lot.id, price=Money(amount=found[0], currency=found[1]))
                )
        return tuple(totals)

    def _lot_total(self, lot: Lot) -> tuple[Decimal, str] | None:
        """The lot's total and currency from the rates, exact whatever their size (a
        vendor's rate times an officer's quantity may have 34 digits); None unless every item
        has a rate, all in one currency."""
        rates = {rate.item_id: rate.rate for rate in self.rates}
        given = [rates.get(item.id) for item in lot.items]
        if any(money is None for money in given):
            return None
        currencies = {money.currency for money in given if money is not None}
        if len(currencies) != 1:
            return None
        with localcontext() as exact:
            exact.prec = 80
            total = sum(
                (
                    (item.quantity * money.amount).quantize(CENT, ROUND_HALF_EVEN)
                    for item, money in zip(lot.items, given, strict=True)
                    if money is not None
                ),
                Decimal(0),
            )
        return total, currencies.pop()

    def priced(self, lots: Sequence[Lot]) -> BidContents:
        """A plain bid with the lots it gave rates but no price for priced at their rates'
        totals (``rate_totals``): the platform computes what the vendor need not."""
        given = {price.lot_id for price in self.prices}
        computed = [total for total in self.rate_totals(lots) if total.lot_id not in given]
        return (
            self.model_copy(update={"prices": self.prices + tuple(computed)}) if computed else self
        )

    def check_rates(self, lots: Sequence[Lot]) -> None:
        """A plain bid's rates, on arrival: only the tender's items, each once, every item of
        a rated lot rated, in the currency of its lot's price, which is their total."""
        lot_of = {item.id: lot.id for lot in lots for item in lot.items}
        named = [rate.item_id for rate in self.rates]
        unknown = sorted(set(named) - lot_of.keys())
        if unknown:
            raise InvalidTermsError(f"no such item on this tender: {', '.join(unknown[:5])}")
        if len(set(named)) != len(named):
            raise InvalidTermsError("give each item's rate once")
        totals = {total.lot_id: total.price for total in self.rate_totals(lots)}
        prices = {price.lot_id: price.price for price in self.prices}
        by_id = {lot.id: lot for lot in lots}
        for lot_id in sorted({lot_of[item] for item in named}):
            if lot_id not in totals:
                found = self._lot_total(by_id[lot_id])
                if found is None:
                    raise InvalidTermsError(
                        f"lot {lot_id}: rate every item, in one currency, or none"
                    )
                raise InvalidTermsError(
                    f"lot {lot_id}: its rates' total is over the largest amount, {MAX_TOTAL:,}"
                )
            if lot_id in prices and prices[lot_id] != totals[lot_id]:
                raise InvalidTermsError(
                    f"lot {lot_id}: the price {prices[lot_id].amount} is not its rates' "
                    f"total {totals[lot_id].amount}"
                )

    def check_attachments(self) -> None:
        """Each document once by name, all of them within ``MAX_BID_DOCUMENT_BYTES``."""
        names = [attachment.name for attachment in self.attachments]
        blobs = [attachment.blob for attachment in self.attachments]
        if len(set(names)) != len(names) or len(set(blobs)) != len(blobs):
            raise InvalidTermsError("name each document of a bid once, each its own blob")
        if sum(attachment.size for attachment in self.attachments) > MAX_BID_DOCUMENT_BYTES:
            raise InvalidTermsError(
                f"a bid's documents are at most {MAX_BID_DOCUMENT_BYTES:,} bytes in all"
            )

    def check_prices(self, lot_ids: Collection[str]) -> None:
        """Only the tender's lots, each once, the total within ``MAX_TOTAL``. Checked when a
        plain bid arrives, and at the openings for a bid sealed on the vendor's machine (and
        by the audit, which re-opens them: ``read_sealed_bid``)."""
        unknown = sorted({price.lot_id for price in self.prices} - set(lot_ids))
        if unknown:
            raise InvalidTermsError(f"no such lot on this tender: {', '.join(unknown)}")
        given = [price.lot_id for price in self.prices]
        if len(set(given)) != len(given):
            raise InvalidTermsError("price each lot once")
        if sum((price.price.amount for price in self.prices), Decimal(0)) > MAX_TOTAL:
            raise InvalidTermsError(f"the total price may be at most {MAX_TOTAL:,}")
        self.check_discounts()

    def check_discounts(self) -> None:
        """Each bundle discount names only lots the bid prices (so lots of the tender)."""
        given = {price.lot_id for price in self.prices}
        for discount in self.discounts:
            unpriced = [lot for lot in discount.lots if lot not in given]
            if unpriced:
                raise InvalidDiscountError(
                    f"a bundle discount names a lot the bid does not price: {', '.join(unpriced)}"
                )


def read_sealed_bid(plain: bytes, lot_ids: Collection[str]) -> BidContents:
    """What a vendor sealed on its own machine, read as every opening reads it (the public
    opening, the financial opening, and the audit that re-opens them): a bid, its text
    within the text rule (``domain/text.py``) and its prices within ``check_prices``.
    A plain bid was checked on arrival; a sealed one only now. ``UnreadableBidError`` says
    why not, in the words the opening records."""
    try:
        contents = BidContents.model_validate_json(plain)
    except ValidationError as error:
        text = text_error(error)
        if text is None:
            raise UnreadableBidError("the envelope opens but its contents are not a bid") from None
        raise UnreadableBidError(
            f"the envelope opens but its text is not accepted: {text}"
        ) from None
    try:
        contents.check_prices(lot_ids)
    except InvalidTermsError as problem:
        raise UnreadableBidError(
            f"the envelope opens but its prices break the tender's rules: {problem}"
        ) from None
    try:
        contents.check_attachments()
    except InvalidTermsError as problem:
        raise UnreadableBidError(
            f"the envelope opens but its documents do not: {problem}"
        ) from None
    return contents
