"""Value objects: immutable, validated on construction, compared by value.

They are pydantic models so that one generic transcoding stores them in events
(``procurement/store/transcodings.py``) and replay rebuilds equal objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain.errors import BundleDiscountsNotAllowedError
from domain.fields import (
    MAX_CRITERIA,
    MAX_DOCUMENTS,
    MAX_INVITED,
    MAX_ITEMS,
    MAX_LOTS,
    MAX_SECURITY_FORMS,
    Amount,
    Classification,
    CurrencyCode,
    Description,
    DocumentName,
    ItemDescription,
    Quantity,
    Reason,
    Reference,
    ShortId,
    Title,
    Unit,
    ValidityDays,
)
from domain.text import MULTI_LINE, SINGLE_LINE, Line

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
"""A tender's times fall in these years: a time outside them is a mistake, and near the ends
of what a datetime holds, converting it to UTC or adding a period to it fails."""


def to_utc(value: datetime) -> datetime:
    """``value`` in UTC, if it falls within the platform's years; else ``ValueError`` (which
    pydantic reports at the field)."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-12:00 is past the last year a datetime holds
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        msg = f"must be a time from {EARLIEST.year} to {LATEST.year - 1}"
        raise ValueError(msg)
    return utc


UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]
"""An aware datetime within the platform's years, normalised to UTC. Naive datetimes are
refused."""


