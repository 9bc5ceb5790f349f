"""Each public event's change to an OCDS contracting process: ``apply`` (a ``singledispatch``
function, one handler per event type) updates the process's state in place and returns the
release tag, or None for an event the public does not see. Pure: no I/O. The releases built
from the state are in ``release_builder.py``."""

from __future__ import annotations

from datetime import timedelta
from functools import singledispatch
from typing import Any

from domain.award import Award
from domain.documents import DocumentKind
from domain.evaluation import Evaluation
from domain.framework import FrameworkCallOffs
from domain.grievance import ComplaintStage, GrievanceStatus, TenderComplaints
from domain.opening import OpenedStatus
from domain.public_status import PublicTenderStatus
from domain.rules import DIRECT_CONTRACTING_CASES
from domain.securities import TenderSecurities
from domain.tender import Tender
from domain.values import RelatedProcess, Relationship, TenderTerms
from projections.ocds import documents, frameworks, securities
from projections.ocds.release_builder import (
    AWARD_CRITERIA,
    METHOD_DETAILS,
    OCDS_METHOD,
    STAGE_TWO_DETAILS,
    Context,
    State,
    _award,
    _contract,
    _criteria_text,
    _digest_note,
    _number,
    _party,
    _time,
    _total,
    _value,
    entity_name,
)

PRIVATE_ONLY: tuple[type[Any], ...] = (Tender.QuestionAsked, TenderComplaints.Opened)
"""Events that change a process's state (its ``_private`` bookkeeping) without a release:
the state is stored all the same, or the answer would find no question (and a complaint no
due date)."""


@singledispatch
def apply(event: Any, state: State | None, context: Context) -> str | None:
    """Update ``state`` (in place) for a public event and return the release tag; None for an
    event the public does not see."""
    return None


def _planning(notice: TenderTerms) -> dict[str, Any]:
    """The annual plan's line the tender cites as its budget; or why it was not planned."""
    cited = notice.plan_line
    if cited is not None:
        budget: dict[str, Any] = {
            "id": cited.line_id,
            "project": f"Annual procurement plan {cited.fiscal_year}",
        }
        if cited.description:
            budget["description"] = cited.description
        if cited.estimated_value is not None:
            budget["amount"] = _value(cited.estimated_value)
        return {"budget": budget}
    if notice.unplanned_reason:
        return {"rationale": f"Not in the annual procurement plan: {notice.unplanned_reason}"}
    return {}


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
                "procurementMethod": "selective"
                if notice.invited_vendors
                else OCDS_METHOD[notice.method],
                "procurementMethodDetails": _method_details(notice),
                **_rationale(notice),
                **frameworks.framework_tender(notice.framework, _method_details(notice)),
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
                **_milestones(notice),
            },
        }
    )
    planning = _planning(notice)
    if planning:
        state["planning"] = planning
    if notice.related is not None:
        state["relatedProcesses"] = [_related(notice.related, context)]
    if event.documents.items:
        versions: documents.Versions = {}
        state["tender"]["documents"] += documents.published(
            event.documents, published, public_url=context.public_url, versions=versions
        )
        state["_private"] = {"documents": versions}
    return "tender"


def _method_details(notice: TenderTerms) -> str:
    related = notice.related
    if related is not None and related.relationship is Relationship.PRIOR:
        return STAGE_TWO_DETAILS.get(notice.method, METHOD_DETAILS[notice.method])
    return METHOD_DETAILS[notice.method]


def _related(related: RelatedProcess, context: Context) -> dict[str, Any]:
    """The process this tender follows (stage one of stage two, a call-off's framework),
    by its ocid."""
    return {
        "id": "1",
        "relationship": [related.relationship.value],
        "scheme": "ocid",
        "identifier": context.ocid(related.tender_id),
    }


def _rationale(notice: TenderTerms) -> dict[str, str]:
    """A direct-contracting notice's justification: the rules' case, in their words, and the
    officer's explanation."""
    given = notice.direct_contracting
    if given is None:
        return {}
    case = DIRECT_CONTRACTING_CASES[given.case]
    return {
        "procurementMethodDetails": f"{METHOD_DETAILS[notice.method]}: {case}",
        "procurementMethodRationale": f"{case} ({given.case.value}). {given.explanation}",
    }


PRE_BID_MEETING = "pre-bid-meeting"
"""The pre-bid meeting's milestone id."""


def _milestones(notice: TenderTerms) -> dict[str, list[dict[str, Any]]]:
    """The notice's pre-bid meeting, as an engagement milestone (the codelist's "public
    hearing" kind) of the tender."""
    meeting = notice.pre_bid_meeting
    if meeting is None:
        return {}
    where = "; ".join(part for part in (meeting.place, meeting.link) if part)
    return {
        "milestones": [
            {
                "id": PRE_BID_MEETING,
                "title": "Pre-bid meeting",
                "type": "engagement",
                "description": f"Bidders are invited to the pre-bid meeting: {where}",
                "dueDate": _time(meeting.at),
                "status": "scheduled",
            }
        ]
    }


