"""What every officer's action shares: the forms typed in Pakistan time, the actions a
tender's state allows, and the tender's page, which each action posted from it either leaves
(a redirect once the write is read) or shows again with the refusal by its form.

An action is one POST calling exactly one application command with the signed-in officer
as the actor: the application loads the tender and refuses another entity's officer (404)
in the same step, and the domain refuses what the tender's state does not allow. The page
offers only the actions the state allows; the server still decides (a deadline may pass
between the page and the click).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.response import Redirect, Template
from pydantic import BaseModel

from api.portal import actions as action
from api.portal.actions import pkt_input
from api.portal.documents import officer_documents
from api.portal.forms import FormState, forms_shown
from api.portal.grievances import awaiting_decision, complaints_of, remedies_for
from api.portal.guards import actor_of
from api.portal.officer.framework_desk import framework_desk
from api.portal.pages import render
from api.portal.public import after_write
from api.standing import standings_of
from domain.award import AwardStatus
from domain.bid import envelopes_for
from domain.errors import (
    AwardNotFoundError,
    EvaluationNotFoundError,
    GrievanceCommitteeNotFoundError,
)
from domain.evaluation import EvaluationStatus
from domain.tender import TenderStatus
from domain.values import Actor
from procurement.commands.application import ProcurementApplication, TenderView
from procurement.commands.views import EvaluationView
from procurement.store.application_base import WriteResult
from projections import reads

M = TypeVar("M", bound=BaseModel)
COMMITTEE_ROWS = 5
NEW_DOCUMENT_ROWS = 2
"""Rows for new documents on the amendment form."""

TIMELINE_FIELDS = (
    "timeline.clarification_deadline",
    "timeline.submission_deadline",
    "timeline.opening_time",
)


def allowed_actions(  # noqa: C901, PLR0912 (one line per action the state allows)
    actor: Actor,
    view: TenderView,
    evaluation: EvaluationView | None,
    awards: list[dict[str, Any]],
    now: datetime,
) -> set[str]:
    """The actions this tender's state allows this officer now (the server still decides).
    ``awards``: the live awards (one per lot awarded), each with ``held`` (a complaint about
    it is not settled yet)."""
    status = view.status
    actions: set[str] = set()
    if status is TenderStatus.DRAFT:
        actions |= {"edit", "publish"}
    if status is TenderStatus.ACTIVE:
        if now < view.terms.timeline.submission_deadline:
            actions.add("amend")
            meeting = view.terms.pre_bid_meeting
            if meeting is not None and now >= meeting.at:
                actions.add("minutes")
        if any(q.get("answer") is None for q in view.questions):
            actions.add("answer")
    if status in {TenderStatus.ACTIVE, TenderStatus.CLOSED} and now >= (
        view.terms.timeline.opening_time
    ):
        actions.add("open")
    # A live award keeps the tender: in its standstill the award is cancelled first; once
    # contracted, the tender stays.
    if status in {TenderStatus.ACTIVE, TenderStatus.CLOSED, TenderStatus.OPENED}:
        if not awards:
            actions.add("cancel")
        elif any(award["status"] == AwardStatus.STANDSTILL for award in awards):
            actions.add("cancel_blocked")
    for lot_id in cancellable_lots(view, awards):
        actions.add(f"cancel_lot:{lot_id}")
    if status is TenderStatus.OPENED and evaluation is None:
        actions.add("committee")
    if evaluation is not None and evaluation.status is EvaluationStatus.IN_PROGRESS:
        me = next(
            (m for m in evaluation.state["committee"] if m["account_id"] == str(actor.account_id)),
            None,
        )
        declarations = {d["member_id"]: d for d in evaluation.state["declarations"]}
        if me is not None and me["account_id"] not in declarations:
            actions.add("declare")
        elif me is not None and view.terms.evaluation_terms.criteria:
            actions.add("score")
        if me is not None and me["chair"]:
            actions |= {"rule", "finalise"}
        mine = declarations.get(me["account_id"]) if me is not None else None
        # The second opening is a committee act: a declared, unrecused member's.
        if mine is not None and not mine["conflict"] and evaluation.state["to_open_financially"]:
            actions.add("financial")
    if evaluation is not None and awardable_lots(evaluation, view):
        actions.add("award")
    if (
        status is TenderStatus.OPENED
        and view.terms.method.is_stage_one
        and evaluation is not None
        and evaluation.status is EvaluationStatus.FINALISED
    ):
        actions.add("stage_two")  # docs/two-stage.md
    for award in awards:
        if (
            award["status"] == AwardStatus.STANDSTILL
            and not award["held"]
            and now >= datetime.fromisoformat(award["standstill_ends"])
        ):
            actions.add(f"contract:{award['id']}")
    return actions


def cancellable_lots(view: TenderView, awards: list[dict[str, Any]]) -> list[str]:
    """Awarded by lot, published and not cancelled: each open lot with no live award, while
    another lot stays open (the last is cancelled with the tender; docs/lots.md)."""
    if not view.terms.award_by_lot or view.status not in {
        TenderStatus.ACTIVE,
        TenderStatus.CLOSED,
        TenderStatus.OPENED,
    }:
        return []
    cancelled = {lot.lot_id for lot in view.cancelled_lots}
    open_lots = [lot.id for lot in view.terms.lots if lot.id not in cancelled]
    if len(open_lots) < 2:  # noqa: PLR2004 (the last open lot is not cancelled alone)
        return []
    awarded = {award["lot_id"] for award in awards if award["status"] != AwardStatus.CANCELLED}
    return [lot_id for lot_id in open_lots if lot_id not in awarded]


def awardable_lots(evaluation: EvaluationView, view: TenderView) -> list[str | None]:
    """What may be awarded now on the latest report: ``[None]`` for a tender awarded whole
    (with a recommended bid and fewer live awards than ``max_awards``: one, or a framework's
    suppliers, while a ranked bid holds none; docs/frameworks.md); awarded by lot, each lot
    with a ranked bid and no live award, not cancelled (docs/lots.md)."""
    reports = evaluation.state["reports"]
    if evaluation.status is EvaluationStatus.IN_PROGRESS or not reports:
        return []
    report = reports[-1]
    if not report.get("award_by_lot"):
        places = len(evaluation.state["live_awards"]) < evaluation.state["max_awards"]
        unawarded = awardable_bids(evaluation)
        return [None] if places and unawarded and report["recommended_bid"] else []
    live = {award["lot_id"] for award in evaluation.state["live_awards"]}
    live |= {lot.lot_id for lot in view.cancelled_lots}
    return [
        lot["lot_id"]
        for lot in report["lots"]
        if lot["recommended_bid"] is not None and lot["lot_id"] not in live
    ]


def awardable_bids(evaluation: EvaluationView) -> list[dict[str, Any]]:
    """The latest report's ranked entries, in rank order, that hold no live award (a tender
    awarded whole; a framework awards each of its places to a different bid)."""
    reports = evaluation.state["reports"]
    if not reports:
        return []
    held = {live.get("bid_id") for live in evaluation.state["live_awards"]}
    ranked = [e for e in reports[-1]["entries"] if e.get("rank") is not None]
    return sorted((e for e in ranked if e["bid_id"] not in held), key=lambda e: e["rank"])


async def live_awards(
    procurement: ProcurementApplication, actor: Actor, evaluation: EvaluationView | None
) -> list[dict[str, Any]]:
    """The tender's live awards (one per lot awarded; one for a tender awarded whole), as its
    officers see them, each with ``held``: a complaint about it still holds its contract."""
    awards = []
    for live in evaluation.state["live_awards"] if evaluation is not None else []:
        award_id = UUID(live["award_id"])
        award = await sync_to_thread(procurement.award_for_officer, actor, award_id)
        held = await sync_to_thread(procurement.contract_held, actor, award_id)
        awards.append(award | {"held": held})
    return sorted(awards, key=lambda award: award["lot_id"] or "")


async def grievance_chair(procurement: ProcurementApplication, actor: Actor) -> bool:
    """Whether the officer chairs the entity's grievance committee (records its decisions)."""
    try:
        committee = await sync_to_thread(procurement.grievance_committee, actor.entity or "")
    except GrievanceCommitteeNotFoundError:
        return False
    return committee.chair.account_id == actor.account_id


