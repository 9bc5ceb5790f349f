"""Vendors' pages: their tenders and bids, a question, a bid prepared and sealed on arrival,
its signed receipt (verified here and in the browser), replacement, withdrawal, complaints.

A bid form's plaintext goes to the same command as the API's ``{"contents": ...}``: the
platform seals it on arrival and keeps only the envelopes. Nothing here logs what a vendor
typed; a refused form is shown back only to the vendor who typed it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.errors import EXCEPTION_HANDLERS, ApiProblem, status_for
from api.portal.bid_discounts import read_discounts
from api.portal.documents import (
    chunks_of,
    form_files,
    raw_body_only,
    renumbered,
    rows_under,
)
from api.portal.forms import FormState, form_values, parse, refused, validation_errors
from api.portal.grievances import debarment_of, open_hearings
from api.portal.guards import actor_of, requires_portal_role
from api.portal.i18n import translator
from api.portal.pages import flash, redirect, render
from api.portal.public import tender_page, wait_for_write
from api.portal.session import language_of
from api.rate_limits import limiter_of
from api.schemas import BidContentsIn, ComplaintIn, QuestionIn
from api.schemas.bids import AttachmentIn
from api.standing import checked_bid, standings_of
from api.uploads import seal_bid_document
from domain.bid import MAX_DISCOUNTS, BidStatus
from domain.documents import MAX_DOCUMENT_BYTES
from domain.errors import ProcurementError, TenderNotFoundError
from domain.public_status import PublicTenderStatus
from domain.values import Role
from procurement.commands.application import BidView, ProcurementApplication
from procurement.crypto import receipts
from projections import reads

MAX_FORM_BYTES = 25 * 1024 * 1024
"""A bid form's body, documents sent with it included (without the page's script)."""
# Which field a refusal is about, where the code names one.
BID_FIELDS = {
    "insufficient_bid_security": "bid_security.amount.amount",
    "invalid_discount": "discounts",
}
ATTACHMENTS = "attachments."
PRICED = ("prices.", "rates.")
"""The form's rows of lot prices and of the bill of quantities' unit rates: a row left
empty is no row (a lot priced by its rates, an item not rated), and the rest are numbered
from 0 as the body's lists are."""


@dataclass
class ShownAs:
    """Where each renumbered row of the form was typed, to show its values and errors
    there again."""

    values: dict[str, str]
    moved: dict[str, str]  # "rates.0." -> "rates.3."

    def key(self, key: str) -> str:
        for now, was in self.moved.items():
            if key.startswith(now):
                return was + key.removeprefix(now)
        return key


def _priced_rows(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], ShownAs]:
    """The form's price and rate rows without the empty ones, numbered from 0."""
    shown = ShownAs(values=dict(pairs), moved={})
    kept = [(key, value) for key, value in pairs if not key.startswith(PRICED)]
    for prefix in PRICED:
        rows: dict[str, list[tuple[str, str]]] = {}
        for key, value in pairs:
            if key.startswith(prefix):
                index, _, rest = key.removeprefix(prefix).partition(".")
                rows.setdefault(index, []).append((rest, value))
        filled = [
            index
            for index, fields in rows.items()
            if any(name.endswith("amount") and value.strip() for name, value in fields)
        ]
        for number, index in enumerate(filled):
            shown.moved[f"{prefix}{number}."] = f"{prefix}{index}."
            kept += [(f"{prefix}{number}.{name}", value) for name, value in rows[index]]
    return kept, shown


ATTACHMENT_FIELDS = ("name", "blob", "sha256", "size", "key")


