"""The officers' pages: draft and edit a tender, publish, amend, answer questions, open the
bids, the committee's work, finalise the report, award, decide complaints, sign the contract.

Each action is a POST calling exactly one application command with the signed-in officer
as the actor: the application loads the tender and refuses another entity's officer (404)
in the same step, and the domain refuses what the tender's state does not allow. The page
offers only the actions the state allows; the server still decides (a deadline may pass
between the page and the click).

Drafts are in no public read model. The dashboard finds this entity's latest 100 tenders
never published in ``entity_tenders`` (kept by the public tenders projection, never served
publicly), each then loaded through the application, which checks the entity again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from pydantic import BaseModel, ValidationError

from api.errors import status_for
from api.portal.forms import (
    INTEGER_BOUND,
    MAX_ROWS,
    FormState,
    form_values,
    parse,
    refused,
    validation_errors,
    whole_number,
)
from api.portal.guards import actor_of, requires_portal_role
from api.portal.pages import PKT, render
from api.portal.public import AfterToken, after_write, caught_up
from api.schemas import (
    AmendmentIn,
    AnswerIn,
    AwardIn,
    CancelIn,
    CommitteeIn,
    ContractIn,
    DecisionIn,
    DeclarationIn,
    EvaluationAction,
    EvaluationIn,
    TenderIn,
    TenderPatch,
)
from domain.errors import AwardNotFoundError, EvaluationNotFoundError, ProcurementError
from domain.evaluation import EvaluationStatus
from domain.sealing import envelopes_for
from domain.tender import TenderStatus
from domain.values import Actor, Category, EvaluationMethod, Method, Role, Scope
from procurement.application import ProcurementApplication, TenderView
from procurement.evaluations import EvaluationView
from procurement.store import WriteResult
from projections import reads

M = TypeVar("M", bound=BaseModel)
DRAFTS_SHOWN = 100
LOT_ROWS = 3
CRITERION_ROWS = 3
COMMITTEE_ROWS = 5

TIMELINE_FIELDS = (
    "timeline.clarification_deadline",
    "timeline.submission_deadline",
    "timeline.opening_time",
)
# Integers the API wants as JSON numbers (a form sends text).
INTEGERS = ("bid_validity_days", "evaluation.criteria.*.max_score", "scores.*.score")
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
}
AMEND_FIELDS = {
    "deadline_extension_required": "timeline.submission_deadline",
    "invalid_timeline": "timeline.submission_deadline",
    "opening_time_out_of_window": "timeline.opening_time",
    "deadline_in_past": "timeline.submission_deadline",
    "bidding_period_too_short": "timeline.submission_deadline",
}


def pkt_to_utc(value: str) -> str:
    """A ``datetime-local`` input, typed in Pakistan time, as the API's RFC 3339 UTC text.
    Anything else is left as typed, for the API's message about it."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PKT)
    try:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:  # 0001-01-01T00:00 in PKT is before the first year in UTC
        return value


def pkt_input(moment: datetime | None) -> str:
    """A time as a ``datetime-local`` input shows it: Pakistan time, to the minute."""
    return "" if moment is None else moment.astimezone(PKT).strftime("%Y-%m-%dT%H:%M")


