"""Shared validators, strict types and the base of every request body; the text types of
the answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from litestar.exceptions import ValidationException
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from domain.errors import InvalidTextError
from domain.text import MULTI_LINE, check_text, says_nothing
from domain.values import (
    to_utc,
)


def _says_something(value: str) -> str:
    # Spaces alone are left to the command, whose guard (``str.strip``) refuses them with
    # its own code (``reason_required``); what it misses are the invisible characters.
    if value.strip() and says_nothing(value):
        msg = "must hold words a reader sees, not only spaces or invisible characters"
        raise ValueError(msg)
    return value


STATED = AfterValidator(_says_something)
"""A published reason or grounds: empty where the field allows it (spaces alone are the
command's to refuse, with its own code, as before), but never only spaces and invisible
characters (zero-width spaces, direction marks), which read as blank. The API's check: the
domain's older guards test ``str.strip`` so that stored events replay."""


def _shows_something(value: str) -> str:
    if says_nothing(value):
        msg = "must hold words a reader sees, not only spaces or invisible characters"
        raise ValueError(msg)
    return value


SHOWN = AfterValidator(_shows_something)
"""A published title: never only spaces and invisible characters."""
StatedText = Annotated[str, Field(min_length=1, max_length=5000), MULTI_LINE, STATED]
"""A reason given with a command: required, up to 5,000 characters, stated."""


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        msg = "must be an RFC 3339 date-time string"
        raise ValueError(msg)  # noqa: TRY004 (pydantic reports ValueError as a field error)
    return value


def _integer_only(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = "must be a JSON integer"
        raise ValueError(msg)  # noqa: TRY004 (pydantic reports ValueError as a field error)
    return value


# Litestar validates bodies in lax mode, so strictness is spelled out per type: a deadline
# must be a string (not a Unix number), a count an integer (not "90").
_YEARS = r"^2[0-9]{3}-"
"""A time's year as written: 2000 to 2999 (``domain.values.to_utc`` then checks it in UTC)."""


def _written_in_our_years(value: Any) -> Any:
    if isinstance(value, str) and not re.match(_YEARS, value):
        msg = "must be a time from 2000 to 2999"
        raise ValueError(msg)
    return value


# Validators run from the last: the text check, then the year as written, then in UTC.
Rfc3339 = Annotated[
    AwareDatetime,
    BeforeValidator(_written_in_our_years),
    BeforeValidator(_text_only),
    AfterValidator(to_utc),
    Field(json_schema_extra={"pattern": _YEARS}),
]
StrictCount = Annotated[int, BeforeValidator(_integer_only)]
"""An integer, as JSON writes one (its schema: ``integer``); not "90", not 90.0, not true."""


def _matching(pattern: str, meaning: str) -> Callable[[str], str]:
    """A pattern check whose error says what is wanted in words (pydantic's own message
    quotes the regular expression, which the portal would show a vendor as it is)."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            msg = f"must be {meaning}"
            raise ValueError(msg)
        return value

    return check


_AMOUNT = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$"
Amount = Annotated[
    str,
    AfterValidator(
        _matching(_AMOUNT, "an amount in digits with at most two decimals, e.g. 125000.00")
    ),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _AMOUNT,
            "description": "a non-negative decimal string with at most two places, "
            "e.g. '125000.00'",
            "examples": ["125000.00"],
        }
    ),
]
DecimalText = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]{0,12})(\.[0-9]{1,4})?$")]
PositiveDecimalText = Annotated[
    str,
    Field(
        pattern=r"^([1-9][0-9]{0,12}(\.[0-9]{1,4})?"
        r"|0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$"
    ),
]
"""A decimal above zero (an item's quantity), at most four places."""


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def query_text(name: str, value: str | None) -> str | None:
    """A text query parameter under the text rule (``domain/text.py``: a single line),
    normalised. A refusal is a 422 naming the parameter, before it reaches any query."""
    if value is None:
        return None
    try:
        return check_text(value, single_line=True)
    except InvalidTextError as error:
        raise ValidationException(
            detail=f"{name}: {error}",
            status_code=422,
            extra=[{"key": name, "message": str(error), "source": "query"}],
        ) from None


# The answers' text types. Each states its schema twice, once for each library that writes
# the schemas of answers (``api/openapi.py``): pydantic reads ``Field``, msgspec ``Meta``, and
# each ignores the other's.
_UUID: dict[str, Any] = {"format": "uuid"}
_TIME: dict[str, Any] = {"format": "date-time"}
_MONEY: dict[str, Any] = {"pattern": r"^[0-9]+\.[0-9]{2}$", "examples": ["125000.00"]}
_HASH: dict[str, Any] = {"pattern": "^[0-9a-f]{64}$"}
UuidText = Annotated[str, Field(json_schema_extra=_UUID), msgspec.Meta(extra_json_schema=_UUID)]
TimeText = Annotated[str, Field(json_schema_extra=_TIME), msgspec.Meta(extra_json_schema=_TIME)]
"""A time as RFC 3339 text."""
MoneyText = Annotated[str, Field(json_schema_extra=_MONEY), msgspec.Meta(extra_json_schema=_MONEY)]
"""An amount as decimal text with two places."""
HashHex = Annotated[str, Field(json_schema_extra=_HASH), msgspec.Meta(extra_json_schema=_HASH)]
"""A SHA-256 hash (a ledger leaf or a tree's root) in lowercase hex."""


def enum_text(kind: type[StrEnum]) -> msgspec.Meta:
    """The schema of a msgspec struct's text field that holds one of ``kind``'s values (a
    struct is not validated: the field stays the ``str`` the row holds)."""
    return msgspec.Meta(extra_json_schema={"enum": [member.value for member in kind]})
