"""How value objects are stored inside events: one generic transcoding per pydantic type.

Each type is stored under a stable name (not its module path), so modules can move
without breaking replay.
"""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.persistence import JSONTranscoder, Transcoding
from pydantic import BaseModel

from domain.account import VendorProfile
from domain.award import ContractPeriod
from domain.bid import LotPrice, SealedBid, SealedEnvelope
from domain.documents import DocumentChange, DocumentChanges, NoticeDocuments, TenderDocument
from domain.evaluation import (
    Candidate,
    CriterionScore,
    EvaluationReport,
    FinancialBid,
    Member,
)
from domain.opening import OpeningRecord
from domain.plan import PlanLine
from domain.rules import Citation, GrievanceRules, MethodRules, SecurityRules
from domain.sealing import SealingKey, SealingKeySet
from domain.securities import Bidder, Instrument
from domain.tender import Amendment, Question
from domain.text import STORED
from domain.values import (
    Actor,
    BidSecurity,
    EvaluationTerms,
    FrameworkPeriod,
    Item,
    Lot,
    Money,
    TenderTerms,
    Timeline,
)


class PydanticTranscoding(Transcoding):
    def __init__(self, model: type[BaseModel], name: str) -> None:
        self.type = model
        self.name = name
        self._model = model

    def encode(self, obj: Any) -> Any:
        return obj.model_dump(mode="json")

    def decode(self, data: Any) -> Any:
        # What is stored was accepted under the rules of its day: the text rule is not
        # applied again (domain/text.py), so an event written before it still loads.
        return self._model.model_validate(data, context=STORED)


class StructTranscoding(Transcoding):
    """A msgspec struct (``domain.tender.Question``) stored as the same JSON object a pydantic
    model of its fields was, so that either reads the other's."""

    def __init__(self, struct: type[msgspec.Struct], name: str) -> None:
        self.type = struct
        self.name = name
        self._struct = struct

    def encode(self, obj: Any) -> Any:
        return msgspec.to_builtins(obj)

    def decode(self, data: Any) -> Any:
        return msgspec.convert(data, self._struct)


STORED_STRUCTS: dict[str, type[msgspec.Struct]] = {"question": Question}

STORED_TYPES: dict[str, type[BaseModel]] = {
    "money": Money,
    "actor": Actor,
    "item": Item,
    "lot": Lot,
    "bid_security": BidSecurity,
    "timeline": Timeline,
    "tender_terms": TenderTerms,
    "method_rules": MethodRules,
    "citation": Citation,
    "grievance_rules": GrievanceRules,
    "amendment": Amendment,
    "vendor_profile": VendorProfile,
    "sealing_key": SealingKey,
    "sealed_envelope": SealedEnvelope,
    "sealing_key_set": SealingKeySet,
    "sealed_bid": SealedBid,
    "opening_record": OpeningRecord,
    "evaluation_terms": EvaluationTerms,
    "committee_member": Member,
    "evaluation_candidate": Candidate,
    "criterion_score": CriterionScore,
    "financial_bid": FinancialBid,
    "evaluation_report": EvaluationReport,
    "lot_price": LotPrice,
    "contract_period": ContractPeriod,
    "document_change": DocumentChange,
    "tender_document": TenderDocument,
    "document_changes": DocumentChanges,
    "notice_documents": NoticeDocuments,
    "security_rules": SecurityRules,
    "securities_bidder": Bidder,
    "security_instrument": Instrument,
    "plan_line": PlanLine,
    "framework_period": FrameworkPeriod,
}


def register_all(transcoder: JSONTranscoder) -> None:
    for name, model in STORED_TYPES.items():
        transcoder.register(PydanticTranscoding(model, name))
    for name, struct in STORED_STRUCTS.items():
        transcoder.register(StructTranscoding(struct, name))
