"""Forms: what the user typed, turned into the API's own request bodies, and the API's error
messages put back next to the fields they are about.

A field's name is its path in the API's request body, dotted (``prices.0.price.amount``),
so a validation error's location names its field without a table. Domain errors name no
field; each form says which field a code belongs to, and the rest go in the form's summary.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any, TypeVar

from litestar import Request
from pydantic import BaseModel, ValidationError

from domain.errors import ProcurementError

M = TypeVar("M", bound=BaseModel)


@dataclass
class FormState:
    """A form as the user left it: the values typed, and the errors against each field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.summary)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str) -> str | None:
        """The message for a field, or for the object it is the first field of (a missing
        ``price`` is reported at ``prices.0.price``, shown at ``prices.0.price.amount``)."""
        return self.errors.get(name) or self.errors.get(name.rpartition(".")[0] or "\0")


def forms_shown(forms: Mapping[str, FormState] | None) -> Callable[[str], FormState]:
    """A page's ``form(name)``: each of its forms as the user left it (refused), or empty."""
    failed = dict(forms or {})
    return lambda name: failed.get(name) or FormState()


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Dotted names into nested objects; numeric parts are list indices. Empty values are
    left out, so optional fields stay absent and unused trailing rows vanish."""
    root: dict[str, Any] = {}
    for key, raw in pairs:
        if key.startswith("_"):
            continue
        value = raw.strip() if isinstance(raw, str) else raw
        if value == "":
            continue
        parts = key.split(".")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            last = parts[-1]
            if last.endswith("[]"):
                node.setdefault(last[:-2], []).append(value)
            else:
                node[last] = value
    listed = _listify(root)
    return listed if isinstance(listed, dict) else {}


MAX_ROWS = 1000
"""A form's list rows: more than any request body holds (500 items in a lot). A name with a
larger index (``lots.99999999999.title``) is not a row: the body refuses it at its field,
where a list that long would take the process's memory."""


def whole_number(text: str, bound: int) -> int | None:
    """``text`` as a whole number below ``bound`` if it is one in ASCII digits (``str.isdigit``
    also takes "²" and "٣", which ``int`` refuses or reads as another script's)."""
    if text.isascii() and text.isdigit() and len(text) <= len(str(bound)):
        number = int(text)
        return number if number < bound else None
    return None


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _listify(value) for key, value in node.items()}
    indices = [whole_number(key, MAX_ROWS) for key in converted]
    if converted and None not in indices:
        size = max(index for index in indices if index is not None) + 1
        return [converted.get(str(index), {}) for index in range(size)]
    return converted


def _message(text: str) -> str:
    return text.removeprefix("Value error, ")


def validation_errors(error: ValidationError, prefix: tuple[str, ...] = ()) -> dict[str, str]:
    """Each error's message under the dotted name of its field."""
    out: dict[str, str] = {}
    for item in error.errors(include_url=False, include_input=False):
        location = [str(part) for part in item["loc"]][len(prefix) :]
        name = ".".join(location) or "_form"
        out.setdefault(name, _message(item["msg"]))
    return out


async def form_values(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    form = await request.form()
    return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]


def _typed(pairs: list[tuple[str, str]], integers: Collection[str]) -> list[tuple[str, Any]]:
    """Whole numbers where the body wants JSON integers (a form sends only text); a value
    that is not one stays text, and the body's own validation names the field."""
    out: list[tuple[str, Any]] = []
    for key, value in pairs:
        number = whole_number(value.strip(), INTEGER_BOUND)
        if number is not None and any(fnmatch(key, pattern) for pattern in integers):
            out.append((key, number))
        else:
            out.append((key, value))
    return out


INTEGER_BOUND = 10**18  # larger whole numbers stay text; no integer a form asks for is near


def parse(
    model: type[M],
    pairs: list[tuple[str, str]],
    extra: Mapping[str, Any] | None = None,
    *,
    integers: Collection[str] = (),
) -> tuple[M | None, FormState]:
    """The request body ``model`` built from the form, or the form's state with its errors.
    ``integers`` are the dotted names (``*`` for an index) that the body takes as integers."""
    state = FormState(values=dict(pairs))
    data = {**nest(_typed(pairs, integers)), **(extra or {})}
    try:
        return model.model_validate(data), state
    except ValidationError as error:
        state.errors = validation_errors(error)
        errors_at_root = state.errors.pop("_form", None)
        if errors_at_root:
            state.summary.append(errors_at_root)
        return None, state


def refused(
    state: FormState, error: ProcurementError, fields: Mapping[str, str] | None = None
) -> FormState:
    """A domain refusal, next to its field when the form knows which one the code is about."""
    target = (fields or {}).get(error.code)
    message = f"{error} ({error.code})"
    if target:
        state.errors[target] = message
    else:
        state.summary.append(message)
    return state
