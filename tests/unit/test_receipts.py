"""What makes a pasted or saved document a valid bid receipt: read with each field once, shaped
as a bid receipt, and signed by the platform's key (which signs ledger checkpoints too)."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import uuid4

import pytest

from procurement.audit.ledger import checkpoint_fields
from procurement.crypto import receipts
from procurement.crypto.receipts import ReceiptSigner
from tests.support import START

SIGNER = ReceiptSigner(b"s" * 32)


def bid_receipt(kind: str = "submitted", **changes: Any) -> dict[str, Any]:
    """A receipt as the platform signs it for a bid (``_bid_receipt``)."""
    fields: dict[str, Any] = {
        "kind": kind,
        "bid_id": str(uuid4()),
        "tender_id": str(uuid4()),
        "vendor_id": str(uuid4()),
        "version": 1,
        "position": 7,
        "received_at": "2026-12-01T05:00:00Z",
        "commitments": {} if kind == "withdrawn" else {"bid": "ab" * 32},
    }
    return SIGNER.sign({**fields, **changes})


@pytest.mark.parametrize("kind", ["submitted", "replaced", "withdrawn"])
def test_a_bid_receipt_the_platform_signed_is_valid(kind: str) -> None:
    receipt = bid_receipt(kind)
    assert receipts.bid_receipt_gaps(receipt) == []
    assert receipts.verify_bid_receipt(SIGNER.public_key, receipt)
    assert receipts.verify_bid_receipt(SIGNER.public_key, receipts.loads(json.dumps(receipt)))


def test_a_signed_ledger_checkpoint_is_not_a_bid_receipt() -> None:
    checkpoint = SIGNER.sign(checkpoint_fields("sindh-procurement", 12, b"\1" * 32, START))
    assert receipts.verify(SIGNER.public_key, checkpoint)  # the same key signed it
    assert not receipts.verify_bid_receipt(SIGNER.public_key, checkpoint)
    assert receipts.bid_receipt_gaps(checkpoint) == list(receipts.BID_RECEIPT_FIELDS)


@pytest.mark.parametrize(
    ("changes", "gap"),
    [
        ({"kind": "checkpoint"}, "kind"),
        ({"bid_id": "not-a-uuid"}, "bid_id"),
        ({"position": "7"}, "position"),
        ({"position": True}, "position"),
        ({"version": 0}, "version"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"commitments": {}}, "commitments"),  # a live bid commits to its envelopes
        ({"commitments": {"bid": "not hex"}}, "commitments"),
        ({"commitments": ["bid"]}, "commitments"),
    ],
)
def test_a_signed_document_without_a_bid_receipts_fields_is_not_one(
    changes: dict[str, Any], gap: str
) -> None:
    receipt = bid_receipt(**changes)
    assert receipts.verify(SIGNER.public_key, receipt)
    assert receipts.bid_receipt_gaps(receipt) == [gap]
    assert not receipts.verify_bid_receipt(SIGNER.public_key, receipt)


def test_not_an_object_is_not_a_bid_receipt() -> None:
    documents: list[Any] = [[], "receipt", None, 7]
    for document in documents:
        assert receipts.bid_receipt_gaps(document) == list(receipts.BID_RECEIPT_FIELDS)
        assert not receipts.verify_bid_receipt(SIGNER.public_key, document)


@pytest.mark.parametrize("where", ["top", "nested"])
def test_a_field_named_twice_is_refused_when_read(where: str) -> None:
    """``json.loads`` keeps the last of a repeated field: a reader that took the first would
    see another receipt than the one whose signature was checked."""
    text = json.dumps(bid_receipt())
    if where == "top":
        text = '{"position": 1, ' + text[1:]
        repeated = "position"
    else:
        text = text.replace('"commitments": {', '"commitments": {"bid": "00", ')
        repeated = "bid"
    assert receipts.verify_bid_receipt(SIGNER.public_key, json.loads(text))  # the last wins
    with pytest.raises(receipts.DuplicateFieldError) as raised:
        receipts.loads(text)
    assert raised.value.field == repeated
    assert isinstance(raised.value, ValueError)


def test_a_document_naming_another_key_is_not_valid_on_this_one() -> None:
    """Signed by this key but naming another key's id: not taken on this key's word."""
    other = ReceiptSigner(b"o" * 32)
    body = {k: v for k, v in bid_receipt().items() if k != receipts.SIGNATURE}
    body["key_id"] = other.key_id
    signature = SIGNER._key.sign(receipts.canonical(body))
    named_other = {**body, receipts.SIGNATURE: base64.b64encode(signature).decode()}

    assert not receipts.verify(SIGNER.public_key, named_other)  # the signature itself holds
    assert receipts.verify(SIGNER.public_key, bid_receipt())
