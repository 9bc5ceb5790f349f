"""The rules on a bid's prices, and how a bid sealed on a vendor's machine is read.

A plain bid is checked on arrival; a sealed one only when an opening (or the audit, which
re-opens them) reads it. Both go through the same rule, against the tender's lot ids.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from decimal import Decimal

from pydantic import ValidationError

from domain.bid import BidContents, LotPrice
from domain.errors import InvalidTermsError, UnreadableBidError
from domain.text import text_error

MAX_TOTAL = Decimal("999999999999999.99")  # the largest amount Money holds (17 digits)


def check_bid_prices(lot_ids: Collection[str], prices: Sequence[LotPrice]) -> None:
    """A bid's prices: only the tender's lots, each once, the total within ``MAX_TOTAL``.
    Checked when a plain bid arrives, and at the openings for a bid sealed on the vendor's
    machine (and by the audit, which re-opens them)."""
    unknown = sorted({price.lot_id for price in prices} - set(lot_ids))
    if unknown:
        raise InvalidTermsError(f"no such lot on this tender: {', '.join(unknown)}")
    given = [price.lot_id for price in prices]
    if len(set(given)) != len(given):
        raise InvalidTermsError("price each lot once")
    if sum((price.price.amount for price in prices), Decimal(0)) > MAX_TOTAL:
        raise InvalidTermsError(f"the total price may be at most {MAX_TOTAL:,}")


def read_sealed_bid(plain: bytes, lot_ids: Collection[str]) -> BidContents:
    """What a vendor sealed on its own machine, read as every opening reads it (the public
    opening, the financial opening, and the audit that re-opens them): a bid, its text
    within the text rule (``domain/text.py``) and its prices within ``check_bid_prices``.
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
        check_bid_prices(lot_ids, contents.prices)
    except InvalidTermsError as problem:
        raise UnreadableBidError(
            f"the envelope opens but its prices break the tender's rules: {problem}"
        ) from None
    return contents
