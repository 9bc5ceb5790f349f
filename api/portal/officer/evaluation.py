"""The committee's pages: name the committee, declare interests, score, disqualify,
reinstate or correct a bid's price, open the financial envelopes and finalise the report."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.portal.actions import body
from api.portal.forms import FormState, form_values
from api.portal.guards import requires_portal_role
from api.portal.officer.tender_page import TenderPage
from api.schemas import CommitteeIn, DeclarationIn, EvaluationAction, EvaluationIn
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.store.application_base import WriteResult


class OfficerEvaluationPages(Controller):
    path = "/portal/officer"
    guards = [requires_portal_role(Role.OFFICER)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    @post("/tenders/{tender_id:uuid}/committee", name="portal:officer-committee")
    async def committee(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        pairs = await form_values(request)
        data, form = body(CommitteeIn, pairs)
        form.values.update(
            {f"members.{i}": v for i, (k, v) in enumerate(p for p in pairs if p[0] == "members[]")}
        )
        if data is None:
            return await page.refusal("committee", form, 422)
        return await page.run(
            "committee",
            form,
            lambda: procurement.start_evaluation(page.actor, tender_id, data.members, data.chair),
            {"invalid_committee": "chair"},
        )

    @post("/tenders/{tender_id:uuid}/declaration", name="portal:officer-declare")
    async def declare(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.act(
            "declare",
            DeclarationIn,
            lambda data: procurement.declare_interests(
                page.actor,
                tender_id,
                conflict=data.conflict_of_interest,
                statement=data.statement,
            ),
        )

    @post("/tenders/{tender_id:uuid}/evaluations/{bid_id:uuid}", name="portal:officer-evaluate")
    async def evaluate(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        bid_id: FromPath[UUID],
    ) -> Template | Redirect:
        """A member's scores, or the chair's disqualification or reinstatement, of one bid."""
        page = TenderPage(request, pool, procurement, tender_id)
        pairs = await form_values(request)
        kind = "score" if dict(pairs).get("action", "score") == "score" else "rule"

        def evaluate(data: EvaluationIn) -> WriteResult:
            actor, reason = page.actor, data.reason or ""
            match data.action:
                case EvaluationAction.SCORE:
                    scores = data.criterion_scores()
                    return procurement.score_bid(actor, tender_id, bid_id, scores)
                case EvaluationAction.DISQUALIFY:
                    return procurement.disqualify_bid(actor, tender_id, bid_id, reason)
                case EvaluationAction.REINSTATE:
                    return procurement.reinstate_bid(actor, tender_id, bid_id, reason)
                case EvaluationAction.CORRECT_PRICE:
                    if data.corrected_price is None or data.lot_id is None:  # pragma: no cover
                        msg = "validated by EvaluationIn"
                        raise AssertionError(msg)
                    return procurement.correct_price(
                        actor,
                        tender_id,
                        bid_id,
                        lot_id=data.lot_id,
                        corrected_price=data.corrected_price.to_domain(),
                        reason=reason,
                    )

        return await page.act(
            f"{kind}:{bid_id}",
            EvaluationIn,
            evaluate,
            {"invalid_scores": "scores", "reason_required": "reason"},
            pairs=pairs,
            extra={"bid_id": str(bid_id)},
        )

    @post("/tenders/{tender_id:uuid}/financial-opening", name="portal:officer-financial")
    async def open_financial(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.run(
            "financial",
            FormState(),
            lambda: procurement.open_financial_envelopes(page.actor, tender_id),
        )

    @post("/tenders/{tender_id:uuid}/finalise", name="portal:officer-finalise")
    async def finalise(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.run(
            "finalise", FormState(), lambda: procurement.finalise_evaluation(page.actor, tender_id)
        )
