"""Open data: OCDS 1.1.5 release packages (a feed in the store's order) and record packages.

Bodies are built from the stored release texts, byte for byte, so a release reads the same
every time it is served; each answer carries a strong ETag and honours ``If-None-Match``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter, QueryParameter

from api.openapi import problems
from api.params import BIGINT_MAX
from api.schemas import RecordPackage, ReleasePackage
from domain.errors import NotFoundError
from projections import reads
from projections.ocds import records as ocds_records
from projections.ocds.release_builder import release_package

MEDIA_TYPE = "application/json"
# An ocid is visible ASCII (ours: the prefix and the tender's id); anything else names no
# contracting process, and is not sent to the database (which refuses U+0000 with an error).
_OCID = re.compile(r"^[\x21-\x7e]{1,200}$")


class OcidNotFoundError(NotFoundError):
    code = "ocid_not_found"
    title = "No contracting process with this ocid"


IfNoneMatch = Annotated[
    str | None,
    Parameter(
        header="If-None-Match",
        description="the ETag of the answer you hold: 304 with no body if it is still current",
    ),
]
ETAG = ResponseHeader(
    name="ETag",
    description="strong: send it back in If-None-Match",
    required=True,
    documentation_only=True,
)
NOT_MODIFIED = ResponseSpec(
    data_container=None, description="Not modified: the ETag in If-None-Match is current"
)


def _answer(body: bytes, if_none_match: str | None, headers: dict[str, str]) -> Response[bytes]:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {**headers, "ETag": etag, "Cache-Control": "public, max-age=5"}
    if etag in {tag.strip() for tag in (if_none_match or "").split(",")}:
        return Response(content=b"", status_code=304, headers=headers, media_type=MEDIA_TYPE)
    return Response(content=body, headers=headers, media_type=MEDIA_TYPE)


class OcdsController(Controller):
    path = "/ocds"
    tags = ["open data"]  # noqa: RUF012

    @get(
        "/releases",
        summary="OCDS release packages: every release, in order, after a cursor",
        response_headers=[
            ETAG,
            ResponseHeader(
                name="Link",
                description='the next page: <URL>; rel="next"',
                required=True,
                documentation_only=True,
            ),
        ],
        responses={
            200: ResponseSpec(
                data_container=ReleasePackage, description="A page of the release feed"
            ),
            304: NOT_MODIFIED,
        },
    )
    async def releases(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        after: Annotated[
            int, QueryParameter(ge=0, le=BIGINT_MAX, description="the last position you have")
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        rows = await reads.ocds_releases_after(pool, after, limit)
        base = request.app.state.settings.base_url
        last = rows[-1][0] if rows else after
        next_url = f"{base}/ocds/releases?after={last}&limit={limit}"
        package = release_package(
            [], f"{base}/ocds/releases?after={after}&limit={limit}", rows[-1][2] if rows else None
        )
        if package["publishedDate"] is None:
            del package["publishedDate"]
        package["links"] = {"next": next_url}
        head = json.dumps(package, separators=(",", ":"))
        # The stored texts go in as they are: the package's releases list is spliced.
        body = head.replace('"releases":[]', '"releases":[' + ",".join(r[1] for r in rows) + "]", 1)
        return _answer(body.encode(), if_none_match, {"Link": f'<{next_url}>; rel="next"'})

    @get(
        "/records/{ocid:str}",
        summary="The OCDS record package of one contracting process",
        response_headers=[ETAG],
        responses={
            200: ResponseSpec(data_container=RecordPackage, description="The record package"),
            304: NOT_MODIFIED,
            **problems(OcidNotFoundError),
        },
    )
    async def record(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        ocid: FromPath[str],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        rows = await reads.ocds_releases_of(pool, ocid) if _OCID.match(ocid) else []
        if not rows:
            raise OcidNotFoundError(f"no contracting process {ocid}")
        base = request.app.state.settings.base_url
        package = ocds_records.record_package(
            [json.loads(text) for _, text, _ in rows], f"{base}/ocds/records/{ocid}", base
        )
        body = json.dumps(package, separators=(",", ":"), ensure_ascii=False).encode()
        return _answer(body, if_none_match, {})
