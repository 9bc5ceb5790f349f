"""Request and response bodies. Every request model forbids unknown fields, so a client
cannot set what only the platform sets (status, times, versions)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from litestar.exceptions import ValidationException
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
    model_validator,
)

from api.body import REQUEST_MAX_BODY_SIZE
from api.read_tokens import ReadTokens
from domain.account import VendorProfile
from domain.award import ContractPeriod, Remedy
from domain.bid import BidContents, BidSecurityOffer, Document, LotPrice
from domain.errors import InvalidTextError
from domain.evaluation import CriterionScore
from domain.sealing import EnvelopeName, SealedBid
from domain.text import MULTI_LINE, SECRET, SINGLE_LINE, Line, check_text
from domain.values import (
    BidSecurity,
    Category,
    Criterion,
    EvaluationMethod,
    EvaluationTerms,
    Item,
    Lot,
    Method,
    Money,
    NoticeText,
    Scope,
    TenderTerms,
    TieBreak,
    Timeline,
    to_utc,
)
from procurement.crypto.hpke import envelope_from_ciphertext
from procurement.store.application_base import WriteResult


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        msg = "must be an RFC 3339 date-time string"
        raise ValueError(msg)  # noqa: TRY004 (pydantic reports ValueError as a field error)
    return value


def _integer_only(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        msg = "must be a JSON integer"
        raise ValueError(msg)  # noqa: TRY004 (pydantic reports ValueError as a field error)
    return value


# Litestar validates bodies in lax mode, so strictness is spelled out per type: a deadline
# must be a string (not a Unix number), a count an integer (not "90").
_YEARS = r"^2[0-9]{3}-"
"""A time's year as written: 2000 to 2999 (``domain.values.to_utc`` then checks it in UTC)."""


def _written_in_our_years(value: Any) -> Any:
    if isinstance(value, str) and not re.match(_YEARS, value):
        msg = "must be a time from 2000 to 2999"
        raise ValueError(msg)
    return value


# Validators run from the last: the text check, then the year as written, then in UTC.
Rfc3339 = Annotated[
    AwareDatetime,
    BeforeValidator(_written_in_our_years),
    BeforeValidator(_text_only),
    AfterValidator(to_utc),
    Field(json_schema_extra={"pattern": _YEARS}),
]
StrictCount = Annotated[int, BeforeValidator(_integer_only)]
"""An integer, as JSON writes one (its schema: ``integer``); not "90", not 90.0, not true."""


def _matching(pattern: str, meaning: str) -> Callable[[str], str]:
    """A pattern check whose error says what is wanted in words (pydantic's own message
    quotes the regular expression, which the portal would show a vendor as it is)."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            msg = f"must be {meaning}"
            raise ValueError(msg)
        return value

    return check


_AMOUNT = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$"
Amount = Annotated[
    str,
    AfterValidator(
        _matching(_AMOUNT, "an amount in digits with at most two decimals, e.g. 125000.00")
    ),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _AMOUNT,
            "description": "a non-negative decimal string with at most two places, "
            "e.g. '125000.00'",
            "examples": ["125000.00"],
        }
    ),
]
DecimalText = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]{0,12})(\.[0-9]{1,4})?$")]
PositiveDecimalText = Annotated[
    str,
    Field(
        pattern=r"^([1-9][0-9]{0,12}(\.[0-9]{1,4})?"
        r"|0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$"
    ),
]
"""A decimal above zero (an item's quantity), at most four places."""


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def query_text(name: str, value: str | None) -> str | None:
    """A text query parameter under the text rule (``domain/text.py``: a single line),
    normalised. A refusal is a 422 naming the parameter, before it reaches any query."""
    if value is None:
        return None
    try:
        return check_text(value, single_line=True)
    except InvalidTextError as error:
        raise ValidationException(
            detail=f"{name}: {error}",
            status_code=422,
            extra=[{"key": name, "message": str(error), "source": "query"}],
        ) from None


class MoneyIn(Body):
    amount: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "PKR"

    def to_domain(self) -> Money:
        return Money(amount=Decimal(self.amount), currency=self.currency)


class ItemIn(Body):
    id: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    description: Annotated[str, Field(min_length=1, max_length=2000), MULTI_LINE]
    quantity: PositiveDecimalText
    unit: Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE]
    classification: Annotated[str, Field(max_length=64), SINGLE_LINE] | None = None

    def to_domain(self) -> Item:
        return Item(
            id=self.id,
            description=self.description,
            quantity=Decimal(self.quantity),
            unit=self.unit,
            classification=self.classification,
        )


