"""The conformance run's one check of its own (``tests/api/test_openapi_conformance.py``):
a request the document says is valid is never refused as malformed.

schemathesis's ``positive_data_acceptance`` refuses any 422 for valid data. The document
cannot state every rule a write is judged by: a deadline must be in the future, a tender
must be published before it takes bids, an ``Idempotency-Key`` already used must come with
the same body (422 by the IETF draft), ``If-Match`` must hold the current version (412).
The run therefore lets ``positive_data_acceptance`` expect 412 and 422, and this check
keeps the promise those statuses would otherwise hide: valid data never gets a problem that
says the request itself was malformed or invalid.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

MALFORMED = frozenset(
    {
        "validation_failed",
        "malformed_json",
        "unsupported_media_type",
        "payload_too_large",
        "invalid_if_match",
        "invalid_idempotency_key",
        "bad_request",
    }
)
"""The codes that say "this request is not what the document allows"."""


def _problem(response: Response) -> dict[str, Any]:
    try:
        found = json.loads(response.content)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _names_a_field(problem: dict[str, Any]) -> bool:
    """A ``validation_failed`` naming a field refuses what its schema allows; one whose
    errors name no field states a rule across fields (the weights add up to 100, the
    deadlines come in order), which a JSON Schema cannot."""
    errors = problem.get("errors") or []
    return not errors or any(error.get("loc") for error in errors)


@schemathesis.check
def valid_data_is_never_malformed(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code < 400:
        return
    problem = _problem(response)
    code = problem.get("code")
    if code in MALFORMED and (code != "validation_failed" or _names_a_field(problem)):
        msg = f"Valid data refused as {code} ({response.status_code}): {response.text[:500]}"
        raise AssertionError(msg)
