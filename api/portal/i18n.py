"""The portal's words in English and Urdu.

Templates call ``t("English text")``; English is the message id and the fallback. The Urdu
catalogue lives in ``api/portal/locales/ur.json`` (one flat object, English → Urdu) so that
translators edit data, not code; a test checks that every message the templates use has its
Urdu text. Notices themselves carry their own English, Urdu and Sindhi texts (the officer
writes them); this catalogue only translates the interface.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def catalogue(language: str) -> dict[str, str]:
    if language == "en":
        return {}
    path = LOCALES / f"{language}.json"
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def translator(language: str) -> Callable[..., str]:
    messages = catalogue(language)

    def translate(message: str, **values: object) -> str:
        text = messages.get(message, message)
        return text.format(**values) if values else text

    return translate
