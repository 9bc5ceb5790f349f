"""Signed receipts for bids: what the platform acknowledges, verifiable offline.

A receipt is a JSON object. Its signature is Ed25519 over the canonical JSON of every other
member (keys sorted, no whitespace, UTF-8), so anyone holding the platform's public key
(``GET /public/keys``) can check it without asking the platform.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE = "signature"
ALGORITHM = "Ed25519"


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class ReceiptSigner:
    def __init__(self, seed: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_key = base64.b64encode(raw).decode("ascii")
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, fields: dict[str, Any]) -> dict[str, Any]:
        body = {**fields, "key_id": self.key_id, "algorithm": ALGORITHM}
        signature = self._key.sign(canonical(body))
        return {**body, SIGNATURE: base64.b64encode(signature).decode("ascii")}


def verify(public_key: str, receipt: dict[str, Any]) -> bool:
    """True if ``receipt`` is exactly what the holder of ``public_key`` signed."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        signature = base64.b64decode(str(receipt[SIGNATURE]), validate=True)
        body = {k: v for k, v in receipt.items() if k != SIGNATURE}
        key.verify(signature, canonical(body))
    except (InvalidSignature, KeyError, ValueError, TypeError):
        return False
    return True
