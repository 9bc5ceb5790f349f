"""A keyed retry whose earlier attempt's command landed although no answer was kept (the
command's events and the answer are two transactions): it answers what the earlier attempt
would have (the stored bid's receipt, the draft, the question, the complaint), and writes
nothing twice.

Here the lost answer is made by hand: the stored answer is dropped from the key's row (an
attempt that ended without an answer, its claim let go), or the row itself (a key whose claim
was released, or that no longer is in the store)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest

from domain.bid import Bid
from domain.tender import Tender
from tests.api.conftest import Api
from tests.api.scenarios import Scenario
from tests.api.test_bad_input import assert_problem
from tests.api.test_bids import contents, published
from tests.api.test_evaluation import awarded_to_alpha
from tests.support import FakeClock, tender_json


def _answer_lost(api: Api) -> None:
    """Every kept answer dropped: each key is claimed by an attempt that ended unanswered."""
    with psycopg.connect(api.dsn) as conn:
        conn.execute("UPDATE idempotency_keys SET status = NULL, content_type = NULL, body = NULL")


def _key_forgotten(api: Api) -> None:
    with psycopg.connect(api.dsn) as conn:
        conn.execute("DELETE FROM idempotency_keys")


def _events(api: Api, topic: str) -> int:
    with psycopg.connect(api.dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procurement_events WHERE topic = %s", (topic,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_retry_answers_the_receipt_of_the_bid_its_earlier_attempt_stored(
    api: Api, clock: FakeClock
) -> None:
    tender_id, _ = published(api, clock)
    vendor = {**api.register_vendor("alpha"), "Idempotency-Key": "bid-1"}
    path = f"/tenders/{tender_id}/bids"
    first = api.post(path, vendor, json=contents("1000.00"))
    assert first.status_code == 201, first.text
    _answer_lost(api)

    retried = api.post(path, vendor, json=contents("1000.00"))

    assert retried.status_code == 201, retried.text  # not 409 bid_exists
    assert retried.json()["receipt"] == first.json()["receipt"]
    assert _events(api, Bid.BidSubmitted.TOPIC) == 1


def test_a_write_before_the_attempt_is_not_taken_for_its_own(api: Api, clock: FakeClock) -> None:
    """A client that sends one X-Request-ID with everything: its bid made before the keyed
    attempt began is not that attempt's, though the request ids are equal."""
    tender_id, _ = published(api, clock)
    vendor = {**api.register_vendor("alpha"), "X-Request-ID": "always-the-same"}
    path = f"/tenders/{tender_id}/bids"
    assert api.post(path, vendor, json=contents("1000.00")).status_code == 201
    clock.advance(timedelta(seconds=1))
    keyed = {**vendor, "Idempotency-Key": "second-bid"}
    assert_problem(api.post(path, keyed, json=contents("900.00")), 409, "bid_exists")
    _answer_lost(api)

    assert_problem(api.post(path, keyed, json=contents("900.00")), 409, "bid_exists")
    assert _events(api, Bid.BidSubmitted.TOPIC) == 1


@pytest.mark.parametrize("lost", [_answer_lost, _key_forgotten])
def test_a_retry_answers_the_draft_its_earlier_attempt_made(
    api: Api, clock: FakeClock, lost: Any
) -> None:
    officer = {**api.login("officer@works"), "Idempotency-Key": "draft-1"}
    first = api.post("/tenders", officer, json=tender_json(clock.now()))
    assert first.status_code == 201, first.text
    lost(api)

    retried = api.post("/tenders", officer, json=tender_json(clock.now()))

    assert retried.status_code == 201, retried.text  # not 409 version_conflict, for ever
    assert retried.json() == first.json()
    assert _events(api, Tender.TenderDrafted.TOPIC) == 1


@pytest.mark.parametrize("lost", [_answer_lost, _key_forgotten])
def test_a_retry_answers_the_question_its_earlier_attempt_asked(
    api: Api, clock: FakeClock, lost: Any
) -> None:
    tender = Scenario(api, clock)
    vendor = {**api.register_vendor("alpha"), "Idempotency-Key": "question-1"}
    path = f"/tenders/{tender.id}/questions"
    first = api.post(path, vendor, json={"text": "Which quarry?"})
    assert first.status_code == 201, first.text
    lost(api)

    retried = api.post(path, vendor, json={"text": "Which quarry?"})

    assert retried.status_code == 201, retried.text  # not 422, kept for ever
    assert retried.json()["id"] == first.json()["id"]
    assert retried.json()["position"] >= first.json()["position"]
    assert _events(api, Tender.QuestionAsked.TOPIC) == 1


@pytest.mark.usefixtures("committee")
def test_a_retry_answers_the_complaint_its_earlier_attempt_lodged(
    api: Api, clock: FakeClock
) -> None:
    tender, award_id = awarded_to_alpha(api, clock)
    beta = {**tender.token("beta"), "Idempotency-Key": "complaint-1"}
    path = f"/awards/{award_id}/complaints"
    first = api.post(path, beta, json={"grounds": "Alpha's guarantee is not scheduled."})
    assert first.status_code == 201, first.text
    _answer_lost(api)

    retried = api.post(path, beta, json={"grounds": "Alpha's guarantee is not scheduled."})

    assert retried.status_code == 201, retried.text  # not 409 complaint_exists
    assert retried.json()["id"] == first.json()["id"]
    award = api.client.get(f"/public/awards/{award_id}?read_token={retried.json()['read_token']}")
    assert len(award.json()["complaints"]) == 1
