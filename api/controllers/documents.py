"""A tender's documents: officers upload files and attach them to their drafts; anyone lists
a published tender's documents and downloads every version of each.

An upload is stored by its hash (``procurement/store/documents.py``); attaching it is a
tender command, so the events carry each document's metadata and hash, never its bytes.
Amendments change a published tender's documents (``OfficerTenderController.amend``).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import requires_role
from api.boq import MAX_SHEET_BYTES, lots_from_sheet
from api.downloads import IMMUTABLE, PRIVATE, REVALIDATE, Version, document_out, send_file
from api.openapi import (
    READ_MODEL_LAGGING,
    TENDER,
    TOO_MANY_REQUESTS,
    WRITE,
    Refusal,
    bearer,
    problems,
)
from api.rate_limits import limiter_of
from api.read_tokens import ReadTokens
from api.read_your_writes import READ_TOKEN, ReadToken, caught_up
from api.schemas import WriteOut
from api.schemas.bids import BidDocumentOut
from api.schemas.documents import (
    BillOfQuantitiesIn,
    DocumentChangesIn,
    DocumentsOut,
    DocumentsWriteOut,
    UploadOut,
)
from api.uploads import BidUpload, bid_document, store_document
from domain.bid import MAX_BID_DOCUMENT_BYTES
from domain.documents import MAX_DOCUMENT_BYTES, DocumentVersion, MediaType
from domain.errors import (
    BiddingClosedError,
    DeadlinePassedError,
    DocumentNotFoundError,
    DocumentTypeError,
    InvalidBillOfQuantitiesError,
    InvalidDocumentsError,
    TenderNotDraftError,
    TenderNotFoundError,
    TenderNotPublishedError,
    UploadNotFoundError,
    VendorNotInvitedError,
)
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from procurement.crypto.sealed_documents import SEALING_OVERHEAD
from procurement.store.documents import (
    DocumentStore,
)
from projections import reads

TOO_LARGE = Refusal(413, "payload_too_large")


def _store(request: Request[Any, Any, Any]) -> DocumentStore:
    store: DocumentStore = request.app.state.documents
    return store


class DocumentUploadController(Controller):
    path = "/documents"
    tags = ["officer"]  # noqa: RUF012 (litestar reads a class attribute)
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_DOCUMENT_BYTES,
        summary="Upload a file for a tender's documents",
        description=(
            "The body is the file's bytes (up to "
            f"{MAX_DOCUMENT_BYTES:,} bytes; 413 beyond). Its type is read from its first bytes "
            "(PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, TIFF, ZIP; an archive is "
            "never expanded) and must fit file_name's extension and a specific Content-Type "
            "(415 document_type_refused). Stored once per SHA-256: attach it by sha256."
        ),
        responses=problems(DocumentTypeError, TOO_LARGE),
        opt={
            "raw_body": "application/octet-stream",
            "problem_words": {
                413: f"The file is over {MAX_DOCUMENT_BYTES:,} bytes",
                415: "The content is not an accepted document type, or not the one claimed",
            },
        },
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        file_name: Annotated[
            str,
            QueryParameter(
                min_length=1,
                max_length=200,
                description="the file's name for downloads: no path, no control characters",
            ),
        ],
    ) -> UploadOut:
        claimed = request.headers.get("content-type", "").split(";")[0].strip().lower()
        state = request.app.state
        return await store_document(
            state.documents, state.settings, request.stream(), file_name, claimed or None
        )


class BidDocumentController(Controller):
    path = "/tenders/{tender_id:uuid}/bids/documents"
    tags = ["vendor"]  # noqa: RUF012 (litestar reads a class attribute)
    guards = [requires_role(Role.VENDOR)]  # noqa: RUF012
    security = bearer(Role.VENDOR)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_DOCUMENT_BYTES + SEALING_OVERHEAD,
        summary="Upload a document for my bid, sealed",
        description=(
            "The body is the document's bytes, sealed on your machine (`procurement seal`, "
            "sealed=true) or plain, for the platform to seal on arrival (its type is checked "
            "as a tender document's). Each document at most "
            f"{MAX_DOCUMENT_BYTES:,} bytes, a bid's at most {MAX_BID_DOCUMENT_BYTES:,} in all "
            "(413). Name the answer's attachment in the bid's contents; a sealed bid's "
            "envelope names it as `procurement seal` wrote it."
        ),
        responses=problems(
            *TENDER,
            TenderNotPublishedError,
            DeadlinePassedError,
            BiddingClosedError,
            VendorNotInvitedError,
            DocumentTypeError,
            TOO_LARGE,
            TOO_MANY_REQUESTS,
        ),
        opt={
            "raw_body": "application/octet-stream",
            "problem_words": {
                413: "The document, or the bid's documents in all, are over their limit",
                415: "The content is not an accepted document type, or not a sealed one",
            },
        },
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        *,
        tender_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        file_name: Annotated[
            str | None,
            QueryParameter(
                min_length=1,
                max_length=200,
                description="the document's name; a plain upload's only (a sealed one's name is "
                "in its envelope, secret until the opening)",
            ),
        ] = None,
        sealed: Annotated[
            bool, QueryParameter(description="the body is sealed by `procurement seal`")
        ] = False,
    ) -> BidDocumentOut:
        await limiter_of(request).check(request, "bid", str(actor.account_id))
        upload = BidUpload(
            tender_id=tender_id,
            actor=actor,
            file_name=file_name,
            sealed=sealed,
            claimed=request.headers.get("content-type", "").split(";")[0].strip().lower() or None,
            announced=request.content_length,
        )
        state = request.app.state
        return await bid_document(
            state.documents, state.settings, procurement, request.stream(), upload
        )


class OfficerDocumentController(Controller):
    path = "/tenders/{tender_id:uuid}/documents"
    tags = ["officer"]  # noqa: RUF012 (litestar reads a class attribute)
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="Attach, replace or remove a draft's documents",
        description="A published tender's documents change by amendment (its documents field).",
        responses=problems(
            *TENDER,
            TenderNotDraftError,
            InvalidDocumentsError,
            DocumentNotFoundError,
            UploadNotFoundError,
            *WRITE,
        ),
    )
    async def change(
        self,
        request: Request[Any, Any, Any],
        *,
        tender_id: FromPath[UUID],
        data: JSONBody[DocumentChangesIn],
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> DocumentsWriteOut:
        changes = data.to_domain(await _store(request).facts(data.hashes()))
        written = await sync_to_thread(
            procurement.change_draft_documents, actor, tender_id, changes, expected_version
        )
        added = [c.document_id for c in changes.items if c.action == "add"]
        return DocumentsWriteOut(**WriteOut.of(written, read_tokens).model_dump(), added=added)

    @get(
        "/{document_id:uuid}",
        summary="Download a document of my entity's tender, drafts too",
        responses=problems(TenderNotFoundError, DocumentNotFoundError),
    )
    async def download(
        self,
        request: Request[Any, Any, Any],
        *,
        tender_id: FromPath[UUID],
        document_id: FromPath[UUID],
        actor: NamedDependency[Actor],
        procurement: NamedDependency[ProcurementApplication],
        version: Version = None,
    ) -> Response[Any]:
        found: DocumentVersion = await sync_to_thread(
            procurement.tender_document, actor, tender_id, document_id, version
        )
        file = found.file
        return await send_file(
            request, file.sha256, file.size, file.media_type, file.file_name, PRIVATE
        )


class BillOfQuantitiesController(Controller):
    path = "/tenders/{tender_id:uuid}/bill-of-quantities"
    tags = ["officer"]  # noqa: RUF012 (litestar reads a class attribute)
    guards = [requires_role(Role.OFFICER)]  # noqa: RUF012
    security = bearer(Role.OFFICER)

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="Fill a draft's lots and items from a bill of quantities (XLSX)",
        description="The spreadsheet, uploaded first with POST /documents, names its columns "
        "in its first row: lot, item, description, quantity, unit (and optionally lot title, "
        "classification). The draft's lots become the sheet's.",
        responses=problems(
            *TENDER,
            TenderNotDraftError,
            InvalidBillOfQuantitiesError,
            UploadNotFoundError,
            *WRITE,
        ),
    )
    async def bill_of_quantities(
        self,
        request: Request[Any, Any, Any],
        *,
        tender_id: FromPath[UUID],
        data: JSONBody[BillOfQuantitiesIn],
        actor: NamedDependency[Actor],
        expected_version: NamedDependency[int | None],
        procurement: NamedDependency[ProcurementApplication],
        read_tokens: NamedDependency[ReadTokens],
    ) -> WriteOut:
        store = _store(request)
        known = (await store.facts([data.sha256])).get(data.sha256)
        if known is None:
            raise UploadNotFoundError(f"no file {data.sha256} was uploaded: POST /documents")
        if known.media_type != MediaType.XLSX or known.size > MAX_SHEET_BYTES:
            raise InvalidBillOfQuantitiesError(
                f"a bill of quantities is an XLSX spreadsheet of at most {MAX_SHEET_BYTES:,} bytes"
            )
        content = b"".join([chunk async for chunk in store.read(data.sha256, 0, known.size)])
        view = await sync_to_thread(procurement.tender_for_officer, actor, tender_id)
        lots = await sync_to_thread(lots_from_sheet, content, view.terms.lots)
        written = await sync_to_thread(
            procurement.edit_tender, actor, tender_id, {"lots": lots}, expected_version
        )
        return WriteOut.of(written, read_tokens)


class PublicDocumentController(Controller):
    path = "/public"
    tags = ["public"]  # noqa: RUF012 (litestar reads a class attribute)

    @get(
        "/tenders/{tender_id:uuid}/documents",
        summary="A published tender's documents, every version of each",
        responses=problems(TenderNotFoundError, READ_MODEL_LAGGING, *READ_TOKEN),
    )
    async def list_documents(
        self,
        request: Request[Any, Any, Any],
        tender_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        read_token: ReadToken = None,
    ) -> DocumentsOut:
        await caught_up(request, pool, read_token, None)
        rows = await reads.tender_documents(pool, tender_id)
        if rows is None:
            raise TenderNotFoundError(f"no published tender {tender_id}")
        documents: dict[UUID, list[asyncpg.Record]] = {}
        for row in rows:
            documents.setdefault(row["document_id"], []).append(row)
        return DocumentsOut(
            tender_id=tender_id,
            documents=[document_out(versions) for versions in documents.values()],
        )

    @get(
        "/documents/{document_id:uuid}",
        summary="Download a published document (ETag, Range)",
        description="The bytes of one version, `ETag` its SHA-256 (as in the events, the "
        "ledger and the OCDS release); `Range` for a part (206), `If-None-Match` (304).",
        responses=problems(
            DocumentNotFoundError,
            Refusal(416, "range_not_satisfiable"),
            Refusal(503, "document_unavailable"),
            READ_MODEL_LAGGING,
            *READ_TOKEN,
        ),
    )
    async def download(
        self,
        request: Request[Any, Any, Any],
        *,
        document_id: FromPath[UUID],
        pool: NamedDependency[asyncpg.Pool],
        version: Version = None,
        read_token: ReadToken = None,
    ) -> Response[Any]:
        await caught_up(request, pool, read_token, None)
        row = await reads.document_version(pool, document_id, version)
        if row is None:
            raise DocumentNotFoundError(f"no published document {document_id} version {version}")
        return await send_file(
            request,
            row["sha256"],
            row["size"],
            MediaType(row["media_type"]),
            row["file_name"],
            IMMUTABLE if version is not None else REVALIDATE,
        )