def _language_variants(notice: TenderTerms) -> dict[str, str]:
    """The notice's Urdu and Sindhi texts as OCDS language variants: the field's name, an
    underscore and the language's BCP 47 tag (``title_ur``, ``description_sd``)."""
    variants: dict[str, str] = {}
    for language, text in sorted(notice.translations.items()):
        variants[f"title_{language}"] = text.title
        variants[f"description_{language}"] = text.description or text.title
    return variants


@apply.register
def _direct_order(
    event: FrameworkCallOffs.DirectOrderPlaced, state: State | None, context: Context
) -> str | None:
    if state is None:  # pragma: no cover (the projection always passes a fresh state)
        return None
    return frameworks.direct_order(event, state, context)


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
    if event.documents.items:  # the description says which documents changed, and how
        versions = state.setdefault("_private", {}).setdefault("documents", {})
        said = documents.amended(
            tender["documents"],
            event.documents,
            event.number,
            amendment["date"],
            public_url=context.public_url,
            versions=versions,
        )
        amendment["description"] = f"{event.text}\n\n{said}"
        _minutes_met(tender, event)
    tender["amendments"].append(amendment)
    return "tenderAmendment"


def _minutes_met(tender: dict[str, Any], event: Tender.TenderAmended) -> None:
    """An amendment that adds the pre-bid meeting's minutes marks its milestone met, on the
    day of the meeting."""
    if not any(change.kind is DocumentKind.PRE_BID_MINUTES for change in event.documents.items):
        return
    for milestone in tender.get("milestones", ()):
        if milestone["id"] == PRE_BID_MEETING:
            milestone["status"] = "met"
            milestone["dateMet"] = milestone["dueDate"]


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
    """The tender's status and its lots' (one process: every lot goes the tender's way),
    except a lot cancelled alone, which stays cancelled."""
    tender["status"] = status
    for lot in tender.get("lots", ()):
        if lot["status"] != "cancelled":
            lot["status"] = status


@apply.register
def _lot_cancelled(event: Tender.LotCancelled, state: State | None, context: Context) -> str | None:
    """One lot cancelled alone (docs/lots.md): its status, the published reason as a
    cancellation document of that lot, and the tender's status once no lot is active."""
    if state is None:  # pragma: no cover (only a published tender's lot is cancelled)
        return None
    tender = state["tender"]
    for lot in tender.get("lots", ()):
        if lot["id"] == event.lot_id:
            lot["status"] = "cancelled"
    tender["documents"].append(
        {
            "id": f"lot-cancellation-{event.lot_id}",
            "documentType": "cancellationDetails",
            "title": f"Cancellation of lot {event.lot_id}",
            "description": event.reason,
            "datePublished": _time(event.timestamp),
            "language": "en",
            "relatedLots": [event.lot_id],
        }
    )
    _lots_decided(tender)
    return "tenderUpdate"


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
def _stage_two_issued(
    event: Tender.StageTwoIssued, state: State | None, context: Context
) -> str | None:
    """Stage one is complete: its stage two (its own process, whose relatedProcesses name
    this one as prior) invites the qualified."""
    if state is None:  # pragma: no cover (stage one is published)
        return None
    tender = state["tender"]
    _set_status(tender, "complete")
    tender["documents"].append(
        {
            "id": "stage-two",
            "documentType": "tenderNotice",
            "title": "Stage two: the invitation to the qualified bidders",
            "description": f"Stage two is {context.ocid(event.stage_two_id)}",
            "url": f"{context.public_url}/public/tenders/{event.stage_two_id}",
            "datePublished": _time(event.timestamp),
            "language": "en",
        }
    )
    return "tenderUpdate"


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
        detail["status"] = "valid" if entry.ranked else "disqualified"
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
    # The report's public status, not ``unsuccessful``: stage one's qualification report
    # recommends no bid, and is unsuccessful only when it qualifies nobody.
    if report.public_status is PublicTenderStatus.UNSUCCESSFUL:
        _set_status(tender, "unsuccessful")
    elif tender.get("status") == "unsuccessful":  # a later report ranks a bid again
        _set_status(tender, "active")
    lots = {lot["id"]: lot for lot in tender.get("lots", ())}
    for result in report.lots:  # awarded by lot: a lot no responsive bid priced
        lot = lots.get(result.lot_id)
        if lot is None:  # not in the notice's lots as recorded: nothing to mark
            continue
        if result.recommended_bid is None:
            lot["status"] = "unsuccessful"
        elif lot.get("status") == "unsuccessful":  # an earlier report left it without a bid
            lot["status"] = "active"
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
        | ({"relatedLots": [event.lot_id]} if event.lot_id is not None else {})
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
    if award is None or state is None:
        return None
    for document in award["documents"]:
        if document["id"] == f"complaint-{event.complaint_id}":
            outcome = "Upheld" if event.upheld else "Dismissed"
            remedy = f" ({str(event.remedy).replace('_', ' ')})" if event.remedy else ""
            document["description"] = f"{outcome}{remedy}: {event.reasons}"
            document["dateModified"] = _time(event.timestamp)
    if event.upheld:
        award["status"] = "cancelled"
        securities.cancel_pending_contract(state, award["id"])
        return "awardCancellation"
    return "awardUpdate"


