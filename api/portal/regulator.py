"""The regulator's pages (the authority's staff, across every entity): a tender's complaints
and the appeals against its grievance committee's decisions, decided here with reasons and a
remedy; debarment cases opened against a vendor, and decided after the vendor's hearing.

Each form is the API's body (``DecisionIn``, ``DebarmentCaseIn``, ``DebarmentDecisionIn``)
and calls the command ``api/controllers/regulator.py`` calls, with the signed-in regulator
as the actor. Times are typed in Pakistan time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.portal import actions
from api.portal.forms import FormState, forms_shown
from api.portal.grievances import (
    awaiting_appeal_decision,
    complaints_of,
    debarment_of,
    remedies_for,
)
from api.portal.guards import actor_of, requires_portal_role
from api.portal.i18n import translator
from api.portal.pages import flash, redirect, render
from api.portal.public import AfterToken, after_write, caught_up
from api.portal.session import language_of
from api.schemas import DecisionIn
from api.schemas.grievances import DebarmentCaseIn, DebarmentDecisionIn
from domain.debarment import CaseStatus
from domain.errors import TenderNotFoundError
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.store.application_base import WriteResult
from projections import reads

HOME = "/portal/regulator"
Lookup = Annotated[str, QueryParameter(max_length=64)]
DECISION_FIELDS = {"reason_required": "reasons", "invalid_terms": "remedy"}
CASE_FIELDS = {"account_not_found": "vendor_id", "reason_required": "grounds"}
DEBARMENT_FIELDS = {
    "invalid_terms": "debarred_until",
    "reason_required": "reasons",
    "hearing_open": "outcome",
}


async def appeals_awaiting(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Appeals across every tender that await the regulator's decision, oldest first: each
    with ``tender_id``, ``reference``, ``title``, ``entity``, ``complaint_id``, ``stage``,
    ``lodged_at`` (the appeal's) and ``decision_due``."""
    return await reads.appeals_awaiting(pool)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text.strip())
    except ValueError:
        return None


