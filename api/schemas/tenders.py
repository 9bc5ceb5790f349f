"""Request bodies of tenders, notices, questions, and registration and sign-in; the officers'
answer of a tender."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
)

from api.schemas.common import (
    SHOWN,
    Amount,
    Body,
    PositiveDecimalText,
    Rfc3339,
    StatedText,
    StrictCount,
    TimeText,
)
from api.schemas.documents import DocumentChangesIn
from domain.account import VendorProfile
from domain.documents import FileName
from domain.fields import (
    MAX_CRITERIA,
    MAX_DOCUMENTS,
    MAX_ITEMS,
    MAX_LOTS,
    MAX_SECURITY_FORMS,
    MAX_VALIDITY_DAYS,
    Classification,
    CurrencyCode,
    Description,
    DocumentName,
    ItemDescription,
    Reference,
    Sha256Hex,
    ShortId,
    Title,
    Unit,
)
from domain.tender import TenderStatus
from domain.text import MULTI_LINE, SECRET, SINGLE_LINE, Line
from domain.values import (
    MAX_FRAMEWORK_SUPPLIERS,
    BidSecurity,
    Category,
    Criterion,
    DirectContractingCase,
    DirectContractingJustification,
    EvaluationMethod,
    EvaluationTerms,
    FiscalYear,
    FrameworkPeriod,
    FrameworkTerms,
    Item,
    Lot,
    MeetingLink,
    MeetingPlace,
    Method,
    Money,
    NoticeLanguage,
    NoticeText,
    PlanLineRef,
    PreBidMeeting,
    Scope,
    TenderTerms,
    TieBreak,
    Timeline,
)


class MoneyIn(Body):
    amount: Amount
    currency: CurrencyCode = "PKR"

    def to_domain(self) -> Money:
        return Money(amount=Decimal(self.amount), currency=self.currency)


class ItemIn(Body):
    id: ShortId
    description: ItemDescription
    quantity: PositiveDecimalText
    unit: Unit
    classification: Classification | None = None

    def to_domain(self) -> Item:
        return Item(
            id=self.id,
            description=self.description,
            quantity=Decimal(self.quantity),
            unit=self.unit,
            classification=self.classification,
        )


class LotIn(Body):
    id: ShortId
    title: Title
    estimated_value: MoneyIn | None = None
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=MAX_ITEMS)]

    def to_domain(self) -> Lot:
        return Lot(
            id=self.id,
            title=self.title,
            estimated_value=self.estimated_value.to_domain() if self.estimated_value else None,
            items=tuple(item.to_domain() for item in self.items),
        )


class BidSecurityIn(Body):
    amount: MoneyIn
    forms: Annotated[list[Line], Field(max_length=MAX_SECURITY_FORMS)] | None = None

    def to_domain(self) -> BidSecurity:
        if self.forms is None:
            return BidSecurity(amount=self.amount.to_domain())
        return BidSecurity(amount=self.amount.to_domain(), forms=tuple(self.forms))


class TimelineIn(Body):
    clarification_deadline: Rfc3339
    submission_deadline: Rfc3339
    opening_time: Rfc3339

    def to_domain(self) -> Timeline:
        return Timeline(
            clarification_deadline=self.clarification_deadline,
            submission_deadline=self.submission_deadline,
            opening_time=self.opening_time,
        )


Percent = Annotated[
    str,
    Field(pattern=r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$", examples=["70", "80.00"]),
]


class CriterionIn(Body):
    id: ShortId
    name: Title
    max_score: Annotated[StrictCount, Field(ge=1, le=1000)]

    def to_domain(self) -> Criterion:
        return Criterion(id=self.id, name=self.name, max_score=self.max_score)


class EvaluationTermsIn(Body):
    """How the bids will be evaluated: published with the notice, binding on the committee."""

    method: EvaluationMethod = EvaluationMethod.LEAST_COST
    criteria: Annotated[list[CriterionIn], Field(max_length=MAX_CRITERIA)] = []
    pass_mark: Percent = "70"  # noqa: S105 (a score, not a password)
    technical_weight: Percent = "0"
    financial_weight: Percent = "100"
    tie_break: TieBreak = TieBreak.EARLIEST_SUBMISSION
    required_documents: Annotated[
        list[DocumentName],
        Field(max_length=MAX_DOCUMENTS),
    ] = []

    def to_domain(self) -> EvaluationTerms:
        return EvaluationTerms(
            method=self.method,
            criteria=tuple(c.to_domain() for c in self.criteria),
            pass_mark=Decimal(self.pass_mark),
            technical_weight=Decimal(self.technical_weight),
            financial_weight=Decimal(self.financial_weight),
            tie_break=self.tie_break,
            required_documents=tuple(self.required_documents),
        )


class NoticeTextIn(Body):
    """The notice's title and description in Urdu or Sindhi."""

    title: Title
    description: Description = ""

    def to_domain(self) -> NoticeText:
        return NoticeText(title=self.title, description=self.description)


