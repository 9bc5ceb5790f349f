"""The grievance committee's and the entity head's pages: the chair decides a complaint about
the documents or a report (an award's is decided through the award's path, ``awards.py``);
the head names the entity's grievance committee and refers a vendor to the regulator for
debarment.

Who may do each is the application's to decide (``not_grievance_chair``,
``not_entity_head``): the pages offer the forms to every officer of the entity and show the
refusal by the form. The committee's composition is public; every officer sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.portal import actions
from api.portal.actions import body
from api.portal.forms import FormState, form_values, forms_shown
from api.portal.guards import actor_of, requires_portal_role
from api.portal.i18n import translator
from api.portal.officer.tender_page import COMMITTEE_ROWS, TenderPage
from api.portal.pages import flash, render
from api.portal.public import AfterToken, after_write, caught_up
from api.portal.session import language_of
from api.schemas import DecisionIn
from api.schemas.grievances import DebarmentCaseIn, GrievanceCommitteeIn
from domain.errors import GrievanceCommitteeNotFoundError
from domain.grievance import GrievanceCommittee
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.store.application_base import WriteResult

ENTITY_PAGE = "/portal/officer/entity"
DECISION_FIELDS = {"reason_required": "reasons", "invalid_terms": "remedy"}
COMMITTEE_FIELDS = {"invalid_committee": "chair", "invalid_terms": "chair"}
REFERRAL_FIELDS = {"account_not_found": "vendor_id", "reason_required": "grounds"}
VendorId = Annotated[str, QueryParameter(max_length=64)]


class OfficerGrievancePages(Controller):
    path = "/portal/officer"
    guards = [requires_portal_role(Role.OFFICER)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    @post(
        "/tenders/{tender_id:uuid}/complaints/{complaint_id:uuid}/decision",
        name="portal:officer-decide-complaint",
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        complaint_id: FromPath[UUID],
    ) -> Template | Redirect:
        """The committee's decision on a complaint about the documents or a report, recorded
        by its chair; an upheld complaint's remedy is carried out with it."""
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.act(
            f"decide:{complaint_id}",
            DecisionIn,
            lambda data: procurement.decide_complaint(
                page.actor,
                tender_id,
                complaint_id,
                upheld=data.outcome == "upheld",
                remedy=data.remedy,
                reasons=data.reasons,
            ),
            DECISION_FIELDS,
        )

    # The entity's grievance committee and referrals ------------------------------------

    @get("/entity", name="portal:officer-entity")
    async def entity(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        vendor_id: VendorId = "",
        after: AfterToken = None,
    ) -> Template:
        """The committee as named, the form to name it anew, and the referral form (its
        vendor filled in when reached from a tender's opening record)."""
        await caught_up(request, pool, after)
        referral = FormState(values={"vendor_id": vendor_id})
        return await _entity_page(request, procurement, {"referral": referral}, 200)

    @post("/entity/grievance-committee", name="portal:officer-grievance-committee")
    async def name_committee(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
    ) -> Template | Redirect:
        actor, t = actor_of(request), translator(language_of(request))
        pairs = await form_values(request)
        data, form = body(GrievanceCommitteeIn, pairs)
        members = [value for key, value in pairs if key == "members[]"]
        form.values.update({f"members.{i}": member for i, member in enumerate(members)})
        shown = _shown(request, procurement)
        if data is None:
            return await shown({"committee": form}, 422)
        return await actions.run(
            "committee",
            form,
            lambda: procurement.name_grievance_committee(actor, data.members, data.chair),
            shown,
            _done(request, t("The grievance committee was named.")),
            COMMITTEE_FIELDS,
        )

    @post("/entity/debarment-referrals", name="portal:officer-referral")
    async def refer(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
    ) -> Template | Redirect:
        """The head refers a vendor to the regulator with grounds: a debarment case opens,
        and the vendor's hearing with it."""
        actor, t = actor_of(request), translator(language_of(request))
        return await actions.act(
            request,
            "referral",
            DebarmentCaseIn,
            lambda data: procurement.open_debarment_case(actor, data.vendor_id, data.grounds),
            _shown(request, procurement),
            _done(request, t("The vendor was referred to the regulator.")),
            REFERRAL_FIELDS,
        )


def _shown(
    request: Request[Any, Any, Any], procurement: ProcurementApplication
) -> actions.FormPage:
    async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
        return await _entity_page(request, procurement, forms, status_code)

    return shown


def _done(request: Request[Any, Any, Any], message: str) -> actions.Done:
    def done(result: WriteResult) -> Redirect:
        flash(request, message)
        return after_write(request, ENTITY_PAGE, result.position)

    return done


async def _entity_page(
    request: Request[Any, Any, Any],
    procurement: ProcurementApplication,
    forms: Mapping[str, FormState],
    status_code: int,
) -> Template:
    actor = actor_of(request)
    committee: GrievanceCommittee | None
    try:
        committee = await sync_to_thread(procurement.grievance_committee, actor.entity or "")
    except GrievanceCommitteeNotFoundError:
        committee = None
    failed = dict(forms)
    if committee is not None and "committee" not in failed:  # the form starts from it
        named = {f"members.{i}": member.name for i, member in enumerate(committee.members)}
        failed["committee"] = FormState(values={**named, "chair": committee.chair.name})
    return render(
        request,
        "officer_entity.html",
        status_code=status_code,
        committee=committee,
        min_size=procurement.grievance_rules.committee_min_size,
        committee_rows=max(COMMITTEE_ROWS, len(committee.members) if committee else 0),
        form=forms_shown(failed),
    )
