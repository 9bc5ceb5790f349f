"""The officers' pages for a tender's documents: a file uploaded by the page's script (with
its progress), a draft's documents attached, replaced or removed, and any version of a
document of their entity's tender downloaded, drafts included.

An amendment's document changes are posted with the addendum (``tenders.py``, ``amend``);
its rows are read here (``document_form``).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.downloads import PRIVATE, Version, send_file
from api.errors import EXCEPTION_HANDLERS, ApiProblem, status_for
from api.portal.documents import (
    chunks_of,
    document_changes,
    form_files,
    raw_body_only,
)
from api.portal.forms import FormState, form_values, validation_errors
from api.portal.guards import actor_of, requires_portal_role
from api.portal.i18n import translator
from api.portal.officer.tender_page import TenderPage
from api.portal.session import language_of
from api.schemas.documents import DocumentChangesIn, UploadOut
from api.uploads import store_document
from domain.documents import MAX_DOCUMENT_BYTES, DocumentVersion
from domain.errors import ProcurementError
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.store.documents import StoredFile

DRAFT_CHANGES = "changes."
"""A draft's documents form: one change, ``changes.0.*`` (the API's ``DocumentChangesIn``)."""


async def stored_files(
    request: Request[Any, Any, Any],
) -> tuple[list[tuple[str, str]], FormState, int]:
    """The files a form carries itself (no script uploaded them), each stored as a tender's
    document: the fields that name each (``<row>.sha256``, ``<row>.file_name`` for a file
    sent as ``<row>.file``), or the errors at their fields and the status the API gives."""
    store, settings = request.app.state.documents, request.app.state.settings
    named: list[tuple[str, str]] = []
    state, status = FormState(), 422
    for key, upload in await form_files(request):
        if not key.endswith(".file"):
            continue
        row = key.removesuffix("file")
        try:
            stored = await store_document(store, settings, chunks_of(upload), upload.filename)
        except ValidationError as error:
            state.errors[key] = "; ".join(validation_errors(error).values())
        except ProcurementError as error:
            state.errors[key] = f"{error} ({error.code})"
            status = status_for(error)
        except ApiProblem as error:
            state.errors[key] = f"{error.detail} ({error.code})"
            status = error.status_code
        else:
            named += [(f"{row}sha256", stored.sha256), (f"{row}file_name", stored.file_name)]
    return named, state, status


async def document_form(
    request: Request[Any, Any, Any], prefix: str, *, every_row: bool = False
) -> tuple[list[tuple[str, str]], DocumentChangesIn | None, FormState, int]:
    """A form's fields (its files stored and named), the document changes its rows under
    ``prefix`` send, and the errors found so far with their status."""
    named, files, status = await stored_files(request)
    pairs = await form_values(request) + named
    changes, state = document_changes(pairs, prefix, every_row=every_row)
    state.errors |= files.errors
    state.values = dict(pairs)
    if files.failed:
        return pairs, None, state, status
    return pairs, changes, state, 422


async def facts(
    request: Request[Any, Any, Any], changes: DocumentChangesIn
) -> dict[str, StoredFile]:
    """The store's facts of the files the changes name (what the events will record)."""
    found: dict[str, StoredFile] = await request.app.state.documents.facts(changes.hashes())
    return found


class OfficerDocumentPages(Controller):
    path = "/portal/officer"
    guards = [requires_portal_role(Role.OFFICER)]  # noqa: RUF012 (litestar reads a class attribute)
    include_in_schema = False

    @post(
        "/documents",
        name="portal:officer-upload",
        status_code=201,
        request_max_body_size=MAX_DOCUMENT_BYTES,
        # The page's script reads the answer: problems in JSON, as the API's.
        exception_handlers=EXCEPTION_HANDLERS,
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        file_name: Annotated[str, QueryParameter(min_length=1, max_length=200)],
    ) -> UploadOut:
        """The body is the file's bytes, as ``POST /documents`` takes them."""
        raw_body_only(request)
        state = request.app.state
        return await store_document(state.documents, state.settings, request.stream(), file_name)

    @post("/tenders/{tender_id:uuid}/documents", name="portal:officer-documents")
    async def change(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
    ) -> Template | Redirect:
        """Attach a document to a draft, or replace or remove one: one change a form."""
        page = TenderPage(request, pool, procurement, tender_id)
        pairs, changes, form, status = await document_form(request, DRAFT_CHANGES, every_row=True)
        document = dict(pairs).get(f"{DRAFT_CHANGES}0.document_id", "")
        name = f"document:{document}" if document else "documents"
        if changes is None:
            if not form.failed:
                form.summary.append(translator(language_of(request))("Choose a file to attach."))
            return await page.refusal(name, form, status)
        stored, sent = await facts(request, changes), changes
        return await page.run(
            name,
            form,
            lambda: procurement.change_draft_documents(
                page.actor, tender_id, sent.to_domain(stored), None
            ),
        )

    @get("/tenders/{tender_id:uuid}/documents/{document_id:uuid}", name="portal:officer-document")
    async def download(
        self,
        request: Request[Any, Any, Any],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        document_id: FromPath[UUID],
        version: Version = None,
    ) -> Response[Any]:
        """A version of a document of the officer's entity's tender (drafts too)."""
        found: DocumentVersion = await sync_to_thread(
            procurement.tender_document, actor_of(request), tender_id, document_id, version
        )
        file = found.file
        return await send_file(
            request, file.sha256, file.size, file.media_type, file.file_name, PRIVATE
        )
