"""OCDS 1.1.5 releases from the platform's events: pure functions, no I/O.

Each contracting process (one tender: ``ocid = <prefix>-<tender id>``) keeps a state, the
OCDS document as of its latest public event. Every public event updates it and yields one
immutable release: the state as of that event, with the event's tag and time. Events that are
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
from functools import singledispatch
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from domain.award import Award
from domain.evaluation import Evaluation
from domain.opening import OpenedStatus
from domain.tender import Tender
from domain.values import EvaluationMethod, Method, Money, TenderTerms

PUBLISHER = "Government of Sindh, Sindh e-procurement platform"
EXTENSIONS = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
)
OCDS_METHOD = {
    Method.SINGLE_STAGE_ONE_ENVELOPE: "open",
    Method.SINGLE_STAGE_TWO_ENVELOPE: "open",
    Method.TWO_STAGE: "open",
    Method.REQUEST_FOR_QUOTATIONS: "limited",
    Method.DIRECT_CONTRACTING: "direct",
}
METHOD_DETAILS = {
    Method.SINGLE_STAGE_ONE_ENVELOPE: "Single stage, one envelope",
    Method.SINGLE_STAGE_TWO_ENVELOPE: "Single stage, two envelopes",
    Method.TWO_STAGE: "Two stage",
    Method.REQUEST_FOR_QUOTATIONS: "Request for quotations",
    Method.DIRECT_CONTRACTING: "Direct contracting",
}
AWARD_CRITERIA = {
    EvaluationMethod.LEAST_COST: "priceOnly",
    EvaluationMethod.QCBS: "ratedCriteria",
    EvaluationMethod.RFQ: "priceOnly",
    EvaluationMethod.DIRECT: "singleBidOnly",
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


# Events ----------------------------------------------------------------------------------


PRIVATE_ONLY: tuple[type[Any], ...] = (Tender.QuestionAsked,)
"""Events that change a process's state (its ``_private`` bookkeeping) without a release:
the state is stored all the same, or the answer would find no question."""


@singledispatch
def apply(event: Any, state: State | None, context: Context) -> str | None:
    """Update ``state`` (in place) for a public event and return the release tag; None for an
    event the public does not see."""
    return None


@apply.register
def _published(event: Tender.TenderPublished, state: State | None, context: Context) -> str:
    if state is None:  # pragma: no cover (the projection always passes a fresh state)
        msg = "a state is needed"
        raise ValueError(msg)
    notice: TenderTerms = event.notice
    entity = event.actor.entity or ""
    published = _time(event.timestamp)
    tender_url = f"{context.public_url}/public/tenders/{event.originator_id}"
    evaluation = notice.evaluation_terms
    state.update(
        {
            "ocid": context.ocid(event.originator_id),
            "parties": [
                {
                    "id": entity,
                    "name": entity_name(entity),
                    "roles": ["buyer", "procuringEntity"],
                }
            ],
            "buyer": {"id": entity, "name": entity_name(entity)},
            "tender": {
                "id": str(event.originator_id),
                "title": notice.title,
                "description": notice.description or notice.title,
                **_language_variants(notice),
                "status": "active",
                "procuringEntity": {"id": entity, "name": entity_name(entity)},
                "items": [
                    {
                        "id": item.id,
                        "description": item.description,
                        "quantity": _number(item.quantity),
                        "unit": {"name": item.unit},
                        "relatedLot": lot.id,
                    }
                    for lot in notice.lots
                    for item in lot.items
                ],
                "lots": [
                    {"id": lot.id, "title": lot.title, "status": "active"}
                    | ({"value": _value(lot.estimated_value)} if lot.estimated_value else {})
                    for lot in notice.lots
                ],
                "value": _value(notice.estimated_value),
                "procurementMethod": OCDS_METHOD[notice.method],
                "procurementMethodDetails": METHOD_DETAILS[notice.method],
                "mainProcurementCategory": notice.category.value,
                "awardCriteria": AWARD_CRITERIA[evaluation.method],
                "awardCriteriaDetails": _criteria_text(notice),
                "submissionMethod": ["electronicSubmission"],
                "submissionMethodDetails": "Sealed online bids (HPKE, RFC 9180)",
                "datePublished": published,
                "tenderPeriod": {
                    "startDate": published,
                    "endDate": _time(notice.timeline.submission_deadline),
                },
                "enquiryPeriod": {
                    "startDate": published,
                    "endDate": _time(notice.timeline.clarification_deadline),
                },
                "awardPeriod": {"startDate": _time(notice.timeline.opening_time)},
                "hasEnquiries": False,
                "documents": [
                    {
                        "id": "notice",
                        "documentType": "tenderNotice",
                        "title": "Notice inviting tenders",
                        "description": _digest_note(notice),
                        "url": tender_url,
                        "format": "application/json",
                        "datePublished": published,
                        "language": "en",
                    }
                ],
                "amendments": [],
            },
        }
    )
    return "tender"


def _language_variants(notice: TenderTerms) -> dict[str, str]:
    """The notice's Urdu and Sindhi texts as OCDS language variants: the field's name, an
    underscore and the language's BCP 47 tag (``title_ur``, ``description_sd``)."""
    variants: dict[str, str] = {}
    for language, text in sorted(notice.translations.items()):
        variants[f"title_{language}"] = text.title
        variants[f"description_{language}"] = text.description or text.title
    return variants


