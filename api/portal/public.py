"""The public's pages: tender search, a tender's whole story, awards. No sign-in."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, get_args
from urllib.parse import urlencode
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.public import TenderStatusFilter
from api.portal.documents import public_documents
from api.portal.forms import FormState, forms_shown
from api.portal.grievances import PRE_AWARD_STAGES, appealable, complaints_of
from api.portal.guards import actor_of
from api.portal.pages import as_datetime, redirect, render
from api.portal.session import portal_user
from api.read_tokens import invalid_read_token, read_tokens_of
from api.schemas import query_text
from api.schemas.public import award_of, detail_of, summary_of
from domain.errors import ProcurementError, TenderNotFoundError
from domain.grievance import Grievance
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from projections import reads
from projections.public_tenders import NAME as PUBLIC_TENDERS

PAGE_SIZE = 20
STATUSES: tuple[str, ...] = get_args(TenderStatusFilter)  # the API's own filter values
Text = Annotated[str, QueryParameter(max_length=200)]
Page = Annotated[int, QueryParameter(ge=1, le=50_000)]
AfterToken = Annotated[
    str | None, QueryParameter(description="the read token of the write just made")
]


def paging(total: int, page: int) -> dict[str, Any]:
    """Where a page stands among the pages of ``total`` items."""
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return {
        "page": page,
        "pages": pages,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < pages else None,
    }


def _time_left(deadline: Any, now: Any) -> str:
    left = (as_datetime(deadline) or now) - now
    seconds = max(0, int(left.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    return f"{days}d {hours:02d}h {rest // 60:02d}m"


async def wait_for_write(
    request: Request[Any, Any, Any], pool: asyncpg.Pool, position: int
) -> None:
    """Read-your-writes: after a form's write, wait (bounded) until the page's read model
    has it. A slow read model shows the page as it is rather than failing."""
    timeout = request.app.state.settings.read_wait_timeout
    await reads.wait_for_position(pool, PUBLIC_TENDERS, position, timeout)


async def caught_up(request: Request[Any, Any, Any], pool: asyncpg.Pool, after: str | None) -> None:
    """A page reached by a redirect after a write (``?after=<read token>``) waits for it. A
    token the platform did not issue is refused from the token alone (422), never from where
    the store stands: the API's rule (``api/read_tokens.py``)."""
    if after is None:
        return
    position = read_tokens_of(request.app.state).position(after)
    if position is None:
        raise invalid_read_token()
    await wait_for_write(request, pool, position)


def after_write(request: Request[Any, Any, Any], path: str, position: int) -> Redirect:
    """See ``path`` once it shows the write at ``position`` (303 with its read token)."""
    token = read_tokens_of(request.app.state).issue(position)
    return redirect(f"{path}?{urlencode({'after': token})}")


class PublicPages(Controller):
    path = "/portal"
    include_in_schema = False

    @get("/", name="portal:home")
    async def home(self) -> Redirect:
        return Redirect(path="/portal/tenders")

    @get("/tenders", name="portal:tenders")
    async def tenders(  # noqa: PLR0917 (one argument per filter)
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        q: Text = "",
        status: Text = "",
        category: Text = "",
        entity: Text = "",
        page: Page = 1,
        after: AfterToken = None,
    ) -> Template:
        q, entity = query_text("q", q) or "", query_text("entity", entity) or ""
        await caught_up(request, pool, after)
        filters = reads.TenderFilter(
            status=status if status in STATUSES else None,
            category=category if category in {"goods", "works", "services"} else None,
            entity=entity or None,
            text=q or None,
        )
        rows, total = await reads.list_tenders(pool, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        chosen = {"q": q, "status": status, "category": category, "entity": entity}

        def page_link(number: int) -> str:
            return "/portal/tenders?" + urlencode(
                {**{k: v for k, v in chosen.items() if v}, "page": number}
            )

        return render(
            request,
            "tenders.html",
            items=[summary_of(row) for row in rows],
            total=total,
            filters=chosen,
            statuses=STATUSES,
            page_link=page_link,
            **paging(total, page),
        )

    @get("/tenders/{tender_id:uuid}", name="portal:tender")
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

    @get("/awards", name="portal:awards")
    async def awards(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        page: Page = 1,
    ) -> Template:
        rows, total = await reads.list_awards(pool, None, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        return render(
            request,
            "awards.html",
            items=[award_of(row) for row in rows],
            total=total,
            **paging(total, page),
        )


async def tender_page(
    request: Request[Any, Any, Any],
    pool: asyncpg.Pool,
    procurement: ProcurementApplication,
    tender_id: UUID,
    *,
    status_code: int = 200,
    question_form: FormState | None = None,
    complaint_form: FormState | None = None,
    forms: Mapping[str, FormState] | None = None,
) -> Template:
    """The public tender page, with the signed-in vendor's own bid and result, and its own
    complaints (``forms``: the complaint and appeal forms as the vendor left them)."""
    row = await reads.get_tender(pool, tender_id)
    if row is None:
        raise TenderNotFoundError(f"no published tender {tender_id}")
    tender = detail_of(row)
    user = portal_user(request)
    my_bid = None
    my_result = None
    my_complaints: list[Grievance] = []
    if user is not None and user.role is Role.VENDOR:
        actor = actor_of(request)
        my_complaints = await complaints_of(procurement, actor, tender_id)
        try:
            my_bid = await sync_to_thread(procurement.my_bid, actor, tender_id)
        except ProcurementError:
            my_bid = None
        if my_bid is not None and tender.evaluation and tender.evaluation["reports"]:
            try:
                my_result = await sync_to_thread(procurement.my_evaluation, actor, tender_id)
            except ProcurementError:
                my_result = None
    checkpoint = None
    index = await reads.leaf_index_of(pool, int(row["position"]))
    if index is not None:
        checkpoint = await reads.checkpoint_covering(pool, index)
    settings = request.app.state.settings
    now = request.app.state.clock.now()
    return render(
        request,
        "tender.html",
        status_code=status_code,
        tender=tender,
        ocid=f"{settings.ocid_prefix}-{tender_id}",
        ocid_prefix=settings.ocid_prefix,
        time_left=_time_left(tender.timeline.submission_deadline, now),
        my_bid=my_bid,
        my_result=my_result,
        my_complaints=my_complaints,
        appealable={c.id for c in my_complaints if appealable(c, procurement.grievance_rules, now)},
        complaint_stages=[stage.value for stage in PRE_AWARD_STAGES],
        form=forms_shown(forms),
        checkpoint=checkpoint,
        documents=await public_documents(pool, tender_id),
        question_form=question_form or FormState(),
        complaint_form=complaint_form or FormState(),
    )
