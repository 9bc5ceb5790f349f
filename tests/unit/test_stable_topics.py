"""Every aggregate's and every event's topic, as stored: a guard for replay.

Stored events name their class by these strings, not by module paths, so modules can move
(``domain/evaluation/``) and the events already stored still load. A topic that changes here
makes every stored event of that kind unreadable: change it only with an upcaster.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import resolve_topic

import domain

TOPICS: dict[str, set[str]] = {
    "procurement:Account": {
        "procurement:Account.AccountDisabled",
        "procurement:Account.AccountEnabled",
        "procurement:Account.AccountRegistered",
        "procurement:Account.Created",
        "procurement:Account.HeadOfEntityDesignated",
        "procurement:Account.PasswordChanged",
        "procurement:Account.PasswordResetCompleted",
        "procurement:Account.PasswordResetIssued",
        "procurement:Account.RecoveryCodeUsed",
        "procurement:Account.SecondFactorEnabled",
        "procurement:Account.SecondFactorEnrolmentStarted",
        "procurement:Account.SecondFactorRemoved",
        "procurement:Account.SignedOut",
    },
    "procurement:Award": {
        "procurement:Award.AwardCancelled",
        "procurement:Award.AwardMade",
        "procurement:Award.ComplaintDecided",
        "procurement:Award.ComplaintLodged",
        "procurement:Award.ContractSigned",
        "procurement:Award.Created",
    },
    "procurement:Bid": {
        "procurement:Bid.BidReplaced",
        "procurement:Bid.BidSubmitted",
        "procurement:Bid.BidWithdrawn",
        "procurement:Bid.Created",
    },
    "procurement:Debarment": {
        "procurement:Debarment.CaseAnswered",
        "procurement:Debarment.CaseDecided",
        "procurement:Debarment.CaseOpened",
        "procurement:Debarment.Created",
        "procurement:Debarment.RecordOpened",
    },
    "procurement:GrievanceCommittee": {
        "procurement:GrievanceCommittee.CommitteeNamed",
        "procurement:GrievanceCommittee.CommitteeReconstituted",
        "procurement:GrievanceCommittee.Created",
    },
    "procurement:TenderSecurities": {
        "procurement:TenderSecurities.BidSecurityForfeited",
        "procurement:TenderSecurities.BidSecurityRecorded",
        "procurement:TenderSecurities.BidSecurityReleased",
        "procurement:TenderSecurities.Created",
        "procurement:TenderSecurities.ExtensionAnswered",
        "procurement:TenderSecurities.ExtensionRequested",
        "procurement:TenderSecurities.ExtensionsLapsed",
        "procurement:TenderSecurities.Opened",
        "procurement:TenderSecurities.PerformanceSecurityRecorded",
        "procurement:TenderSecurities.ReleasesOverdue",
    },
    "procurement:FrameworkCallOffs": {
        "procurement:FrameworkCallOffs.Created",
        "procurement:FrameworkCallOffs.DirectOrderPlaced",
        "procurement:FrameworkCallOffs.MiniCompetitionAwarded",
        "procurement:FrameworkCallOffs.Opened",
    },
    "procurement:ProcurementPlan": {
        "procurement:ProcurementPlan.Created",
        "procurement:ProcurementPlan.LineDrafted",
        "procurement:ProcurementPlan.LineRemoved",
        "procurement:ProcurementPlan.PlanAmended",
        "procurement:ProcurementPlan.PlanOpened",
        "procurement:ProcurementPlan.PlanPublished",
    },
    "procurement:TenderComplaints": {
        "procurement:TenderComplaints.AppealDecided",
        "procurement:TenderComplaints.AppealLodged",
        "procurement:TenderComplaints.AppealOverdue",
        "procurement:TenderComplaints.ComplaintDecided",
        "procurement:TenderComplaints.ComplaintLodged",
        "procurement:TenderComplaints.ComplaintOverdue",
        "procurement:TenderComplaints.Created",
        "procurement:TenderComplaints.Opened",
    },
    "procurement:Evaluation": {
        "procurement:Evaluation.AwardRecorded",
        "procurement:Evaluation.AwardReleased",
        "procurement:Evaluation.BidDisqualified",
        "procurement:Evaluation.BidReinstated",
        "procurement:Evaluation.BidScored",
        "procurement:Evaluation.CommitteeReformed",
        "procurement:Evaluation.ConflictDeclared",
        "procurement:Evaluation.Created",
        "procurement:Evaluation.EvaluationFinalised",
        "procurement:Evaluation.EvaluationReopened",
        "procurement:Evaluation.EvaluationStarted",
        "procurement:Evaluation.ReportWithdrawn",
        "procurement:Evaluation.FinancialEnvelopesOpened",
        "procurement:Evaluation.PriceCorrected",
    },
    "procurement:Tender": {
        "procurement:Tender.BiddingClosed",
        "procurement:Tender.BidsOpened",
        "procurement:Tender.Created",
        "procurement:Tender.DraftDocumentsChanged",
        "procurement:Tender.QuestionAnswered",
        "procurement:Tender.QuestionAsked",
        "procurement:Tender.StageTwoIssued",
        "procurement:Tender.LotCancelled",
        "procurement:Tender.TenderAmended",
        "procurement:Tender.TenderCancelled",
        "procurement:Tender.TenderDraftEdited",
        "procurement:Tender.TenderDrafted",
        "procurement:Tender.TenderPublished",
    },
}


def aggregates() -> list[type[Aggregate]]:
    """Every aggregate class defined anywhere in the domain package."""
    return [
        obj
        for module in pkgutil.walk_packages(domain.__path__, prefix="domain.")
        for obj in vars(importlib.import_module(module.name)).values()
        if inspect.isclass(obj)
        and issubclass(obj, Aggregate)
        and obj is not Aggregate
        and obj.__module__ == module.name
    ]


def events_of(aggregate: type[Aggregate]) -> list[type[CanMutateAggregate[Any]]]:
    return [
        obj
        for name, obj in vars(aggregate).items()
        if inspect.isclass(obj) and issubclass(obj, CanMutateAggregate) and name != "Event"
    ]


def test_every_aggregate_and_event_keeps_its_stored_topic() -> None:
    found = {
        aggregate.TOPIC: {event.TOPIC for event in events_of(aggregate)}  # type: ignore[attr-defined]
        for aggregate in aggregates()
    }
    assert found == TOPICS


def test_every_topic_resolves_to_its_class() -> None:
    for aggregate in aggregates():
        assert resolve_topic(aggregate.TOPIC) is aggregate  # type: ignore[attr-defined]
        for event in events_of(aggregate):
            assert resolve_topic(event.TOPIC) is event  # type: ignore[attr-defined]