def body(
    model: type[M],
    pairs: list[tuple[str, str]],
    *,
    times: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> tuple[M | None, FormState]:
    """The API's request body from a form: times typed in PKT sent as UTC, whole numbers as
    numbers. The form keeps what was typed."""
    zoned = set(times)
    converted = [(k, pkt_to_utc(v) if k in zoned else v) for k, v in pairs]
    parsed, state = parse(model, converted, extra, integers=INTEGERS)
    state.values = dict(pairs)
    return parsed, state


def invalid(state: FormState, error: ValidationError) -> FormState:
    """A validation error raised past the request body (a tender's terms as a whole)."""
    for name, message in validation_errors(error).items():
        if name == "_form":
            state.summary.append(message)
        else:
            state.errors.setdefault(name, message)
    return state


def _written(request: Request[Any, Any, Any], tender_id: UUID, result: WriteResult) -> Redirect:
    return after_write(request, f"/portal/officer/tenders/{tender_id}", result.position)


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
    if view.terms.evaluation is None:  # the method's default: leave the choice blank
        values = {k: v for k, v in values.items() if not k.startswith("evaluation.")}
    return values


def allowed_actions(  # noqa: C901, PLR0912 (one line per action the state allows)
    actor: Actor,
    view: TenderView,
    evaluation: EvaluationView | None,
    award: dict[str, Any] | None,
    now: datetime,
) -> set[str]:
    """The actions this tender's state allows this officer now (the server still decides)."""
    status = view.status
    actions: set[str] = set()
    if status is TenderStatus.DRAFT:
        actions |= {"edit", "publish"}
    if status is TenderStatus.ACTIVE:
        if now < view.terms.timeline.submission_deadline:
            actions.add("amend")
        if any(q.get("answer") is None for q in view.questions):
            actions.add("answer")
    if status in {TenderStatus.ACTIVE, TenderStatus.CLOSED} and now >= (
        view.terms.timeline.opening_time
    ):
        actions.add("open")
    # A live award keeps the tender: in its standstill the award is cancelled first; once
    # contracted, the tender stays.
    if status in {TenderStatus.ACTIVE, TenderStatus.CLOSED, TenderStatus.OPENED}:
        if award is None:
            actions.add("cancel")
        elif award["status"] == "standstill":
            actions.add("cancel_blocked")
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
    if evaluation is not None and evaluation.status is EvaluationStatus.FINALISED:
        reports = evaluation.state["reports"]
        if reports and reports[-1]["recommended_bid"] is not None:
            actions.add("award")
    if award is not None and award["status"] == "standstill":
        if any(c["status"] == "pending" for c in award["complaints"]):
            actions.add("decide")
        elif now >= datetime.fromisoformat(award["standstill_ends"]):
            actions.add("contract")
    return actions


class OfficerPages(Controller):
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
        data, form = body(TenderIn, await form_values(request), times=TIMELINE_FIELDS)
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
        return _written(request, result.id, result)

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
        # The form shows the whole draft: an optional term left blank is cleared.
        cleared: dict[str, Any] = {}
        if not typed.get("description", "").strip():
            cleared["description"] = ""
        if not any(typed.get(f"translations.{lang}.title", "").strip() for lang in ("ur", "sd")):
            cleared["translations"] = {}
        if not typed.get("bid_security.amount.amount", "").strip():
            cleared["bid_security"] = None
        if not typed.get("evaluation.method", "").strip():
            cleared["evaluation"] = None
        data, form = body(TenderPatch, pairs, times=TIMELINE_FIELDS, extra=cleared)
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
        return _written(request, tender_id, result)

    def _terms_page(
        self,
        request: Request[Any, Any, Any],
        form: FormState,
        view: TenderView | None,
        *,
        status_code: int = 200,
    ) -> Template:
        return render(
            request,
            "officer_terms.html",
            status_code=status_code,
            form=form,
            tender=view,
            lot_rows=max(LOT_ROWS, _rows(form, "lots")),
            criterion_rows=max(CRITERION_ROWS, _rows(form, "evaluation.criteria")),
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
        act = partial(procurement.publish_tender, actor_of(request), tender_id, None)
        return await _command(request, pool, procurement, tender_id, "publish", FormState(), act)

    @post("/tenders/{tender_id:uuid}/amend", name="portal:officer-amend")
    async def amend(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        data, form = body(AmendmentIn, await form_values(request), times=TIMELINE_FIELDS)
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, "amend", form, 422)
        act = partial(
            procurement.amend_tender,
            actor_of(request),
            tender_id,
            data.text,
            data.timeline.to_domain() if data.timeline else None,
            None,
        )
        return await _command(request, pool, procurement, tender_id, "amend", form, act)

    @post("/tenders/{tender_id:uuid}/cancel", name="portal:officer-cancel")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        data, form = body(CancelIn, await form_values(request))
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, "cancel", form, 422)
        act = partial(procurement.cancel_tender, actor_of(request), tender_id, data.reason, None)
        return await _command(request, pool, procurement, tender_id, "cancel", form, act)

    @post("/tenders/{tender_id:uuid}/questions/{question_id:uuid}/answer", name="portal:answer")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        question_id: FromPath[UUID],
    ) -> Template | Redirect:
        name = f"answer:{question_id}"
        data, form = body(AnswerIn, await form_values(request))
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, name, form, 422)
        act = partial(
            procurement.answer_question, actor_of(request), tender_id, question_id, data.answer
        )
        return await _command(request, pool, procurement, tender_id, name, form, act)

    @post("/tenders/{tender_id:uuid}/open", name="portal:officer-open")
    async def open_bids(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        act = partial(procurement.open_bids, actor_of(request), tender_id, None)
        return await _command(request, pool, procurement, tender_id, "open", FormState(), act)

    # The committee -----------------------------------------------------------------------

    @post("/tenders/{tender_id:uuid}/committee", name="portal:officer-committee")
    async def committee(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        pairs = await form_values(request)
        data, form = body(CommitteeIn, pairs)
        form.values.update(
            {f"members.{i}": v for i, (k, v) in enumerate(p for p in pairs if p[0] == "members[]")}
        )
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, "committee", form, 422)
        act = partial(
            procurement.start_evaluation, actor_of(request), tender_id, data.members, data.chair
        )
        fields = {"invalid_committee": "chair"}
        return await _command(request, pool, procurement, tender_id, "committee", form, act, fields)

    @post("/tenders/{tender_id:uuid}/declaration", name="portal:officer-declare")
    async def declare(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        data, form = body(DeclarationIn, await form_values(request))
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, "declare", form, 422)
        act = partial(
            procurement.declare_interests,
            actor_of(request),
            tender_id,
            conflict=data.conflict_of_interest,
            statement=data.statement,
        )
        return await _command(request, pool, procurement, tender_id, "declare", form, act)

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
        pairs = await form_values(request)
        data, form = body(EvaluationIn, pairs, extra={"bid_id": str(bid_id)})
        kind = "score" if dict(pairs).get("action", "score") == "score" else "rule"
        name = f"{kind}:{bid_id}"
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, name, form, 422)
        actor = actor_of(request)
        reason = data.reason or ""
        act: Callable[[], WriteResult]
        match data.action:
            case EvaluationAction.SCORE:
                act = partial(
                    procurement.score_bid, actor, tender_id, bid_id, data.criterion_scores()
                )
            case EvaluationAction.DISQUALIFY:
                act = partial(procurement.disqualify_bid, actor, tender_id, bid_id, reason)
            case EvaluationAction.REINSTATE:
                act = partial(procurement.reinstate_bid, actor, tender_id, bid_id, reason)
            case EvaluationAction.CORRECT_PRICE:
                if data.corrected_price is None or data.lot_id is None:  # pragma: no cover
                    msg = "validated by EvaluationIn"
                    raise AssertionError(msg)
                act = partial(
                    procurement.correct_price,
                    actor,
                    tender_id,
                    bid_id,
                    lot_id=data.lot_id,
                    corrected_price=data.corrected_price.to_domain(),
                    reason=reason,
                )
        fields = {"invalid_scores": "scores", "reason_required": "reason"}
        return await _command(request, pool, procurement, tender_id, name, form, act, fields)

    @post("/tenders/{tender_id:uuid}/financial-opening", name="portal:officer-financial")
    async def open_financial(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        act = partial(procurement.open_financial_envelopes, actor_of(request), tender_id)
        return await _command(request, pool, procurement, tender_id, "financial", FormState(), act)

    @post("/tenders/{tender_id:uuid}/finalise", name="portal:officer-finalise")
    async def finalise(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        act = partial(procurement.finalise_evaluation, actor_of(request), tender_id)
        return await _command(request, pool, procurement, tender_id, "finalise", FormState(), act)

    # Award, complaints, contract ---------------------------------------------------------

    @post("/tenders/{tender_id:uuid}/award", name="portal:officer-award")
    async def award(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        data, form = body(AwardIn, await form_values(request))
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, "award", form, 422)
        act = partial(
            procurement.award_tender, actor_of(request), tender_id, data.bid_id, data.reason
        )
        fields = {"reason_required": "reason", "bid_not_responsive": "bid_id"}
        return await _command(request, pool, procurement, tender_id, "award", form, act, fields)

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
        await _award_of(request, procurement, tender_id, award_id)
        name = f"decide:{complaint_id}"
        data, form = body(DecisionIn, await form_values(request))
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, name, form, 422)
        act = partial(
            procurement.decide_complaint,
            actor_of(request),
            award_id,
            complaint_id,
            upheld=data.outcome == "upheld",
            remedy=data.remedy,
            reasons=data.reasons,
        )
        fields = {"reason_required": "remedy", "invalid_terms": "remedy"}
        return await _command(request, pool, procurement, tender_id, name, form, act, fields)

    @post("/tenders/{tender_id:uuid}/awards/{award_id:uuid}/contract", name="portal:contract")
    async def contract(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        award_id: FromPath[UUID],
    ) -> Template | Redirect:
        await _award_of(request, procurement, tender_id, award_id)
        times = ("period.start", "period.end")
        data, form = body(ContractIn, await form_values(request), times=times)
        if data is None:
            return await _refusal(request, pool, procurement, tender_id, "contract", form, 422)
        act = partial(
            procurement.sign_contract,
            actor_of(request),
            award_id,
            data.value.to_domain(),
            data.period_domain(),
        )
        fields = {"invalid_terms": "value.amount", "contract_value_mismatch": "value.amount"}
        return await _command(request, pool, procurement, tender_id, "contract", form, act, fields)


async def _award_of(
    request: Request[Any, Any, Any],
    procurement: ProcurementApplication,
    tender_id: UUID,
    award_id: UUID,
) -> None:
    """The award is this entity's (the application checks) and this tender's (404 if not:
    an action reached through another tender's page must not act on this award)."""
    award = await sync_to_thread(procurement.award_for_officer, actor_of(request), award_id)
    if award["tender_id"] != str(tender_id):
        raise AwardNotFoundError(f"no award {award_id} on tender {tender_id}")


def _rows(form: FormState, prefix: str) -> int:
    """How many rows of a repeated group the form holds (lots, criteria)."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.([^.]+)\.")
    matches = (pattern.match(key) for key in form.values)
    indices = [whole_number(m.group(1), MAX_ROWS) for m in matches if m]
    return max((index for index in indices if index is not None), default=-1) + 1


async def _command(  # noqa: PLR0917 (one command's whole context)
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    procurement: ProcurementApplication,
    tender_id: UUID,
    name: str,
    form: FormState,
    act: Callable[[], WriteResult],
    fields: Mapping[str, str] | None = None,
) -> Template | Redirect:
    """Run one command; on success see the page as it now is, on a refusal the page again
    with the message by the form (and the API's status)."""
    try:
        result = await sync_to_thread(act)
    except ProcurementError as error:
        state = refused(form, error, fields)
        return await _refusal(request, pool, procurement, tender_id, name, state, status_for(error))
    except ValidationError as error:
        return await _refusal(
            request, pool, procurement, tender_id, name, invalid(form, error), 422
        )
    return _written(request, tender_id, result)


async def _refusal(  # noqa: PLR0917 (the page and the failed form)
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    procurement: ProcurementApplication,
    tender_id: UUID,
    name: str,
    form: FormState,
    status_code: int,
) -> Template:
    return await tender_page(
        request, pool, procurement, tender_id, status_code=status_code, forms={name: form}
    )


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
    award: dict[str, Any] | None = None
    if evaluation is not None and evaluation.state["current_award"]:
        award_id = UUID(evaluation.state["current_award"])
        award = await sync_to_thread(procurement.award_for_officer, actor, award_id)
    public = await reads.get_tender(pool, tender_id) if view.published_at else None
    now = request.app.state.clock.now()
    failed = dict(forms or {})
    return render(
        request,
        "officer_tender.html",
        status_code=status_code,
        tender=view,
        terms=view.terms.model_dump(mode="json"),
        evaluation=evaluation,
        award=award,
        opening=public["opening"] if public else None,
        public_status=public["status"] if public else view.status.value,
        actions=allowed_actions(actor, view, evaluation, award, now),
        me=str(actor.account_id),
        criteria=[c.model_dump(mode="json") for c in view.terms.evaluation_terms.criteria],
        two_envelopes=len(envelopes_for(view.terms.method)) > 1,
        form=lambda name: failed.get(name) or FormState(),
        pkt_input=pkt_input,
        committee_rows=COMMITTEE_ROWS,
    )
