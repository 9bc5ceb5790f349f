"""A framework agreement's call-offs from its tender's page (docs/frameworks.md): a direct
order to one of its suppliers, and a mini-competition drafted for the officer to edit.
Its further supplier places are awarded by the award form (``awards``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.portal import actions as action
from api.portal.forms import FormState
from api.portal.guards import requires_portal_role
from api.portal.officer.framework_desk import (
    headroom_of,
    mini_competition_reference,
    mini_competition_terms,
)
from api.portal.officer.tender_page import TenderPage
from api.portal.public import after_write
from api.schemas import DirectOrderIn
from domain.errors import OverFrameworkCeilingError, ProcurementError
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.store.application_base import WriteResult
from projections import reads

DRAFTS_READ = 100
"""The entity's latest drafts read for the framework's mini-competitions (the dashboard's)."""

DIRECT_ORDER_FIELDS = {
    "not_a_framework_supplier": "vendor_id",
    "vendor_debarred": "vendor_id",
    "over_framework_ceiling": "value.amount",
    "invalid_terms": "value.amount",
    "reason_required": "reason",
}


class OfficerFrameworkPages(Controller):
    path = "/portal/officer"
    guards = [requires_portal_role(Role.OFFICER)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    @post("/tenders/{tender_id:uuid}/direct-orders", name="portal:officer-direct-order")
    async def direct_order(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.act(
            "direct_order",
            DirectOrderIn,
            lambda data: procurement.place_direct_order(
                page.actor,
                tender_id,
                data.vendor_id,
                data.title,
                data.description,
                data.value.to_domain(),
                data.reason,
            ),
            DIRECT_ORDER_FIELDS,
        )

    @post("/tenders/{tender_id:uuid}/mini-competitions", name="portal:officer-mini-competition")
    async def mini_competition(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        """A mini-competition drafted from the framework (its next reference, the ceiling
        left as its estimate, a timeline from now), then its draft's edit page."""
        page = TenderPage(request, pool, procurement, tender_id)
        actor, now = page.actor, request.app.state.clock.now()
        linked = await self._mini_competitions(pool, procurement, page, tender_id)

        def draft() -> WriteResult:
            framework = procurement.tender_for_officer(actor, tender_id)  # 404: not its entity's
            headroom = headroom_of(
                framework.terms, procurement.framework_for_officer(actor, tender_id)
            )
            if headroom.amount <= 0:
                raise OverFrameworkCeilingError("the framework's ceiling is used up: 0 is left")
            reference, number = mini_competition_reference(
                framework.terms.reference, set(linked.values()), len(linked) + 1
            )
            terms = mini_competition_terms(
                framework.terms, reference, headroom, now, procurement.rule_profile
            )
            # Keyed by its number: a second press that does not read the first one's draft
            # yet (the read models lag) answers that draft, not a second of its reference.
            key = f"portal:mini-competition:{tender_id}:{number}"
            return procurement.draft_mini_competition(actor, tender_id, terms, key)

        def edit(result: WriteResult) -> Redirect:
            return after_write(
                request, f"/portal/officer/tenders/{result.id}/edit", result.position
            )

        return await action.run("mini_competition", FormState(), draft, page.shown_with, edit)

    @staticmethod
    async def _mini_competitions(
        pool: asyncpg.Pool,
        procurement: ProcurementApplication,
        page: TenderPage,
        framework_id: UUID,
    ) -> dict[UUID, str]:
        """The framework's mini-competitions known now, by id, with their references:
        published (the public read model), and the entity's drafts that follow it."""
        found = {
            row["tender_id"]: row["reference"]
            for row in await reads.follow_ons_of(pool, framework_id)
        }
        for draft_id in await reads.drafts_of(pool, page.actor.entity or "", DRAFTS_READ):
            try:
                view = await sync_to_thread(procurement.tender_for_officer, page.actor, draft_id)
            except ProcurementError:
                continue
            related = view.terms.related
            if related is not None and related.tender_id == framework_id:
                found[draft_id] = view.terms.reference
        return found
