"""Every interface message of the portal has its Urdu text, and only those are kept."""

from __future__ import annotations

import re
from pathlib import Path

from api.portal.i18n import DYNAMIC_MESSAGES, catalogue, translator

ROOT = Path(__file__).resolve().parents[2]
_CALL = re.compile(r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
_PY_CALL = re.compile(r"""translator\((?:[^()]|\([^()]*\))*\)\(\s*"((?:[^"\\]|\\.)*)\"""")


def used_messages() -> set[str]:
    found: set[str] = set(DYNAMIC_MESSAGES)
    for path in (ROOT / "api" / "templates" / "portal").glob("*.html"):
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    for path in (ROOT / "api" / "portal").rglob("*.py"):
        if path.name == "i18n.py":  # its docstring shows the call, not a message
            continue
        text = path.read_text(encoding="utf-8")
        found.update(m.group(1) for m in _PY_CALL.finditer(text))
        found.update(m.group(1) or m.group(2) for m in _CALL.finditer(text))
    return found


def test_every_message_has_its_urdu_text() -> None:
    missing = sorted(used_messages() - set(catalogue("ur")))
    assert missing == [], f"add Urdu for: {missing}"


def test_no_urdu_text_is_left_for_a_message_no_page_uses() -> None:
    unused = sorted(set(catalogue("ur")) - used_messages())
    assert unused == [], f"unused: {unused}"


def test_placeholders_survive_translation() -> None:
    for english, urdu in catalogue("ur").items():
        assert set(re.findall(r"{\w+}", english)) == set(re.findall(r"{\w+}", urdu)), english


def test_english_is_the_fallback() -> None:
    assert translator("en")("Tenders") == "Tenders"
    assert translator("ur")("{total} tenders", total=3).startswith("3")
