"""The officers' pages for a tender's life before the opening: the entity's dashboard,
drafting and editing, publishing, amending, answering questions, cancelling and opening the
bids.

Drafts are in no public read model. The dashboard finds this entity's latest 100 tenders
never published in ``entity_tenders`` (kept by the public tenders projection, never served
publicly), each then loaded through the application, which checks the entity again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.errors import status_for
from api.portal.actions import body, invalid, pkt_input
from api.portal.forms import (
    INTEGER_BOUND,
    MAX_ROWS,
    FormState,
    form_values,
    refused,
    whole_number,
)
from api.portal.guards import actor_of, requires_portal_role
from api.portal.officer.documents import document_form, facts, stored_files
from api.portal.officer.tender_page import TIMELINE_FIELDS, TenderPage, tender_page, written
from api.portal.pages import render
from api.portal.public import AfterToken, caught_up
from api.schemas import AmendmentIn, AnswerIn, CancelIn, PreBidMinutesIn, TenderIn, TenderPatch
from api.schemas.common import Body
from api.schemas.documents import uploaded_file
from domain.documents import NO_CHANGES
from domain.errors import ProcurementError
from domain.fields import REFERENCE_MAX_LENGTH
from domain.rules import STAGE_TWO_METHOD
from domain.values import Category, DirectContractingCase, EvaluationMethod, Method, Role, Scope
from procurement.commands.application import ProcurementApplication, TenderView
from procurement.store.application_base import WriteResult
from projections import reads

DRAFTS_SHOWN = 100
AMENDMENT_CHANGES = "documents.changes."
"""The amendment form's document rows (``AmendmentIn.documents``)."""
LOT_ROWS = 3
CRITERION_ROWS = 3

# Which field a domain refusal of a tender's terms is about.
TERMS_FIELDS = {
    "invalid_timeline": "timeline.submission_deadline",
    "opening_time_out_of_window": "timeline.opening_time",
    "deadline_in_past": "timeline.submission_deadline",
    "bidding_period_too_short": "timeline.submission_deadline",
    "bid_security_too_high": "bid_security.amount.amount",
    "bid_validity_out_of_range": "bid_validity_days",
    "method_not_allowed_for_value": "method",
    "notice_translation_missing": "translations.ur.title",
    "justification_required": "direct_contracting.case",
    "invalid_pre_bid_meeting": "pre_bid_meeting.at",
}
TERMS_TIMES = (*TIMELINE_FIELDS, "pre_bid_meeting.at")


# The form shows the whole draft: an optional term left blank is cleared. Each pair names the
# term and the field whose blankness clears it.
_CLEARED_WHEN_BLANK: tuple[tuple[str, str, Any], ...] = (
    ("description", "description", ""),
    ("bid_security", "bid_security.amount.amount", None),
    ("evaluation", "evaluation.method", None),
    ("plan_line", "plan_line.line_id", None),
    ("unplanned_reason", "unplanned_reason", None),
    ("direct_contracting", "direct_contracting.case", None),
    ("pre_bid_meeting", "pre_bid_meeting.at", None),
)


def _blank_terms_cleared(typed: dict[str, str]) -> dict[str, Any]:
    """The optional terms the officer left blank on the edit form, cleared."""
    cleared: dict[str, Any] = {
        term: empty
        for term, field, empty in _CLEARED_WHEN_BLANK
        if not typed.get(field, "").strip()
    }
    if not any(typed.get(f"translations.{lang}.title", "").strip() for lang in ("ur", "sd")):
        cleared["translations"] = {}
    return cleared


"""The draft form's times, typed in Pakistan time."""

AMEND_FIELDS = {
    "deadline_extension_required": "timeline.submission_deadline",
    "invalid_timeline": "timeline.submission_deadline",
    "opening_time_out_of_window": "timeline.opening_time",
    "deadline_in_past": "timeline.submission_deadline",
    "bidding_period_too_short": "timeline.submission_deadline",
}
MINUTES_FIELDS = {
    **AMEND_FIELDS,
    "upload_not_found": "minutes.file",
    "invalid_documents": "minutes.file",
}