class LotIn(Body):
    id: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    title: Annotated[str, Field(min_length=1, max_length=300), SINGLE_LINE]
    estimated_value: MoneyIn | None = None
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=500)]

    def to_domain(self) -> Lot:
        return Lot(
            id=self.id,
            title=self.title,
            estimated_value=self.estimated_value.to_domain() if self.estimated_value else None,
            items=tuple(item.to_domain() for item in self.items),
        )


class BidSecurityIn(Body):
    amount: MoneyIn
    forms: Annotated[list[Line], Field(max_length=10)] | None = None

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
    id: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    name: Annotated[str, Field(min_length=1, max_length=300), SINGLE_LINE]
    max_score: Annotated[StrictCount, Field(ge=1, le=1000)]

    def to_domain(self) -> Criterion:
        return Criterion(id=self.id, name=self.name, max_score=self.max_score)


class EvaluationTermsIn(Body):
    """How the bids will be evaluated: published with the notice, binding on the committee."""

    method: EvaluationMethod = EvaluationMethod.LEAST_COST
    criteria: Annotated[list[CriterionIn], Field(max_length=50)] = []
    pass_mark: Percent = "70"  # noqa: S105 (a score, not a password)
    technical_weight: Percent = "0"
    financial_weight: Percent = "100"
    tie_break: TieBreak = TieBreak.EARLIEST_SUBMISSION
    required_documents: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=255), SINGLE_LINE]],
        Field(max_length=50),
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

    title: Annotated[str, Field(min_length=1, max_length=300), SINGLE_LINE]
    description: Annotated[str, Field(max_length=20000), MULTI_LINE] = ""

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


class TenderIn(Body):
    """A draft tender, as an officer writes it."""

    reference: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    title: Annotated[str, Field(min_length=1, max_length=300), SINGLE_LINE]
    description: Annotated[str, Field(max_length=20000), MULTI_LINE] = ""
    category: Category
    method: Method
    scope: Scope = Scope.NATIONAL
    estimated_value: MoneyIn
    lots: Annotated[list[LotIn], Field(min_length=1, max_length=100)]
    bid_security: BidSecurityIn | None = None
    bid_validity_days: Annotated[StrictCount, Field(ge=1, le=365)]
    timeline: TimelineIn
    evaluation: EvaluationTermsIn | None = None
    translations: Translations = {}  # pydantic copies the default for each instance

    def to_domain(self) -> TenderTerms:
        return TenderTerms(**domain_fields(self))


class TenderPatch(Body):
    """Changes to a draft: only the fields given are changed."""

    reference: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE] | None = None
    title: Annotated[str, Field(min_length=1, max_length=300), SINGLE_LINE] | None = None
    description: Annotated[str, Field(max_length=20000), MULTI_LINE] | None = None
    category: Category | None = None
    method: Method | None = None
    scope: Scope | None = None
    estimated_value: MoneyIn | None = None
    lots: Annotated[list[LotIn], Field(min_length=1, max_length=100)] | None = None
    bid_security: BidSecurityIn | None = None
    bid_validity_days: Annotated[StrictCount, Field(ge=1, le=365)] | None = None
    timeline: TimelineIn | None = None
    evaluation: EvaluationTermsIn | None = None
    translations: Translations | None = None  # replaces the draft's translations whole

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


class CancelIn(Body):
    reason: Annotated[str, Field(min_length=1, max_length=5000), MULTI_LINE]


