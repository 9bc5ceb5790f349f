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

from domain.award import AwardStatus, Remedy
from domain.debarment import CaseStatus
from domain.documents import DocumentKind
from domain.grievance import ComplaintStage, GrievanceStatus
from domain.public_status import PublicTenderStatus
from domain.rules import DIRECT_CONTRACTING_CASES
from domain.securities import ForfeitReason, SecurityState, Standing
from domain.tender import TenderStatus
from domain.values import DirectContractingCase

LOCALES = Path(__file__).resolve().parent / "locales"

# Words the pages translate from data (statuses, methods, roles, kinds): ``t(tender.status)``.
DYNAMIC_MESSAGES = frozenset(
    {
        # tender statuses: a draft (its officers see it), then the public's
        TenderStatus.DRAFT.value,
        *(status.value for status in PublicTenderStatus),
        # an annual plan's status and its amendments' kinds
        "published",
        "add",
        "change",
        "withdraw",
        # categories, methods and scopes
        "goods",
        "works",
        "services",
        "national",
        "international",
        "single_stage_one_envelope",
        "single_stage_two_envelope",
        "two_stage",
        "request_for_quotations",
        "direct_contracting",
        "two_stage_one_envelope",
        "two_stage_two_envelope",
        # how a tender follows another
        "prior",
        "framework",
        # evaluation methods
        "least_cost",
        "qcbs",
        "qualification",
        # roles
        "vendor",
        "officer",
        "auditor",
        "admin",
        "regulator",
        "system",
        # bids, envelopes, receipts
        "submitted",
        "withdrawn",
        "replaced",
        "unreadable",
        "bid",
        "technical",
        "financial",
        # awards and complaints
        *(status.value for status in AwardStatus),
        *(stage.value for stage in ComplaintStage),
        *(status.value for status in GrievanceStatus),
        *(remedy.value for remedy in Remedy),
        # debarment cases
        *(status.value for status in CaseStatus),
        # bid security instruments
        "bank_guarantee",
        "pay_order",
        "demand_draft",
        # a tender's documents, by kind
        *(kind.value for kind in DocumentKind),
        # bid validity and securities
        *(standing.value for standing in Standing),
        *(state.value for state in SecurityState),
        *(reason.value for reason in ForfeitReason),
        # the cases of direct contracting
        *(case.value for case in DirectContractingCase),
    }
)


# How the data's codes read in English (the other words are their own English).
ENGLISH_LABELS = {
    "single_stage_one_envelope": "single stage, one envelope",
    "single_stage_two_envelope": "single stage, two envelopes",
    "two_stage": "two envelopes (legacy two stage)",
    "two_stage_one_envelope": "two stage (stage two in one envelope)",
    "prior": "stage two of this two-stage tender's stage one",
    "framework": "a call-off of this framework agreement",
    "two_stage_two_envelope": "two stage, two envelopes",
    "qualification": "qualification (unpriced technical proposals)",
    "completed": "completed: stage two is published",
    "discussion_minutes": "minutes of the discussions with bidders",
    "request_for_quotations": "request for quotations",
    "direct_contracting": "direct contracting",
    "least_cost": "least cost",
    "qcbs": "quality and cost based selection",
    "bank_guarantee": "bank guarantee",
    "pay_order": "pay order",
    "demand_draft": "demand draft",
    "bidding_document": "bidding document",
    "bill_of_quantities": "bill of quantities",
    "pre_bid_minutes": "minutes of the pre-bid meeting",
    ComplaintStage.DOCUMENTS.value: "the notice and documents",
    ComplaintStage.TECHNICAL_REPORT.value: "the technical evaluation report",
    ComplaintStage.FINAL_REPORT.value: "the final evaluation report",
    ComplaintStage.AWARD.value: "the award",
    GrievanceStatus.OVERDUE.value: "overdue (not decided in time)",
    GrievanceStatus.APPEALED.value: "appealed to the regulator",
    GrievanceStatus.APPEAL_OVERDUE.value: "appeal overdue",
    GrievanceStatus.APPEAL_UPHELD.value: "upheld on appeal",
    GrievanceStatus.APPEAL_DISMISSED.value: "dismissed on appeal",
    Remedy.REOPEN_EVALUATION.value: "reopen the evaluation",
    Remedy.CANCEL_AWARD.value: "cancel the award",
    Remedy.AMEND_DOCUMENTS.value: "amend the documents and extend the deadline",
    Remedy.CANCEL_PROCUREMENT.value: "cancel the procurement",
    CaseStatus.HEARING.value: "hearing open",
    ForfeitReason.WITHDRAWAL_AFTER_DEADLINE.value: "withdrawal after the deadline",
    ForfeitReason.REFUSAL_TO_SIGN.value: "refusal to sign the contract",
    Standing.LAPSED.value: "lapsed (no answer in time)",
    **{case.value: words for case, words in DIRECT_CONTRACTING_CASES.items()},
}


@cache
def catalogue(language: str) -> dict[str, str]:
    if language == "en":
        return ENGLISH_LABELS
    path = LOCALES / f"{language}.json"
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def translator(language: str) -> Callable[..., str]:
    messages = catalogue(language)

    def translate(message: str, **values: object) -> str:
        text = messages.get(message, message)
        return text.format(**values) if values else text

    return translate
