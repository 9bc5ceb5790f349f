"""The one definition of acceptable text (``domain/text.py``)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from domain.bid import BidContents, BidSecurityOffer, LotPrice, read_sealed_bid
from domain.errors import InvalidTextError, UnreadableBidError
from domain.text import MULTI_LINE, SECRET, SINGLE_LINE, STORED, Line, Text, check_text, refusal
from domain.values import Money, NoticeText, TenderTerms
from procurement.store.transcodings import PydanticTranscoding
from tests.support import START, terms

CONTROLS = [chr(c) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
NON_CHARACTERS = [
    *(chr(c) for c in range(0xFDD0, 0xFDF0)),
    *(chr(plane * 0x10000 + last) for plane in range(17) for last in (0xFFFE, 0xFFFF)),
]
LINE_BREAKS = ["\t", "\n", "\r", "\u2028", "\u2029"]


@pytest.mark.parametrize(
    ("characters", "kind"),
    [
        (CONTROLS, "a control character"),
        (C1, "a control character"),
        (SURROGATES, "a lone surrogate"),
        (NON_CHARACTERS, "a non-character"),
    ],
)
def test_each_refused_class_is_refused_anywhere_naming_the_field_and_code_point(
    characters: list[str], kind: str
) -> None:
    for character in characters:
        for single_line in (False, True):
            with pytest.raises(InvalidTextError) as refused:
                check_text(f"ab{character}c", single_line=single_line, field="title")
            point = f"U+{ord(character):04X}"
            assert str(refused.value) == f"title: {point} ({kind}) at character 3 is not accepted"
            assert refused.value.field == "title"
            assert refused.value.code == "invalid_text"


def test_tab_and_line_breaks_are_text_but_not_a_single_line() -> None:
    text = "Line one\tand a tab\r\nline two\u2028three"
    assert check_text(text) == text
    for character in LINE_BREAKS:
        with pytest.raises(InvalidTextError, match="single-line field"):
            check_text(f"a{character}b", single_line=True)


def test_the_neighbours_of_each_refused_range_are_accepted() -> None:
    accepted = "\x20\x7e\xa0\ufdcf\ufdf0\ufffd\U00010000\U0001fffd\U0010fffd\ue000\u200f"
    assert check_text(accepted, single_line=True) == accepted
    assert check_text("ضلعی سڑک کی بحالی 😀", single_line=True) == "ضلعی سڑک کی بحالی 😀"


def test_text_is_normalised_to_nfc() -> None:
    assert check_text("Cafe\u0301") == "Café"
    assert check_text("\u1100\u1161") == "\uac00"  # Hangul jamo composed
    assert check_text("\u212b") == "\u00c5"  # the Angstrom sign is the letter


def test_the_first_refused_character_is_the_one_named() -> None:
    found = refusal("ok\x85 then \x00", single_line=False)
    assert found is not None
    assert (found.index, found.code_point) == (2, "U+0085")
    assert refusal("fine", single_line=True) is None


def _refused_by_unicode(character: str, *, single_line: bool) -> bool:
    point = ord(character)
    category = unicodedata.category(character)
    return (
        category == "Cs"
        or (category == "Cc" and character not in "\t\n\r")
        or 0xFDD0 <= point <= 0xFDEF
        or point & 0xFFFE == 0xFFFE
        or (single_line and character in "\t\n\r\u2028\u2029")
    )


@given(text=st.text(st.characters(codec=None, exclude_categories=())), single_line=st.booleans())
def test_the_rule_is_unicodes_categories(text: str, single_line: bool) -> None:
    """Any text of all of Unicode: refused exactly when one of its characters is in a refused
    class by Unicode's own categories; accepted, it comes back in NFC."""
    expected = any(_refused_by_unicode(c, single_line=single_line) for c in text)
    try:
        accepted = check_text(text, single_line=single_line)
    except InvalidTextError:
        assert expected
    else:
        assert not expected
        assert accepted == unicodedata.normalize("NFC", text)


class Form(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=3), SINGLE_LINE]
    body: Annotated[str, Field(max_length=20), MULTI_LINE] = ""
    names: list[Line] = []
    note: Text = ""
    password: Annotated[str, SECRET] = "x"


def test_the_pydantic_types_refuse_with_the_field_and_normalise() -> None:
    with pytest.raises(ValidationError) as refused:
        Form.model_validate({"title": "a", "body": "x\x00", "names": ["ok", "b\nc"]})
    errors = refused.value.errors(include_url=False)
    assert [(e["loc"], e["type"]) for e in errors] == [
        (("body",), "invalid_text"),
        (("names", 1), "invalid_text"),
    ]
    assert errors[0]["msg"] == "U+0000 (a control character) at character 2 is not accepted"
    form = Form.model_validate({"title": "e\u0301", "body": "a\tb\nc", "note": "x\r\ny"})
    assert (form.title, form.body, form.note) == ("é", "a\tb\nc", "x\r\ny")


def test_lengths_are_counted_on_the_normalised_text() -> None:
    assert Form(title="e\u0301e\u0301e\u0301").title == "ééé"  # six code points typed, three kept
    with pytest.raises(ValidationError, match="at most 3 characters"):
        Form(title="abcd")


def test_a_password_is_checked_but_kept_as_typed() -> None:
    assert Form(title="a", password="Cafe\u0301-pass").password == "Cafe\u0301-pass"
    with pytest.raises(ValidationError, match=r"U\+0000"):
        Form(title="a", password="pass\x00word")


def test_the_stored_context_skips_the_rule_so_old_events_load() -> None:
    stored = Form.model_validate({"title": "a\x00", "body": "\ufffe"}, context=STORED)
    assert (stored.title, stored.body) == ("a\x00", "\ufffe")


def test_value_objects_refuse_new_text_and_decode_what_was_stored_before_the_rule() -> None:
    with pytest.raises(ValidationError, match="invalid_text"):
        NoticeText(title="\x00")
    with pytest.raises(ValidationError):
        BidSecurityOffer(instrument="bank_guarantee", issuer="Sindh\nBank", amount=Money(amount=1))
    # A draft written before the rule holds U+0000: its stored form still decodes, as it was.
    data = terms(START).model_dump(mode="json") | {"title": "Road\x00works"}
    transcoding = PydanticTranscoding(TenderTerms, "tender_terms")
    decoded = transcoding.decode(data)
    assert decoded.title == "Road\x00works"
    assert transcoding.encode(decoded) == data


def test_a_sealed_bid_is_read_by_the_rule_and_the_reason_names_the_field() -> None:
    price = (LotPrice(lot_id="1", price=Money(amount=Decimal(5))),)
    good = BidContents(prices=price, technical_offer="Plan\n\tsteps").model_dump_json()
    assert read_sealed_bid(good.encode(), ["1"]).technical_offer == "Plan\n\tsteps"
    issuer = good.replace(
        '"bid_security":null',
        '"bid_security":{"instrument":"pay_order",'
        '"issuer":"Sindh\\u0000Bank","amount":{"amount":"1","currency":"PKR"}}',
    )
    with pytest.raises(UnreadableBidError) as unreadable:
        read_sealed_bid(issuer.encode(), ["1"])
    assert str(unreadable.value) == (
        "the envelope opens but its text is not accepted: bid_security.issuer: "
        "U+0000 (a control character) at character 6 is not accepted"
    )
    with pytest.raises(UnreadableBidError, match="prices break the tender's rules"):
        read_sealed_bid(good.encode(), ["2"])
    with pytest.raises(UnreadableBidError, match="contents are not a bid"):
        read_sealed_bid(b'{"not": "a bid"}', ["1"])