async def _sealed_files(
    request: Request[Any, Any, Any],
    procurement: ProcurementApplication,
    tender_id: UUID,
    first: int,
) -> tuple[list[tuple[str, str]], str | None]:
    """The documents a bid form carries itself (no script uploaded them), each sealed on
    arrival as ``POST /tenders/{id}/bids/documents`` seals it: the attachments' fields from
    row ``first`` on, or why one is refused."""
    store, settings = request.app.state.documents, request.app.state.settings
    actor = actor_of(request)
    fields: list[tuple[str, str]] = []
    for number, (_, upload) in enumerate(await form_files(request), start=first):
        try:
            attachment = await seal_bid_document(
                store, settings, procurement, actor, tender_id, chunks_of(upload), upload.filename
            )
        except ValidationError as error:  # the name is not shown back: it may not be showable
            return [], "a document's file name: " + "; ".join(validation_errors(error).values())
        except ProcurementError as error:
            return [], f"{error} ({error.code})"
        except ApiProblem as error:
            return [], f"{error.detail} ({error.code})"
        attached = attachment.model_dump()
        fields += [(f"{ATTACHMENTS}{number}.{k}", str(attached[k])) for k in ATTACHMENT_FIELDS]
    return fields, None


async def _my_bid(
    procurement: ProcurementApplication, request: Request[Any, Any, Any], tender_id: UUID
) -> BidView | None:
    try:
        return await sync_to_thread(procurement.my_bid, actor_of(request), tender_id)
    except ProcurementError:
        return None


def _verify_page(
    request: Request[Any, Any, Any],
    procurement: ProcurementApplication,
    form: FormState,
    *,
    valid: bool | None,
) -> Template:
    return render(
        request,
        "vendor_verify.html",
        status_code=422 if valid is False else 200,
        form=form,
        valid=valid,
        public_key=procurement.signer.public_key,
    )


