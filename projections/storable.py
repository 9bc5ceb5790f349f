"""Text the read models can store.

PostgreSQL stores neither U+0000 (in ``text``, nor as ``\\u0000`` in ``jsonb``) nor a lone
surrogate (not UTF-8; ``jsonb`` refuses its escape). The input boundary refuses both, but an
event stored before it, or a sealed bid opened later, may hold them, and one such event would
stop a read model for good. So the read models see every event's text with each of them
replaced by U+FFFD: the events are decoded for the projections from their stored JSON with
``storable_json`` applied first (``procurement/jobs/projection_runner.py``), which is the one
place every projection's text comes through, live or rebuilt. The store keeps the events as
they were.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# In JSON text: a backslash escape, whole, so that an escaped backslash followed by "u0000"
# is not read as an escape of its own. A surrogate pair first (kept), then any \uXXXX, then
# any other escaped character (kept).
_ESCAPE = re.compile(
    r"\\(u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)", re.DOTALL
)
_PAIR_LENGTH = 11  # "uD83D\uDE00" without the first backslash


def storable_text(text: str) -> str:
    """``text`` with U+0000 and lone surrogates replaced by U+FFFD."""
    return UNSTORABLE.sub(REPLACEMENT, text)


def storable_json(text: str) -> str:
    """JSON text (decoded from UTF-8, so without a surrogate written as itself; U+0000 is
    always escaped in JSON) whose strings, once decoded, are all ``storable_text``: the
    escapes of U+0000 and of lone surrogates replaced by the escape of U+FFFD. The same
    object when there is none, which a substring search finds: most events are not
    rewritten at all."""
    if "\\u0000" in text or "\\ud" in text or "\\uD" in text:
        return _ESCAPE.sub(_storable_escape, text)
    return text


def _storable_escape(match: re.Match[str]) -> str:
    escape = match.group(1)
    if escape[0] != "u" or len(escape) == _PAIR_LENGTH:
        return match.group()
    if UNSTORABLE.match(chr(int(escape[1:], 16))):
        return "\\ufffd"
    return match.group()