Translations = Annotated[
    dict[Literal["ur", "sd"], NoticeTextIn],
    Field(
        description=(
            "the notice in Urdu (ur) and Sindhi (sd); open competitive methods need both "
            "to be published"
        )
    ),
]


class PlanLineRefIn(Body):
    """The plan line a tender carries out: its plan's fiscal year and the line's id."""

    fiscal_year: FiscalYear
    line_id: ShortId

    def to_domain(self) -> PlanLineRef:
        return PlanLineRef(fiscal_year=self.fiscal_year, line_id=self.line_id)


UnplannedReason = StatedText


class DirectContractingIn(Body):
    """Why a direct-contracting tender goes to one supplier: the rules' case (their list is
    in the published ``rules.direct_contracting_cases``) and an explanation."""

    case: DirectContractingCase
    explanation: Annotated[str, Field(min_length=1, max_length=5000), MULTI_LINE]

    def to_domain(self) -> DirectContractingJustification:
        return DirectContractingJustification(case=self.case, explanation=self.explanation)


class PreBidMeetingIn(Body):
    """A pre-bid meeting: when (before the clarification deadline), and where or at which
    https link, or both."""

    at: Rfc3339
    place: MeetingPlace | None = None
    link: MeetingLink | None = None

    def to_domain(self) -> PreBidMeeting:
        return PreBidMeeting(at=self.at, place=self.place, link=self.link)


class FrameworkPeriodIn(Body):
    start: Rfc3339
    end: Rfc3339

    def to_domain(self) -> FrameworkPeriod:
        return FrameworkPeriod(start=self.start, end=self.end)


class FrameworkIn(Body):
    """A framework agreement's terms (docs/frameworks.md): awarded to up to
    ``max_suppliers`` ranked bids; call-offs within ``period``, summing to at most
    ``ceiling``."""

    max_suppliers: Annotated[StrictCount, Field(ge=1, le=MAX_FRAMEWORK_SUPPLIERS)]
    period: FrameworkPeriodIn
    ceiling: MoneyIn

    def to_domain(self) -> FrameworkTerms:
        return FrameworkTerms(
            max_suppliers=self.max_suppliers,
            period=self.period.to_domain(),
            ceiling=self.ceiling.to_domain(),
        )


class TenderIn(Body):
    """A draft tender, as an officer writes it."""

    reference: Reference
    title: Title
    description: Description = ""
    category: Category
    method: Method
    scope: Scope = Scope.NATIONAL
    estimated_value: MoneyIn
    lots: Annotated[list[LotIn], Field(min_length=1, max_length=MAX_LOTS)]
    bid_security: BidSecurityIn | None = None
    bid_validity_days: Annotated[StrictCount, Field(ge=1, le=MAX_VALIDITY_DAYS)]
    timeline: TimelineIn
    evaluation: EvaluationTermsIn | None = None
    translations: Translations = {}  # pydantic copies the default for each instance
    award_by_lot: StrictBool = False  # each lot ranked and awarded on its own (docs/lots.md)
    performance_security_percent: Percent | None = None
    """The winner's performance security in percent of the award's value (more than 0, at
    most the rules' cap); leave out: none asked."""
    plan_line: PlanLineRefIn | None = None
    """The entity's annual plan line the tender carries out (docs/plans.md)."""
    unplanned_reason: UnplannedReason | None = None
    """Why the tender is not in the entity's published plan (then without plan_line)."""
    direct_contracting: DirectContractingIn | None = None
    """Required to publish a direct_contracting tender; refused on any other method."""
    pre_bid_meeting: PreBidMeetingIn | None = None
    framework: FrameworkIn | None = None
    """A framework agreement's terms (docs/frameworks.md); leave out for any other tender."""
    bundle_discounts: StrictBool = False
    """Bids may offer lot-bundle discounts, and the evaluation recommends the cheapest
    combination (docs/lots.md#bundle-discounts): only with award_by_lot, an evaluation by
    the lowest price and 2 to 12 lots."""

    def to_domain(self) -> TenderTerms:
        return TenderTerms(**domain_fields(self))


