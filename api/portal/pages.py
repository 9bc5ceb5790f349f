"""Rendering portal pages: the Jinja environment, the context every page gets, and the
HTML form of errors (the API answers RFC 9457 JSON; a browser gets a page)."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from api.errors import (
    EXCEPTION_HANDLERS,
    ApiProblem,
    database_down_met,
    database_unreachable,
    status_for,
)
from api.portal.csrf import csrf_token_of
from api.portal.documents import KINDS, LANGUAGES, version_changes
from api.portal.i18n import translator
from api.portal.session import (
    language_of,
    portal_user,
    renew_if_half_spent,
    session_of,
)
from api.schemas import MoneyOut
from domain.award import AwardStatus
from domain.errors import ProcurementError
from domain.public_status import PublicTenderStatus

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# Pakistan Standard Time: UTC+5 all year (no daylight saving since 2009).
PKT = timezone(timedelta(hours=5), "PKT")


def _static_version() -> str:
    """A digest of the static files, appended to their URLs so they can be cached for a year."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.glob("*")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


def _ltr(text: str) -> Markup:
    """Digits and Latin letters kept in their order inside right-to-left Urdu text."""
    return Markup('<span dir="ltr">{}</span>').format(text)


def pkt(value: Any) -> Markup:
    """A time as people in Sindh read it: Pakistan time."""
    moment = as_datetime(value)
    if moment is None:
        return Markup()
    return _ltr(moment.astimezone(PKT).strftime("%d %b %Y, %H:%M PKT"))


def iso(value: Any) -> str:
    moment = as_datetime(value)
    return "" if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(value: Any) -> Markup:
    """``{"amount": "1234.50", "currency": "PKR"}`` (or a public answer's ``MoneyOut``) as
    ``PKR 1,234.50``."""
    if isinstance(value, MoneyOut):
        value = msgspec.structs.asdict(value)
    if not isinstance(value, dict):
        return Markup()
    try:
        amount = Decimal(str(value.get("amount")))
    except InvalidOperation:
        return _ltr(str(value.get("amount")))
    return _ltr(f"{value.get('currency', 'PKR')} {amount:,.2f}")


def filesize(value: Any) -> Markup:
    """A file's size as people read it: ``830 bytes``, ``12.4 KB``, ``3.1 MB``."""
    size = int(value)
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return _ltr(f"{size / scale:.1f} {unit}")
    return _ltr(f"{size} bytes")


def thousands(value: Any) -> Markup:
    """A whole number with its thousands marked (a size in bytes, exactly)."""
    return _ltr(f"{int(value):,}")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        {"pkt": pkt, "iso": iso, "money": money, "filesize": filesize, "thousands": thousands}
    )
    env.globals["static_version"] = _static_version()
    # The statuses' one spelling, for the templates' comparisons.
    env.globals.update({"PublicTenderStatus": PublicTenderStatus, "AwardStatus": AwardStatus})
    # A tender's documents: their kinds, the notice's languages, what changed in a version.
    env.globals.update(
        {
            "document_kinds": KINDS,
            "notice_languages": dict(LANGUAGES),
            "version_changes": version_changes,
        }
    )
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def render(
    request: Request[Any, Any, Any], name: str, *, status_code: int = 200, **context: Any
) -> Template:
    """A page with what every page needs: the user, the language and its direction, the
    translator, the CSRF token and the server's time (for countdowns)."""
    language = language_of(request)
    now = request.app.state.clock.now()
    session = session_of(request)
    flashes = session.get("flash") or []
    if flashes:  # shown once
        request.set_session({k: v for k, v in session.items() if k != "flash"})
    user = portal_user(request)
    if user is not None:
        renew_if_half_spent(request, user)
    return Template(
        template_name=f"portal/{name}",
        status_code=status_code,
        context={
            "request": request,
            "user": user,
            "lang": language,
            "dir": "rtl" if language == "ur" else "ltr",
            "t": translator(language),
            "csrf": csrf_token_of(request),
            "now": now,
            "path": request.url.path,
            "query": request.url.query,
            "flashes": flashes,
            **context,
        },
        headers={"Cache-Control": "no-store"},
    )


def flash(request: Request[Any, Any, Any], message: str) -> None:
    """A message for the next page the user sees (after the redirect)."""
    session = dict(session_of(request))
    session["flash"] = [*session.get("flash", []), message]
    request.set_session(session)


def redirect(path: str) -> Redirect:
    """After a successful POST: see the result (303, so a reload does not post again)."""
    return Redirect(path=path, status_code=303)


def _error_page(
    request: Request[Any, Any, Any], status: int, code: str, detail: str
) -> Response[Any]:
    if status == 401:  # noqa: PLR2004 (HTTP status)
        return redirect(f"/portal/login?next={request.url.path}")
    return render(
        request, "error.html", status_code=status, status=status, code=code, detail=detail
    )


def _invalid_parameters(error: ValidationException) -> str:
    """Which parameters were refused and why (the detail would repeat the whole query)."""
    items = error.extra if isinstance(error.extra, list) else []
    named = [f"{e.get('key')}: {e.get('message')}" for e in items if isinstance(e, dict)]
    return "; ".join(named) or "the request is not valid"


def html_error(  # noqa: PLR0911 (one answer per kind of error)
    request: Request[Any, Any, Any], error: Exception
) -> Response[Any]:
    """The portal's one exception mapper: the same codes as the API, as a page."""
    if isinstance(error, ProcurementError):
        return _error_page(request, status_for(error), error.code, str(error))
    if isinstance(error, ApiProblem):
        return _error_page(request, error.status_code, error.code, str(error.detail))
    if database_unreachable(error):
        database_down_met(request, error)
        page = _error_page(request, 503, "database_unavailable", "the database is unavailable")
        page.headers["Retry-After"] = "5"
        return page
    if isinstance(error, NotAuthorizedException):
        return _error_page(request, 401, "unauthenticated", "sign in first")
    if isinstance(error, PermissionDeniedException):
        return _error_page(request, 403, "forbidden", str(error.detail))
    if isinstance(error, ValidationException):  # a query parameter out of its range, ...
        return _error_page(request, 422, "validation_failed", _invalid_parameters(error))
    if isinstance(error, HTTPException):
        return _error_page(request, error.status_code, "http_error", str(error.detail))
    log.error("portal page failed", exc_info=error)
    return _error_page(request, 500, "internal_error", "something went wrong on our side")


# Every kind the API's mapper knows (its specific handlers would otherwise win), as pages.
HTML_EXCEPTION_HANDLERS: dict[Any, Any] = dict.fromkeys(EXCEPTION_HANDLERS, html_error)
