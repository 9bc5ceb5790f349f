"""Sending a stored file: one version of a document, as the API and the portal serve it.

``ETag`` is the file's SHA-256 (as in the events, the ledger and the OCDS release), one
``Range`` gives a part (206; 416 past the end), ``If-None-Match`` a 304; the name as uploaded
in ``Content-Disposition``. The bytes stream a chunk at a time from the document store.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any
from urllib.parse import quote

import asyncpg
from litestar import Request, Response
from litestar.params import QueryParameter
from litestar.response import Stream

from api.errors import ApiProblem
from api.schemas.documents import DocumentOut, DocumentVersionOut
from domain.documents import MediaType
from procurement.store.documents import DocumentStore

log = logging.getLogger("procurement.documents")
Version = Annotated[
    int | None,
    QueryParameter(ge=1, le=1_000_000, description="a version (default: the latest)"),
]


def document_out(versions: list[asyncpg.Record]) -> DocumentOut:
    latest = versions[-1]
    return DocumentOut(
        document_id=latest["document_id"],
        current_version=latest["version"],
        withdrawn_at=latest["withdrawn_at"],
        withdrawn_by_amendment=latest["withdrawn_by_amendment"],
        versions=[
            DocumentVersionOut(
                version=row["version"],
                kind=row["kind"],
                title=row["title"],
                language=row["language"],
                sha256=row["sha256"],
                size=row["size"],
                media_type=row["media_type"],
                file_name=row["file_name"],
                issued_at=row["issued_at"],
                amendment=row["amendment"],
                url=f"/public/documents/{row['document_id']}?version={row['version']}",
            )
            for row in versions
        ],
    )


_RANGE = re.compile(r"^bytes=(\d{0,19})-(\d{0,19})$")
IMMUTABLE = "public, max-age=31536000, immutable"
"""A version named in the URL never changes."""
REVALIDATE = "public, no-cache"
"""The latest version: an amendment may change it, so a cache asks again (``ETag``)."""
PRIVATE = "private, no-store"
"""A draft's document: for its entity's officers only, never kept by a shared cache."""


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """The bytes ``[start, end)`` a single ``Range`` asks for; None for the whole file (no
    header, or one this server ignores, as RFC 9110 lets it: several ranges, another unit,
    bad syntax, a last byte before the first). A range that starts past the end, or asks
    for the last zero bytes, is 416."""
    match = _RANGE.match(header.strip()) if header else None
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        if int(last) == 0:
            raise _unsatisfiable(size)
        return max(size - int(last), 0), size
    start = int(first)
    if last != "" and int(last) < start:
        return None
    end = size if last == "" else min(int(last) + 1, size)
    if start >= size:
        raise _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> ApiProblem:
    return ApiProblem(
        416,
        "range_not_satisfiable",
        f"the file is {size} bytes",
        headers={"Content-Range": f"bytes */{size}"},
    )


def _matches(header: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names the ETag (weakly compared, as RFC 9110 says for it)."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _disposition(file_name: str) -> str:
    """``attachment`` with the name as uploaded (``filename*``) and an ASCII stand-in for
    old clients: nothing in it can end the header or make a path."""
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()-]", "_", file_name).strip() or "document"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


async def send_file(  # noqa: PLR0917 (a file's facts, each from its read model)
    request: Request[Any, Any, Any],
    sha256: str,
    size: int,
    media: MediaType,
    file_name: str,
    cache: str,
) -> Response[Any]:
    store: DocumentStore = request.app.state.documents
    if sha256 not in await store.facts([sha256]):
        # The events name a file the store does not have: not the caller's doing. Loud, and
        # a 503 the caller may retry once an operator restores it.
        log.error("document %s is missing from the document store", sha256)
        raise ApiProblem(503, "document_unavailable", "the document cannot be read just now")
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": _disposition(file_name),
        "Cache-Control": cache,
    }
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(content=b"", status_code=304, headers=headers)
    if_range = request.headers.get("if-range")
    wanted = _range(request.headers.get("range"), size) if if_range in {None, etag} else None
    start, end = wanted or (0, size)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    return Stream(
        store.read(sha256, start, end),
        status_code=206 if wanted is not None else 200,
        media_type=media.value,
        headers=headers,
    )