class RegulatorPages(Controller):
    path = HOME
    include_in_schema = False
    guards = [requires_portal_role(Role.REGULATOR)]  # noqa: RUF012 (litestar reads a class attribute)

    @get("", name="portal:regulator")
    async def home(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        tender_id: Lookup = "",
        vendor_id: Lookup = "",
        after: AfterToken = None,
    ) -> Template | Redirect:
        """Appeals awaiting a decision; a tender's complaints or a vendor's record looked up
        by id; a debarment case opened."""
        await caught_up(request, pool, after)
        t = translator(language_of(request))
        lookup = FormState(values={"tender_id": tender_id, "vendor_id": vendor_id})
        for name, text, page in (
            ("tender_id", tender_id, "tenders"),
            ("vendor_id", vendor_id, "debarments"),
        ):
            if text.strip():
                found = _uuid(text)
                if found is not None:
                    return redirect(f"{HOME}/{page}/{found}")
                lookup.errors[name] = t("This is not an id: paste it as the platform shows it.")
        status = 422 if lookup.errors else 200
        return await _home_page(request, pool, {"lookup": lookup}, status)

    @post("/debarments", name="portal:regulator-open-case")
    async def open_case(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
    ) -> Template | Redirect:
        actor, t = actor_of(request), translator(language_of(request))
        opened: dict[str, UUID] = {}

        def open_it(data: DebarmentCaseIn) -> WriteResult:
            opened["vendor"] = data.vendor_id
            return procurement.open_debarment_case(actor, data.vendor_id, data.grounds)

        async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
            return await _home_page(request, pool, forms, status_code)

        def done(result: WriteResult) -> Redirect:
            flash(request, t("The case was opened: the vendor's hearing has begun."))
            return after_write(request, f"{HOME}/debarments/{opened['vendor']}", result.position)

        return await actions.act(
            request, "case", DebarmentCaseIn, open_it, shown, done, CASE_FIELDS
        )

    # A tender's complaints and appeals -------------------------------------------------

    @get("/tenders/{tender_id:uuid}", name="portal:regulator-tender")
    async def tender(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        after: AfterToken = None,
    ) -> Template:
        await caught_up(request, pool, after)
        return await _tender_page(request, pool, procurement, tender_id, {}, 200)

    @post(
        "/tenders/{tender_id:uuid}/complaints/{complaint_id:uuid}/appeal-decision",
        name="portal:regulator-decide-appeal",
    )
    async def decide_appeal(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        complaint_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Binding, published with its reasons; an upheld appeal's remedy is carried out
        with it."""
        actor = actor_of(request)

        async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
            return await _tender_page(request, pool, procurement, tender_id, forms, status_code)

        def done(result: WriteResult) -> Redirect:
            return after_write(request, f"{HOME}/tenders/{tender_id}", result.position)

        return await actions.act(
            request,
            f"appeal:{complaint_id}",
            DecisionIn,
            lambda data: procurement.decide_appeal(
                actor,
                tender_id,
                complaint_id,
                upheld=data.outcome == "upheld",
                remedy=data.remedy,
                reasons=data.reasons,
            ),
            shown,
            done,
            DECISION_FIELDS,
        )

    # A vendor's debarment record -------------------------------------------------------

    @get("/debarments/{vendor_id:uuid}", name="portal:regulator-debarment")
    async def debarment(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        vendor_id: FromPath[UUID],
        after: AfterToken = None,
    ) -> Template:
        await caught_up(request, pool, after)
        return await _debarment_page(request, procurement, vendor_id, {}, 200)

    @post(
        "/debarments/{vendor_id:uuid}/cases/{case_id:uuid}/decision",
        name="portal:regulator-decide-case",
    )
    async def decide_case(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        vendor_id: FromPath[UUID],
        case_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Debarred until a date (it ends by itself then), or dismissed, with reasons."""
        actor = actor_of(request)

        async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
            return await _debarment_page(request, procurement, vendor_id, forms, status_code)

        def done(result: WriteResult) -> Redirect:
            return after_write(request, f"{HOME}/debarments/{vendor_id}", result.position)

        return await actions.act(
            request,
            f"case:{case_id}",
            DebarmentDecisionIn,
            lambda data: procurement.decide_debarment_case(
                actor,
                vendor_id,
                case_id,
                debarred_until=data.debarred_until,
                reasons=data.reasons,
            ),
            shown,
            done,
            DEBARMENT_FIELDS,
            times=("debarred_until",),
        )


async def _home_page(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    forms: Mapping[str, FormState],
    status_code: int,
) -> Template:
    return render(
        request,
        "regulator_home.html",
        status_code=status_code,
        appeals=await appeals_awaiting(pool),
        form=forms_shown(forms),
    )


async def _tender_page(  # noqa: PLR0917 (the page's context and the forms it shows)
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    procurement: ProcurementApplication,
    tender_id: UUID,
    forms: Mapping[str, FormState],
    status_code: int,
) -> Template:
    """A published tender's complaints with their grounds, and a decision form for each
    appeal awaiting one."""
    row = await reads.get_tender(pool, tender_id)
    if row is None:
        raise TenderNotFoundError(f"no published tender {tender_id}")
    return render(
        request,
        "regulator_tender.html",
        status_code=status_code,
        tender=row,
        complaints=await complaints_of(procurement, actor_of(request), tender_id),
        awaiting=awaiting_appeal_decision,
        remedies_for=remedies_for,
        form=forms_shown(forms),
    )


async def _debarment_page(
    request: Request[Any, Any, Any],
    procurement: ProcurementApplication,
    vendor_id: UUID,
    forms: Mapping[str, FormState],
    status_code: int,
) -> Template:
    """A vendor's record: every case with its grounds and answer, a decision form for each
    case still open."""
    record = await debarment_of(procurement, actor_of(request), vendor_id)
    now = request.app.state.clock.now()
    return render(
        request,
        "regulator_debarment.html",
        status_code=status_code,
        vendor_id=vendor_id,
        record=record,
        cases=sorted(record.cases.values(), key=lambda c: c.opened_at) if record else [],
        hearing=CaseStatus.HEARING,
        debarred=record.debarred_at(now) if record else None,
        form=forms_shown(forms),
    )
