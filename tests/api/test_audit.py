"""Auditors through HTTP: history, state as of, the ledger's checkpoints and proofs, the
export, and a vendor's receipt gaining its inclusion proof."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from procurement import audit, merkle, receipts
from tests.api.conftest import Api
from tests.api.scenarios import Scenario, offer
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock


def _wait(api: Api, headers: dict[str, str], size: int) -> dict[str, Any]:
    for _ in range(300):
        answer = api.client.get("/audit/checkpoints/latest", headers=headers)
        if answer.status_code == 200 and answer.json()["tree_size"] >= size:
            checkpoint: dict[str, Any] = answer.json()
            return checkpoint
        time.sleep(0.05)
    raise AssertionError("no checkpoint covers the events")


def test_history_state_proofs_export_and_the_receipts_proof(api: Api, clock: FakeClock) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("950000.00"))
    clock.set(tender.deadline + timedelta(minutes=31))
    opened = api.post(f"/tenders/{tender.id}/opening", tender.token("officer@works"))
    assert opened.status_code == 200
    auditor = api.login("auditor@sindh")
    key = api.client.get("/public/keys").json()["receipt_signing_key"]["public_key"]

    assert_problem(
        api.client.get(f"/audit/streams/{tender.id}/events", headers=tender.token("alpha")),
        403,
        "forbidden",
    )
    events = api.client.get(f"/audit/streams/{tender.id}/events", headers=auditor).json()
    assert [e["type"] for e in events["events"]] == [
        "TenderDrafted",
        "TenderPublished",
        "BiddingClosed",  # the opening closes bidding first
        "BidsOpened",
    ]
    assert events["events"][0]["actor"]["role"] == "officer"
    as_of = api.client.get(f"/audit/tenders/{tender.id}/state?version=2", headers=auditor).json()
    assert (as_of["version"], as_of["state"]["status"]) == (2, "active")
    now = api.client.get(f"/audit/tenders/{tender.id}/state", headers=auditor).json()
    assert now["state"]["status"] == "opened"
    assert_problem(
        api.client.get(f"/audit/tenders/{tender.id}/state?version=9", headers=auditor),
        404,
        "stream_not_found",
    )

    checkpoint = _wait(api, auditor, opened.json()["position"])
    assert receipts.verify(key, checkpoint)
    mine = api.client.get(f"/tenders/{tender.id}/bids/mine", headers=tender.token("alpha"))
    ledger = mine.json()["ledger"]
    assert ledger["status"] == "proved"
    merkle.verify_inclusion(
        ledger["leaf_index"],
        ledger["checkpoint"]["tree_size"],
        bytes.fromhex(ledger["leaf_hash"]),
        [bytes.fromhex(h) for h in ledger["inclusion_proof"]],
        bytes.fromhex(ledger["checkpoint"]["root"]),
    )
    assert receipts.verify(key, ledger["checkpoint"])

    size = checkpoint["tree_size"]
    proof = api.client.get(f"/audit/proofs/inclusion?index=0&size={size}", headers=auditor).json()
    merkle.verify_inclusion(
        0,
        size,
        bytes.fromhex(proof["leaf_hash"]),
        [bytes.fromhex(h) for h in proof["proof"]],
        bytes.fromhex(checkpoint["root"]),
    )
    consistency = api.client.get(
        f"/audit/proofs/consistency?first=3&second={size}", headers=auditor
    ).json()
    merkle.verify_consistency(
        3,
        size,
        bytes.fromhex(consistency["first_root"]),
        bytes.fromhex(checkpoint["root"]),
        [bytes.fromhex(h) for h in consistency["proof"]],
    )
    assert_problem(
        api.client.get(f"/audit/proofs/inclusion?index={size}&size={size}", headers=auditor),
        422,
        "invalid_proof_request",
    )

    export = api.client.get("/audit/export", headers=auditor)
    assert export.status_code == 200
    report = audit.verify(export.text.splitlines(), key)
    assert report.ok, report.problems
    assert report.bids_rechecked == 2


def test_the_state_from_the_first_event_is_the_same_answer(api: Api, clock: FakeClock) -> None:
    tender = Scenario(api, clock)
    auditor = api.login("auditor@sindh")
    url = f"/audit/tenders/{tender.id}/state"
    default = api.client.get(url, headers=auditor)
    assert default.status_code == 200
    assert default.headers["content-type"].startswith("application/json")
    replayed = api.client.get(f"{url}?replay=events", headers=auditor)
    assert replayed.content == default.content
    assert default.json()["state"]["status"] == "active"
    assert_problem(
        api.client.get(f"{url}?replay=memory", headers=auditor), 422, "validation_failed"
    )