class MinutesForm(Body):
    """The minutes form: the uploaded file (``minutes.sha256``, ``minutes.file_name``)."""

    minutes: PreBidMinutesIn


def choices(
    values: Iterable[str], translate: Callable[[str], str], *, blank: bool = False
) -> list[tuple[str, str]]:
    """A select's options: each value with its words in the page's language."""
    return [("", "—")] * blank + [(value, translate(value)) for value in values]


TERMS_CHOICES = {
    "categories": [c.value for c in Category],
    "methods": [m.value for m in Method],
    "scopes": [s.value for s in Scope],
    "evaluation_methods": [e.value for e in EvaluationMethod],
    "direct_cases": [c.value for c in DirectContractingCase],
    "choices": choices,
}


def terms_values(view: TenderView) -> dict[str, str]:
    """A draft's terms as the form's fields, for its edit page."""
    terms = view.terms.model_dump(mode="json")
    values: dict[str, str] = {}

    def flatten(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                flatten(f"{prefix}.{key}" if prefix else key, child)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                flatten(f"{prefix}.{index}", child)
        elif node is not None:
            values[prefix] = str(node)

    flatten("", terms)
    timeline = view.terms.timeline
    values["timeline.clarification_deadline"] = pkt_input(timeline.clarification_deadline)
    values["timeline.submission_deadline"] = pkt_input(timeline.submission_deadline)
    values["timeline.opening_time"] = pkt_input(timeline.opening_time)
    if view.terms.pre_bid_meeting is not None:
        values["pre_bid_meeting.at"] = pkt_input(view.terms.pre_bid_meeting.at)
    if view.terms.evaluation is None:  # the method's default: leave the choice blank
        values = {k: v for k, v in values.items() if not k.startswith("evaluation.")}
    return values


def rows_in(form: FormState, prefix: str) -> int:
    """How many rows of a repeated group the form holds (lots, criteria)."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.([^.]+)\.")
    matches = (pattern.match(key) for key in form.values)
    indices = [whole_number(m.group(1), MAX_ROWS) for m in matches if m]
    return max((index for index in indices if index is not None), default=-1) + 1


class OfficerTenderPages(Controller):
    path = "/portal/officer"
    guards = [requires_portal_role(Role.OFFICER)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    # The entity's tenders ----------------------------------------------------------------

    @get("", name="portal:officer")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        after: AfterToken = None,
    ) -> Template:
        await caught_up(request, pool, after)
        actor = actor_of(request)
        entity = actor.entity or ""
        published, _ = await reads.list_tenders(
            pool, reads.TenderFilter(entity=entity), DRAFTS_SHOWN, 0
        )
        drafts: list[TenderView] = []
        for tender_id in await reads.drafts_of(pool, entity, DRAFTS_SHOWN):
            try:
                view = await sync_to_thread(procurement.tender_for_officer, actor, tender_id)
            except ProcurementError:
                continue  # another entity's (the application decides, not the query)
            if view.published_at is None:
                drafts.append(view)
        return render(request, "officer_dashboard.html", drafts=drafts, published=published)

    # Drafting ----------------------------------------------------------------------------

    @get("/tenders/new", name="portal:officer-new")
    async def new_form(self, request: Request[Any, Any, Any]) -> Template:
        form = FormState(values={"estimated_value.currency": "PKR", "scope": "national"})
        return self._terms_page(request, form, None)

    @post("/tenders/new", name="portal:officer-draft")
    async def draft(
        self, request: Request[Any, Any, Any], procurement: NamedDependency[ProcurementApplication]
    ) -> Template | Redirect:
        data, form = body(TenderIn, await form_values(request), times=TERMS_TIMES)
        if data is None:
            return self._terms_page(request, form, None, status_code=422)
        try:
            terms = data.to_domain()
            result = await sync_to_thread(procurement.draft_tender, actor_of(request), terms)
        except ValidationError as error:
            return self._terms_page(request, invalid(form, error), None, status_code=422)
        except ProcurementError as error:
            form = refused(form, error, TERMS_FIELDS)
            return self._terms_page(request, form, None, status_code=status_for(error))
        return written(request, result.id, result)

    @get("/tenders/{tender_id:uuid}/edit", name="portal:officer-edit")
    async def edit_form(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template:
        view = await sync_to_thread(procurement.tender_for_officer, actor_of(request), tender_id)
        return self._terms_page(request, FormState(values=terms_values(view)), view)

    @post("/tenders/{tender_id:uuid}/edit", name="portal:officer-edit-post")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        view = await sync_to_thread(procurement.tender_for_officer, actor, tender_id)
        pairs = await form_values(request)
        typed = dict(pairs)
        cleared = _blank_terms_cleared(typed)
        data, form = body(TenderPatch, pairs, times=TERMS_TIMES, extra=cleared)
        if data is None:
            return self._terms_page(request, form, view, status_code=422)
        # The version the officer was looking at: a draft changed since is refused (412), not
        # overwritten with a form that never showed the other officer's changes.
        version_seen = typed.get("_version", "")
        seen = whole_number(version_seen, INTEGER_BOUND)
        seen = view.version if seen is None else seen
        try:
            result = await sync_to_thread(
                procurement.edit_tender, actor, tender_id, data.changes(), seen
            )
        except ValidationError as error:
            return self._terms_page(request, invalid(form, error), view, status_code=422)
        except ProcurementError as error:
            form = refused(form, error, TERMS_FIELDS)
            return self._terms_page(request, form, view, status_code=status_for(error))
        return written(request, tender_id, result)

    @get("/tenders/{tender_id:uuid}/stage-two", name="portal:officer-stage-two")
    async def stage_two_form(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template:
        """Stage two's terms, from stage one's: its stage-two method, a new timeline."""
        view = await sync_to_thread(procurement.tender_for_officer, actor_of(request), tender_id)
        values = {k: v for k, v in terms_values(view).items() if not k.startswith("timeline.")}
        values["method"] = STAGE_TWO_METHOD.get(view.terms.method, view.terms.method).value
        values["reference"] = f"{view.terms.reference}-II"[:REFERENCE_MAX_LENGTH]
        values = {k: v for k, v in values.items() if not k.startswith("evaluation.")}
        return self._terms_page(request, FormState(values=values), None, stage_one=view)

    @post("/tenders/{tender_id:uuid}/stage-two", name="portal:officer-stage-two-post")
    async def stage_two(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        view = await sync_to_thread(procurement.tender_for_officer, actor, tender_id)
        data, form = body(TenderIn, await form_values(request), times=TERMS_TIMES)
        if data is None:
            return self._terms_page(request, form, None, status_code=422, stage_one=view)
        try:
            result = await sync_to_thread(
                procurement.draft_stage_two, actor, tender_id, data.to_domain()
            )
        except ValidationError as error:
            form = invalid(form, error)
            return self._terms_page(request, form, None, status_code=422, stage_one=view)
        except ProcurementError as error:
            form = refused(form, error, TERMS_FIELDS)
            status = status_for(error)
            return self._terms_page(request, form, None, status_code=status, stage_one=view)
        return written(request, result.id, result)

    def _terms_page(
        self,
        request: Request[Any, Any, Any],
        form: FormState,
        view: TenderView | None,
        *,
        status_code: int = 200,
        stage_one: TenderView | None = None,
    ) -> Template:
        return render(
            request,
            "officer_terms.html",
            status_code=status_code,
            form=form,
            tender=view,
            stage_one=stage_one,
            lot_rows=max(LOT_ROWS, rows_in(form, "lots")),
            criterion_rows=max(CRITERION_ROWS, rows_in(form, "evaluation.criteria")),
            **TERMS_CHOICES,
        )

    # One tender --------------------------------------------------------------------------

    @get("/tenders/{tender_id:uuid}", name="portal:officer-tender")
    async def tender(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        after: AfterToken = None,
    ) -> Template:
        await caught_up(request, pool, after)
        return await tender_page(request, pool, procurement, tender_id)

    @post("/tenders/{tender_id:uuid}/publish", name="portal:officer-publish")
    async def publish(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.run(
            "publish",
            FormState(),
            lambda: procurement.publish_tender(page.actor, tender_id, None),
        )

    @post("/tenders/{tender_id:uuid}/amend", name="portal:officer-amend")
    async def amend(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        pairs, documents, rows, status = await document_form(request, AMENDMENT_CHANGES)
        addendum = [(k, v) for k, v in pairs if not k.startswith("documents.")]
        data, form = body(AmendmentIn, addendum, times=TIMELINE_FIELDS)
        form.values, form.errors = rows.values, rows.errors | form.errors
        form.summary += rows.summary
        if data is None or form.failed:
            return await page.refusal("amend", form, status)
        stored = await facts(request, documents) if documents else {}
        addendum_in: AmendmentIn = data

        def amend() -> WriteResult:
            timeline = addendum_in.timeline.to_domain() if addendum_in.timeline else None
            changes = documents.to_domain(stored) if documents else NO_CHANGES
            return procurement.amend_tender(
                page.actor, tender_id, addendum_in.text, timeline, None, documents=changes
            )

        return await page.run("amend", form, amend, AMEND_FIELDS)

    @post("/tenders/{tender_id:uuid}/pre-bid-minutes", name="portal:officer-minutes")
    async def minutes(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        """The pre-bid meeting's minutes: the file, then one addendum that adds it."""
        page = TenderPage(request, pool, procurement, tender_id)
        named, files, status = await stored_files(request)
        data, form = body(MinutesForm, await form_values(request) + named)
        form.errors |= files.errors
        if data is None or files.failed:
            return await page.refusal("minutes", form, status if files.failed else 422)
        given = data.minutes
        stored = await request.app.state.documents.facts([given.sha256])

        def publish() -> WriteResult:
            file = uploaded_file(given.sha256, given.file_name, stored)
            written, _ = procurement.publish_pre_bid_minutes(
                page.actor, tender_id, file, given.title, None, language=given.language
            )
            return written

        return await page.run("minutes", form, publish, MINUTES_FIELDS)

    @post("/tenders/{tender_id:uuid}/cancel", name="portal:officer-cancel")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.act(
            "cancel",
            CancelIn,
            lambda data: procurement.cancel_tender(page.actor, tender_id, data.reason, None),
        )

    @post("/tenders/{tender_id:uuid}/lots/{lot_id:str}/cancel", name="portal:officer-cancel-lot")
    async def cancel_lot(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        lot_id: FromPath[str],
    ) -> Template | Redirect:
        """One lot of a tender awarded by lot, cancelled with its reason (docs/lots.md)."""
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.act(
            f"cancel_lot:{lot_id}",
            CancelIn,
            lambda data: procurement.cancel_lot(page.actor, tender_id, lot_id, data.reason, None),
        )

    @post("/tenders/{tender_id:uuid}/questions/{question_id:uuid}/answer", name="portal:answer")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        question_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.act(
            f"answer:{question_id}",
            AnswerIn,
            lambda data: procurement.answer_question(
                page.actor, tender_id, question_id, data.answer
            ),
        )

    @post("/tenders/{tender_id:uuid}/open", name="portal:officer-open")
    async def open_bids(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        page = TenderPage(request, pool, procurement, tender_id)
        return await page.run(
            "open", FormState(), lambda: procurement.open_bids(page.actor, tender_id, None)
        )
