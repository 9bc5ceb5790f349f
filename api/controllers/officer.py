"""Officers: draft, edit, publish, amend and cancel their entity's tenders; answer questions.

Every handler that takes a tender id passes the caller to the application, which loads the
tender and refuses (as 404) any officer of another entity in the same step.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, patch, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.openapi import (
    AMENDMENT_RULES,
    TENDER,
    TERMS_RULES,
    TIMELINE_RULES,
    WRITE,
    bearer,
    problems,
)
from api.read_tokens import ReadTokens
from api.schemas import (
    AmendmentIn,
    AnswerIn,
    CancelIn,
    OfficerTenderOut,
    PreBidMinutesIn,
    TenderIn,
    TenderPatch,
    WriteOut,
)
from api.schemas.documents import DocumentsWriteOut, uploaded_file
from api.schemas.standing import OfficerOpeningOut, OpenedBidderOut, StandingOut
from api.standing import standings_of
from domain.documents import NO_CHANGES
from domain.errors import (
    AlreadyOpenedError,
    AlreadyPublishedError,
    AmendmentRequiredError,
    AwardLiveError,
    BidsSealedError,
    ComplaintPendingError,
    ContractSignedError,
    DocumentNotFoundError,
    FollowOnTermsFixedError,
    InvalidDocumentsError,
    InvalidPlanLineError,
    InvalidTermsError,
    InvitedVendorsChangedError,
    LastOpenLotError,
    LotCancellationHeldError,
    LotCancelledError,
    LotInBundleError,
    NoPreBidMeetingError,
    NoQualifiedBiddersError,
    NotAwardedByLotError,
    NotStageOneError,
    OpeningHeldError,
    OutsideFrameworkPeriodError,
    PreBidMeetingNotHeldError,
    QuestionAlreadyAnsweredError,
    QuestionNotFoundError,
    ReportNotFinalError,
    StageTwoHeldError,
    StageTwoIssuedError,
    TenderNotDraftError,
    TenderNotFoundError,
    TenderNotPublishedError,
    UnknownLotError,
    UnplannedReasonRequiredError,
    UploadNotFoundError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from procurement.store.documents import DocumentStore


class OfficerTenderController(Controller):
    path = "/tenders"
    tags = ["officer"]  # noqa: RUF012 (litestar reads a class attribute)
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Draft a tender",
        responses=problems(*WRITE),
    )
    def draft(
        self,
        data: JSONBody[TenderIn],
        actor: NamedDependency[Actor],
        idempotency_key: NamedDependency[str | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.draft_tender(actor, data.to_domain(), idempotency_key), read_tokens
        )

    @get(
        "/{tender_id:uuid}",
        sync_to_thread=True,
        summary="A tender of my entity, drafts too",
        responses=problems(TenderNotFoundError),
    )
    def read(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> OfficerTenderOut:
        view = procurement.tender_for_officer(actor, tender_id)
        return OfficerTenderOut(
            id=view.id,
            version=view.version,
            entity=view.entity,
            status=view.status,
            terms=view.terms,
            published_at=view.published_at.isoformat() if view.published_at else None,
            amendments=view.amendments,
            questions=view.questions,
            cancellation_reason=view.cancellation_reason,
        )

    @patch(
        "/{tender_id:uuid}",
        sync_to_thread=True,
        summary="Edit a draft",
        responses=problems(
            TenderNotFoundError, TenderNotDraftError, FollowOnTermsFixedError, *WRITE
        ),
    )
    def edit(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[TenderPatch],
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.edit_tender(actor, tender_id, data.changes(), expected_version),
            read_tokens,
        )

    @post(
        "/{tender_id:uuid}/stage-two",
        status_code=HTTP_201_CREATED,
        sync_to_thread=True,
        summary="Draft stage two of a two-stage tender, inviting stage one's qualified",
        description=(
            "The body is stage two's terms (the revised specifications), its `method` the "
            "stage-two method of stage one's rules (`rules.stage_two_method`). The draft "
            "invites the bidders stage one's finalised report qualifies; add its document "
            "(the revised specifications; the minutes of the discussions with each bidder are "
            "not published) and publish it: publishing it completes stage one. See "
            "docs/two-stage.md."
        ),
        responses=problems(
            *TENDER,
            TenderNotPublishedError,
            NotStageOneError,
            ReportNotFinalError,
            NoQualifiedBiddersError,
            StageTwoIssuedError,
            StageTwoHeldError,
            InvalidTermsError,
            *WRITE,
        ),
    )
    def stage_two(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[TenderIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.draft_stage_two(actor, tender_id, data.to_domain()), read_tokens
        )

    @post(
        "/{tender_id:uuid}/publish",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Publish: the notice becomes public",
        responses=problems(
            *TENDER,
            AlreadyPublishedError,
            *TIMELINE_RULES,
            *TERMS_RULES,
            InvalidPlanLineError,
            UnplannedReasonRequiredError,
            StageTwoIssuedError,
            ReportNotFinalError,
            StageTwoHeldError,
            InvitedVendorsChangedError,
            OutsideFrameworkPeriodError,
            *WRITE,
        ),
    )
    def publish(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.publish_tender(actor, tender_id, expected_version), read_tokens
        )

    @post(
        "/{tender_id:uuid}/amendments",
        status_code=HTTP_201_CREATED,
        summary="Issue an addendum; may move the timeline and change documents",
        responses=problems(
            *TENDER,
            TenderNotPublishedError,
            *TIMELINE_RULES,
            *AMENDMENT_RULES,
            InvalidDocumentsError,
            DocumentNotFoundError,
            UploadNotFoundError,
            *WRITE,
        ),
    )
    async def amend(
        self,
        request: Request[Any, Any, Any],
        *,
        tender_id: FromPath[UUID],
        data: JSONBody[AmendmentIn],
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        timeline = data.timeline.to_domain() if data.timeline else None
        documents = NO_CHANGES
        if data.documents is not None:
            store: DocumentStore = request.app.state.documents
            documents = data.documents.to_domain(await store.facts(data.documents.hashes()))
        written = await sync_to_thread(
            partial(
                procurement.amend_tender,
                actor,
                tender_id,
                data.text,
                timeline,
                expected_version,
                documents=documents,
            )
        )
        return WriteOut.of(written, read_tokens)

    @post(
        "/{tender_id:uuid}/pre-bid-minutes",
        status_code=HTTP_201_CREATED,
        summary="Publish the pre-bid meeting's minutes: a document, issued by an addendum",
        description=(
            "After the notice's pre-bid meeting: the minutes (uploaded with POST /documents) "
            "become a document of kind pre_bid_minutes, added by an addendum that names them."
        ),
        responses=problems(
            *TENDER,
            TenderNotPublishedError,
            NoPreBidMeetingError,
            PreBidMeetingNotHeldError,
            *TIMELINE_RULES,
            *AMENDMENT_RULES,
            InvalidDocumentsError,
            UploadNotFoundError,
            *WRITE,
        ),
    )
    async def pre_bid_minutes(
        self,
        request: Request[Any, Any, Any],
        *,
        tender_id: FromPath[UUID],
        data: JSONBody[PreBidMinutesIn],
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> DocumentsWriteOut:
        store: DocumentStore = request.app.state.documents
        minutes = uploaded_file(data.sha256, data.file_name, await store.facts([data.sha256]))
        written, document_id = await sync_to_thread(
            partial(
                procurement.publish_pre_bid_minutes,
                actor,
                tender_id,
                minutes,
                data.title,
                expected_version,
                language=data.language,
                timeline=data.timeline.to_domain() if data.timeline else None,
            )
        )
        return DocumentsWriteOut(
            **WriteOut.of(written, read_tokens).model_dump(), added=[document_id]
        )

    @post(
        "/{tender_id:uuid}/cancel",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Cancel with a reason",
        responses=problems(
            *TENDER,
            AwardLiveError,
            ComplaintPendingError,
            ContractSignedError,
            StageTwoIssuedError,
            *WRITE,
        ),
    )
    def cancel(
        self,
        tender_id: FromPath[UUID],
        data: JSONBody[CancelIn],
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.cancel_tender(actor, tender_id, data.reason, expected_version),
            read_tokens,
        )

    @post(
        "/{tender_id:uuid}/lots/{lot_id:str}/cancel",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Cancel one lot of a tender awarded by lot, with a reason (docs/lots.md)",
        responses=problems(
            *TENDER,
            TenderNotPublishedError,
            NotAwardedByLotError,
            UnknownLotError,
            LotCancelledError,
            LastOpenLotError,
            LotCancellationHeldError,
            LotInBundleError,
            AwardLiveError,
            ComplaintPendingError,
            ContractSignedError,
            StageTwoIssuedError,
            *WRITE,
        ),
    )
    def cancel_lot(
        self,
        tender_id: FromPath[UUID],
        lot_id: FromPath[str],
        data: JSONBody[CancelIn],
        *,
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.cancel_lot(actor, tender_id, lot_id, data.reason, expected_version),
            read_tokens,
        )

    @post(
        "/{tender_id:uuid}/opening",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Open the bids in public (at or after the opening time)",
        responses=problems(
            *TENDER,
            TenderNotPublishedError,
            BidsSealedError,
            AlreadyOpenedError,
            OpeningHeldError,
            AmendmentRequiredError,
            *WRITE,
        ),
    )
    def open_bids(
        self,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(procurement.open_bids(actor, tender_id, expected_version), read_tokens)

    @get(
        "/{tender_id:uuid}/opening",
        summary="The opening record's bidders, each with its Active Taxpayer List standing",
        responses=problems(TenderNotFoundError),
    )
    async def opening(
        self,
        request: Request[Any, Any, Any],
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
    ) -> OfficerOpeningOut:
        """Each standing is computed now from the latest imported list, not kept in the
        record: a bidder missing from the list at the opening may be on it by the award."""
        record = await sync_to_thread(procurement.opening_for_officer, actor, tender_id)
        bids = record.bids if record else ()
        standings = await standings_of(request).of_vendors(bid.vendor_id for bid in bids)
        return OfficerOpeningOut(
            tender_id=str(tender_id),
            opened=record is not None,
            envelope=record.envelope if record else None,
            bids=[
                OpenedBidderOut(
                    bid_id=str(bid.bid_id),
                    vendor_id=str(bid.vendor_id),
                    vendor_name=bid.vendor_name,
                    status=bid.status.value,
                    standing=StandingOut.of(standings[bid.vendor_id]),
                )
                for bid in bids
            ],
        )

    @post(
        "/{tender_id:uuid}/questions/{question_id:uuid}/answer",
        status_code=HTTP_200_OK,
        sync_to_thread=True,
        summary="Answer a clarification question in public (the asker is not disclosed)",
        responses=problems(
            *TENDER, QuestionNotFoundError, QuestionAlreadyAnsweredError, InvalidTermsError, *WRITE
        ),
    )
    def answer(
        self,
        tender_id: FromPath[UUID],
        question_id: FromPath[UUID],
        data: JSONBody[AnswerIn],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        *,
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        return WriteOut.of(
            procurement.answer_question(actor, tender_id, question_id, data.answer), read_tokens
        )