class QuestionIn(Body):
    text: Annotated[str, Field(min_length=1, max_length=5000), MULTI_LINE]


class AnswerIn(Body):
    answer: Annotated[str, Field(min_length=1, max_length=20000), MULTI_LINE]


class TokenRequest(Body):
    username: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    # Compared as typed with the password set before (never stored): not checked here.
    password: Annotated[str, Field(min_length=1, max_length=256)]
    totp_code: Annotated[str, Field(max_length=16)] | None = None
    """The authenticator app's six digits, for an account with a second factor."""
    recovery_code: Annotated[str, Field(max_length=32)] | None = None
    """Or one of its recovery codes (each works once)."""


class VendorRegistration(Body):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{3,64}$")]
    password: Annotated[str, Field(min_length=10, max_length=256), SECRET]
    legal_name: Annotated[str, Field(min_length=1, max_length=300), SINGLE_LINE]
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


class ProblemError(BaseModel):
    """Where a request is not valid, and why."""

    loc: list[str]
    message: str


class Problem(BaseModel):
    """Every error the API answers: RFC 9457 ``application/problem+json`` (``api/errors.py``).
    ``/ready`` adds what it found (``projections``, ``failing``)."""

    model_config = ConfigDict(extra="allow")

    type: Annotated[str, Field(pattern=r"^urn:sindh-procurement:problem:[a-z][a-z0-9_]*$")]
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str
    instance: str
    code: Annotated[
        str,
        Field(
            pattern=r"^[a-z][a-z0-9_]*$",
            description="stable, for programs: each answer lists its codes in x-codes",
        ),
    ]
    request_id: Annotated[str, Field(description="as the X-Request-ID header")]
    errors: Annotated[
        list[ProblemError], Field(description="validation problems: each field refused")
    ] = []


class WriteOut(BaseModel):
    id: UUID
    version: int
    position: int
    read_token: str = Field(
        description="pass it as read_token= to a public read to see this write (opaque)"
    )

    @classmethod
    def of(cls, result: WriteResult, tokens: ReadTokens) -> WriteOut:
        return cls(
            id=result.id,
            version=result.version,
            position=result.position,
            read_token=tokens.issue(result.position),
        )


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class ReadyOut(BaseModel):
    status: str
    projections: dict[str, str]
    checked_at: datetime


def _decodes_as_base64(value: str) -> str:
    """The alphabet is not enough: a length that is not a multiple of four matches the pattern
    but does not decode (it would fail later, inside the command)."""
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error:
        msg = "must be standard base64, padded with = to a multiple of 4 characters"
        raise ValueError(msg) from None
    return value


_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
Base64Text = Annotated[
    str,
    # Checked by decoding (as fast as reading it); stated as the pattern it amounts to.
    Field(json_schema_extra={"pattern": _BASE64}),
    AfterValidator(_decodes_as_base64),
]
LONGEST_BASE64 = (REQUEST_MAX_BODY_SIZE - 100) // 4 * 4
"""The longest base64 field a request can carry: the smallest body around one takes fewer than
100 bytes, and the body as a whole is at most ``REQUEST_MAX_BODY_SIZE`` (413 beyond)."""


class EnvelopeIn(Body):
    """An envelope sealed on the vendor's machine (``procurement seal``)."""

    name: EnvelopeName
    ciphertext: Annotated[Base64Text, Field(min_length=44, max_length=LONGEST_BASE64)]


class LotPriceIn(Body):
    lot_id: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    price: MoneyIn


class BidSecurityOfferIn(Body):
    instrument: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    issuer: Annotated[str, Field(min_length=1, max_length=300), SINGLE_LINE]
    amount: MoneyIn


class DocumentIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=255), SINGLE_LINE]
    content: Annotated[Base64Text, Field(max_length=LONGEST_BASE64)]


