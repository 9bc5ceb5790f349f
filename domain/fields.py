"""The limits of the fields a tender and a bid are written with, named once.

Each alias is a type with its limits and its text rule (``domain/text.py``), used by the
domain's value objects and meant for the API's request bodies too, so that a limit is
written in one place and refused with the same words at either. The API's bodies take
lists and strict integers where the value objects take tuples and ints: they reuse the
``MAX_...`` sizes and nest an alias in their own ``Annotated`` (``Annotated[ValidityDays,
BeforeValidator(...)]``) rather than write the numbers again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from domain.text import MULTI_LINE, SINGLE_LINE

MAX_LOTS = 100
"""Lots on a tender, and so prices in a bid."""
MAX_ITEMS = 500
"""Items in a lot."""
MAX_SECURITY_FORMS = 10
"""Forms of bid security a tender accepts."""
MAX_DOCUMENTS = 50
"""Documents a bid carries, and documents a tender requires."""
MAX_CRITERIA = 50
"""Technical criteria of a quality and cost based selection."""
MAX_INVITED = 500
"""Vendors invited to a tender open only to them (stage two, a framework's call-off)."""

Base64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$", max_length=28_000_000)]
"""Bytes as standard base64: a ciphertext, a key."""
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest in lower-case hex: a commitment, a document's hash."""
REFERENCE_MAX_LENGTH = 64
TITLE_MAX_LENGTH = 300
Reference = Annotated[str, Field(min_length=1, max_length=REFERENCE_MAX_LENGTH), SINGLE_LINE]
"""A tender's reference, as the entity numbers it."""
ShortId = Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
"""An id the officer or vendor writes: a lot's, an item's, a criterion's; an instrument."""
Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX_LENGTH), SINGLE_LINE]
"""A title or a name shown as one line: a tender's, a lot's, a criterion's, an issuer's."""
Description = Annotated[str, Field(max_length=20000), MULTI_LINE]
"""A notice's description (it may be empty)."""
ItemDescription = Annotated[str, Field(min_length=1, max_length=2000), MULTI_LINE]
Unit = Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE]
Classification = Annotated[str, Field(max_length=64), SINGLE_LINE]
DocumentName = Annotated[str, Field(min_length=1, max_length=255), SINGLE_LINE]
"""A document's name: one a bid carries, or one a tender requires."""
Reason = Annotated[str, Field(max_length=5000), MULTI_LINE]
"""Why, for the record: published with the decision it explains."""

Amount = Annotated[Decimal, Field(ge=0, max_digits=17, decimal_places=2)]
"""An amount of money: never negative, at most two decimal places, 17 digits."""
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
"""An ISO 4217 currency code."""
Quantity = Annotated[Decimal, Field(gt=0, max_digits=17, decimal_places=4)]
MAX_VALIDITY_DAYS = 365
ValidityDays = Annotated[int, Field(ge=1, le=MAX_VALIDITY_DAYS)]
"""How many days a bid stays valid."""
