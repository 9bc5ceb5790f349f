"""Bad input gets a clear RFC 9457 problem with a stable code, and changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import jwt
import pytest
from httpx import Response
from litestar.testing import TestClient

from api.app import create_app
from domain.values import Role
from procurement.application import ProcurementApplication, system_actor
from procurement.settings import Settings
from projections import reads
from tests.api.conftest import Api
from tests.support import FakeClock, tender_json


def assert_problem(answer: Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert {"type", "title", "detail", "request_id"} <= body.keys()
    assert body["request_id"] == answer.headers["x-request-id"]
    return body


def draft(api: Api, clock: FakeClock, **changes: Any) -> tuple[str, dict[str, str]]:
    officer = api.login("officer@works")
    answer = api.post("/tenders", officer, json=tender_json(clock.now(), **changes))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], officer


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (json.dumps({"title": 1}).encode(), 422, "validation_failed"),
    ],
)
def test_unreadable_or_mistyped_bodies(api: Api, body: bytes, status: int, code: str) -> None:
    officer = api.login("officer@works")
    before = api.event_count()
    answer = api.post("/tenders", {**officer, "Content-Type": "application/json"}, content=body)
    assert_problem(answer, status, code)
    assert api.event_count() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "active"},  # an unknown field: clients cannot set what the platform sets
        {"estimated_value": {"amount": "-1.00", "currency": "PKR"}},
        {"estimated_value": {"amount": 1000.5, "currency": "PKR"}},
        {"estimated_value": {"amount": "1000.555", "currency": "PKR"}},
        {"estimated_value": {"amount": "1000.00", "currency": "rupees"}},
        {"bid_validity_days": "90"},
        {"category": "weapons"},
        {"lots": []},
        {"timeline": {"clarification_deadline": 5, "submission_deadline": 6, "opening_time": 7}},
    ],
)
def test_invalid_tender_fields(api: Api, clock: FakeClock, changes: dict[str, Any]) -> None:
    officer = api.login("officer@works")
    before = api.event_count()
    answer = api.post("/tenders", officer, json=tender_json(clock.now(), **changes))
    body = assert_problem(answer, 422, "validation_failed")
    assert body["errors"]
    assert api.event_count() == before


def test_a_naive_or_disordered_timeline_is_refused(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    before = api.event_count()
    body = tender_json(clock.now())
    body["timeline"]["opening_time"] = "2026-12-01T10:00:00"  # no offset
    assert_problem(api.post("/tenders", officer, json=body), 422, "validation_failed")
    body = tender_json(clock.now())
    body["timeline"]["clarification_deadline"] = body["timeline"]["opening_time"]
    assert_problem(api.post("/tenders", officer, json=body), 422, "validation_failed")
    assert api.event_count() == before


@pytest.mark.parametrize(
    ("days", "code"), [(-2, "deadline_in_past"), (10, "bidding_period_too_short")]
)
def test_publishing_checks_the_timeline_against_the_rules(
    api: Api, clock: FakeClock, days: int, code: str
) -> None:
    tender_id, officer = draft(api, clock)
    if days < 0:
        clock.advance(timedelta(days=25))  # the draft's deadline is now in the past
        officer = api.login("officer@works")
    else:
        api.client.patch(
            f"/tenders/{tender_id}",
            headers=officer,
            json={"timeline": tender_json(clock.now(), days=days)["timeline"]},
        )
    before = api.event_count()
    assert_problem(api.post(f"/tenders/{tender_id}/publish", officer), 422, code)
    assert api.event_count() == before


def test_publishing_twice_and_editing_a_published_tender(api: Api, clock: FakeClock) -> None:
    tender_id, officer = draft(api, clock)
    assert api.post(f"/tenders/{tender_id}/publish", officer).status_code == 200
    before = api.event_count()
    assert_problem(api.post(f"/tenders/{tender_id}/publish", officer), 409, "already_published")
    edited = api.client.patch(f"/tenders/{tender_id}", headers=officer, json={"title": "x"})
    assert_problem(edited, 409, "tender_not_draft")
    assert api.event_count() == before


def test_a_stale_or_garbled_if_match(api: Api, clock: FakeClock) -> None:
    tender_id, officer = draft(api, clock)
    before = api.event_count()
    stale = api.post(f"/tenders/{tender_id}/publish", {**officer, "If-Match": '"7"'})
    assert_problem(stale, 412, "version_mismatch")
    garbled = api.post(f"/tenders/{tender_id}/publish", {**officer, "If-Match": "soon"})
    assert_problem(garbled, 400, "invalid_if_match")
    assert api.event_count() == before


def test_a_vendor_calling_an_officer_endpoint(api: Api, clock: FakeClock) -> None:
    vendor = api.register_vendor("mehran.medical")
    before = api.event_count()
    answer = api.post("/tenders", vendor, json=tender_json(clock.now()))
    assert_problem(answer, 403, "forbidden")
    assert api.event_count() == before


def test_an_officer_of_another_entity_gets_not_found(api: Api, clock: FakeClock) -> None:
    tender_id, _ = draft(api, clock)
    stranger = api.login("officer@health")
    before = api.event_count()
    for answer in (
        api.client.get(f"/tenders/{tender_id}", headers=stranger),
        api.post(f"/tenders/{tender_id}/publish", stranger),
        api.post(f"/tenders/{tender_id}/cancel", stranger, json={"reason": "mine now"}),
        api.post(f"/tenders/{uuid4()}/publish", stranger),
    ):
        assert_problem(answer, 404, "tender_not_found")
    assert api.event_count() == before


def _forged(api: Api, clock: FakeClock) -> dict[str, Callable[[str], str]]:
    def unsigned(token: str) -> str:
        claims = jwt.decode(token, options={"verify_signature": False})
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=")
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
        return f"{header.decode()}.{payload.decode()}."

    def wrongly_signed(token: str) -> str:
        claims = jwt.decode(token, options={"verify_signature": False})
        return jwt.encode(claims, "not-the-platform-key-" + "x" * 20, algorithm="HS256")

    def expired(token: str) -> str:
        clock.advance(timedelta(minutes=16))
        return token

    return {"unsigned": unsigned, "wrongly_signed": wrongly_signed, "expired": expired}


@pytest.mark.parametrize("forgery", ["unsigned", "wrongly_signed", "expired"])
def test_bad_tokens_are_refused(api: Api, clock: FakeClock, forgery: str) -> None:
    officer = api.login("officer@works")
    token = officer["Authorization"].removeprefix("Bearer ")
    bad = _forged(api, clock)[forgery](token)
    before = api.event_count()
    answer = api.post("/tenders", {"Authorization": f"Bearer {bad}"}, json=tender_json(clock.now()))
    assert_problem(answer, 401, "invalid_token")
    assert api.event_count() == before


def test_no_token_and_wrong_passwords(api: Api, clock: FakeClock) -> None:
    before = api.event_count()
    assert_problem(api.post("/tenders", {}, json=tender_json(clock.now())), 401, "unauthenticated")
    wrong = api.client.post("/auth/token", json={"username": "officer@works", "password": "nope"})
    assert_problem(wrong, 401, "invalid_credentials")
    unknown = api.client.post("/auth/token", json={"username": "nobody", "password": "nope"})
    assert_problem(unknown, 401, "invalid_credentials")
    assert api.event_count() == before


def test_a_taken_username_and_a_bad_ntn(api: Api) -> None:
    api.register_vendor("indus.builders")
    before = api.event_count()
    registration = {
        "username": "Indus.Builders",
        "password": "another-long-password",
        "legal_name": "Someone Else",
        "ntn": "7654321-0",
        "contact_email": "x@example.com",
    }
    taken = api.client.post("/vendors/register", json=registration)
    assert_problem(taken, 409, "username_taken")
    bad_ntn = api.client.post(
        "/vendors/register", json={**registration, "username": "new.vendor", "ntn": "12"}
    )
    assert_problem(bad_ntn, 422, "validation_failed")
    assert api.event_count() == before


def test_unknown_public_tender_and_bad_query(api: Api) -> None:
    assert_problem(api.client.get(f"/public/tenders/{uuid4()}"), 404, "tender_not_found")
    assert_problem(api.client.get("/public/tenders?limit=1000"), 422, "validation_failed")
    assert_problem(api.client.get("/public/tenders?status=sealed"), 422, "validation_failed")


def test_a_read_waits_for_its_position_then_says_it_is_behind(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> None:
    stalled = settings.model_copy(
        update={"run_projections": False, "run_scheduler": False, "read_wait_timeout": 0.2}
    )
    with TestClient(create_app(stalled, clock=clock), raise_server_exceptions=False) as client:
        written = application.register_account(
            system_actor("t"), username="lagging@one", password="a-long-password", role=Role.AUDITOR
        )
        token = client.app.state.read_tokens.issue(written.position)
        answer = client.get(f"/public/tenders?read_token={token}")
        assert_problem(answer, 503, "read_model_lagging")
        assert answer.headers["retry-after"] == "1"


def test_an_unexpected_fault_is_a_500_with_only_the_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        msg = "the read pool is in a state it should never be in"
        raise RuntimeError(msg)

    monkeypatch.setattr(reads, "list_tenders", broken)  # a fault on our side
    answer = api.client.get("/public/tenders", headers={"X-Request-ID": "trace-me-42"})
    body = assert_problem(answer, 500, "internal_error")
    assert body["request_id"] == "trace-me-42"
    assert "trace-me-42" in body["detail"]
    assert "pool" not in answer.text.lower()  # nothing internal leaks
    assert "Traceback" not in answer.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"envelopes": [{"name": "bid", "ciphertext": "A" * 45}]}, "envelopes.0.ciphertext"),
        (
            {"contents": {"documents": [{"name": "boq.pdf", "content": "QUJD" + "A"}]}},
            "contents.documents.0.content",
        ),
    ],
)
def test_base64_that_does_not_decode_is_refused_at_its_field(
    api: Api, clock: FakeClock, body: dict[str, Any], field: str
) -> None:
    """Its length not a multiple of four, it matches the alphabet but does not decode: a
    422 naming the field, not a 500 from deep in the command."""
    tender_id, officer = draft(api, clock)
    assert api.post(f"/tenders/{tender_id}/publish", officer).status_code == 200
    vendor = {**api.register_vendor("alpha"), "Idempotency-Key": "bid-1"}
    before = api.event_count()
    answer = api.post(f"/tenders/{tender_id}/bids", vendor, json=body)
    problem = assert_problem(answer, 422, "validation_failed")
    assert [e["loc"] for e in problem["errors"]] == [[field]], problem
    assert "base64" in problem["detail"]
    assert api.event_count() == before