class BidContentsIn(Body):
    """A bid in plain form: the platform seals it on arrival and keeps only the envelopes."""

    prices: Annotated[list[LotPriceIn], Field(max_length=100)] = []
    technical_offer: Annotated[str, Field(max_length=200_000), MULTI_LINE] = ""
    documents: Annotated[list[DocumentIn], Field(max_length=50)] = []
    bid_security: BidSecurityOfferIn | None = None
    validity_days: Annotated[StrictCount, Field(ge=1, le=365)] | None = None

    def to_domain(self) -> BidContents:
        return BidContents(
            prices=tuple(LotPrice(lot_id=p.lot_id, price=p.price.to_domain()) for p in self.prices),
            technical_offer=self.technical_offer,
            documents=tuple(Document(name=d.name, content=d.content) for d in self.documents),
            bid_security=None
            if self.bid_security is None
            else BidSecurityOffer(
                instrument=self.bid_security.instrument,
                issuer=self.bid_security.issuer,
                amount=self.bid_security.amount.to_domain(),
            ),
            validity_days=self.validity_days,
        )


class BidIn(Body):
    """Either ``envelopes`` sealed by the vendor, or ``contents`` for the platform to seal."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["envelopes"], "properties": {"envelopes": {"type": "array"}}},
                {"required": ["contents"], "properties": {"contents": {"type": "object"}}},
            ]
        }
    )

    envelopes: Annotated[list[EnvelopeIn], Field(min_length=1, max_length=2)] | None = None
    contents: BidContentsIn | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if (self.envelopes is None) == (self.contents is None):
            msg = "send either envelopes (sealed by you) or contents (sealed by the platform)"
            raise ValueError(msg)
        return self

    def to_domain(self) -> SealedBid | BidContents:
        if self.contents is not None:
            return self.contents.to_domain()
        return SealedBid(
            envelopes=tuple(
                envelope_from_ciphertext(e.name, base64.b64decode(e.ciphertext))
                for e in self.envelopes or ()
            )
        )


class BidOut(BaseModel):
    id: UUID
    tender_id: UUID
    status: str
    version: int
    receipt: dict[str, Any]
    ledger: dict[str, Any] | None = None  # the receipt's inclusion proof, once checkpointed


# Evaluation, award, complaints, contract ---------------------------------------------------

Username = Annotated[str, Field(min_length=3, max_length=64), SINGLE_LINE]
Reason = Annotated[str, Field(max_length=5000), MULTI_LINE]


class CommitteeIn(Body):
    members: Annotated[list[Username], Field(min_length=1, max_length=15)]
    chair: Username


class CommitteeChangeIn(CommitteeIn):
    reason: Annotated[str, Field(min_length=1, max_length=5000), MULTI_LINE]


class DeclarationIn(Body):
    conflict_of_interest: bool
    statement: Reason = ""


class CriterionScoreIn(Body):
    criterion_id: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    score: Annotated[StrictCount, Field(ge=0, le=1000)]
    justification: Annotated[str, Field(min_length=1, max_length=5000), MULTI_LINE]


class EvaluationAction(StrEnum):
    SCORE = "score"
    DISQUALIFY = "disqualify"
    REINSTATE = "reinstate"
    CORRECT_PRICE = "correct_price"


_ACTION_FIELDS = {
    "scores": "array",
    "reason": "string",
    "lot_id": "string",
    "corrected_price": "object",
}
_FIELDS_OF_ACTION = {
    EvaluationAction.SCORE: ("scores",),
    EvaluationAction.DISQUALIFY: ("reason",),
    EvaluationAction.REINSTATE: ("reason",),
    EvaluationAction.CORRECT_PRICE: ("corrected_price", "lot_id", "reason"),
}


def _action_schemas() -> list[JsonValue]:
    """``_FIELDS_OF_ACTION`` in JSON Schema: each action with its fields given, the others
    absent or null."""
    return [
        {
            "properties": {
                "action": {"const": action.value},
                **{
                    name: {"type": kind if name in needs else "null"}
                    for name, kind in _ACTION_FIELDS.items()
                },
            },
            "required": list(needs),
        }
        for action, needs in _FIELDS_OF_ACTION.items()
    ]


class EvaluationIn(Body):
    """One committee act on one bid: a member's scores, or the chair's disqualification,
    reinstatement or arithmetic correction (each with its published reason)."""

    model_config = ConfigDict(json_schema_extra={"oneOf": _action_schemas()})

    action: EvaluationAction
    bid_id: UUID
    scores: Annotated[list[CriterionScoreIn], Field(max_length=50)] | None = None
    reason: Reason | None = None
    lot_id: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE] | None = None
    corrected_price: MoneyIn | None = None

    @model_validator(mode="after")
    def _fields_of_action(self) -> Self:
        needs = set(_FIELDS_OF_ACTION[self.action])
        given = {name for name in _ACTION_FIELDS if getattr(self, name) is not None}
        if given != needs:
            msg = f"{self.action.value} takes: {', '.join(sorted(needs))}"
            raise ValueError(msg)
        return self

    def criterion_scores(self) -> list[CriterionScore]:
        return [
            CriterionScore(
                criterion_id=s.criterion_id, score=s.score, justification=s.justification
            )
            for s in self.scores or ()
        ]


class AwardIn(Body):
    bid_id: UUID
    reason: Reason = ""  # required when the bid is not the best-ranked


class ComplaintIn(Body):
    grounds: Annotated[str, Field(min_length=1, max_length=20000), MULTI_LINE]


class DecisionIn(Body):
    outcome: Literal["upheld", "dismissed"]
    remedy: Remedy | None = None
    reasons: Annotated[str, Field(min_length=1, max_length=20000), MULTI_LINE]


class ContractPeriodIn(Body):
    start: Rfc3339
    end: Rfc3339


class ContractIn(Body):
    value: MoneyIn
    period: ContractPeriodIn

    def period_domain(self) -> ContractPeriod:
        return ContractPeriod(start=self.period.start, end=self.period.end)


# Open data: the OCDS 1.1.5 packages, their top level (the releases in them follow the OCDS
# release schema: https://standard.open-contracting.org/1.1/en/schema/release/) ------------

_OCDS_VERSION = r"^(\d+\.)(\d+)$"


class OcdsPublisher(BaseModel):
    name: str


class OcdsRelease(BaseModel):
    """An OCDS release: the members every release has; the rest per the release schema."""

    model_config = ConfigDict(extra="allow")

    ocid: str
    id: str
    date: datetime
    tag: list[str]
    initiation_type: Literal["tender"] = Field(alias="initiationType")


class OcdsLinks(BaseModel):
    next: Annotated[str, Field(json_schema_extra={"format": "uri"})]


class ReleasePackage(BaseModel):
    """An OCDS release package: a page of the feed, with the link to the next page."""

    uri: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    version: Annotated[str, Field(pattern=_OCDS_VERSION)]
    extensions: list[Annotated[str, Field(json_schema_extra={"format": "uri"})]]
    publisher: OcdsPublisher
    published_date: Annotated[
        datetime | None,
        Field(alias="publishedDate", description="absent from a page with no release"),
    ] = None
    releases: list[OcdsRelease]
    links: OcdsLinks


class OcdsRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    ocid: str
    releases: list[OcdsRelease]
    compiled_release: dict[str, Any] = Field(alias="compiledRelease")
    versioned_release: dict[str, Any] = Field(alias="versionedRelease")


class RecordPackage(BaseModel):
    """An OCDS record package: one contracting process, compiled and versioned."""

    uri: Annotated[str, Field(json_schema_extra={"format": "uri"})]
    version: Annotated[str, Field(pattern=_OCDS_VERSION)]
    extensions: list[Annotated[str, Field(json_schema_extra={"format": "uri"})]]
    publisher: OcdsPublisher
    published_date: datetime = Field(alias="publishedDate")
    packages: list[Annotated[str, Field(json_schema_extra={"format": "uri"})]]
    records: list[OcdsRecord]
