"""The one definition of acceptable text, for every way text comes in.

Text is refused if it holds a character no person types and some part of the platform cannot
store or show: a control character (Unicode category Cc: U+0000 to U+001F, U+007F, and the C1
controls U+0080 to U+009F) other than tab, line feed and carriage return; a lone surrogate
(U+D800 to U+DFFF); or a non-character (U+FDD0 to U+FDEF, and the last two code points of
every plane, U+xxFFFE and U+xxFFFF). A single-line field (a title, a reference, a name)
refuses line breaks and tabs as well: tab, line feed, carriage return, U+2028 and U+2029.
Accepted text is normalised to NFC, so that the same words are stored as the same code
points whatever the keyboard sent.

``check_text`` is the rule as a function; ``Line`` and ``Text`` (or ``SINGLE_LINE`` and
``MULTI_LINE`` after a ``Field`` with lengths) are the rule as pydantic types, for request
bodies and value objects. What is already stored was accepted under the rules of its day:
value objects decoded from stored events are validated with the ``STORED`` context, which
skips the rule, so an event written before it still loads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BeforeValidator, GetJsonSchemaHandler, ValidationError, ValidationInfo
from pydantic_core import CoreSchema, PydanticCustomError

from domain.errors import InvalidTextError

ERROR_TYPE = "invalid_text"
"""The type of a pydantic error that is a refusal under this rule."""

STORED: Mapping[str, bool] = MappingProxyType({"stored": True})
"""The validation context for decoding stored events: the rule is not applied again."""

_NON_CHARACTERS = "".join(
    chr(plane * 0x10000 + last) for plane in range(17) for last in (0xFFFE, 0xFFFF)
)
_REFUSED = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NON_CHARACTERS
_REFUSED_ANYWHERE = re.compile(f"[{_REFUSED}]")
_REFUSED_IN_A_LINE = re.compile(f"[{_REFUSED}\t\n\r\u2028\u2029]")

# The rule as a JSON Schema ``pattern`` (ECMA-262, Python and Rust regex alike read it): the
# refused characters as escapes, but for the non-characters beyond the first plane, which no
# escape all three read alike writes, and which stand in it as themselves. Lone surrogates are
# not in it: JSON text cannot carry them (such a body is 400 ``malformed_json``).
_SUPPLEMENTARY = _NON_CHARACTERS[2:]
_REFUSED_ESCAPED = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uFDD0-\uFDEF\uFFFE\uFFFF"
TEXT_PATTERN = f"^[^{_REFUSED_ESCAPED}{_SUPPLEMENTARY}]*$"
"""Text the rule accepts (in a field that may hold tabs and line breaks)."""
LINE_PATTERN = f"^[^{_REFUSED_ESCAPED}\\x09\\x0A\\x0D\\u2028\\u2029{_SUPPLEMENTARY}]*$"
"""A single line the rule accepts."""


@dataclass(frozen=True)
class Refusal:
    """The first character the rule refuses in a text, and why."""

    index: int  # 0-based, in the text as given
    character: str

    @property
    def code_point(self) -> str:
        return f"U+{ord(self.character):04X}"

    @property
    def kind(self) -> str:
        point = ord(self.character)
        if 0xD800 <= point <= 0xDFFF:  # noqa: PLR2004 (the surrogate range)
            return "a lone surrogate"
        if unicodedata.category(self.character) == "Cc":
            if self.character in "\t\n\r":
                return "a tab or line break, not allowed in a single-line field"
            return "a control character"
        if self.character in "\u2028\u2029":
            return "a line break, not allowed in a single-line field"
        return "a non-character"

    def describe(self) -> str:
        return f"{self.code_point} ({self.kind}) at character {self.index + 1} is not accepted"


def refusal(value: str, *, single_line: bool = False) -> Refusal | None:
    """The first character of ``value`` the rule refuses, or None if it accepts them all."""
    pattern = _REFUSED_IN_A_LINE if single_line else _REFUSED_ANYWHERE
    found = pattern.search(value)
    return None if found is None else Refusal(index=found.start(), character=found.group())


def check_text(value: str, *, single_line: bool = False, field: str | None = None) -> str:
    """``value`` normalised to NFC, or ``InvalidTextError`` naming ``field`` and the first
    character refused."""
    refused = refusal(value, single_line=single_line)
    if refused is not None:
        where = f"{field}: " if field else ""
        raise InvalidTextError(f"{where}{refused.describe()}", field=field)
    return unicodedata.normalize("NFC", value)


def text_error(error: ValidationError) -> InvalidTextError | None:
    """The first refusal under this rule among a pydantic model's errors, as the domain
    error naming its field (dotted), or None if the model failed for other reasons only."""
    for item in error.errors(include_url=False, include_input=False):
        if item["type"] == ERROR_TYPE:
            field = ".".join(str(part) for part in item["loc"])
            return InvalidTextError(f"{field}: {item['msg']}", field=field)
    return None


def _stored(info: ValidationInfo) -> bool:
    return isinstance(info.context, Mapping) and bool(info.context.get("stored"))


@dataclass(frozen=True)
class _TextRule(BeforeValidator):
    """The rule as a validator, stated in the field's JSON Schema as its ``pattern``."""

    pattern: str = TEXT_PATTERN

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        schema: dict[str, Any] = handler(core_schema)
        if "pattern" in schema:  # the field has a pattern of its own: both apply
            schema.setdefault("allOf", []).append({"pattern": self.pattern})
        else:
            schema["pattern"] = self.pattern
        return schema


def _validator(*, single_line: bool, normalise: bool = True) -> BeforeValidator:
    def validate(value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str) or _stored(info):
            return value  # not text: the field's own type refuses it
        refused = refusal(value, single_line=single_line)
        if refused is not None:
            raise PydanticCustomError(ERROR_TYPE, refused.describe())
        return unicodedata.normalize("NFC", value) if normalise else value

    return _TextRule(validate, pattern=LINE_PATTERN if single_line else TEXT_PATTERN)


SINGLE_LINE = _validator(single_line=True)
"""The rule for a single-line field: ``Annotated[str, Field(max_length=...), SINGLE_LINE]``
(the lengths are checked on the normalised text)."""
MULTI_LINE = _validator(single_line=False)
"""The rule for a field that may hold tabs and line breaks."""
SECRET = _validator(single_line=True, normalise=False)
"""A new password: a single line, kept as typed. It is only ever hashed, and signing in
compares it as typed, so normalising it now would lock out whoever set a password before."""

Line = Annotated[str, SINGLE_LINE]
Text = Annotated[str, MULTI_LINE]


def says_nothing(value: str) -> bool:
    """Whether a reason or explanation has nothing a reader sees: only whitespace and
    invisible format characters (Unicode category Cf: zero-width spaces and joiners, the
    byte-order mark, direction marks). A published reason of two zero-width spaces is a
    blank one. For checks added since; older guards keep ``str.strip`` so that events
    stored under them still replay."""
    return all(char.isspace() or unicodedata.category(char) == "Cf" for char in value)
