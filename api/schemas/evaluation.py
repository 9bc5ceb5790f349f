"""Request bodies of evaluation, award, complaints and contract; the answers of an
evaluation."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    model_validator,
)

from api.schemas.common import STATED, Body, Rfc3339, StatedText, StrictCount, TimeText, UuidText
from api.schemas.tenders import MoneyIn
from domain.award import ContractPeriod, Remedy
from domain.evaluation import CriterionScore, EvaluationStatus
from domain.fields import MAX_CRITERIA, Reason, ShortId
from domain.text import MULTI_LINE, SINGLE_LINE
from domain.values import EvaluationMethod

# Evaluation, award, complaints, contract ---------------------------------------------------

Username = Annotated[str, Field(min_length=3, max_length=64), SINGLE_LINE]


class CommitteeIn(Body):
    members: Annotated[list[Username], Field(min_length=1, max_length=15)]
    chair: Username


class CommitteeChangeIn(CommitteeIn):
    reason: StatedText


class DeclarationIn(Body):
    conflict_of_interest: bool
    statement: Reason = ""


class CriterionScoreIn(Body):
    criterion_id: ShortId
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
    scores: Annotated[list[CriterionScoreIn], Field(max_length=MAX_CRITERIA)] | None = None
    reason: Annotated[Reason, STATED] | None = None
    lot_id: ShortId | None = None
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
    # Required (and published) when the bid is not the best-ranked, and when a request for
    # quotations received fewer quotations than its rules' minimum.
    reason: Annotated[Reason, STATED] = ""
    lot_id: ShortId | None = None  # required when the tender is awarded by lot (docs/lots.md)


class ComplaintIn(Body):
    grounds: Annotated[str, Field(min_length=1, max_length=20000), MULTI_LINE, STATED]


class DecisionIn(Body):
    outcome: Literal["upheld", "dismissed"]
    remedy: Remedy | None = None
    reasons: Annotated[str, Field(min_length=1, max_length=20000), MULTI_LINE, STATED]


class ContractPeriodIn(Body):
    start: Rfc3339
    end: Rfc3339


class ContractIn(Body):
    value: MoneyIn
    period: ContractPeriodIn

    def period_domain(self) -> ContractPeriod:
        return ContractPeriod(start=self.period.start, end=self.period.end)


# Answers -----------------------------------------------------------------------------------

_DECIMAL = Field(description="a decimal, as text")
_MONEY = Field(description="an amount: {amount, currency}")


class MyEvaluationOut(BaseModel):
    """A vendor's own bid in the latest published report: the report's outcome, then the
    bid's entry in it (``domain.evaluation.ReportEntry``)."""

    model_config = ConfigDict(extra="forbid")

    report_number: int
    method: EvaluationMethod
    bids_ranked: int
    recommended: Annotated[
        bool, Field(description="the report recommends this bid (awarded by lot: on a lot)")
    ]
    superseded: Annotated[
        bool, Field(description="the evaluation was reopened: a new report will follow")
    ]
    bid_id: UuidText
    vendor_id: UuidText
    vendor_name: str
    received_at: TimeText
    status: Annotated[str, Field(description="evaluated, withdrawn or unreadable")]
    responsive: bool
    reasons: list[str]
    member_scores: list[dict[str, Any]]
    technical_score: Annotated[str | None, _DECIMAL]
    technically_qualified: bool | None
    financial_envelope: Annotated[
        str | None, Field(description="opened, or sealed (never opened); null for one envelope")
    ]
    read_price: Annotated[dict[str, Any] | None, _MONEY]
    corrections: list[dict[str, Any]]
    evaluated_price: Annotated[dict[str, Any] | None, _MONEY]
    financial_score: Annotated[str | None, _DECIMAL]
    combined_score: Annotated[str | None, _DECIMAL]
    rank: int | None
    lots: Annotated[
        list[dict[str, Any]],
        Field(
            description="awarded by lot: each lot the bid is ranked on (lot_id, "
            "evaluated_price, financial_score, combined_score, rank); empty otherwise"
        ),
    ] = []
    discounts: Annotated[
        list[dict[str, Any]],
        Field(
            description="its lot-bundle discounts (lots, percent), when the notice allows "
            "them; empty otherwise"
        ),
    ] = []
    combination: Annotated[
        list[dict[str, Any]],
        Field(
            description="its parts of the report's cheapest combination (bid_id, lots, "
            "discount_percent, price), when the notice allows bundle discounts"
        ),
    ] = []


class EvaluationOut(BaseModel):
    """An evaluation as the entity's officers see it while it runs."""

    model_config = ConfigDict(extra="forbid")

    tender_id: UUID
    version: int
    status: EvaluationStatus
    committee: list[dict[str, Any]]
    declarations: list[dict[str, Any]]
    to_open_financially: Annotated[
        list[UuidText],
        Field(description="the bids whose financial envelopes the second opening opens"),
    ]
    current_award: Annotated[
        UuidText | None, Field(description="the live award of a tender awarded whole")
    ]
    max_awards: Annotated[
        int,
        Field(
            description="how many live awards the tender (or each lot) may hold at once: a "
            "framework agreement's max_suppliers, 1 for any other tender"
        ),
    ]
    live_awards: Annotated[
        list[dict[str, Any]],
        Field(
            description="each live award: lot_id (null: the whole tender), award_id, bid_id "
            "and discount_percent (its bundle's discount, or null)"
        ),
    ]
    draft_report: Annotated[
        dict[str, Any], Field(description="the report as it would be published now")
    ]
    reports: list[dict[str, Any]]
