"""A framework agreement as its officers call off from it on the tender's page
(docs/frameworks.md): its suppliers, the ceiling used and left, the suppliers a direct order
may go to, and the draft a mini-competition starts from.

The page reads; the application decides (a supplier debarred, the period ended or the
ceiling reached between the page and the click is refused by the command).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import UUID

from litestar.concurrency import sync_to_thread

from api.portal.grievances import debarment_of
from domain.fields import REFERENCE_MAX_LENGTH, TITLE_MAX_LENGTH
from domain.rules import rules_for
from domain.tender import TenderStatus
from domain.values import (
    SINGLE_STAGE_METHODS,
    Actor,
    BidSecurity,
    Method,
    Money,
    TenderTerms,
    Timeline,
)
from procurement.commands.application import ProcurementApplication, TenderView

CENT = Decimal("0.01")
MARGIN = timedelta(days=1)
"""Beyond the rules' shortest bidding period: the officer edits the draft before publishing."""
OPENING_DELAY = timedelta(minutes=30)
"""The opening after the deadline, within the rules' window."""


@dataclass(frozen=True)
class FrameworkDesk:
    """What the page shows and offers of a framework: the officers' view
    (``framework_for_officer``), the ceiling left, and the suppliers a direct order may go
    to now (each supplier but those debarred now)."""

    view: dict[str, Any]
    headroom: Money
    orderable: list[dict[str, Any]]
    open: bool
    """Call-offs may be placed now: the framework stands, a supplier has signed, the period
    runs, and some of the ceiling is left."""


async def framework_desk(
    procurement: ProcurementApplication, actor: Actor, tender: TenderView, now: datetime
) -> FrameworkDesk | None:
    """The framework's desk, or None for a tender that is no published framework."""
    terms = tender.terms.framework
    if terms is None or tender.published_at is None:
        return None
    view = await sync_to_thread(procurement.framework_for_officer, actor, tender.id)
    headroom = headroom_of(tender.terms, view)
    orderable = []
    for supplier in view["suppliers"]:
        record = await debarment_of(procurement, actor, UUID(supplier["vendor_id"]))
        if record is None or record.debarred_at(now) is None:
            orderable.append(supplier)
    open_now = (
        tender.status is not TenderStatus.CANCELLED
        and bool(view["suppliers"])
        and terms.period.start <= now <= terms.period.end
        and headroom.amount > 0
    )
    return FrameworkDesk(view=view, headroom=headroom, orderable=orderable, open=open_now)


def headroom_of(terms: TenderTerms, view: dict[str, Any]) -> Money:
    """The framework's ceiling left: its ceiling less ``used`` (the officers' view's)."""
    ceiling = terms.framework.ceiling if terms.framework else terms.estimated_value
    left = ceiling.amount - Decimal(view["used"]["amount"])
    return Money(amount=max(left, Decimal(0)), currency=ceiling.currency)


def mini_competition_reference(
    framework_reference: str, taken: set[str], first: int
) -> tuple[str, int]:
    """The reference of a framework's next mini-competition: its reference, ``-MC`` and a
    number, from ``first`` on (one more than the mini-competitions known), the first not
    ``taken`` (cut to the reference's length in the base, never in the suffix); with its
    number."""
    number = first
    while True:
        suffix = f"-MC{number}"
        reference = framework_reference[: REFERENCE_MAX_LENGTH - len(suffix)] + suffix
        if reference not in taken:
            return reference, number
        number += 1


def mini_competition_terms(
    framework: TenderTerms, reference: str, headroom: Money, now: datetime, profile: str
) -> TenderTerms:
    """A mini-competition's draft, for the officer to edit: the framework's lots and
    notice, its method (if a mini-competition may run by it), the ceiling left as its
    estimate, a bid security in the same proportion to it as the framework's to its estimate,
    and a timeline the rules accept from ``now``."""
    method = (
        framework.method
        if framework.method.value in SINGLE_STAGE_METHODS
        else Method.SINGLE_STAGE_ONE_ENVELOPE
    )
    rules = rules_for(profile, method, framework.scope)
    deadline = _next_hour(now + rules.min_bidding_period + MARGIN)
    questions = deadline - rules.min_clarification_gap
    if questions <= now:  # no gap the rules ask for fits: half the bidding period
        questions = now + (deadline - now) / 2
    delay = min(max(OPENING_DELAY, rules.min_opening_delay), rules.max_opening_delay)
    security = None
    if framework.bid_security is not None and framework.estimated_value.amount > 0:
        share = framework.bid_security.amount.amount / framework.estimated_value.amount
        amount = (headroom.amount * share).quantize(CENT, ROUND_DOWN)
        if amount > 0:
            security = BidSecurity(
                amount=Money(amount=amount, currency=headroom.currency),
                forms=framework.bid_security.forms,
            )
    prefix = "Mini-competition under "
    current = {name: getattr(framework, name) for name in TenderTerms.model_fields}
    return TenderTerms.model_validate(
        {
            **current,
            "reference": reference,
            "title": prefix + framework.title[: TITLE_MAX_LENGTH - len(prefix)],
            "method": method,
            "estimated_value": headroom,
            "lots": tuple(
                lot.model_copy(update={"estimated_value": None}) for lot in framework.lots
            ),
            "bid_security": security,
            "timeline": Timeline(
                clarification_deadline=questions,
                submission_deadline=deadline,
                opening_time=deadline + delay,
            ),
            "pre_bid_meeting": None,
            "direct_contracting": None,
            "framework": None,
            "related": None,
            "invited_vendors": (),
            "invited_names": (),
            "bundle_discounts": False,
        }
    )


def _next_hour(moment: datetime) -> datetime:
    whole = moment.replace(minute=0, second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(hours=1)
