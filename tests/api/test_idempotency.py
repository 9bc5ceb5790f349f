"""Idempotency-Key: a retry gets the first answer and writes nothing."""

from __future__ import annotations

from uuid import uuid4

from api.body import REQUEST_MAX_BODY_SIZE
from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock, tender_json


def test_a_retried_draft_gets_the_first_answer_and_writes_nothing(
    api: Api, clock: FakeClock
) -> None:
    officer = {**api.login("officer@works"), "Idempotency-Key": str(uuid4())}
    body = tender_json(clock.now())
    first = api.post("/tenders", officer, json=body)
    assert first.status_code == 201, first.text
    count = api.event_count()
    retry = api.post("/tenders", officer, json=body)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert api.event_count() == count


def test_the_same_key_with_another_body_is_refused(api: Api, clock: FakeClock) -> None:
    officer = {**api.login("officer@works"), "Idempotency-Key": "draft-2026-001"}
    assert api.post("/tenders", officer, json=tender_json(clock.now())).status_code == 201
    count = api.event_count()
    other = api.post("/tenders", officer, json=tender_json(clock.now(), title="Another"))
    assert_problem(other, 422, "idempotency_key_reused")
    assert api.event_count() == count


def test_keys_belong_to_their_account(api: Api, clock: FakeClock) -> None:
    key = {"Idempotency-Key": "shared-key"}
    works = {**api.login("officer@works"), **key}
    health = {**api.login("officer@health"), **key}
    first = api.post("/tenders", works, json=tender_json(clock.now()))
    second = api.post("/tenders", health, json=tender_json(clock.now()))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_a_refusal_is_replayed_too_and_a_bad_key_is_refused(api: Api, clock: FakeClock) -> None:
    officer = {**api.login("officer@works"), "Idempotency-Key": str(uuid4())}
    tender_id = api.post("/tenders", api.login("officer@works"), json=tender_json(clock.now()))
    publish = f"/tenders/{tender_id.json()['id']}/publish"
    assert api.post(publish, officer).status_code == 200
    count = api.event_count()
    again = api.post(publish, officer)
    assert again.status_code == 200  # the first answer, not "already published"
    assert api.event_count() == count
    bad = api.post(publish, {**officer, "Idempotency-Key": "has spaces"})
    assert_problem(bad, 400, "invalid_idempotency_key")


def test_without_a_key_a_second_draft_is_a_second_tender(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    first = api.post("/tenders", officer, json=tender_json(clock.now()))
    second = api.post("/tenders", officer, json=tender_json(clock.now()))
    assert first.json()["id"] != second.json()["id"]


def test_a_keyed_body_over_the_limit_is_413_before_any_claim(api: Api) -> None:
    """The middleware reads a keyed body to hash it: only as far as the route would (an
    anonymous caller could otherwise make the process hold any size of body), and a body it
    refuses claims nothing: the key then serves a proper request."""
    key = {"Idempotency-Key": str(uuid4())}
    count = api.event_count()
    answer = api.client.post(
        "/vendors/register",
        content=b"{" + b" " * REQUEST_MAX_BODY_SIZE + b"}",
        headers={**key, "Content-Type": "application/json"},
    )
    assert_problem(answer, 413, "payload_too_large")
    assert api.event_count() == count
    registration = {
        "username": "keyed-vendor",
        "password": "a long enough passphrase",
        "legal_name": "Keyed (Pvt) Ltd",
        "ntn": "1234567-8",
        "contact_email": "keyed@example.com",
    }
    assert api.client.post("/vendors/register", json=registration, headers=key).status_code == 201