@dataclass
class TenderPage:
    """One tender's page as the signed-in officer sees it, and the actions posted from it."""

    request: Request[Any, Any, Any]
    pool: asyncpg.Pool
    procurement: ProcurementApplication
    tender_id: UUID
    actor: Actor = field(init=False)

    def __post_init__(self) -> None:
        self.actor = actor_of(self.request)

    async def act(
        self,
        name: str,
        schema: type[M],
        command: Callable[[M], WriteResult],
        fields: Mapping[str, str] | None = None,
        *,
        times: Iterable[str] = (),
        pairs: list[tuple[str, str]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Template | Redirect:
        """The form ``name`` posted as ``schema``, then ``command`` with its body: the page
        as it now is, or the page again with the form's errors (422) or the refusal."""
        return await action.act(
            self.request,
            name,
            schema,
            command,
            self.shown_with,
            self.done,
            fields,
            times=times,
            pairs=pairs,
            extra=extra,
        )

    async def run(
        self,
        name: str,
        form: FormState,
        command: Callable[[], WriteResult],
        fields: Mapping[str, str] | None = None,
    ) -> Template | Redirect:
        """Run one command; on success see the page as it now is, on a refusal the page
        again with the message by the form (and the API's status)."""
        return await action.run(name, form, command, self.shown_with, self.done, fields)

    async def refusal(self, name: str, form: FormState, status_code: int) -> Template:
        return await self.shown_with({name: form}, status_code)

    async def shown_with(self, forms: Mapping[str, FormState], status_code: int) -> Template:
        return await tender_page(
            self.request,
            self.pool,
            self.procurement,
            self.tender_id,
            status_code=status_code,
            forms=forms,
        )

    def done(self, result: WriteResult) -> Redirect:
        return written(self.request, self.tender_id, result)

    async def award_of(self, award_id: UUID) -> None:
        """The award is this entity's (the application checks) and this tender's (404 if
        not: an action reached through another tender's page must not act on this award)."""
        award = await sync_to_thread(self.procurement.award_for_officer, self.actor, award_id)
        if award["tender_id"] != str(self.tender_id):
            raise AwardNotFoundError(f"no award {award_id} on tender {self.tender_id}")


def written(request: Request[Any, Any, Any], tender_id: UUID, result: WriteResult) -> Redirect:
    """The tender's page once it shows ``result`` (a redirect with its read token)."""
    return after_write(request, f"/portal/officer/tenders/{tender_id}", result.position)


async def tender_page(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    procurement: ProcurementApplication,
    tender_id: UUID,
    *,
    status_code: int = 200,
    forms: Mapping[str, FormState] | None = None,
) -> Template:
    """One tender as its officers see it, with the actions its state allows."""
    actor = actor_of(request)
    view = await sync_to_thread(procurement.tender_for_officer, actor, tender_id)
    evaluation: EvaluationView | None = None
    if view.status is TenderStatus.OPENED:
        try:
            evaluation = await sync_to_thread(procurement.evaluation_for_officer, actor, tender_id)
        except EvaluationNotFoundError:
            evaluation = None
    awards = await live_awards(procurement, actor, evaluation)
    public = await reads.get_tender(pool, tender_id) if view.published_at else None
    opening = public["opening"] if public else None
    # Each bidder's standing on the Active Taxpayer List now, read when the page is shown.
    standings = await standings_of(request).of_vendors(
        UUID(bid["vendor_id"]) for bid in (opening or {}).get("bids", [])
    )
    now = request.app.state.clock.now()
    complaints = await complaints_of(procurement, actor, tender_id) if view.published_at else []
    return render(
        request,
        "officer_tender.html",
        status_code=status_code,
        tender=view,
        terms=view.terms.model_dump(mode="json"),
        evaluation=evaluation,
        awards=awards,
        awardable=awardable_lots(evaluation, view) if evaluation is not None else [],
        award_bids=awardable_bids(evaluation) if evaluation is not None else [],
        framework=await framework_desk(procurement, actor, view, now),
        cancellable_lots=cancellable_lots(view, awards),
        opening=opening,
        standings={str(vendor): standing for vendor, standing in standings.items()},
        public_status=public["status"] if public else view.status.value,
        actions=allowed_actions(actor, view, evaluation, awards, now),
        complaints=complaints,
        chair=await grievance_chair(procurement, actor) if complaints else False,
        awaiting_decision=awaiting_decision,
        remedies_for=remedies_for,
        me=str(actor.account_id),
        criteria=[c.model_dump(mode="json") for c in view.terms.evaluation_terms.criteria],
        two_envelopes=len(envelopes_for(view.terms.method)) > 1,
        form=forms_shown(forms),
        pkt_input=pkt_input,
        committee_rows=COMMITTEE_ROWS,
        documents=officer_documents(tender_id, view.documents),
        new_document_rows=NEW_DOCUMENT_ROWS,
    )
