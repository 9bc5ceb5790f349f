"""The public's answers: published tenders and awards (``api/controllers/public.py``), which
the portal's public pages show too.

msgspec structs, where the other answers are pydantic models: the tender list and a tender
are the platform's busiest reads, and a struct is built from a row with no validation and
encoded by msgspec in C, as cheaply as the dictionaries it replaced (a pydantic model
validated per row took a page of 20 from 0.18 to 0.31 ms). Their schemas are msgspec's
(``api/openapi.py``). Like ``domain.tender.Question`` they are frozen, keyword-only and left
out of the garbage collector's tracking (``gc=False``: they hold no cycles).

A field holds what the row holds: times as the read model writes them (UTC, ``Z``), amounts
with two places; the documents the projection stores (lots, rules, opening, evaluation,
complaints, contract) as they are stored.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, overload

import msgspec

from api.schemas.common import MoneyText, TimeText, UuidText, enum_text
from domain.award import AwardStatus, Remedy
from domain.grievance import ComplaintStage, GrievanceStatus
from domain.public_status import PublicTenderStatus
from domain.values import Category, Method, Scope
from projections import reads


def _about(description: str) -> msgspec.Meta:
    return msgspec.Meta(description=description)


class MoneyOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    amount: MoneyText
    currency: str


class TimelineOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    clarification_deadline: TimeText
    submission_deadline: TimeText
    opening_time: TimeText


class TenderSummaryOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A published tender, as the list shows it."""

    id: UuidText
    reference: str
    title: str
    entity: str
    category: Annotated[str, enum_text(Category)]
    method: Annotated[str, enum_text(Method)]
    scope: Annotated[str, enum_text(Scope)]
    estimated_value: MoneyOut
    status: Annotated[str, enum_text(PublicTenderStatus)]
    published_at: TimeText
    timeline: Annotated[
        TimelineOut, _about("the timeline in force: the last addendum's, if one changed it")
    ]
    cancelled_at: TimeText | None
    version: int


class AmendmentOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    number: int
    text: str
    issued_at: TimeText
    timeline: Annotated[
        TimelineOut | None,
        _about("the timeline it set, or null if it left the timeline as it was"),
    ]


class QuestionOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An answered question (who asked is never shown)."""

    id: UuidText
    question: str
    asked_at: TimeText
    answer: str
    answered_at: TimeText


class AwardTenderOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: UuidText
    reference: str
    title: str
    entity: str


class SupplierOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    id: UuidText
    name: str


class AwardOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An award: who won what, for how much; its standstill, complaints and contract."""

    id: UuidText
    tender: AwardTenderOut
    report_number: int
    bid_id: UuidText
    supplier: SupplierOut
    value: MoneyOut
    rank: int
    reason: Annotated[
        str | None,
        _about("the published reason: required to award a bid the report did not recommend"),
    ]
    status: Annotated[str, enum_text(AwardStatus)]
    made_at: TimeText
    standstill_ends: TimeText
    cancelled_at: TimeText | None
    cancellation_reason: str | None
    complaints: Annotated[
        list[dict[str, Any]],
        _about("each complaint's status and, once decided, the decision (never its grounds)"),
    ]
    contract: dict[str, Any] | None
    version: int
    lot_id: Annotated[
        str | None, _about("the lot awarded, in a tender awarded by lot; null: the whole tender")
    ] = None


class ComplaintDecisionOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A decision on a complaint or on its appeal, with its published reasons."""

    upheld: bool
    remedy: Annotated[
        Annotated[str, enum_text(Remedy)] | None,
        _about("what the upheld complaint orders; null if dismissed"),
    ]
    reasons: str
    decided_at: TimeText


class ComplaintAppealOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An appeal to the regulator (never its grounds) and the regulator's decision."""

    lodged_at: TimeText
    decision_due: TimeText
    overdue: Annotated[bool, _about("the regulator did not decide by its date")]
    decision: ComplaintDecisionOut | None


class ComplaintOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A complaint about the tender: its stage and what was decided, with the reasons; never
    who lodged it nor its grounds."""

    id: UuidText
    stage: Annotated[str, enum_text(ComplaintStage)]
    status: Annotated[str, enum_text(GrievanceStatus)]
    award_id: Annotated[UuidText | None, _about("the award it concerns (stage award)")]
    lodged_at: TimeText
    decision_due: Annotated[TimeText, _about("the grievance committee decides by then")]
    overdue: Annotated[bool, _about("the committee did not decide by its date: appealable")]
    decision: Annotated[ComplaintDecisionOut | None, _about("the grievance committee's decision")]
    panel_size: Annotated[
        int | None, _about("how many members of the committee decided (none who evaluates it)")
    ]
    appeal: ComplaintAppealOut | None


class LotCancelledOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A lot of a tender awarded by lot, cancelled alone: the other lots go on."""

    lot_id: str
    reason: Annotated[str, _about("the entity's published reason")]
    cancelled_at: TimeText


class TenderOut(TenderSummaryOut, frozen=True, kw_only=True, gc=False):
    """A published notice: its addenda, answers, opening record, reports and awards."""

    description: str
    translations: Annotated[
        dict[str, dict[str, str]],
        _about("the notice in Urdu (ur) and Sindhi (sd): each a title and a description"),
    ]
    lots: list[dict[str, Any]]
    bid_security: dict[str, Any] | None
    bid_validity_days: int
    direct_contracting: Annotated[
        dict[str, str] | None,
        _about(
            "a direct-contracting notice's justification: the rules' case (case) and the "
            "officer's explanation"
        ),
    ]
    pre_bid_meeting: Annotated[
        dict[str, str | None] | None,
        _about("the pre-bid meeting the notice holds: when (at), place and online link"),
    ]
    award_by_lot: Annotated[
        bool, _about("true: each lot is ranked and awarded on its own; a bid prices any lots")
    ]
    bundle_discounts: Annotated[
        bool,
        _about(
            "true: a bid may offer lot-bundle discounts, and the report recommends the "
            "cheapest combination of the lots' bids"
        ),
    ]
    performance_security_percent: Annotated[
        str | None,
        _about("the winner's performance security in percent of the award's value; null: none"),
    ]
    related: Annotated[
        dict[str, str] | None,
        _about(
            "the tender this one follows (tender_id) and how (relationship: prior, stage two "
            "of a two-stage tender; framework, a call-off)"
        ),
    ]
    invited_vendors: Annotated[
        list[dict[str, str]] | None,
        _about("the only vendors who may bid, each its id and name; null: every vendor"),
    ]
    stage_two: Annotated[
        UuidText | None,
        _about("stage one of a two-stage tender: the stage two that completed it"),
    ]
    framework: Annotated[
        dict[str, Any] | None,
        _about(
            "a framework agreement's terms (max_suppliers, period, ceiling) and its call-offs "
            "(kind, id, tender_id of a mini-competition, title, supplier_name, value, at, "
            "reason: a direct order's published reason); "
            "null for any other tender (docs/frameworks.md)"
        ),
    ]
    cancelled_lots: Annotated[
        list[LotCancelledOut],
        _about(
            "awarded by lot: the lots cancelled alone, each with its reason and time "
            "(docs/lots.md); the other lots are open"
        ),
    ]
    rules: Annotated[dict[str, Any], _about("the rule profile the tender was published under")]
    sealing: Annotated[
        list[dict[str, Any]], _about("each envelope's public key, to seal bids with")
    ]
    opening: Annotated[
        dict[str, Any] | None, _about("the opening record, once the bids are opened")
    ]
    evaluation: Annotated[
        dict[str, Any] | None, _about("the published evaluation reports and financial openings")
    ]
    awards: list[AwardOut]
    cancellation_reason: str | None
    amendments: list[AmendmentOut]
    questions: list[QuestionOut]
    complaints: Annotated[
        list[ComplaintOut], _about("complaints at every stage, and their appeals, oldest first")
    ]


class TenderPageOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    items: list[TenderSummaryOut]
    total: int
    limit: int
    offset: int


class AwardPageOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    items: list[AwardOut]
    total: int
    limit: int
    offset: int


class DebarmentOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A debarment the regulator decided: the vendor, the grounds, the decision's reasons."""

    case_id: UuidText
    vendor: SupplierOut
    grounds: str
    referred_by_entity: Annotated[
        str | None, _about("the procuring entity that referred the vendor, if one did")
    ]
    opened_at: TimeText
    decided_at: TimeText
    debarred_until: Annotated[TimeText, _about("the debarment ends by itself then")]
    reasons: str
    active: Annotated[bool, _about("in force at the time of the answer (as_of)")]


class DebarmentPageOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    as_of: Annotated[TimeText, _about("the moment ``active`` is computed for")]
    items: list[DebarmentOut]
    total: int
    limit: int
    offset: int


class CommitteeMemberOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    name: str
    chair: bool


class GrievanceCommitteeOut(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A procuring entity's grievance redressal committee, as its head named it last."""

    entity: str
    members: list[CommitteeMemberOut]
    named_at: TimeText


DEBARMENT_CSV_COLUMNS = (
    "case_id",
    "vendor_id",
    "vendor_name",
    "grounds",
    "referred_by_entity",
    "opened_at",
    "decided_at",
    "debarred_until",
    "reasons",
    "active",
)
"""The CSV list's header row, in its order: a ``DebarmentOut`` flattened."""


# Built from the read model's rows, without validation (see the module's docstring).


@overload
def _time(value: datetime) -> str: ...
@overload
def _time(value: None) -> None: ...


def _time(value: datetime | None) -> str | None:
    return reads.as_utc(value)


def _percent(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _money(amount: Decimal, currency: str) -> MoneyOut:
    return MoneyOut(amount=f"{amount:.2f}", currency=currency.strip())


def _timeline(row: dict[str, Any]) -> TimelineOut:
    return TimelineOut(
        clarification_deadline=_time(row["clarification_deadline"]),
        submission_deadline=_time(row["submission_deadline"]),
        opening_time=_time(row["opening_time"]),
    )


def _summary_fields(row: dict[str, Any]) -> dict[str, Any]:
    """What a tender's summary and its full answer share, from its row."""
    return {
        "id": str(row["tender_id"]),
        "reference": row["reference"],
        "title": row["title"],
        "entity": row["entity"],
        "category": row["category"],
        "method": row["method"],
        "scope": row["scope"],
        "estimated_value": _money(row["estimated_amount"], row["currency"]),
        "status": row["status"],
        "published_at": _time(row["published_at"]),
        "timeline": _timeline(row),
        "cancelled_at": _time(row["cancelled_at"]),
        "version": row["version"],
    }


def summary_of(row: dict[str, Any]) -> TenderSummaryOut:
    return TenderSummaryOut(**_summary_fields(row))


def detail_of(row: dict[str, Any]) -> TenderOut:
    return TenderOut(
        **_summary_fields(row),
        description=row["description"],
        translations=row["translations"],
        lots=row["lots"],
        bid_security=row["bid_security"],
        bid_validity_days=row["bid_validity_days"],
        direct_contracting=row["direct_contracting"],
        pre_bid_meeting=row["pre_bid_meeting"],
        award_by_lot=row["award_by_lot"],
        bundle_discounts=row["bundle_discounts"],
        performance_security_percent=_percent(row["performance_security_percent"]),
        related=row["related"],
        invited_vendors=row["invited_vendors"],
        stage_two=str(row["stage_two"]) if row["stage_two"] else None,
        framework=row["framework"],
        cancelled_lots=[
            LotCancelledOut(
                lot_id=lot["lot_id"],
                reason=lot["reason"],
                cancelled_at=_time(datetime.fromisoformat(lot["cancelled_at"])),
            )
            for lot in row["cancelled_lots"]
        ],
        rules=row["rules"],
        sealing=row["sealing"],
        opening=row["opening"],
        evaluation=row["evaluation"],
        awards=[award_of(award) for award in row["awards"]],
        cancellation_reason=row["cancellation_reason"],
        amendments=[
            AmendmentOut(
                number=a["number"],
                text=a["text"],
                issued_at=_time(a["issued_at"]),
                timeline=None if a["submission_deadline"] is None else _timeline(a),
            )
            for a in row["amendments"]
        ],
        complaints=[complaint_of(c) for c in row["complaints"]],
        questions=[
            QuestionOut(
                id=str(q["question_id"]),
                question=q["text"],
                asked_at=_time(q["asked_at"]),
                answer=q["answer"],
                answered_at=_time(q["answered_at"]),
            )
            for q in row["questions"]
        ],
    )


def award_of(row: dict[str, Any]) -> AwardOut:
    return AwardOut(
        id=str(row["award_id"]),
        tender=AwardTenderOut(
            id=str(row["tender_id"]),
            reference=row["reference"],
            title=row["title"],
            entity=row["entity"],
        ),
        report_number=row["report_number"],
        bid_id=str(row["bid_id"]),
        supplier=SupplierOut(id=str(row["supplier_id"]), name=row["supplier_name"]),
        value=_money(row["amount"], row["currency"]),
        rank=row["rank"],
        reason=row["reason"] or None,
        status=row["status"],
        made_at=_time(row["made_at"]),
        standstill_ends=_time(row["standstill_ends"]),
        cancelled_at=_time(row["cancelled_at"]),
        cancellation_reason=row["cancellation_reason"],
        complaints=row["complaints"],
        contract=row["contract"],
        version=row["version"],
        lot_id=row["lot_id"],
    )


def _decision(
    upheld: bool | None, remedy: str | None, reasons: str | None, decided_at: datetime | None
) -> ComplaintDecisionOut | None:
    if decided_at is None or upheld is None or reasons is None:
        return None
    return ComplaintDecisionOut(
        upheld=upheld, remedy=remedy, reasons=reasons, decided_at=_time(decided_at)
    )


def complaint_of(row: dict[str, Any]) -> ComplaintOut:
    appeal = None
    if row["appeal_lodged_at"] is not None:
        appeal = ComplaintAppealOut(
            lodged_at=_time(row["appeal_lodged_at"]),
            decision_due=_time(row["appeal_due"]),
            overdue=row["appeal_overdue"],
            decision=_decision(
                row["appeal_upheld"],
                row["appeal_remedy"],
                row["appeal_reasons"],
                row["appeal_decided_at"],
            ),
        )
    return ComplaintOut(
        id=str(row["complaint_id"]),
        stage=row["stage"],
        status=row["status"],
        award_id=None if row["award_id"] is None else str(row["award_id"]),
        lodged_at=_time(row["lodged_at"]),
        decision_due=_time(row["decision_due"]),
        overdue=row["overdue"],
        decision=_decision(row["upheld"], row["remedy"], row["reasons"], row["decided_at"]),
        panel_size=row["panel_size"],
        appeal=appeal,
    )


def debarment_of(row: dict[str, Any], now: datetime) -> DebarmentOut:
    return DebarmentOut(
        case_id=str(row["case_id"]),
        vendor=SupplierOut(id=str(row["vendor_id"]), name=row["vendor_name"]),
        grounds=row["grounds"],
        referred_by_entity=row["referred_by_entity"],
        opened_at=_time(row["opened_at"]),
        decided_at=_time(row["decided_at"]),
        debarred_until=_time(row["debarred_until"]),
        reasons=row["reasons"],
        active=row["decided_at"] <= now < row["debarred_until"],
    )


def debarment_cells(debarment: DebarmentOut) -> tuple[str, ...]:
    """A debarment as the CSV list's row (``DEBARMENT_CSV_COLUMNS``), not yet made safe."""
    return (
        debarment.case_id,
        debarment.vendor.id,
        debarment.vendor.name,
        debarment.grounds,
        debarment.referred_by_entity or "",
        debarment.opened_at,
        debarment.decided_at,
        debarment.debarred_until,
        debarment.reasons,
        "true" if debarment.active else "false",
    )


def committee_of(row: dict[str, Any]) -> GrievanceCommitteeOut:
    return GrievanceCommitteeOut(
        entity=row["entity"],
        members=[CommitteeMemberOut(name=m["name"], chair=m["chair"]) for m in row["members"]],
        named_at=_time(row["named_at"]),
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell beginning so is read as a formula by spreadsheets (OWASP, CSV injection)."""


def _safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def debarments_csv(page: DebarmentPageOut) -> str:
    """The list as CSV (RFC 4180: a header row, quoted where needed, CRLF line ends), each
    cell that a spreadsheet would read as a formula prefixed with a quote."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DEBARMENT_CSV_COLUMNS)
    writer.writerows(tuple(map(_safe_cell, debarment_cells(d))) for d in page.items)
    return out.getvalue()
