"""The annual procurement plan's pages (``docs/plans.md``): the public's plan against actual
for an entity and fiscal year, and the officers' plan page (draft a line, publish, amend
with a reason). Who may publish and amend (the entity's head) is the application's to
decide: the forms are offered to every officer of the entity and show the refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.controllers.plans import names_an_entity
from api.portal import actions
from api.portal.forms import FormState, form_values, forms_shown
from api.portal.guards import actor_of, requires_portal_role
from api.portal.i18n import translator
from api.portal.pages import flash, redirect, render
from api.portal.public import AfterToken, after_write, caught_up
from api.portal.session import language_of
from api.schemas.plans import PlanAmendmentIn, PlanLineIn, PlanOut, against_actual_of
from domain.errors import PlanNotFoundError
from domain.plan import AmendmentKind, fiscal_year_of
from domain.values import Category, Method, Role, is_fiscal_year
from procurement.commands.application import ProcurementApplication
from procurement.store.application_base import WriteResult
from projections import reads

LINE_FIELDS = {"plan_not_draft": "id", "invalid_terms": "id"}
AMEND_FIELDS = {
    "plan_line_not_found": "line_id",
    "plan_line_exists": "line_id",
    "invalid_plan_line": "line_id",
    "reason_required": "reason",
}
YEAR_LENGTH = len("2026-27")


def _choices() -> dict[str, list[str]]:
    return {
        "categories": [c.value for c in Category],
        "methods": [m.value for m in Method],
        "kinds": [k.value for k in AmendmentKind],
    }


class PublicPlanPages(Controller):
    path = "/portal"
    include_in_schema = False

    @get("/entities/{entity:str}/plans/{fiscal_year:str}", name="portal:plan")
    async def plan(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        entity: FromPath[str],
        fiscal_year: FromPath[str],
    ) -> Template:
        """The entity's plan for the year against its tenders (a page saying there is none
        when the entity has neither plan nor tender in the year)."""
        plan: dict[str, Any] | None = None
        tenders: list[dict[str, Any]] = []
        if is_fiscal_year(fiscal_year) and names_an_entity(entity):
            plan, tenders = await reads.plan_against_actual(pool, entity, fiscal_year)
        actual = against_actual_of(entity[:100], fiscal_year[:YEAR_LENGTH], plan, tenders)
        found = plan is not None or bool(tenders)
        return render(
            request, "plan.html", status_code=200 if found else 404, actual=actual, found=found
        )


class OfficerPlanPages(Controller):
    path = "/portal/officer/plans"
    guards = [requires_portal_role(Role.OFFICER)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    @get("/", name="portal:officer-plans")
    async def current(self, request: Request[Any, Any, Any]) -> Redirect:
        """The plan of the fiscal year now."""
        return redirect(f"/portal/officer/plans/{fiscal_year_of(request.app.state.clock.now())}")

    @get("/{fiscal_year:str}", name="portal:officer-plan")
    async def plan(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        fiscal_year: FromPath[str],
        after: AfterToken = None,
    ) -> Template:
        await caught_up(request, pool, after)
        return await _plan_page(request, procurement, fiscal_year, {}, 200)

    @post("/{fiscal_year:str}/lines", name="portal:officer-plan-line")
    async def draft_line(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        fiscal_year: FromPath[str],
    ) -> Template | Redirect:
        actor, t = actor_of(request), translator(language_of(request))
        return await actions.act(
            request,
            "line",
            PlanLineIn,
            lambda data: procurement.draft_plan_line(actor, fiscal_year, data.to_domain()),
            _shown(request, procurement, fiscal_year),
            _done(request, fiscal_year, t("The line was drafted.")),
            LINE_FIELDS,
        )

    @post("/{fiscal_year:str}/publish", name="portal:officer-plan-publish")
    async def publish(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        fiscal_year: FromPath[str],
    ) -> Template | Redirect:
        actor, t = actor_of(request), translator(language_of(request))
        return await actions.run(
            "publish",
            FormState(),
            lambda: procurement.publish_plan(actor, fiscal_year),
            _shown(request, procurement, fiscal_year),
            _done(request, fiscal_year, t("The plan was published.")),
        )

    @post("/{fiscal_year:str}/amendments", name="portal:officer-plan-amend")
    async def amend(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        fiscal_year: FromPath[str],
    ) -> Template | Redirect:
        actor, t = actor_of(request), translator(language_of(request))
        pairs = await form_values(request)
        typed = dict(pairs)
        if typed.get("kind") != AmendmentKind.WITHDRAW.value:  # the line keeps its id
            pairs.append(("line.id", typed.get("line_id", "")))
        return await actions.act(
            request,
            "amend",
            PlanAmendmentIn,
            lambda data: procurement.amend_plan(
                actor,
                fiscal_year,
                kind=data.kind,
                line_id=data.line_id,
                line=None if data.line is None else data.line.to_domain(),
                reason=data.reason,
            ),
            _shown(request, procurement, fiscal_year),
            _done(request, fiscal_year, t("The plan was amended.")),
            AMEND_FIELDS,
            pairs=pairs,
        )


def _shown(
    request: Request[Any, Any, Any], procurement: ProcurementApplication, fiscal_year: str
) -> actions.FormPage:
    async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
        return await _plan_page(request, procurement, fiscal_year, forms, status_code)

    return shown


def _done(request: Request[Any, Any, Any], fiscal_year: str, message: str) -> actions.Done:
    def done(result: WriteResult) -> Redirect:
        flash(request, message)
        return after_write(request, f"/portal/officer/plans/{fiscal_year}", result.position)

    return done


async def _plan_page(
    request: Request[Any, Any, Any],
    procurement: ProcurementApplication,
    fiscal_year: str,
    forms: Mapping[str, FormState],
    status_code: int,
) -> Template:
    actor = actor_of(request)
    try:
        found = await sync_to_thread(procurement.entity_plan, actor, fiscal_year)
        plan: PlanOut | None = PlanOut.of(found)
    except PlanNotFoundError:
        plan = None
    return render(
        request,
        "officer_plan.html",
        status_code=status_code,
        plan=plan,
        fiscal_year=fiscal_year[:YEAR_LENGTH],
        form=forms_shown(forms),
        **_choices(),
    )