@apply.register
def _amended(event: Tender.TenderAmended, state: State | None, context: Context) -> str | None:
    if state is None:
        return None
    tender = state["tender"]
    amendment: dict[str, Any] = {
        "id": str(event.number),
        "date": _time(event.timestamp),
        "description": event.text,
    }
    timeline = event.timeline
    if timeline is not None:
        tender["tenderPeriod"]["endDate"] = _time(timeline.submission_deadline)
        tender["enquiryPeriod"]["endDate"] = _time(timeline.clarification_deadline)
        tender["awardPeriod"]["startDate"] = _time(timeline.opening_time)
        amendment["rationale"] = "The addendum moves the timeline."
    tender["amendments"].append(amendment)
    return "tenderAmendment"


@apply.register
def _asked(event: Tender.QuestionAsked, state: State | None, context: Context) -> None:
    # No release, but a state to keep (``PRIVATE_ONLY``): the question's text, for its answer.
    if state is not None:  # kept aside: a question is public only once answered
        state.setdefault("_private", {}).setdefault("questions", {})[str(event.question_id)] = (
            event.text
        )


@apply.register
def _answered(event: Tender.QuestionAnswered, state: State | None, context: Context) -> str | None:
    if state is None:
        return None
    question = state.get("_private", {}).get("questions", {}).pop(str(event.question_id), "")
    tender = state["tender"]
    tender["hasEnquiries"] = True
    tender["documents"].append(
        {
            "id": f"clarification-{event.question_id}",
            "documentType": "clarifications",
            "title": question[:300] or "Clarification",
            "description": event.answer,
            "datePublished": _time(event.timestamp),
            "language": "en",
        }
    )
    return "tenderUpdate"


@apply.register
def _closed(event: Tender.BiddingClosed, state: State | None, context: Context) -> str | None:
    return None if state is None else "tenderUpdate"


@apply.register
def _opened(event: Tender.BidsOpened, state: State | None, context: Context) -> str | None:
    if state is None:
        return None
    submitted = [b for b in event.record.bids if b.status != OpenedStatus.WITHDRAWN]
    one_envelope = event.record.envelope == "bid"
    tender = state["tender"]
    tender["tenderers"] = [{"id": str(b.vendor_id), "name": b.vendor_name} for b in submitted]
    tender["numberOfTenderers"] = len(submitted)
    for bid in submitted:
        _party(state, str(bid.vendor_id), bid.vendor_name, "tenderer")
    details = []
    for bid in event.record.bids:
        detail: dict[str, Any] = {
            "id": str(bid.bid_id),
            "date": _time(bid.received_at),
            "status": {"opened": "pending", "withdrawn": "withdrawn"}.get(
                str(bid.status), "disqualified"
            ),
            "tenderers": [{"id": str(bid.vendor_id), "name": bid.vendor_name}],
        }
        if one_envelope and bid.status == OpenedStatus.OPENED and bid.prices:
            detail["value"] = _total(bid.prices)
        details.append(detail)
    state["bids"] = {
        "statistics": [{"id": "bids", "measure": "bids", "value": len(submitted)}],
        "details": details,
    }
    tender["documents"].append(
        {
            "id": "opening-record",
            "documentType": "bidders",
            "title": "Record of the public opening",
            "description": _digest_note(event.record),
            "url": f"{context.public_url}/public/tenders/{event.originator_id}",
            "format": "application/json",
            "datePublished": _time(event.timestamp),
            "language": "en",
        }
    )
    return "tenderUpdate"


def _set_status(tender: dict[str, Any], status: str) -> None:
    """The tender's status and its lots' (one process: every lot goes the tender's way)."""
    tender["status"] = status
    for lot in tender.get("lots", ()):
        lot["status"] = status


@apply.register
def _cancelled(event: Tender.TenderCancelled, state: State | None, context: Context) -> str | None:
    if state is None:  # a draft cancelled before publication was never public
        return None
    tender = state["tender"]
    _set_status(tender, "cancelled")
    tender["documents"].append(
        {
            "id": "cancellation",
            "documentType": "cancellationDetails",
            "title": "Cancellation of the tender",
            "description": event.reason,
            "datePublished": _time(event.timestamp),
            "language": "en",
        }
    )
    return "tenderCancellation"


@apply.register
def _financial(
    event: Evaluation.FinancialEnvelopesOpened, state: State | None, context: Context
) -> str | None:
    if state is None or "bids" not in state:
        return None
    details = {d["id"]: d for d in state["bids"]["details"]}
    for bid in event.bids:
        if bid.prices and not bid.problem:
            details[str(bid.bid_id)]["value"] = _total(bid.prices)
    return "tenderUpdate"


