"""The read models' text: JSON whose decoded strings PostgreSQL can store, and nothing else
changed."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from projections.storable import UNSTORABLE, storable_json, storable_text

# Every code point, surrogates and U+0000 included, and the characters of JSON escapes.
CHARACTERS = st.characters(exclude_categories=()) | st.sampled_from('\\"u0dDfF\x00\ud800\udc00')
TEXT = st.text(CHARACTERS, max_size=30)
VALUES = st.recursive(
    TEXT | st.integers() | st.none(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, list):
        return [cleaned(item) for item in value]
    if isinstance(value, dict):
        return {storable_text(k): cleaned(v) for k, v in value.items()}
    return value


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    return []


@given(VALUES)
def test_escaped_json_decodes_to_storable_text_and_nothing_else_changes(value: Any) -> None:
    written = json.dumps(value)  # ASCII: every U+0000 and surrogate as an escape
    read = json.loads(storable_json(written))
    assert read == cleaned(json.loads(written))
    assert not any(UNSTORABLE.search(s) for s in strings(read))


@given(VALUES)
def test_json_as_the_store_writes_it_decodes_to_storable_text(value: Any) -> None:
    # Stored events are UTF-8: no surrogate written as itself, U+0000 escaped.
    written = json.dumps(value, ensure_ascii=False)
    if any("\ud800" <= c <= "\udfff" for c in written):
        written = json.dumps(value)
    read = json.loads(storable_json(written))
    assert read == cleaned(json.loads(written))


def test_text_without_such_characters_is_not_rewritten() -> None:
    written = json.dumps({"title": "ضلعی سڑک 😀", "path": "C:\\u0041"}, ensure_ascii=False)
    assert storable_json(written) is written
