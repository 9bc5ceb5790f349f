"""The web portal: server-rendered pages for the public, vendors, officers, auditors and the
regulator, served by the same app as the API and calling the same application and read
models.

Its routes live under ``/portal`` (``/`` redirects there) and are the only ones behind the
session cookie and the CSRF check: the API keeps its bearer tokens and never reads a cookie.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, ControllerRouterHandler, Receive, Scope, Send

from api.portal.accounts import AccountPages
from api.portal.auditor import AuditorPages
from api.portal.csrf import csrf_guard
from api.portal.officer.awards import OfficerAwardPages
from api.portal.officer.documents import OfficerDocumentPages
from api.portal.officer.evaluation import OfficerEvaluationPages
from api.portal.officer.frameworks import OfficerFrameworkPages
from api.portal.officer.grievances import OfficerGrievancePages
from api.portal.officer.tenders import OfficerTenderPages
from api.portal.pages import HTML_EXCEPTION_HANDLERS, STATIC
from api.portal.plans import OfficerPlanPages, PublicPlanPages
from api.portal.public import PublicPages
from api.portal.regulator import RegulatorPages
from api.portal.securities import OfficerSecurityPages, VendorSecurityPages
from api.portal.session import ended_sessions_dropped, session_config
from api.portal.vendor import VendorPages
from api.portal.vendor_grievances import VendorGrievancePages
from procurement.settings import Settings

ONE_YEAR = 365 * 24 * 3600


@get("/", include_in_schema=False)
async def root() -> Redirect:
    return Redirect(path="/portal/tenders")


def sessions_and_csrf(app: ASGIApp) -> ASGIApp:
    """The session cookie, then the CSRF check (``api/portal/csrf.py``: origin, and a token
    bound to the session), around each portal route. Built on the first request from the
    app's settings (litestar copies routers, and a cipher does not copy)."""
    built: ASGIApp | None = None

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal built
        if built is None:
            settings: Settings = scope["litestar_app"].state.settings
            built = session_config(settings).middleware(ended_sessions_dropped(csrf_guard(app)))
        await built(scope, receive, send)

    return middleware


def _no_nul_in_file_names(request: Request[Any, Any, Any]) -> None:
    """A file name never holds U+0000 (the file system refuses one with an error, a 500)."""
    if "\x00" in request.scope["path"]:
        raise NotFoundException("no such file")


def portal_handlers() -> list[ControllerRouterHandler]:
    pages = Router(
        path="/",
        route_handlers=[
            root,
            PublicPages,
            AccountPages,
            VendorPages,
            VendorGrievancePages,
            OfficerTenderPages,
            OfficerDocumentPages,
            OfficerEvaluationPages,
            OfficerAwardPages,
            OfficerFrameworkPages,
            OfficerGrievancePages,
            OfficerSecurityPages,
            VendorSecurityPages,
            OfficerPlanPages,
            PublicPlanPages,
            AuditorPages,
            RegulatorPages,
        ],
        middleware=[sessions_and_csrf],
        exception_handlers=HTML_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        # The pages link each file with a digest of its content: cache it for a year.
        cache_control=CacheControlHeader(max_age=ONE_YEAR, public=True),
        before_request=_no_nul_in_file_names,
        include_in_schema=False,
    )
    return [pages, static]
