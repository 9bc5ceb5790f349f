"""Bid validity and securities in the portal (docs/securities.md): the officer's page of a
tender's securities (ask an extension; record, release, forfeit a bid security; record the
performance security of an award) and the bidder's page (its validity, the request waiting
for its answer, its security; accept or decline).

Each form is the API's body and calls the command the API's route calls, with the signed-in
account as the actor; the application refuses another entity's officer (404) and anyone
else's bid. A refused form is the page again, with the refusal by the form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from pydantic import BaseModel

from api.portal import actions
from api.portal.forms import FormState, form_values, forms_shown
from api.portal.guards import actor_of, requires_portal_role
from api.portal.i18n import translator
from api.portal.pages import flash, render
from api.portal.public import AfterToken, after_write, caught_up
from api.portal.session import language_of
from api.schemas.securities import (
    BidSecurityForfeitIn,
    BidSecurityRecordIn,
    BidSecurityReleaseIn,
    ExtensionAnswerIn,
    ExtensionRequestIn,
    PerformanceSecurityIn,
)
from domain.securities import ForfeitReason
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.store.application_base import WriteResult

M = TypeVar("M", bound=BaseModel)
FIELDS = {
    "invalid_terms": "new_end",
    "reason_required": "reason",
    "security_insufficient": "instrument.amount.amount",
    "security_not_recorded": "security.amount.amount",
    "extension_request_closed": "answer",
}
CONFIRMED = ("instrument.confirmed_at",)
FORFEIT_REASONS = [reason.value for reason in ForfeitReason]


def _officer_page(tender_id: UUID) -> str:
    return f"/portal/officer/tenders/{tender_id}/securities"


def _vendor_page(tender_id: UUID) -> str:
    return f"/portal/vendor/tenders/{tender_id}/securities"


class OfficerSecurityPages(Controller):
    path = "/portal/officer/tenders/{tender_id:uuid}/securities"
    guards = [requires_portal_role(Role.OFFICER)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    @get("/", name="portal:officer-securities")
    async def page(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        after: AfterToken = None,
    ) -> Template:
        await caught_up(request, pool, after)
        return await _officer_shown(request, procurement, tender_id)({}, 200)

    async def _act(  # noqa: PLR0917 (the form and its command)
        self,
        request: Request[Any, Any, Any],
        procurement: ProcurementApplication,
        tender_id: UUID,
        name: str,
        schema: type[M],
        command: Callable[[M], WriteResult],
        times: tuple[str, ...] = (),
    ) -> Template | Redirect:
        return await actions.act(
            request,
            name,
            schema,
            command,
            _officer_shown(request, procurement, tender_id),
            _done(request, _officer_page(tender_id)),
            FIELDS,
            times=times,
        )

    @post("/extension", name="portal:officer-securities-extension")
    async def extension(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        return await self._act(
            request,
            procurement,
            tender_id,
            "extension",
            ExtensionRequestIn,
            lambda data: procurement.request_validity_extension(
                actor, tender_id, data.new_end, data.reason
            ),
            ("new_end",),
        )

    @post("/record", name="portal:officer-securities-record")
    async def record(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        return await self._act(
            request,
            procurement,
            tender_id,
            "record",
            BidSecurityRecordIn,
            lambda data: procurement.record_bid_security(
                actor, tender_id, data.vendor_id, data.instrument.to_domain()
            ),
            CONFIRMED,
        )

    @post("/release", name="portal:officer-securities-release")
    async def release(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        return await self._act(
            request,
            procurement,
            tender_id,
            "release",
            BidSecurityReleaseIn,
            lambda data: procurement.release_bid_security(actor, tender_id, data.vendor_id),
        )

    @post("/forfeit", name="portal:officer-securities-forfeit")
    async def forfeit(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        return await self._act(
            request,
            procurement,
            tender_id,
            "forfeit",
            BidSecurityForfeitIn,
            lambda data: procurement.forfeit_bid_security(
                actor, tender_id, data.vendor_id, data.reason, data.text
            ),
        )

    @post("/performance/{award_id:uuid}", name="portal:officer-securities-performance")
    async def performance(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        award_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        return await self._act(
            request,
            procurement,
            tender_id,
            "performance",
            PerformanceSecurityIn,
            lambda data: procurement.record_performance_security(
                actor, award_id, data.instrument.to_domain()
            ),
            CONFIRMED,
        )


class VendorSecurityPages(Controller):
    path = "/portal/vendor/tenders/{tender_id:uuid}/securities"
    guards = [requires_portal_role(Role.VENDOR)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    @get("/", name="portal:vendor-securities")
    async def page(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        after: AfterToken = None,
    ) -> Template:
        await caught_up(request, pool, after)
        return await _vendor_shown(request, procurement, tender_id)({}, 200)

    @post("/answer", name="portal:vendor-securities-answer")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        pairs = [(k, v) for k, v in await form_values(request) if not _blank_security(k, v)]
        return await actions.act(
            request,
            "answer",
            ExtensionAnswerIn,
            lambda data: procurement.answer_validity_extension(
                actor,
                tender_id,
                accepted=data.answer == "accept",
                instrument=None if data.security is None else data.security.to_domain(),
            ),
            _vendor_shown(request, procurement, tender_id),
            _done(request, _vendor_page(tender_id)),
            FIELDS,
            pairs=pairs,
        )


def _blank_security(key: str, value: str) -> bool:
    """A decline sends the security's empty fields: they are left out, not refused."""
    return key.startswith("security.") and not value.strip()


def _done(request: Request[Any, Any, Any], page: str) -> actions.Done:
    def done(result: WriteResult) -> Redirect:
        flash(request, translator(language_of(request))("Recorded."))
        return after_write(request, page, result.position)

    return done


def _officer_shown(
    request: Request[Any, Any, Any], procurement: ProcurementApplication, tender_id: UUID
) -> actions.FormPage:
    actor = actor_of(request)

    async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
        file = await sync_to_thread(procurement.securities_for_officer, actor, tender_id)
        return render(
            request,
            "officer_securities.html",
            status_code=status_code,
            tender_id=tender_id,
            file=file,
            reasons=FORFEIT_REASONS,
            form=forms_shown(forms),
        )

    return shown


def _vendor_shown(
    request: Request[Any, Any, Any], procurement: ProcurementApplication, tender_id: UUID
) -> actions.FormPage:
    actor = actor_of(request)

    async def shown(forms: Mapping[str, FormState], status_code: int) -> Template:
        file = await sync_to_thread(procurement.securities_for_vendor, actor, tender_id)
        return render(
            request,
            "vendor_securities.html",
            status_code=status_code,
            tender_id=tender_id,
            file=file,
            mine=file["bidders"][0],
            form=forms_shown(forms),
        )

    return shown
