"""Vendors' complaints and hearings: a complaint about a stage of a tender, an appeal to the
regulator against its dismissal (or the committee's silence), and the vendor's debarment
record with its written answer to a case (the hearing).

Each form is the API's body (``StageComplaintIn``, ``AppealIn``, ``DebarmentAnswerIn``) and
calls the command the API's route calls, with the signed-in vendor as the actor. A refused
form is the page again, with the refusal's code by the form and nothing written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.portal import actions
from api.portal.forms import FormState, forms_shown
from api.portal.grievances import debarment_of, open_hearings
from api.portal.guards import actor_of, requires_portal_role
from api.portal.i18n import translator
from api.portal.pages import flash, render
from api.portal.public import AfterToken, after_write, caught_up, tender_page
from api.portal.session import language_of
from api.schemas.grievances import AppealIn, DebarmentAnswerIn, StageComplaintIn
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.store.application_base import WriteResult

DEBARMENT_PAGE = "/portal/vendor/debarment"
# Which field a refusal is about, where its code names one.
COMPLAINT_FIELDS = {
    "complaint_stage_closed": "stage",
    "not_a_bidder": "stage",
    "invalid_terms": "stage",
    "reason_required": "grounds",
}
APPEAL_FIELDS = {"complaint_not_appealable": "grounds", "reason_required": "grounds"}
ANSWER_FIELDS = {"hearing_closed": "answer", "reason_required": "answer"}


class VendorGrievancePages(Controller):
    path = "/portal"
    include_in_schema = False
    guards = [requires_portal_role(Role.VENDOR)]  # noqa: RUF012 (litestar reads a class attribute)

    @post("/tenders/{tender_id:uuid}/complaints", name="portal:stage-complaint")
    async def complain(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        """A complaint about the documents or a report (an award's is lodged under it)."""
        actor, t = actor_of(request), translator(language_of(request))
        return await actions.act(
            request,
            "complaint",
            StageComplaintIn,
            lambda data: procurement.lodge_complaint(
                actor, tender_id, data.stage, data.grounds, award_id=data.award_id
            ),
            self._tender_shown(request, pool, procurement, tender_id),
            self._back_to_tender(request, tender_id, t("Your complaint was lodged.")),
            COMPLAINT_FIELDS,
        )

    @post("/tenders/{tender_id:uuid}/complaints/{complaint_id:uuid}/appeal", name="portal:appeal")
    async def appeal(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        complaint_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor, t = actor_of(request), translator(language_of(request))
        return await actions.act(
            request,
            f"appeal:{complaint_id}",
            AppealIn,
            lambda data: procurement.appeal_complaint(actor, tender_id, complaint_id, data.grounds),
            self._tender_shown(request, pool, procurement, tender_id),
            self._back_to_tender(request, tender_id, t("Your appeal was sent to the regulator.")),
            APPEAL_FIELDS,
        )

    @staticmethod
    def _tender_shown(
        request: Request[Any, Any, Any],
        pool: asyncpg.Pool,
        procurement: ProcurementApplication,
        tender_id: UUID,
    ) -> actions.FormPage:
        async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
            return await tender_page(
                request, pool, procurement, tender_id, status_code=status_code, forms=forms
            )

        return shown

    @staticmethod
    def _back_to_tender(
        request: Request[Any, Any, Any], tender_id: UUID, message: str
    ) -> actions.Done:
        def done(result: WriteResult) -> Redirect:
            flash(request, translator(language_of(request))(message))
            return after_write(request, f"/portal/tenders/{tender_id}", result.position)

        return done

    # The debarment record --------------------------------------------------------------

    @get("/vendor/debarment", name="portal:vendor-debarment")
    async def debarment(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        after: AfterToken = None,
    ) -> Template:
        await caught_up(request, pool, after)
        return await _debarment_page(request, procurement, {}, 200)

    @post("/vendor/debarment/cases/{case_id:uuid}/answer", name="portal:debarment-answer")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        case_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)

        async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
            return await _debarment_page(request, procurement, forms, status_code)

        def done(result: WriteResult) -> Redirect:
            flash(request, translator(language_of(request))("Your answer was recorded."))
            return after_write(request, DEBARMENT_PAGE, result.position)

        return await actions.act(
            request,
            f"answer:{case_id}",
            DebarmentAnswerIn,
            lambda data: procurement.answer_debarment_case(actor, case_id, data.answer),
            shown,
            done,
            ANSWER_FIELDS,
        )


async def _debarment_page(
    request: Request[Any, Any, Any],
    procurement: ProcurementApplication,
    forms: Mapping[str, FormState],
    status_code: int,
) -> Template:
    """The vendor's own record: every case with its grounds, and an answer form for each
    case whose hearing is open."""
    actor = actor_of(request)
    record = await debarment_of(procurement, actor, actor.account_id)
    now = request.app.state.clock.now()
    return render(
        request,
        "vendor_debarment.html",
        status_code=status_code,
        record=record,
        cases=sorted(record.cases.values(), key=lambda c: c.opened_at) if record else [],
        answerable={case.id for case in open_hearings(record, now)},
        debarred=record.debarred_at(now) if record else None,
        form=forms_shown(forms),
    )