@apply.register
def _award_cancelled(
    event: Award.AwardCancelled, state: State | None, context: Context
) -> str | None:
    award = _award(state, event.originator_id)
    if award is None or state is None:
        return None
    award["status"] = "cancelled"
    award["description"] = f"Cancelled: {event.reason}"
    securities.cancel_pending_contract(state, award["id"])
    return "awardCancellation"


@apply.register
def _contracted(event: Award.ContractSigned, state: State | None, context: Context) -> str | None:
    award = _award(state, event.originator_id)
    if award is None or state is None:
        return None
    award["status"] = "active"
    contract, created = _contract(state, award)  # not new: pending with its security
    contract.update(
        {
            "status": "active",
            "dateSigned": _time(event.timestamp),
            "value": _value(event.value),
            "period": {
                "startDate": _time(event.period.start),
                "endDate": _time(event.period.end),
            },
        }
    )
    _contract_complete(state["tender"], award.get("relatedLots"))
    return "contract" if created else "contractUpdate"


def _contract_complete(tender: dict[str, Any], lots: list[str] | None) -> None:
    """A whole-tender contract completes the process; a lot's contract completes its lot,
    and the process once no lot is still active (docs/lots.md)."""
    if lots is None:
        _set_status(tender, "complete")
        return
    for lot in tender.get("lots", ()):
        if lot["id"] in lots:
            lot["status"] = "complete"
    _lots_decided(tender)


def _lots_decided(tender: dict[str, Any]) -> None:
    """Once no lot is still active, the process is complete if a lot is (contracted), and
    unsuccessful if every lot was cancelled alone or found no responsive bid."""
    statuses = [lot["status"] for lot in tender.get("lots", ())]
    if not statuses or "active" in statuses:
        return
    tender["status"] = "complete" if "complete" in statuses else "unsuccessful"


# Complaints (the platform's complaints extension, docs/open-data.md) ------------------------


def _complaints_tag(complaint: dict[str, Any]) -> str:
    """A complaint about the award updates the award; the others the tender."""
    return "awardUpdate" if complaint.get("relatedAward") else "tenderUpdate"


def _complaint(state: State | None, complaint_id: Any) -> dict[str, Any] | None:
    if state is None:
        return None
    for complaint in state["tender"].get("complaints", []):
        if complaint["id"] == str(complaint_id):
            found: dict[str, Any] = complaint
            return found
    return None


def _decision(event: Any, decided_by: str) -> dict[str, Any]:
    return {
        "date": _time(event.timestamp),
        "decidedBy": decided_by,
        "outcome": "upheld" if event.upheld else "dismissed",
        **({"remedy": str(event.remedy)} if event.remedy is not None else {}),
        "rationale": event.reasons,
    }


@apply.register
def _complaint_lodged(
    event: TenderComplaints.ComplaintLodged, state: State | None, context: Context
) -> str | None:
    if state is None:
        return None
    private = state.setdefault("_private", {}).setdefault("complaints", {})
    decision_period = private.get("decision_period_seconds")
    lodged = event.timestamp
    complaint: dict[str, Any] = {
        "id": str(event.complaint_id),
        "stage": str(ComplaintStage(event.stage)),
        "status": GrievanceStatus.PENDING.value,
        "dateSubmitted": _time(lodged),
    }
    if decision_period is not None:
        complaint["decisionDueDate"] = _time(lodged + timedelta(seconds=decision_period))
    if event.award_id is not None:
        complaint["relatedAward"] = str(event.award_id)
    complaint["overdue"] = False
    state["tender"].setdefault("complaints", []).append(complaint)
    return _complaints_tag(complaint)


@apply.register
def _complaints_opened(
    event: TenderComplaints.Opened, state: State | None, context: Context
) -> None:
    # No release: the periods a complaint's due dates are computed with (``PRIVATE_ONLY``).
    if state is not None:
        state.setdefault("_private", {})["complaints"] = {
            "decision_period_seconds": event.rules.decision_period.total_seconds(),
            "appeal_decision_period_seconds": event.rules.appeal_decision_period.total_seconds(),
        }