class ValueObject(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Category(StrEnum):
    GOODS = "goods"
    WORKS = "works"
    SERVICES = "services"


class Method(StrEnum):
    SINGLE_STAGE_ONE_ENVELOPE = "single_stage_one_envelope"
    SINGLE_STAGE_TWO_ENVELOPE = "single_stage_two_envelope"
    TWO_STAGE = "two_stage"  # legacy: a single stage with a second envelope (docs/two-stage.md)
    REQUEST_FOR_QUOTATIONS = "request_for_quotations"
    DIRECT_CONTRACTING = "direct_contracting"
    # Two-stage bidding: this tender is stage one (unpriced technical proposals, qualified
    # or not); stage two is a tender of its own, priced, in one envelope or in two.
    TWO_STAGE_ONE_ENVELOPE = "two_stage_one_envelope"
    TWO_STAGE_TWO_ENVELOPE = "two_stage_two_envelope"

    @property
    def is_stage_one(self) -> bool:
        """A two-stage method: the tender published with it is stage one."""
        return self in {Method.TWO_STAGE_ONE_ENVELOPE, Method.TWO_STAGE_TWO_ENVELOPE}


class Scope(StrEnum):
    """National or international competitive bidding: the rules differ in their periods."""

    NATIONAL = "national"
    INTERNATIONAL = "international"


class Role(StrEnum):
    VENDOR = "vendor"
    OFFICER = "officer"
    AUDITOR = "auditor"
    ADMIN = "admin"
    REGULATOR = "regulator"  # the authority's staff: appeals and debarment, every entity
    SYSTEM = "system"


class Money(ValueObject):
    """An amount in a currency. Never a float: a decimal with at most two places."""

    amount: Amount
    currency: CurrencyCode = "PKR"


class Actor(ValueObject):
    """Who did something, in which role, under which request. Recorded in every event."""

    account_id: UUID
    role: Role
    request_id: str
    entity: str | None = None


class Item(ValueObject):
    id: ShortId
    description: ItemDescription
    quantity: Quantity
    unit: Unit
    classification: Classification | None = None


class Lot(ValueObject):
    id: ShortId
    title: Title
    estimated_value: Money | None = None
    items: Annotated[tuple[Item, ...], Field(min_length=1, max_length=MAX_ITEMS)]


class BidSecurity(ValueObject):
    """What the tender requires as bid security (earnest money)."""

    amount: Money
    forms: Annotated[tuple[Line, ...], Field(max_length=MAX_SECURITY_FORMS)] = (
        "bank_guarantee",
        "pay_order",
        "demand_draft",
    )


class Timeline(ValueObject):
    clarification_deadline: UtcDatetime
    submission_deadline: UtcDatetime
    opening_time: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.clarification_deadline < self.submission_deadline:
            msg = "the clarification deadline must come before the submission deadline"
            raise ValueError(msg)
        if self.opening_time < self.submission_deadline:
            msg = "the opening time must be at or after the submission deadline"
            raise ValueError(msg)
        return self


class EvaluationMethod(StrEnum):
    """How the bids of a tender are evaluated, as published in its notice."""

    LEAST_COST = "least_cost"  # lowest evaluated responsive bid
    QCBS = "qcbs"  # quality and cost based selection (two envelopes)
    RFQ = "request_for_quotations"  # lowest responsive quotation
    DIRECT = "direct_contracting"  # the one offer, examined for responsiveness
    QUALIFICATION = "qualification"  # stage one: each proposal qualified or not, unranked


class TieBreak(StrEnum):
    """The published rule that orders bids whose evaluation is equal."""

    EARLIEST_SUBMISSION = "earliest_submission"
    HIGHEST_TECHNICAL_SCORE = "highest_technical_score"  # then the earliest submission


class Criterion(ValueObject):
    id: ShortId
    name: Title
    max_score: Annotated[int, Field(ge=1, le=1000)]


Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class EvaluationTerms(ValueObject):
    """What the notice promises about evaluation: method, criteria, weights, tie-break,
    and the documents a bid must carry to be responsive."""

    method: EvaluationMethod = EvaluationMethod.LEAST_COST
    criteria: Annotated[tuple[Criterion, ...], Field(max_length=MAX_CRITERIA)] = ()
    pass_mark: Percent = Decimal(70)  # technical score, in percent of the maximum
    technical_weight: Percent = Decimal(0)
    financial_weight: Percent = Decimal(100)
    tie_break: TieBreak = TieBreak.EARLIEST_SUBMISSION
    required_documents: Annotated[tuple[DocumentName, ...], Field(max_length=MAX_DOCUMENTS)] = ()

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        ids = [criterion.id for criterion in self.criteria]
        if len(set(ids)) != len(ids):
            msg = "criterion ids must be unique"
            raise ValueError(msg)
        if self.technical_weight + self.financial_weight != 100:  # noqa: PLR2004 (percent)
            msg = "the technical and financial weights must add up to 100"
            raise ValueError(msg)
        if self.method is EvaluationMethod.QCBS:
            if not self.criteria:
                msg = "quality and cost based selection needs technical criteria"
                raise ValueError(msg)
            if not self.technical_weight:
                msg = "quality and cost based selection needs a technical weight"
                raise ValueError(msg)
        elif self.criteria or self.technical_weight:
            msg = "only quality and cost based selection scores technical criteria"
            raise ValueError(msg)
        return self

    @property
    def max_technical(self) -> int:
        return sum(criterion.max_score for criterion in self.criteria)


NoticeLanguage = Literal["en", "ur", "sd"]
"""A language a notice is published in: English, Urdu, Sindhi (ISO 639-1 codes)."""
TranslationLanguage = Literal["ur", "sd"]
"""A language a notice carries a translated text in; English is the notice's own text."""
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ur": "Urdu", "sd": "Sindhi"}


def language_names(languages: Iterable[str]) -> str:
    """ "English, Urdu and Sindhi": languages named in a sentence."""
    names = [LANGUAGE_NAMES[language] for language in languages]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


class NoticeText(ValueObject):
    """A notice's title and description in one language other than English."""

    title: Title
    description: Description = ""

    @model_validator(mode="after")
    def _has_title(self) -> Self:
        if not self.title.strip():
            msg = "a translated notice needs its title"
            raise ValueError(msg)
        return self


def check_fiscal_year(value: str) -> str:
    start, _, end = value.partition("-")
    digits = value.isascii() and start.isdigit() and end.isdigit()
    if not (digits and len(start) == 4 and len(end) == 2):  # noqa: PLR2004
        msg = 'a fiscal year is written "2026-27"'
        raise ValueError(msg)
    if (int(start) + 1) % 100 != int(end):
        msg = "a fiscal year runs from one year's July to the next year's June"
        raise ValueError(msg)
    return value


def is_fiscal_year(value: str) -> bool:
    """Whether ``value`` is a fiscal year as written ("2026-27"): a path's year is asked
    this before it reaches a query (a NUL or a long string is no year, and no 5xx)."""
    try:
        check_fiscal_year(value)
    except ValueError:
        return False
    return True


FiscalYear = Annotated[str, Field(min_length=7, max_length=7), AfterValidator(check_fiscal_year)]
"""A fiscal year of Pakistan, 1 July to 30 June: "2026-27"."""


class PlanLineRef(ValueObject):
    """The plan line a tender cites: the fiscal year of its plan and the line's id. The
    application fills in the line's description and estimated value as the plan said them
    when the tender was published, so the notice keeps what it cited."""

    fiscal_year: FiscalYear
    line_id: ShortId
    description: ItemDescription | None = None
    estimated_value: Money | None = None


class DirectContractingCase(StrEnum):
    """The cases in which the rules allow direct contracting (their words and citation are
    rule data: ``domain/rules.DIRECT_CONTRACTING_CASES``)."""

    PROPRIETARY_SPARES = "proprietary_spares"
    SINGLE_SOURCE = "single_source"
    COMPATIBILITY = "compatibility"
    EXTENSION_BY_SAME_CONTRACTOR = "extension_by_same_contractor"
    GOVERNMENT_FIXED_PRICE = "government_fixed_price"
    EMERGENCY = "emergency"
    LOCALLY_MANUFACTURED_VEHICLES = "locally_manufactured_vehicles"


class DirectContractingJustification(ValueObject):
    """Why a tender goes to one supplier without competition: the rules' case it falls in,
    and the officer's explanation; published with the notice."""

    case: DirectContractingCase
    explanation: Annotated[str, Field(min_length=1, max_length=5000), MULTI_LINE]

    @model_validator(mode="after")
    def _explained(self) -> Self:
        if not self.explanation.strip():
            msg = "a direct-contracting justification needs its explanation"
            raise ValueError(msg)
        return self


MeetingPlace = Annotated[str, Field(min_length=1, max_length=500), SINGLE_LINE]
MeetingLink = Annotated[str, Field(max_length=500, pattern=r"^https://[^\s]+$"), SINGLE_LINE]


class PreBidMeeting(ValueObject):
    """A meeting the notice invites bidders to before the clarification deadline: when, and
    where or at which online link (or both). Its minutes are published as an addendum."""

    at: UtcDatetime
    place: MeetingPlace | None = None
    link: MeetingLink | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.place is None and self.link is None:
            msg = "a pre-bid meeting needs its place or its online link"
            raise ValueError(msg)
        return self


MAX_FRAMEWORK_SUPPLIERS = 20
"""The most suppliers a framework agreement may name: a bound on the input, not a rule."""

SINGLE_STAGE_METHODS = frozenset(
    {
        "single_stage_one_envelope",
        "single_stage_two_envelope",
        "two_stage",
        "request_for_quotations",
    }
)
"""The methods a framework agreement and its mini-competitions may run by: a single, competed
stage, whose awards are the suppliers' places (a framework) or the call-off (a
mini-competition). Not direct contracting (not competed); not a two-stage method (stage one
is not awarded, and its priced stage two would follow it, not the framework). An allowlist,
so that methods added later are refused until allowed."""


class FrameworkPeriod(ValueObject):
    """When a framework agreement's call-offs may be placed: from ``start`` to ``end``."""

    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.start < self.end:
            msg = "the framework's period must end after it starts"
            raise ValueError(msg)
        return self


class FrameworkTerms(ValueObject):
    """A framework agreement's terms, published with its notice (docs/frameworks.md): it is
    awarded to up to ``max_suppliers`` ranked bids, whose signed contracts are the framework
    agreements; call-offs follow within ``period``, their values summing to at most
    ``ceiling``."""

    max_suppliers: Annotated[int, Field(ge=1, le=MAX_FRAMEWORK_SUPPLIERS)]
    period: FrameworkPeriod
    ceiling: Money


_DEFAULT_EVALUATION = {
    "request_for_quotations": EvaluationMethod.RFQ,
    "direct_contracting": EvaluationMethod.DIRECT,
    "two_stage_one_envelope": EvaluationMethod.QUALIFICATION,
    "two_stage_two_envelope": EvaluationMethod.QUALIFICATION,
}
_TWO_ENVELOPES = {"single_stage_two_envelope", "two_stage"}


MAX_BUNDLE_LOTS = 12
"""The most lots of a tender whose notice allows bundle discounts: the evaluation's search
for the cheapest combination is exact, over the sets of lots (2**12 of them at most)."""
LOWEST_PRICE_METHODS = frozenset({EvaluationMethod.LEAST_COST, EvaluationMethod.RFQ})
"""The evaluations that rank by the lowest price, which bundle discounts lower."""


class TenderTerms(ValueObject):
    """Everything an officer writes in a tender before it is published."""

    reference: Reference
    title: Title
    description: Description = ""
    category: Category
    method: Method
    scope: Scope = Scope.NATIONAL
    estimated_value: Money
    lots: Annotated[tuple[Lot, ...], Field(min_length=1, max_length=MAX_LOTS)]
    bid_security: BidSecurity | None = None
    bid_validity_days: ValidityDays
    timeline: Timeline
    evaluation: EvaluationTerms | None = None  # None: the method's default, least cost
    # The notice in Urdu and Sindhi; English is title and description. Which of them a
    # method needs is a rule (MethodRules.notice_languages), checked when publishing.
    translations: dict[TranslationLanguage, NoticeText] = Field(default_factory=dict)
    # True: each lot is evaluated, ranked and awarded on its own (a bid prices any of the
    # lots; docs/lots.md). False, as every tender before: whole-tender bids, one award.
    award_by_lot: bool = False
    # The winner's performance security, in percent of the award's value; None: none asked
    # (docs/securities.md). Its cap is a rule (SecurityRules), checked when publishing.
    performance_security_percent: Percent | None = None
    # The annual plan's line the tender carries out (docs/plans.md), or why it is not
    # planned; a tender published before plans existed has neither.
    plan_line: PlanLineRef | None = None
    unplanned_reason: Reason | None = None
    # Required of direct contracting when publishing (checked by the application, so that
    # notices published before it replay); refused on any other method.
    direct_contracting: DirectContractingJustification | None = None
    pre_bid_meeting: PreBidMeeting | None = None
    # A framework agreement's terms (docs/frameworks.md); None, as every tender before: a
    # tender awarded to one bid (or one a lot).
    framework: FrameworkTerms | None = None
    # The tender this one follows (stage two of a two-stage tender, a framework's call-off),
    # and the only vendors who may bid on it; both filled in by the application when it
    # creates the follow-on tender, never typed by an officer. Empty: open to every vendor.
    related: RelatedProcess | None = None
    invited_vendors: Annotated[tuple[UUID, ...], Field(max_length=MAX_INVITED)] = ()
    # Their names as their accounts gave them when the tender was created (the public
    # notice shows them), in invited_vendors' order.
    invited_names: Annotated[tuple[Line, ...], Field(max_length=MAX_INVITED)] = ()
    # True: a bid may offer lot-bundle discounts, and the evaluation recommends the cheapest
    # combination of the lots' bids (docs/lots.md#bundle-discounts). False, as every tender
    # before. Allowed only as ``check_bundle_discounts`` says (checked by the application).
    bundle_discounts: bool = False

    @property
    def evaluation_terms(self) -> EvaluationTerms:
        if self.evaluation is not None:
            return self.evaluation
        method = _DEFAULT_EVALUATION.get(self.method.value, EvaluationMethod.LEAST_COST)
        return EvaluationTerms(method=method)

    @model_validator(mode="after")
    def _invitations(self) -> Self:
        if len(set(self.invited_vendors)) != len(self.invited_vendors):
            msg = "a vendor is invited once"
            raise ValueError(msg)
        if len(self.invited_names) != len(self.invited_vendors):
            msg = "each invited vendor needs its name"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        lot_ids = [lot.id for lot in self.lots]
        if len(set(lot_ids)) != len(lot_ids):
            msg = "lot ids must be unique"
            raise ValueError(msg)
        item_ids = [item.id for lot in self.lots for item in lot.items]
        if len(set(item_ids)) != len(item_ids):
            msg = "item ids must be unique within the tender"
            raise ValueError(msg)
        currency = self.estimated_value.currency
        others = [lot.estimated_value for lot in self.lots if lot.estimated_value is not None]
        if self.bid_security is not None:
            others.append(self.bid_security.amount)
        if any(money.currency != currency for money in others):
            msg = "all amounts must be in the estimated value's currency"
            raise ValueError(msg)
        evaluation = self.evaluation_terms
        expected = _DEFAULT_EVALUATION.get(self.method.value)
        if expected is not None and evaluation.method is not expected:
            msg = f"a {self.method.value} tender is evaluated by {expected.value}"
            raise ValueError(msg)
        if evaluation.method is EvaluationMethod.QUALIFICATION and expected is None:
            msg = "only stage one of a two-stage tender is evaluated by qualification"
            raise ValueError(msg)
        if evaluation.method is EvaluationMethod.QCBS and self.method.value not in _TWO_ENVELOPES:
            msg = "quality and cost based selection needs a two-envelope method"
            raise ValueError(msg)
        if self.plan_line is not None and self.unplanned_reason is not None:
            msg = "a tender cites its plan line or says why it is not planned, not both"
            raise ValueError(msg)
        if self.direct_contracting is not None and self.method is not Method.DIRECT_CONTRACTING:
            msg = "only a direct_contracting tender gives a direct-contracting justification"
            raise ValueError(msg)
        self._framework_consistent()
        self._follow_on_consistent()
        return self

    def check_bundle_discounts(self) -> None:
        """Bundle discounts need a tender awarded by lot, evaluated by the lowest price (at
        least cost or lowest quotation: not QCBS, not stage one's qualification), with 2 to
        ``MAX_BUNDLE_LOTS`` lots (the cheapest combination is an exact search over the sets
        of lots). Checked by the application when a draft is written and published."""
        if not self.bundle_discounts:
            return
        if not self.award_by_lot:
            raise BundleDiscountsNotAllowedError("bundle discounts need award_by_lot")
        if self.evaluation_terms.method not in LOWEST_PRICE_METHODS:
            raise BundleDiscountsNotAllowedError(
                "bundle discounts need an evaluation by the lowest price (least_cost or "
                f"request_for_quotations), not {self.evaluation_terms.method.value}"
            )
        if not 2 <= len(self.lots) <= MAX_BUNDLE_LOTS:  # noqa: PLR2004
            raise BundleDiscountsNotAllowedError(
                f"bundle discounts need 2 to {MAX_BUNDLE_LOTS} lots, not {len(self.lots)}"
            )

    def _framework_consistent(self) -> None:
        framework = self.framework
        if framework is None:
            return
        if framework.ceiling.currency != self.estimated_value.currency:
            msg = "all amounts must be in the estimated value's currency"
            raise ValueError(msg)
        # The estimate is what the method's value limit bounds (checked when publishing): a
        # ceiling above it would let call-offs spend what no competition was held for.
        if framework.ceiling.amount > self.estimated_value.amount:
            msg = "framework.ceiling must not exceed the estimated value"
            raise ValueError(msg)
        if self.method.value not in SINGLE_STAGE_METHODS:
            msg = f"a framework agreement is competed in a single stage: not {self.method.value}"
            raise ValueError(msg)
        if self.award_by_lot:
            msg = "a framework agreement is awarded whole (by lot is not built)"
            raise ValueError(msg)

    def _follow_on_consistent(self) -> None:
        related = self.related
        if related is None:
            return
        if self.framework is not None:
            msg = "a tender that follows another is not itself a framework agreement"
            raise ValueError(msg)
        if (
            related.relationship is Relationship.FRAMEWORK
            and self.method.value not in SINGLE_STAGE_METHODS
        ):
            msg = f"a mini-competition is not run by {self.method.value}"
            raise ValueError(msg)


class Relationship(StrEnum):
    """How a tender follows another (values from the OCDS relatedProcess codelist)."""

    PRIOR = "prior"  # stage two follows its stage one
    FRAMEWORK = "framework"  # a call-off of a framework agreement


class RelatedProcess(ValueObject):
    """The tender this one follows, and how."""

    tender_id: UUID
    relationship: Relationship


TenderTerms.model_rebuild()
