"""OCDS 1.1.5 releases from the platform's events: pure functions, no I/O.

Each contracting process (one tender: ``ocid = <prefix>-<tender id>``) keeps a state, the
OCDS document as of its latest public event. Every public event updates it and yields one
immutable release: the state as of that event, with the event's tag and time (each event's
change to the state is in ``release_events.py``). Events that are
not public (drafts, bids before the opening, the committee's work in progress) yield none,
and nothing sealed is in the state before the opening: no bid, no tenderer, no count.

The state may hold bookkeeping under ``_private`` (texts of questions not yet answered); it
never reaches a release. Amounts are JSON numbers, as OCDS asks (exact up to 15 significant
digits: every amount the platform accepts).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from domain.values import EvaluationMethod, Method, Money, TenderTerms

PUBLISHER = "Government of Sindh, Sindh e-procurement platform"
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    # contracts[].guarantees[]: the performance security (projections/ocds/securities.py)
    "https://raw.githubusercontent.com/contratacionesabiertas/ocds_guarantees_extension/master/extension.json",
)
OCDS_METHOD = {
    Method.SINGLE_STAGE_ONE_ENVELOPE: "open",
    Method.SINGLE_STAGE_TWO_ENVELOPE: "open",
    Method.TWO_STAGE: "open",
    Method.REQUEST_FOR_QUOTATIONS: "limited",
    Method.DIRECT_CONTRACTING: "direct",
    Method.TWO_STAGE_ONE_ENVELOPE: "open",
    Method.TWO_STAGE_TWO_ENVELOPE: "open",
}
METHOD_DETAILS = {
    Method.SINGLE_STAGE_ONE_ENVELOPE: "Single stage, one envelope",
    Method.SINGLE_STAGE_TWO_ENVELOPE: "Single stage, two envelopes",
    Method.TWO_STAGE: "Two stage",
    Method.REQUEST_FOR_QUOTATIONS: "Request for quotations",
    Method.DIRECT_CONTRACTING: "Direct contracting",
    Method.TWO_STAGE_ONE_ENVELOPE: "Two stage, stage one: unpriced technical proposals",
    Method.TWO_STAGE_TWO_ENVELOPE: (
        "Two stage two envelope, stage one: unpriced technical proposals"
    ),
}
STAGE_TWO_DETAILS = {
    Method.SINGLE_STAGE_ONE_ENVELOPE: "Two stage, stage two: priced bids from the qualified",
    Method.SINGLE_STAGE_TWO_ENVELOPE: (
        "Two stage two envelope, stage two: technical and financial envelopes from the qualified"
    ),
}
"""A stage two's method, in words: the single-stage method of its envelopes, following its
stage one (``related``, ``prior``)."""
AWARD_CRITERIA = {
    EvaluationMethod.LEAST_COST: "priceOnly",
    EvaluationMethod.QCBS: "ratedCriteria",
    EvaluationMethod.RFQ: "priceOnly",
    EvaluationMethod.DIRECT: "singleBidOnly",
    EvaluationMethod.QUALIFICATION: "qualityOnly",
}

State = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """What a release needs besides the event: the ocid prefix and the public address."""

    ocid_prefix: str
    public_url: str

    def ocid(self, tender_id: UUID) -> str:
        return f"{self.ocid_prefix}-{tender_id}"


def release(state: State, tag: str, event_id: str, date: datetime) -> dict[str, Any]:
    """The immutable release of one event: the state as of it, without bookkeeping."""
    public = {k: copy.deepcopy(v) for k, v in state.items() if not k.startswith("_")}
    return _release(public, tag, event_id, date)


def release_text(state: State, tag: str, event_id: str, date: datetime) -> str:
    """The release's JSON text as stored and served: ``release`` written out at once, so
    without copying the state first."""
    public = {k: v for k, v in state.items() if not k.startswith("_")}
    return json.dumps(
        _release(public, tag, event_id, date), ensure_ascii=False, separators=(",", ":")
    )


def _release(public: dict[str, Any], tag: str, event_id: str, date: datetime) -> dict[str, Any]:
    return {
        "ocid": public.pop("ocid"),
        "id": event_id,
        "date": _time(date),
        "tag": [tag],
        "initiationType": "tender",
        "language": "en",
        **public,
    }


def release_package(
    releases: list[dict[str, Any]], uri: str, published: datetime | None
) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": "1.1",
        "extensions": list(EXTENSIONS),
        "publisher": {"name": PUBLISHER},
        "publishedDate": _time(published) if published else None,
        "releases": releases,
    }


# Helpers ---------------------------------------------------------------------------------


def entity_name(slug: str) -> str:
    """A procuring entity's display name from its slug (``health-department``)."""
    return " ".join(word.capitalize() for word in slug.replace("_", "-").split("-") if word)


def _award(state: State | None, award_id: UUID) -> dict[str, Any] | None:
    if state is None:
        return None
    for award in state.get("awards", []):
        if award["id"] == str(award_id):
            found: dict[str, Any] = award
            return found
    return None


def _contract(state: State, award: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The award's contract, and whether it is new: added ``pending`` (awaiting signature)
    when the process has none yet."""
    contract_id = f"contract-{award['id']}"
    contracts = state.setdefault("contracts", [])
    for contract in contracts:
        if contract["id"] == contract_id:
            found: dict[str, Any] = contract
            return found, False
    contract = {
        "id": contract_id,
        "awardID": award["id"],
        "title": f"Contract with {award['suppliers'][0]['name']}",
        "status": "pending",
    }
    contracts.append(contract)
    return contract, True


def _party(state: State, party_id: str, name: str, role: str) -> None:
    for party in state["parties"]:
        if party["id"] == party_id:
            if role not in party["roles"]:
                party["roles"].append(role)
            return
    state["parties"].append({"id": party_id, "name": name, "roles": [role]})


def _criteria_text(notice: TenderTerms) -> str:
    terms = notice.evaluation_terms
    if terms.method is EvaluationMethod.QCBS:
        criteria = "; ".join(f"{c.name} ({c.max_score})" for c in terms.criteria)
        return (
            f"Quality and cost based selection: {criteria}; pass mark {terms.pass_mark}%; "
            f"weights {terms.technical_weight}% technical, {terms.financial_weight}% "
            f"financial; ties: {terms.tie_break.value.replace('_', ' ')}."
        )
    text = (
        f"{terms.method.value.replace('_', ' ').capitalize()}: the lowest evaluated "
        f"responsive bid; ties: {terms.tie_break.value.replace('_', ' ')}."
    )
    if notice.bundle_discounts:  # docs/lots.md#bundle-discounts
        text += (
            " Lot-bundle discounts allowed: each lot goes to its bid in the cheapest "
            "combination of the lots' bids, a bundle's discount counting only when its bid "
            "is given every lot of the bundle."
        )
    return text


def document_digest(document: BaseModel) -> str:
    """SHA-256 of a published document's canonical JSON (keys sorted, no whitespace, UTF-8):
    the value as recorded in its event, so anyone can recompute it from the audit export."""
    canonical = json.dumps(
        document.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _digest_note(document: BaseModel) -> str:
    return f"SHA-256 of the document's canonical JSON: {document_digest(document)}"


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _value(money: Money) -> dict[str, Any]:
    return {"amount": _number(money.amount), "currency": money.currency}


def _total(prices: Any) -> dict[str, Any]:
    amounts = [p.price for p in prices]
    total = sum((m.amount for m in amounts), Decimal(0))
    return {"amount": _number(total), "currency": amounts[0].currency}


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
