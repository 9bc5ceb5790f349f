"""A tender's securities in its OCDS process (docs/securities.md, docs/open-data.md): pure.

- **The performance security** is a guarantee of the winner's contract, in the guarantees
  extension's shape (``contracts[].guarantees[]``: id, obligations, value, guarantor). It is
  recorded before the contract is signed, so it puts the award's contract in the process as
  ``pending`` (awaiting signature), which the signature makes ``active``, and the award's
  cancellation ``cancelled``. The bank is a party with the role ``guarantor``.
- **A bid security** has no place in that extension (its guarantees are a contract's, and
  its codelists name no bid security), nor in the bid extension's ``Bid``. Each is an entry
  of ``tender.documents`` of the core type ``contractGuarantees`` ("documentation of
  guarantees relating to a contracting process"), one per bidder, whose description says
  its amount and, as they happen, its release, forfeiture and overdue flag.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.securities import Instrument
from projections.ocds.release_builder import State, _contract, _party, _time, _value

PERFORMANCE_SECURITY = "performance-security"
"""The performance security's guarantee id: one per contract (one per award)."""


def bank_party(state: State, bank: str) -> dict[str, str]:
    """The bank as a party (role ``guarantor``), and its reference. A bank is recorded by
    its name only, so its id is derived from the name (case aside): the same name, the same
    party."""
    name = bank.strip()
    party_id = f"bank-{hashlib.sha256(name.casefold().encode()).hexdigest()[:16]}"
    _party(state, party_id, name, "guarantor")
    named = next(party["name"] for party in state["parties"] if party["id"] == party_id)
    return {"id": party_id, "name": named}  # the party's name, as first recorded


def performance_security(state: State, award: dict[str, Any], instrument: Instrument) -> bool:
    """The winner's performance security on its award's contract, added ``pending`` if the
    award has none yet (then True)."""
    contract, created = _contract(state, award)
    contract["guarantees"] = [
        {
            "id": PERFORMANCE_SECURITY,
            "obligations": "fulfillment",
            "value": _value(instrument.amount),
            "guarantor": bank_party(state, instrument.bank),
        }
    ]
    return created


def cancel_pending_contract(state: State, award_id: str) -> None:
    """An award that falls before its contract is signed: its pending contract (the one its
    performance security made) is cancelled with it."""
    for contract in state.get("contracts", ()):
        if contract["awardID"] == award_id and contract["status"] == "pending":
            contract["status"] = "cancelled"


def _bid_security_id(vendor_id: UUID) -> str:
    return f"bid-security-{vendor_id}"


def _bidder_name(state: State, vendor_id: UUID) -> str:
    for party in state["parties"]:
        if party["id"] == str(vendor_id):
            return str(party["name"])
    return "a bidder"  # pragma: no cover (a securities file's bidders are the opening's)


def bid_security_recorded(
    state: State, vendor_id: UUID, instrument: Instrument, at: datetime
) -> None:
    """The bank's confirmation of a bidder's security (or of its extension): its entry, or
    a sentence more on it."""
    money = instrument.amount
    said = f"Held: {money.amount:,} {money.currency}, confirmed by the bank."
    documents = state["tender"]["documents"]
    entry = _bid_security(state, vendor_id)
    if entry is None:
        documents.append(
            {
                "id": _bid_security_id(vendor_id),
                "documentType": "contractGuarantees",
                "title": f"Bid security of {_bidder_name(state, vendor_id)}",
                "description": said,
                "datePublished": _time(at),
                "language": "en",
            }
        )
        return
    _tell(entry, f"Extended: {money.amount:,} {money.currency}, confirmed by the bank.", at)


def bid_security_changed(state: State, vendor_id: UUID, said: str, at: datetime) -> bool:
    """A sentence more on a bidder's security entry (released, forfeited, overdue); False
    when the process shows no such entry."""
    entry = _bid_security(state, vendor_id)
    if entry is None:  # pragma: no cover (closing one needs it recorded)
        return False
    _tell(entry, said, at)
    return True


def _bid_security(state: State, vendor_id: UUID) -> dict[str, Any] | None:
    wanted = _bid_security_id(vendor_id)
    for document in state["tender"]["documents"]:
        if document["id"] == wanted:
            found: dict[str, Any] = document
            return found
    return None


def _tell(entry: dict[str, Any], said: str, at: datetime) -> None:
    entry["description"] = f"{entry['description']} {said}"
    entry["dateModified"] = _time(at)