class VendorPages(Controller):
    path = "/portal"
    include_in_schema = False
    guards = [requires_portal_role(Role.VENDOR)]  # noqa: RUF012 (litestar reads a class attribute)

    @get("/vendor", name="portal:vendor")
    async def home(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
    ) -> Template:
        """Tenders open for bids, each with this vendor's bid on it, if any, the vendor's
        standing on the Active Taxpayer List (with what to do when it is missing), and a
        notice of any debarment case the vendor may still answer."""
        active = reads.TenderFilter(status=PublicTenderStatus.ACTIVE.value)
        rows, _ = await reads.list_tenders(pool, active, 50, 0)
        tenders = []
        for row in rows:
            bid = await _my_bid(procurement, request, row["tender_id"])
            tenders.append({"row": row, "bid": bid})
        actor = actor_of(request)
        standings = standings_of(request)
        standing = await standings.of_vendor(actor.account_id)
        record = await debarment_of(procurement, actor, actor.account_id)
        return render(
            request,
            "vendor_home.html",
            tenders=tenders,
            standing=standing,
            enforced=standings.enforce,
            hearings=open_hearings(record, request.app.state.clock.now()),
        )

    @post("/tenders/{tender_id:uuid}/questions", name="portal:ask")
    async def ask(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        data, form = parse(QuestionIn, await form_values(request))
        if data is None:
            return await tender_page(
                request, pool, procurement, tender_id, status_code=422, question_form=form
            )
        try:
            await sync_to_thread(procurement.ask_question, actor_of(request), tender_id, data.text)
        except ProcurementError as error:
            return await tender_page(
                request,
                pool,
                procurement,
                tender_id,
                status_code=status_for(error),
                question_form=refused(form, error, {"clarification_closed": "text"}),
            )
        flash(request, translator(language_of(request))("Your question was sent."))
        return redirect(f"/portal/tenders/{tender_id}")

    @post(
        "/tenders/{tender_id:uuid}/bid/documents",
        name="portal:bid-document",
        status_code=201,
        request_max_body_size=MAX_DOCUMENT_BYTES,
        # The page's script reads the answer: problems in JSON, as the API's.
        exception_handlers=EXCEPTION_HANDLERS,
    )
    async def upload_document(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        file_name: Annotated[str, QueryParameter(min_length=1, max_length=200)],
    ) -> AttachmentIn:
        """A document for the vendor's bid, sealed on arrival; the page names it in the bid
        (the key that opens it goes back to the vendor's page, not into the store)."""
        raw_body_only(request)
        state = request.app.state
        return await seal_bid_document(
            state.documents,
            state.settings,
            procurement,
            actor_of(request),
            tender_id,
            request.stream(),
            file_name,
        )

    @get("/tenders/{tender_id:uuid}/bid", name="portal:bid")
    async def bid_form(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template:
        return await self._bid_page(request, pool, procurement, tender_id, form=FormState())

    async def _bid_page(
        self,
        request: Request[Any, Any, Any],
        pool: asyncpg.Pool,
        procurement: ProcurementApplication,
        tender_id: UUID,
        *,
        form: FormState,
        status_code: int = 200,
    ) -> Template:
        tender = await reads.get_tender(pool, tender_id)
        if tender is None:
            raise TenderNotFoundError(f"no published tender {tender_id}")
        bid = await _my_bid(procurement, request, tender_id)
        deadline = tender["submission_deadline"]
        return render(
            request,
            "vendor_bid.html",
            status_code=status_code,
            tender=tender,
            bid=bid,
            live=bid is not None and bid.status is BidStatus.SUBMITTED,
            currency=str(tender["currency"]).strip(),
            open_for_bids=tender["status"] == PublicTenderStatus.ACTIVE
            and request.app.state.clock.now() < deadline,
            form=form,
            attachment_rows=rows_under(form.values.items(), ATTACHMENTS),
            discount_rows=range(MAX_DISCOUNTS),
        )

    @post(
        "/tenders/{tender_id:uuid}/bid",
        name="portal:bid-post",
        request_max_body_size=MAX_FORM_BYTES,
    )
    async def submit_bid(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        tender = await reads.get_tender(pool, tender_id)
        if tender is None:
            raise TenderNotFoundError(f"no published tender {tender_id}")
        pairs, discounts = read_discounts(
            await form_values(request),
            [str(lot["id"]) for lot in tender["lots"]],
            allowed=bool(tender["bundle_discounts"]),
            t=translator(language_of(request)),
        )
        if not any(
            k.startswith("bid_security.") and v.strip() for k, v in pairs if "currency" not in k
        ):
            # no bid security offered: its hidden currency alone must not make one up
            pairs = [(k, v) for k, v in pairs if not k.startswith("bid_security.")]
        pairs, shown_as = _priced_rows(pairs)
        pairs = renumbered(pairs, ATTACHMENTS)
        sealed, refused_file = await _sealed_files(
            request, procurement, tender_id, rows_under(pairs, ATTACHMENTS)
        )
        data, form = parse(
            BidContentsIn,
            pairs + sealed,
            {"discounts": discounts.body},
            integers=("validity_days", "attachments.*.size"),
        )
        form.values.update(shown_as.values)  # as typed, at the fields they were typed in
        form.values.update(discounts.values)
        form.errors = {
            discounts.shown_at(shown_as.key(key)): message for key, message in form.errors.items()
        }
        form.errors.update(discounts.errors)
        if refused_file:
            form.errors["documents"] = refused_file
        for key in [key for key in form.errors if key.startswith(ATTACHMENTS)]:
            form.errors.setdefault("documents", form.errors.pop(key))  # shown at the files
        if data is None or refused_file or discounts.errors:
            return await self._bid_page(
                request, pool, procurement, tender_id, form=form, status_code=422
            )
        actor = actor_of(request)
        await limiter_of(request).check(request, "bid", str(actor.account_id))  # as the API's
        existing = await _my_bid(procurement, request, tender_id)
        contents = data.to_domain()
        if existing is not None and existing.status is BidStatus.SUBMITTED:
            write = partial(
                sync_to_thread, partial(procurement.replace_bid, actor, tender_id, contents)
            )
        else:  # on the event loop, as the API's POST: no thread held while the commit waits
            write = partial(procurement.submit_bid_async, actor, tender_id, contents)
        done = translator(language_of(request))("Your bid was sealed and received.")
        checked = checked_bid(request, actor, write)  # the vendor's standing, as the API's
        return await self._bid_write(request, pool, procurement, tender_id, checked, form, done)

    @post("/tenders/{tender_id:uuid}/bid/withdraw", name="portal:withdraw")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        actor = actor_of(request)
        await limiter_of(request).check(request, "bid", str(actor.account_id))  # as the API's
        write = partial(sync_to_thread, partial(procurement.withdraw_bid, actor, tender_id))
        done = translator(language_of(request))("Your bid was withdrawn.")
        return await self._bid_write(
            request, pool, procurement, tender_id, write, FormState(), done
        )

    async def _bid_write(  # noqa: PLR0917 (the page's context and the one write)
        self,
        request: Request[Any, Any, Any],
        pool: asyncpg.Pool,
        procurement: ProcurementApplication,
        tender_id: UUID,
        write: Callable[[], Awaitable[object]],
        form: FormState,
        done: str,
    ) -> Template | Redirect:
        """Run one bid command: its refusal back on the bid page, else ``done`` (already in the
        user's language) on the way to the receipt."""
        try:
            await write()
        except ProcurementError as error:
            state = refused(form, error, BID_FIELDS)
            return await self._bid_page(
                request, pool, procurement, tender_id, form=state, status_code=status_for(error)
            )
        flash(request, done)
        return redirect(f"/portal/tenders/{tender_id}/bid/receipt")

    @get("/tenders/{tender_id:uuid}/bid/receipt", name="portal:receipt")
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template:
        bid = await sync_to_thread(procurement.my_bid, actor_of(request), tender_id)
        signer = procurement.signer
        return render(
            request,
            "vendor_receipt.html",
            bid=bid,
            receipt_json=json.dumps(bid.receipt, indent=2, sort_keys=True),
            key_json=json.dumps({"key_id": signer.key_id, "public_key": signer.public_key}),
            verified=receipts.verify_bid_receipt(signer.public_key, bid.receipt),
            checked=None,
        )

    @post("/receipts/verify", name="portal:verify-receipt")
    async def verify_receipt(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
    ) -> Template:
        """Check a pasted receipt against the platform's published key."""
        form = await request.form()
        pasted = form.get("receipt")
        state = FormState(values={"receipt": pasted if isinstance(pasted, str) else ""})
        t = translator(language_of(request))
        receipt: Any = None
        try:
            receipt = receipts.loads(state.values["receipt"])
        except receipts.DuplicateFieldError as error:
            state.errors["receipt"] = t(
                "The field {field} appears twice: a receipt names each field once.",
                field=error.field[:64],
            )
        except (ValueError, RecursionError):
            state.errors["receipt"] = t("This is not JSON: paste the receipt as it was given.")
        else:
            if gaps := receipts.bid_receipt_gaps(receipt):
                state.errors["receipt"] = t(
                    "This is not a bid receipt: these fields are missing or malformed: {fields}.",
                    fields=", ".join(gaps),
                )
        valid = not state.errors and receipts.verify_bid_receipt(
            procurement.signer.public_key, receipt
        )
        return _verify_page(request, procurement, state, valid=valid)

    @get("/receipts/verify", name="portal:verify-form")
    async def verify_form(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
    ) -> Template:
        return _verify_page(request, procurement, FormState(), valid=None)

    @post("/awards/{award_id:uuid}/complaints", name="portal:complain")
    async def complain(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        award_id: FromPath[UUID],
    ) -> Template | Redirect:
        award = await reads.get_award(pool, award_id)
        if award is None:
            raise TenderNotFoundError(f"no award {award_id}")
        tender_id = award["tender_id"]
        data, form = parse(ComplaintIn, await form_values(request))
        if data is None:
            return await tender_page(
                request, pool, procurement, tender_id, status_code=422, complaint_form=form
            )
        try:
            written = await sync_to_thread(
                procurement.lodge_award_complaint, actor_of(request), award_id, data.grounds
            )
        except ProcurementError as error:
            return await tender_page(
                request,
                pool,
                procurement,
                tender_id,
                status_code=status_for(error),
                complaint_form=refused(form, error),
            )
        await wait_for_write(request, pool, written.position)
        flash(request, translator(language_of(request))("Your complaint was lodged."))
        return redirect(f"/portal/tenders/{tender_id}")