@apply.register
def _complaint_decided(
    event: TenderComplaints.ComplaintDecided, state: State | None, context: Context
) -> str | None:
    complaint = _complaint(state, event.complaint_id)
    if state is None or complaint is None:
        return None
    complaint["status"] = (
        GrievanceStatus.UPHELD if event.upheld else GrievanceStatus.DISMISSED
    ).value
    complaint["decision"] = _decision(event, "grievanceCommittee")
    return _complaints_tag(complaint)


@apply.register
def _complaint_overdue(
    event: TenderComplaints.ComplaintOverdue, state: State | None, context: Context
) -> str | None:
    complaint = _complaint(state, event.complaint_id)
    if state is None or complaint is None:
        return None
    complaint["status"] = GrievanceStatus.OVERDUE.value
    complaint["overdue"] = True
    return _complaints_tag(complaint)


@apply.register
def _appeal_lodged(
    event: TenderComplaints.AppealLodged, state: State | None, context: Context
) -> str | None:
    complaint = _complaint(state, event.complaint_id)
    if state is None or complaint is None:
        return None
    period = state.get("_private", {}).get("complaints", {}).get("appeal_decision_period_seconds")
    complaint["status"] = GrievanceStatus.APPEALED.value
    appeal: dict[str, Any] = {"dateSubmitted": _time(event.timestamp)}
    if period is not None:
        appeal["decisionDueDate"] = _time(event.timestamp + timedelta(seconds=period))
    appeal["overdue"] = False
    complaint["appeal"] = appeal
    return _complaints_tag(complaint)


@apply.register
def _appeal_decided(
    event: TenderComplaints.AppealDecided, state: State | None, context: Context
) -> str | None:
    complaint = _complaint(state, event.complaint_id)
    if state is None or complaint is None or "appeal" not in complaint:
        return None
    status = GrievanceStatus.APPEAL_UPHELD if event.upheld else GrievanceStatus.APPEAL_DISMISSED
    complaint["status"] = status.value
    complaint["appeal"]["decision"] = _decision(event, "regulator")
    return _complaints_tag(complaint)


@apply.register
def _appeal_overdue(
    event: TenderComplaints.AppealOverdue, state: State | None, context: Context
) -> str | None:
    complaint = _complaint(state, event.complaint_id)
    if state is None or complaint is None or "appeal" not in complaint:
        return None
    complaint["status"] = GrievanceStatus.APPEAL_OVERDUE.value
    complaint["appeal"]["overdue"] = True
    return _complaints_tag(complaint)


# Securities (projections/ocds/securities.py, docs/securities.md) ------------------------------


@apply.register
def _bid_security_recorded(
    event: TenderSecurities.BidSecurityRecorded, state: State | None, context: Context
) -> str | None:
    if state is None:  # pragma: no cover (a securities file follows the opening)
        return None
    securities.bid_security_recorded(state, event.vendor_id, event.instrument, event.timestamp)
    return "tenderUpdate"


@apply.register
def _bid_security_released(
    event: TenderSecurities.BidSecurityReleased, state: State | None, context: Context
) -> str | None:
    said = f"Released on {_time(event.timestamp)}."
    return _bid_security_changed(state, event.vendor_id, said, event)


@apply.register
def _bid_security_forfeited(
    event: TenderSecurities.BidSecurityForfeited, state: State | None, context: Context
) -> str | None:
    said = f"Forfeited on {_time(event.timestamp)} ({event.reason}): {event.text}"
    return _bid_security_changed(state, event.vendor_id, said, event)


@apply.register
def _releases_overdue(
    event: TenderSecurities.ReleasesOverdue, state: State | None, context: Context
) -> str | None:
    said = f"Not released within the rules' period: overdue on {_time(event.timestamp)}."
    tags = [_bid_security_changed(state, vendor_id, said, event) for vendor_id in event.vendors]
    return "tenderUpdate" if "tenderUpdate" in tags else None


def _bid_security_changed(state: State | None, vendor_id: Any, said: str, event: Any) -> str | None:
    if state is None:  # pragma: no cover (a securities file follows the opening)
        return None
    changed = securities.bid_security_changed(state, vendor_id, said, event.timestamp)
    return "tenderUpdate" if changed else None


@apply.register
def _performance_security(
    event: TenderSecurities.PerformanceSecurityRecorded, state: State | None, context: Context
) -> str | None:
    award = _award(state, event.award_id)
    if state is None or award is None:  # pragma: no cover (recorded for an award made)
        return None
    created = securities.performance_security(state, award, event.instrument)
    return "contract" if created else "contractUpdate"