@apply.register
def _finalised(
    event: Evaluation.EvaluationFinalised, state: State | None, context: Context
) -> str | None:
    if state is None or "bids" not in state:
        return None
    report = event.report
    details = {d["id"]: d for d in state["bids"]["details"]}
    for entry in report.entries:
        detail = details.get(str(entry.bid_id))
        if detail is None or detail["status"] == "withdrawn":
            continue
        detail["status"] = "valid" if entry.rank is not None else "disqualified"
    statuses = [d["status"] for d in state["bids"]["details"]]
    state["bids"]["statistics"] = [
        s for s in state["bids"]["statistics"] if s["id"] not in {"valid", "disqualified"}
    ] + [
        {"id": "valid", "measure": "validBids", "value": statuses.count("valid")},
        {
            "id": "disqualified",
            "measure": "disqualifiedBids",
            "value": statuses.count("disqualified"),
        },
    ]
    tender = state["tender"]
    tender["documents"].append(
        {
            "id": f"evaluation-report-{report.number}",
            "documentType": "evaluationReports",
            "title": f"Evaluation report {report.number}",
            "description": _digest_note(report),
            "url": f"{context.public_url}/public/tenders/{state['tender']['id']}",
            "format": "application/json",
            "datePublished": _time(event.timestamp),
            "language": "en",
        }
    )
    if report.unsuccessful:
        _set_status(tender, "unsuccessful")
    return "tenderUpdate"


@apply.register
def _reopened(
    event: Evaluation.EvaluationReopened, state: State | None, context: Context
) -> str | None:
    if state is None:
        return None
    _set_status(state["tender"], "active")
    return "tenderUpdate"


@apply.register
def _made(event: Award.AwardMade, state: State | None, context: Context) -> str | None:
    if state is None:
        return None
    supplier = {"id": str(event.vendor_id), "name": event.vendor_name}
    _party(state, supplier["id"], supplier["name"], "supplier")
    state.setdefault("awards", []).append(
        {
            "id": str(event.originator_id),
            "title": f"Award on evaluation report {event.report_number}",
            "description": event.reason or "The best-ranked responsive bid.",
            "status": "pending",
            "date": _time(event.timestamp),
            "value": _value(event.value),
            "suppliers": [supplier],
            "documents": [],
        }
    )
    tender = state["tender"]
    tender["standstillPeriod"] = {
        "startDate": _time(event.timestamp),
        "endDate": _time(event.standstill_ends),
    }
    tender["awardPeriod"]["endDate"] = _time(event.timestamp)
    return "award"


@apply.register
def _lodged(event: Award.ComplaintLodged, state: State | None, context: Context) -> str | None:
    award = _award(state, event.originator_id)
    if award is None:
        return None
    award["documents"].append(
        {
            "id": f"complaint-{event.complaint_id}",
            "documentType": "complaints",
            "title": "Complaint lodged by a bidder",
            "datePublished": _time(event.timestamp),
            "language": "en",
        }
    )
    return "awardUpdate"


@apply.register
def _decided(event: Award.ComplaintDecided, state: State | None, context: Context) -> str | None:
    award = _award(state, event.originator_id)
    if award is None:
        return None
    for document in award["documents"]:
        if document["id"] == f"complaint-{event.complaint_id}":
            outcome = "Upheld" if event.upheld else "Dismissed"
            remedy = f" ({str(event.remedy).replace('_', ' ')})" if event.remedy else ""
            document["description"] = f"{outcome}{remedy}: {event.reasons}"
            document["dateModified"] = _time(event.timestamp)
    if event.upheld:
        award["status"] = "cancelled"
        return "awardCancellation"
    return "awardUpdate"


@apply.register
def _award_cancelled(
    event: Award.AwardCancelled, state: State | None, context: Context
) -> str | None:
    award = _award(state, event.originator_id)
    if award is None:
        return None
    award["status"] = "cancelled"
    award["description"] = f"Cancelled: {event.reason}"
    return "awardCancellation"


@apply.register
def _contracted(event: Award.ContractSigned, state: State | None, context: Context) -> str | None:
    award = _award(state, event.originator_id)
    if award is None or state is None:
        return None
    award["status"] = "active"
    state.setdefault("contracts", []).append(
        {
            "id": f"contract-{event.originator_id}",
            "awardID": award["id"],
            "title": f"Contract with {award['suppliers'][0]['name']}",
            "status": "active",
            "dateSigned": _time(event.timestamp),
            "value": _value(event.value),
            "period": {
                "startDate": _time(event.period.start),
                "endDate": _time(event.period.end),
            },
        }
    )
    _set_status(state["tender"], "complete")
    return "contract"


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
    return (
        f"{terms.method.value.replace('_', ' ').capitalize()}: the lowest evaluated "
        f"responsive bid; ties: {terms.tie_break.value.replace('_', ' ')}."
    )


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
