"""Which answers an Idempotency-Key keeps for its retries: final ones, not "try again"."""

from __future__ import annotations

import json

import pytest

from api.idempotency import _HeldAnswer


def held(status: int, body: dict[str, object] | None = None) -> _HeldAnswer:
    answer = _HeldAnswer()
    answer.hold({"type": "http.response.start", "status": status, "headers": []})
    answer.hold({"type": "http.response.body", "body": json.dumps(body or {}).encode()})
    return answer


@pytest.mark.parametrize(
    ("status", "code", "kept"),
    [
        (201, None, True),
        (200, None, True),
        (422, "invalid_body", True),
        (409, "bid_exists", True),  # the same request would be refused the same way
        (409, "version_conflict", False),  # another write came first: try again
        (429, "too_many_requests", False),
        (500, "internal_error", False),
        (503, "database_unavailable", False),
    ],
)
def test_only_final_answers_are_kept(status: int, code: str | None, kept: bool) -> None:
    assert held(status, {"code": code} if code else None).is_final() is kept


def test_a_conflict_without_a_readable_code_is_kept() -> None:
    answer = _HeldAnswer()
    answer.hold({"type": "http.response.start", "status": 409, "headers": []})
    answer.hold({"type": "http.response.body", "body": b"not json"})
    assert answer.is_final()