class TenderPatch(Body):
    """Changes to a draft: only the fields given are changed."""

    reference: Reference | None = None
    title: Title | None = None
    description: Description | None = None
    category: Category | None = None
    method: Method | None = None
    scope: Scope | None = None
    estimated_value: MoneyIn | None = None
    lots: Annotated[list[LotIn], Field(min_length=1, max_length=MAX_LOTS)] | None = None
    bid_security: BidSecurityIn | None = None
    bid_validity_days: Annotated[StrictCount, Field(ge=1, le=MAX_VALIDITY_DAYS)] | None = None
    timeline: TimelineIn | None = None
    evaluation: EvaluationTermsIn | None = None
    translations: Translations | None = None  # replaces the draft's translations whole
    award_by_lot: StrictBool | None = None
    performance_security_percent: Percent | None = None
    plan_line: PlanLineRefIn | None = None
    unplanned_reason: UnplannedReason | None = None
    direct_contracting: DirectContractingIn | None = None  # null removes it
    pre_bid_meeting: PreBidMeetingIn | None = None  # null removes it
    framework: FrameworkIn | None = None  # null removes it
    bundle_discounts: StrictBool | None = None

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in domain_fields(self).items() if k in self.model_fields_set}


def domain_fields(model: BaseModel) -> dict[str, Any]:
    """The model's fields as domain values (nested inputs converted, lists as tuples)."""
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, list):
            value = tuple(v.to_domain() if hasattr(v, "to_domain") else v for v in value)
        elif isinstance(value, dict):
            value = {k: v.to_domain() if hasattr(v, "to_domain") else v for k, v in value.items()}
        elif hasattr(value, "to_domain"):
            value = value.to_domain()
        out[name] = value
    return out


class AmendmentIn(Body):
    text: Annotated[str, Field(min_length=1, max_length=20000), MULTI_LINE]
    timeline: TimelineIn | None = None
    documents: DocumentChangesIn | None = None
    """Documents the addendum adds, replaces (a new version) or withdraws."""


class PreBidMinutesIn(Body):
    """The minutes of the notice's pre-bid meeting, uploaded with ``POST /documents``: named
    by ``sha256`` and ``file_name``; issued as an addendum that adds them."""

    sha256: Sha256Hex
    file_name: FileName
    title: Title = "Minutes of the pre-bid meeting"
    language: NoticeLanguage = "en"
    timeline: TimelineIn | None = None
    """A new timeline, as an addendum's (a late addendum must extend the deadline)."""


class DirectOrderIn(Body):
    """A call-off by direct order from one of a framework's suppliers (docs/frameworks.md)."""

    vendor_id: UUID
    title: Annotated[Title, SHOWN]
    """Published as the order's title: a title of zero-width characters alone is refused."""
    description: Description = ""
    value: MoneyIn
    reason: StatedText
    """Why this supplier is ordered from directly, published with the order: a direct order
    is not competed, and its value is not checked against the agreement's prices."""


class CancelIn(Body):
    reason: StatedText


class QuestionIn(Body):
    text: Annotated[str, Field(min_length=1, max_length=5000), MULTI_LINE]


class AnswerIn(Body):
    answer: Annotated[str, Field(min_length=1, max_length=20000), MULTI_LINE]


class TokenRequest(Body):
    username: ShortId
    # Compared as typed with the password set before (never stored): not checked here.
    password: Annotated[str, Field(min_length=1, max_length=256)]
    totp_code: Annotated[str, Field(max_length=16)] | None = None
    """The authenticator app's six digits, for an account with a second factor."""
    recovery_code: Annotated[str, Field(max_length=32)] | None = None
    """Or one of its recovery codes (each works once)."""


class VendorRegistration(Body):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{3,64}$")]
    password: Annotated[str, Field(min_length=10, max_length=256), SECRET]
    legal_name: Title
    ntn: Annotated[str, Field(pattern=r"^[0-9]{7}-[0-9]$|^[0-9]{13}$")]
    contact_email: Annotated[
        str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), SINGLE_LINE
    ]
    contact_phone: Annotated[str, Field(max_length=32), SINGLE_LINE] | None = None

    def profile(self) -> VendorProfile:
        return VendorProfile(
            legal_name=self.legal_name,
            ntn=self.ntn,
            contact_email=self.contact_email,
            contact_phone=self.contact_phone,
        )


class OfficerTenderOut(BaseModel):
    """A tender of the officer's entity, drafts too: its terms as drafted or published."""

    id: UUID
    version: int
    entity: str
    status: TenderStatus
    terms: TenderTerms
    published_at: TimeText | None
    amendments: list[dict[str, Any]]
    questions: Annotated[
        list[dict[str, Any]], Field(description="every question, answered or not (never who asked)")
    ]
    cancellation_reason: str | None
