"""The one way the API reads a JSON request body, for every endpoint that takes one.

Litestar reads a handler's JSON body through ``Request.json()``; the app's request class
overrides it, so no handler can read a body another way. It refuses, as problems:

- a body that is not declared JSON (``Content-Type`` other than ``application/json`` or
  ``application/*+json``, or a charset other than UTF-8): 415 ``unsupported_media_type``;
- a body that is not JSON, not UTF-8, or nested deeper than the decoder goes: 400
  ``malformed_json``;
- a number no type can hold (``1e400``, an integer of thousands of digits): 422
  ``validation_failed`` naming where it is.

A body over the size limit (``REQUEST_MAX_BODY_SIZE``) is 413 before any of this. Form posts
(the portal's) are read with ``Request.form()`` and are not affected.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import SerializationException

from api.errors import ApiProblem

REQUEST_MAX_BODY_SIZE = 10_000_000
"""Bytes: the one limit of a request body, for every route (the API's JSON and the portal's
forms, a bid with its documents included), refused with 413 ``payload_too_large`` before it
is read. The request models' longest fields fit in it (``api/schemas/``)."""


def is_json_media_type(media_type: str, options: dict[str, str]) -> bool:
    """``application/json`` or a ``+json`` type, in UTF-8 (the only encoding JSON has)."""
    kind, _, subtype = media_type.lower().partition("/")
    charset = options.get("charset", "utf-8").lower()
    json_type = kind == "application" and (subtype == "json" or subtype.endswith("+json"))
    return json_type and charset in {"utf-8", "utf8"}


class _OutOfRange:
    """Where a number no type can hold was, when the body is read again to find it."""


_OUT_OF_RANGE = _OutOfRange()


def _float_or_mark(text: str) -> Any:
    value = float(text)
    return _OUT_OF_RANGE if math.isinf(value) else value


def _int_or_mark(text: str) -> Any:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts
        return _OUT_OF_RANGE


def _path_to_mark(value: Any, path: list[str]) -> list[str] | None:
    if value is _OUT_OF_RANGE:
        return path
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        children = [(str(key), item) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(str(index), item) for index, item in enumerate(value)]
    for name, child in children:
        found = _path_to_mark(child, [*path, name])
        if found is not None:
            return found
    return None


def out_of_range_path(body: bytes) -> list[str]:
    """Where the first number out of range is in ``body`` (``[]``: the body itself or not
    found). Run only on a body the decoder refused, so its cost is the refusal's."""
    try:
        tree = json.loads(body, parse_float=_float_or_mark, parse_int=_int_or_mark)
        return _path_to_mark(tree, []) or []
    except (ValueError, RecursionError):
        return []


def _out_of_range(body: bytes) -> ApiProblem:
    loc = out_of_range_path(body)
    where = ".".join(loc) or "body"
    message = "Number out of range"
    return ApiProblem(
        422,
        "validation_failed",
        f"{where}: {message}",
        extra={"errors": [{"loc": loc, "message": message}]},
    )


def _malformed(detail: str) -> ApiProblem:
    return ApiProblem(400, "malformed_json", f"The body is not valid JSON: {detail}")


class JsonBodyRequest(Request[Any, Any, Any]):
    """The app's request class: its ``json()`` is the API's one JSON body reader."""

    async def json(self) -> Any:
        media_type, options = self.content_type
        if not is_json_media_type(media_type, options):
            raise ApiProblem(
                415,
                "unsupported_media_type",
                f"The body must be JSON (Content-Type: application/json), not "
                f"{self.headers.get('content-type') or 'undeclared'}",
            )
        try:
            return await super().json()
        except UnicodeDecodeError as error:
            raise _malformed(f"not UTF-8 at byte {error.start}") from error
        except RecursionError as error:
            raise _malformed("nested too deeply") from error
        except SerializationException as error:
            if isinstance(error.__cause__, msgspec.ValidationError):  # "out of range"
                raise _out_of_range(await self.body()) from error
            raise _malformed(str(error)) from error
