"""Signed receipts for bids: what the platform acknowledges, verifiable offline.

A receipt is a JSON object. Its signature is Ed25519 over the canonical JSON of every other
member (keys sorted, no whitespace, UTF-8), so anyone holding the platform's public key
(``GET /public/keys``) can check it without asking the platform.

The same key signs the ledger's checkpoints, so a valid signature alone does not make a
document a bid receipt: ``verify_bid_receipt`` also wants a bid receipt's own fields. A
receipt read from text is read with ``loads``, which refuses a field named twice.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from typing import Any
from uuid import UUID

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
    """True if ``receipt`` is exactly what the holder of ``public_key`` signed, and names
    that key (its ``key_id``): a document naming another key is not taken on this one's
    word, which matters once keys are rotated."""
    try:
        raw = base64.b64decode(public_key, validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw)
        if receipt.get("key_id") != hashlib.sha256(raw).hexdigest()[:16]:
            return False
        signature = base64.b64decode(str(receipt[SIGNATURE]), validate=True)
        body = {k: v for k, v in receipt.items() if k != SIGNATURE}
        key.verify(signature, canonical(body))
    except (InvalidSignature, KeyError, ValueError, TypeError, AttributeError):
        return False
    return True


# What the platform signs for a bid (``ProcurementApplication._bid_receipt``), besides the
# signer's ``key_id``, ``algorithm`` and ``signature``.
BID_RECEIPT_FIELDS = (
    "kind",
    "bid_id",
    "tender_id",
    "vendor_id",
    "version",
    "position",
    "received_at",
    "commitments",
)
BID_RECEIPT_KINDS = frozenset({"submitted", "replaced", "withdrawn"})
_COMMITMENT = re.compile(r"[0-9a-f]{64}")


class DuplicateFieldError(ValueError):
    """A JSON object names one field twice."""

    def __init__(self, field: str) -> None:
        super().__init__(f"the field {field!r} appears twice")
        self.field = field


def _each_field_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            raise DuplicateFieldError(name)
        fields[name] = value
    return fields


def loads(text: str | bytes) -> Any:
    """JSON as a receipt is read: every object names each field once. (``json.loads`` keeps
    the last of a repeated field, so what a person reads first need not be what was
    verified.) Raises ``DuplicateFieldError`` or, for text that is not JSON, ``ValueError``."""
    return json.loads(text, object_pairs_hook=_each_field_once)


def _is_uuid(value: Any) -> bool:
    try:
        UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return True


def _is_counter(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_time(value: Any) -> bool:
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except (TypeError, ValueError):
        return False


def _commitments_fit(kind: Any, value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if not value and kind != "withdrawn":  # a live bid commits to its envelopes
        return False
    return all(
        isinstance(name, str) and isinstance(c, str) and _COMMITMENT.fullmatch(c)
        for name, c in value.items()
    )


def bid_receipt_gaps(receipt: Any) -> list[str]:
    """The bid receipt's own fields that ``receipt`` lacks or has in another form, in
    ``BID_RECEIPT_FIELDS`` order: none for a document shaped as a bid receipt."""
    if not isinstance(receipt, dict):
        return list(BID_RECEIPT_FIELDS)
    kind = receipt.get("kind")
    fits = {
        "kind": isinstance(kind, str) and kind in BID_RECEIPT_KINDS,
        "bid_id": _is_uuid(receipt.get("bid_id")),
        "tender_id": _is_uuid(receipt.get("tender_id")),
        "vendor_id": _is_uuid(receipt.get("vendor_id")),
        "version": _is_counter(receipt.get("version")),
        "position": _is_counter(receipt.get("position")),
        "received_at": _is_time(receipt.get("received_at")),
        "commitments": _commitments_fit(kind, receipt.get("commitments")),
    }
    return [name for name in BID_RECEIPT_FIELDS if not fits[name]]


def verify_bid_receipt(public_key: str, receipt: Any) -> bool:
    """True if ``receipt`` is a bid receipt the holder of ``public_key`` signed (not just any
    document it signed, such as a ledger checkpoint)."""
    return (
        isinstance(receipt, dict) and not bid_receipt_gaps(receipt) and verify(public_key, receipt)
    )
