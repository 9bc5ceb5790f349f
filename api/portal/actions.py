"""A portal action: a form posted as the API's request body, one application command run
with it, and then either the page the write leads to (a redirect) or the form's page shown
again with the errors by their fields and the API's status.

Every role's pages act this way: the officers' tender page (``TenderPage.act``), the vendors'
complaints and hearings, the regulator's decisions. Times are typed in Pakistan time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.response import Redirect, Template
from pydantic import BaseModel, ValidationError

from api.errors import status_for
from api.portal.forms import FormState, form_values, parse, refused, validation_errors
from api.portal.pages import PKT
from domain.errors import ProcurementError
from procurement.store.application_base import WriteResult

M = TypeVar("M", bound=BaseModel)

# Integers the API wants as JSON numbers (a form sends text).
INTEGERS = (
    "bid_validity_days",
    "evaluation.criteria.*.max_score",
    "scores.*.score",
    "quarter",  # a plan line's
    "line.quarter",
)

FormPage = Callable[[Mapping[str, FormState], int], Awaitable[Template]]
"""The page a form is posted from, shown again with these forms' states and this status."""
Done = Callable[[WriteResult], Redirect]
"""Where a written action leads."""


def pkt_to_utc(value: str) -> str:
    """A ``datetime-local`` input, typed in Pakistan time, as the API's RFC 3339 UTC text.
    Anything else is left as typed, for the API's message about it."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PKT)
    try:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:  # 0001-01-01T00:00 in PKT is before the first year in UTC
        return value


def pkt_input(moment: datetime | None) -> str:
    """A time as a ``datetime-local`` input shows it: Pakistan time, to the minute."""
    return "" if moment is None else moment.astimezone(PKT).strftime("%Y-%m-%dT%H:%M")


def body(
    model: type[M],
    pairs: list[tuple[str, str]],
    *,
    times: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> tuple[M | None, FormState]:
    """The API's request body from a form: times typed in PKT sent as UTC, whole numbers as
    numbers. The form keeps what was typed."""
    zoned = set(times)
    converted = [(k, pkt_to_utc(v) if k in zoned else v) for k, v in pairs]
    parsed, state = parse(model, converted, extra, integers=INTEGERS)
    state.values = dict(pairs)
    return parsed, state


def invalid(state: FormState, error: ValidationError) -> FormState:
    """A validation error raised past the request body (a tender's terms as a whole)."""
    for name, message in validation_errors(error).items():
        if name == "_form":
            state.summary.append(message)
        else:
            state.errors.setdefault(name, message)
    return state


async def act(  # noqa: PLR0917 (the form, its command, and where each outcome goes)
    request: Request[Any, Any, Any],
    name: str,
    schema: type[M],
    command: Callable[[M], WriteResult],
    page: FormPage,
    done: Done,
    fields: Mapping[str, str] | None = None,
    *,
    times: Iterable[str] = (),
    pairs: list[tuple[str, str]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Template | Redirect:
    """The form ``name`` posted as ``schema``, then ``command`` with its body: ``done`` with
    the write, or ``page`` again with the form's errors (422) or the refusal."""
    typed = await form_values(request) if pairs is None else pairs
    data, form = body(schema, typed, times=times, extra=extra)
    if data is None:
        return await page({name: form}, 422)
    return await run(name, form, partial(command, data), page, done, fields)


async def run(  # noqa: PLR0917 (the form, its command, and where each outcome goes)
    name: str,
    form: FormState,
    command: Callable[[], WriteResult],
    page: FormPage,
    done: Done,
    fields: Mapping[str, str] | None = None,
) -> Template | Redirect:
    """Run one command: ``done`` with its write, or on a refusal ``page`` again with the
    message by the form (a field's, when ``fields`` names the code's) and the API's status."""
    try:
        result = await sync_to_thread(command)
    except ProcurementError as error:
        return await page({name: refused(form, error, fields)}, status_for(error))
    except ValidationError as error:
        return await page({name: invalid(form, error)}, 422)
    return done(result)
