"""What the complaint and debarment pages share: a complaint's remedies and appeal, read
for a form, and the words the pages show for their stages, statuses and remedies.

Their stages, statuses and remedies are translated as data (``i18n.DYNAMIC_MESSAGES``).
Complaints are read through the application (``complaints_about``: the complainant its own,
the entity's officers and the regulator all, grounds included), never from a public read
model: their grounds are not public.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar.concurrency import sync_to_thread

from domain.debarment import CaseStatus, Debarment, DebarmentCase
from domain.errors import DebarmentCaseNotFoundError, ProcurementError
from domain.grievance import REMEDIES, ComplaintStage, Grievance
from domain.rules import GrievanceRules
from domain.values import Actor
from procurement.commands.application import ProcurementApplication

PRE_AWARD_STAGES = (
    ComplaintStage.DOCUMENTS,
    ComplaintStage.TECHNICAL_REPORT,
    ComplaintStage.FINAL_REPORT,
)
"""The stages the tender page's complaint form offers: an award's complaint is lodged under
the award (``POST /portal/awards/{id}/complaints``), which names it."""


def remedies_for(stage: ComplaintStage | str) -> list[str]:
    """The remedies an upheld complaint of ``stage`` may order, in a stable order."""
    return sorted(remedy.value for remedy in REMEDIES[ComplaintStage(stage)])


def appealable(complaint: Grievance, rules: GrievanceRules, now: datetime) -> bool:
    """Whether the complainant may appeal now: dismissed, or not decided in time, and its
    time to appeal not passed (the domain decides again when it is sent)."""
    until = complaint.appealable_until(rules)
    return until is not None and now < until


def awaiting_appeal_decision(complaint: Grievance) -> bool:
    return complaint.appeal is not None and complaint.appeal.decision is None


def awaiting_decision(complaint: Grievance) -> bool:
    """Whether the grievance committee has this complaint to decide."""
    return complaint.decision is None and complaint.appeal is None


async def complaints_of(
    procurement: ProcurementApplication, actor: Actor, tender_id: UUID
) -> list[Grievance]:
    """The tender's complaints this actor may read, oldest first; none when it may read
    none (the page itself decides whether the tender is shown)."""
    try:
        found = await sync_to_thread(procurement.complaints_about, actor, tender_id)
    except ProcurementError:
        return []
    return sorted(found, key=lambda complaint: complaint.lodged_at)


async def debarment_of(
    procurement: ProcurementApplication, actor: Actor, vendor_id: UUID
) -> Debarment | None:
    """A vendor's debarment record, or None while no case was ever opened."""
    try:
        return await sync_to_thread(procurement.debarment_record, actor, vendor_id)
    except DebarmentCaseNotFoundError:
        return None


def open_hearings(record: Debarment | None, now: datetime) -> list[DebarmentCase]:
    """The record's cases the vendor may still answer."""
    if record is None:
        return []
    return [
        case
        for case in record.cases.values()
        if case.status is CaseStatus.HEARING
        and case.answered_at is None
        and now < case.hearing_closes
    ]
