"""Read-your-writes tokens: what a write answers so that its writer can read it back.

A raw position on a public read was an oracle: ``min_position=N`` answered at once when the
store had reached N and only after the wait when not, so anyone could find the store's head
and count events nobody may see (bids before a deadline). A read now takes only a token the
platform signed for a position a write answered: ``base64url(version, position, MAC)``, the
MAC an HMAC-SHA256 (truncated to 128 bits) under a key derived from the token secret.

Deciding whether a token is one of ours reads nothing but the token, so every token the
platform did not sign (forged, altered, a raw position, another platform's) gets the same
answer at once, whatever the store holds. A valid token names a position its holder was
already told (the write answered it), so its wait tells it nothing new. Tokens do not expire:
a link with one (the portal's ``?after=``) keeps working, and an old token's position is long
passed, so it answers at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from api.errors import ApiProblem
from procurement.settings import Settings

VERSION = b"\x01"
_POSITION_BYTES = 8
_MAC_BYTES = 16
_LENGTH = len(VERSION) + _POSITION_BYTES + _MAC_BYTES
TOKEN_CHARACTERS = 34
"""A token's length in base64url without padding (25 bytes)."""


class ReadTokens:
    """Issues and checks read tokens under one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def of(cls, settings: Settings) -> ReadTokens:
        return cls(
            hmac.new(
                settings.jwt_key.encode(), b"sindh-procurement/read-token/v1", hashlib.sha256
            ).digest()
        )

    def _mac(self, signed: bytes) -> bytes:
        return hmac.new(self._key, signed, hashlib.sha256).digest()[:_MAC_BYTES]

    def issue(self, position: int) -> str:
        signed = VERSION + position.to_bytes(_POSITION_BYTES, "big")
        return _encoded(signed + self._mac(signed))

    def position(self, token: str) -> int | None:
        """The position ``token`` was issued for; None if this platform did not issue it."""
        if len(token) != TOKEN_CHARACTERS:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "==")
        except (binascii.Error, ValueError):
            return None
        # One spelling per token: the decoder would also take "+", "/" and other last bits.
        if len(raw) != _LENGTH or raw[:1] != VERSION or _encoded(raw) != token:
            return None
        signed, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if not hmac.compare_digest(mac, self._mac(signed)):
            return None
        return int.from_bytes(signed[1:], "big")


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def read_tokens_of(app_state: Any) -> ReadTokens:
    tokens: ReadTokens = app_state.read_tokens
    return tokens


NOT_ISSUED_HERE = (
    "read_token is not a token this platform issued: pass the read_token a write answered, "
    "unchanged"
)
RAW_POSITION_REFUSED = (
    "min_position is no longer accepted: pass read_token=<the read_token your write answered>"
)


def invalid_read_token() -> ApiProblem:
    """The one answer to every token the platform did not issue."""
    return ApiProblem(
        422,
        "invalid_read_token",
        NOT_ISSUED_HERE,
        extra={"errors": [{"loc": ["read_token"], "message": NOT_ISSUED_HERE}]},
    )


def min_position_withdrawn() -> ApiProblem:
    """The one answer to a raw position, whatever its value."""
    return ApiProblem(
        422,
        "min_position_withdrawn",
        RAW_POSITION_REFUSED,
        extra={"errors": [{"loc": ["min_position"], "message": RAW_POSITION_REFUSED}]},
    )
