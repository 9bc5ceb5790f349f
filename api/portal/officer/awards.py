"""The award's pages: award the recommended bid, decide the complaints in the standstill,
sign the contract."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.portal.guards import requires_portal_role
from api.portal.officer.tender_page import TenderPage
from api.schemas import AwardIn, ContractIn, DecisionIn
from domain.values import Role
from procurement.commands.application import ProcurementApplication


class OfficerAwardPages(Controller):
    path = "/portal/officer"
    guards = [requires_portal_role(Role.OFFICER)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    @post("/tenders/{tender_id:uuid}/award", name="portal:officer-award")
    async def award(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.act(
            "award",
            AwardIn,
            lambda data: procurement.award_tender(
                page.actor, tender_id, data.bid_id, data.reason, data.lot_id
            ),
            {
                "reason_required": "reason",
                "bid_not_responsive": "bid_id",
                "bid_not_ranked_on_lot": "bid_id",
                "lot_required": "lot_id",
                "unknown_lot": "lot_id",
                "lot_awarded": "lot_id",
            },
        )

    @post(
        "/tenders/{tender_id:uuid}/awards/{award_id:uuid}/complaints/{complaint_id:uuid}",
        name="portal:officer-decide",
    )
    async def decide(  # noqa: PLR0917 (the page's dependencies and its three ids)
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        award_id: FromPath[UUID],
        complaint_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        await page.award_of(award_id)
        return await page.act(
            f"decide:{complaint_id}",
            DecisionIn,
            lambda data: procurement.decide_award_complaint(
                page.actor,
                award_id,
                complaint_id,
                upheld=data.outcome == "upheld",
                remedy=data.remedy,
                reasons=data.reasons,
            ),
            {"reason_required": "remedy", "invalid_terms": "remedy"},
        )

    @post("/tenders/{tender_id:uuid}/awards/{award_id:uuid}/contract", name="portal:contract")
    async def contract(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        award_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        await page.award_of(award_id)
        return await page.act(
            f"contract:{award_id}",
            ContractIn,
            lambda data: procurement.sign_contract(
                page.actor, award_id, data.value.to_domain(), data.period_domain()
            ),
            {"invalid_terms": "value.amount", "contract_value_mismatch": "value.amount"},
            times=("period.start", "period.end"),
        )
