"""Vendors' sealed bids: submit, replace, withdraw, and see their own receipt.

A vendor only ever reaches its own bid: the bid's id is derived from the tender and the
caller, so another vendor's bid is not addressable at all (404).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, delete, get, post, put
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api import proofs
from api.auth import current_actor, requires_role
from api.idempotency import RETRY_OF
from api.metrics import BIDS_ACCEPTED
from api.openapi import TENDER, TOO_MANY_REQUESTS, WRITE, bearer, problems
from api.rate_limits import limiter_of
from api.schemas import BidIn, BidOut, MyEvaluationOut
from api.standing import check_bidder
from domain.errors import (
    BiddingClosedError,
    BidExistsError,
    BidNotFoundError,
    BidNotLiveError,
    DeadlinePassedError,
    EvaluationNotFoundError,
    InvalidTermsError,
    ReportNotFinalError,
    TenderNotFoundError,
    TenderNotPublishedError,
    UploadNotFoundError,
    VendorDebarredError,
    VendorNotActiveTaxpayerError,
    VendorNotInvitedError,
)
from domain.values import Actor, Role
from procurement.commands.application import BidView, ProcurementApplication
from procurement.crypto.sealed_documents import sealed_size
from procurement.store.documents import DocumentStore
from procurement.store.idempotency_keys import Attempt

TAKING_BIDS = (*TENDER, TenderNotPublishedError, BiddingClosedError, DeadlinePassedError)
"""A tender that takes bids now."""
A_BID = (
    *TAKING_BIDS,
    InvalidTermsError,
    UploadNotFoundError,
    VendorNotActiveTaxpayerError,
    VendorDebarredError,
    VendorNotInvitedError,
    TOO_MANY_REQUESTS,
    *WRITE,
)
"""A bid's write: its prices must fit the tender's lots, its envelopes the method's, and
the vendor be an active taxpayer where the list is enforced, and invited where the tender
invites."""


def _out(view: BidView) -> BidOut:
    return BidOut(
        id=view.id,
        tender_id=view.tender_id,
        status=view.status.value,
        version=view.version,
        receipt=view.receipt,
    )


def _accepted(view: BidView) -> BidOut:
    BIDS_ACCEPTED.labels(str(view.receipt["kind"])).inc()
    return _out(view)


async def _uploaded(
    request: Request[Any, Any, Any], actor: Actor, tender_id: UUID, bid: BidIn
) -> None:
    """A plain bid's documents are this vendor's uploads for this tender, each the size its
    document seals into (a sealed bid's are checked at the opening: only its envelope names
    them)."""
    if bid.contents is None or not bid.contents.attachments:
        return
    store: DocumentStore = request.app.state.documents
    attachments = bid.contents.attachments
    found = await store.uploaded_by(tender_id, actor.account_id, [a.blob for a in attachments])
    for attachment in attachments:
        if attachment.blob not in found:
            raise UploadNotFoundError(
                f"{attachment.name}: no such document of yours was uploaded for this tender "
                "(POST /tenders/{id}/bids/documents)"
            )
        if found[attachment.blob] != sealed_size(attachment.size):
            raise InvalidTermsError(
                f"{attachment.name}: its blob is not what a document of {attachment.size} "
                "bytes seals into"
            )


class BidController(Controller):
    path = "/tenders/{tender_id:uuid}/bids"
    tags = ["vendor"]  # noqa: RUF012
    guards = [requires_role(Role.VENDOR)]  # noqa: RUF012
    security = bearer(Role.VENDOR)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Submit a sealed bid",
        responses=problems(*A_BID, BidExistsError),
    )
    async def submit(
        self, request: Request[Any, Any, Any], tender_id: FromPath[UUID], data: JSONBody[BidIn]
    ) -> BidOut:
        # The deadline's hot path: on the event loop, waiting for the group commit as a task
        # rather than in a thread, and the caller and the application taken as the
        # dependencies would give them (two dependencies cost a task group per request).
        actor = current_actor(request)
        procurement: ProcurementApplication = request.app.state.procurement
        await limiter_of(request).check(request, "bid", str(actor.account_id))
        # A keyed retry of an attempt that ended without an answer: the bid it stored, if it
        # did, is this request's (its receipt, not 409 bid_exists).
        earlier: Attempt | None = request.scope.get("state", {}).get(RETRY_OF)
        await check_bidder(request, actor)
        await _uploaded(request, actor, tender_id, data)
        return _accepted(
            await procurement.submit_bid_async(actor, tender_id, data.to_domain(), earlier)
        )

    @put(
        "/mine",
        status_code=HTTP_200_OK,
        summary="Replace my bid",
        responses=problems(*A_BID, BidNotFoundError, BidNotLiveError),
    )
    async def replace(
        self,
        request: Request[Any, Any, Any],
        *,
        tender_id: FromPath[UUID],
        data: JSONBody[BidIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        expected_version: NamedDependency[int | None],
    ) -> BidOut:
        """``If-Match: "<version>"`` (the bid's, as its receipt and ``GET .../mine`` give it)
        replaces only that version: 412 ``version_mismatch`` if the bid has moved on."""
        await limiter_of(request).check(request, "bid", str(actor.account_id))
        await check_bidder(request, actor)
        await _uploaded(request, actor, tender_id, data)
        replaced = await sync_to_thread(
            procurement.replace_bid, actor, tender_id, data.to_domain(), expected_version
        )
        return _accepted(replaced)

    @delete(
        "/mine",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Withdraw my bid",
        responses=problems(
            *TAKING_BIDS, BidNotFoundError, BidNotLiveError, TOO_MANY_REQUESTS, *WRITE
        ),
    )
    def withdraw(
        self,
        request: Request[Any, Any, Any],
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        expected_version: NamedDependency[int | None],
    ) -> BidOut:
        """With ``If-Match``, as for a replacement."""
        limiter = limiter_of(request)
        limiter.from_thread(limiter.check(request, "bid", str(actor.account_id)))
        return _accepted(procurement.withdraw_bid(actor, tender_id, expected_version))

    @get(
        "/mine",
        summary="My bid's status, receipt, and its place in the ledger",
        responses=problems(TenderNotFoundError, BidNotFoundError),
    )
    async def mine(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        pool: NamedDependency[asyncpg.Pool],
    ) -> BidOut:
        view = await sync_to_thread(procurement.my_bid, actor, tender_id)
        ledger = await proofs.for_position(pool, int(view.receipt["position"]))
        return _out(view).model_copy(update={"ledger": ledger})

    @get(
        "/mine/evaluation",
        sync_to_thread=True,
        summary="My bid's result in the published evaluation report: rank and scores",
        responses=problems(
            TenderNotFoundError, BidNotFoundError, EvaluationNotFoundError, ReportNotFinalError
        ),
    )
    def my_evaluation(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> MyEvaluationOut:
        return MyEvaluationOut.model_validate(procurement.my_evaluation(actor, tender_id))
