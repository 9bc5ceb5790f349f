"""The application: load an aggregate, call one command, save in one transaction, return
plain values. Object-level authorisation happens on the same load that runs the command, so
it cannot be skipped by a handler and cannot race with the write.

The commands are sibling mixins, one module per aggregate, over one base
(``procurement/store/application_base.py``: loading, saving, the group commit, the shared
object-level checks). A sibling never calls across to another.
"""

from __future__ import annotations

from procurement.commands.access import SYSTEM_ACCOUNT_ID, system_actor
from procurement.commands.accounts import AccountCommands
from procurement.commands.awards import AwardCommands
from procurement.commands.bids import BidCommands
from procurement.commands.debarments import DebarmentCommands
from procurement.commands.evaluations import EvaluationCommands
from procurement.commands.frameworks import FrameworkCommands
from procurement.commands.grievances import GrievanceCommands
from procurement.commands.opening import OpeningCommands
from procurement.commands.plans import PlanCommands
from procurement.commands.securities import SecurityCommands
from procurement.commands.tenders import TenderCommands
from procurement.commands.two_stage import TwoStageCommands
from procurement.commands.views import AccountView, BidView, EvaluationView, TenderView

__all__ = [
    "SYSTEM_ACCOUNT_ID",
    "AccountView",
    "BidView",
    "EvaluationView",
    "ProcurementApplication",
    "TenderView",
    "system_actor",
]


class ProcurementApplication(
    TwoStageCommands,
    TenderCommands,
    BidCommands,
    OpeningCommands,
    EvaluationCommands,
    AwardCommands,
    FrameworkCommands,
    GrievanceCommands,
    DebarmentCommands,
    SecurityCommands,
    PlanCommands,
    AccountCommands,
):
    """Every command of the platform, one mixin per aggregate."""

    name = "procurement"  # the event table is procurement_events
