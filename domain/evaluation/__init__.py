"""The Evaluation aggregate: a tender's committee, its work on the opened bids, its report.

``values.py`` holds its value objects, ``aggregate.py`` its events and commands, ``report.py``
what it finds about the bids and its report. The names are re-exported here.

One per tender (its id is derived from the tender's), started after the public opening with
a copy of what the opening record says about every bid, so that its guards read only itself.

- The committee (an odd number of the entity's officers, one of them chair) is named when
  the evaluation starts. Each member declares conflicts of interest before doing anything
  else; a member with a conflict is recused and never scores.
- Responsiveness is checked mechanically (bid security, validity, required documents, every
  lot priced in the tender's currency) and by the chair, who may disqualify a bid only with a
  published reason (and reinstate one it disqualified, again with a reason).
- Quality and cost based selection: every unrecused member scores every responsive bid on
  every published criterion, with a justification, before any price is seen; the technical
  score is the members' mean, in percent of the maximum.
- Two-envelope methods: the financial envelopes of technically qualified bids only are opened
  (by the application, which records their prices here); the others stay sealed for ever.
- Finalising publishes the report: every bid, its responsiveness and reasons, its scores,
  read and evaluated price, rank. Its content is a pure function of this aggregate, checked
  again on every replay.
"""

from domain.bid import MAX_TOTAL
from domain.evaluation.aggregate import Evaluation
from domain.evaluation.combination import CombinationPart, cheapest_combination
from domain.evaluation.report import EvaluationQueries, EvaluationReport, ReportEntry
from domain.evaluation.values import (
    AWARD_NAMESPACE,
    CENT,
    EVALUATION_NAMESPACE,
    Candidate,
    Correction,
    CriterionScore,
    Declaration,
    EvaluationStatus,
    FinancialBid,
    LiveAward,
    Member,
    MemberScore,
    Ruling,
    award_id_for,
    evaluation_id_for,
)
from domain.fields import Reason

__all__ = [
    "AWARD_NAMESPACE",
    "CENT",
    "EVALUATION_NAMESPACE",
    "MAX_TOTAL",
    "Candidate",
    "CombinationPart",
    "Correction",
    "CriterionScore",
    "Declaration",
    "Evaluation",
    "EvaluationQueries",
    "EvaluationReport",
    "EvaluationStatus",
    "FinancialBid",
    "LiveAward",
    "Member",
    "MemberScore",
    "Reason",
    "ReportEntry",
    "Ruling",
    "award_id_for",
    "cheapest_combination",
    "evaluation_id_for",
]
