"""The reads' answers are what the OpenAPI document says they are: each answer of a tender's
whole life (notice, addenda, answers, opening, report, award, complaint, contract; a
cancelled tender, a draft), and of the auditors' reads, checked against the schema the served
document gives its operation, with formats. Schemathesis checks the same document, but its
data seldom gets past an empty list or a 404."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from domain.account import account_id_for
from domain.award import Remedy
from domain.grievance import ComplaintStage
from tests.api.conftest import ENTITY, HEAD, REGULATOR, Api
from tests.api.scenarios import MEMBERS, Scenario, offer
from tests.api.test_lots import LOTS
from tests.grievances import Grievances, debar
from tests.support import FakeClock, tender_json, vendor

DOCUMENT = "urn:openapi"


@dataclass(frozen=True)
class Read:
    path: str
    """The operation's path, as the document names it."""
    url: str
    headers: dict[str, str]


def _wait_for_checkpoint(api: Api, clock: FakeClock, auditor: dict[str, str]) -> int:
    """The ledger's size once a signed checkpoint covers every stored event (one is signed
    when the interval since the last has passed on the clock)."""
    clock.advance(timedelta(seconds=api.client.app.state.settings.checkpoint_interval))
    for _ in range(300):
        answer = api.client.get("/audit/checkpoints/latest", headers=auditor)
        if answer.status_code == 200 and answer.json()["tree_size"] >= api.event_count():
            return int(answer.json()["tree_size"])
        time.sleep(0.05)
    raise AssertionError("no checkpoint covers the events")


def _published_plan(api: Api, officer: dict[str, str], head: dict[str, str]) -> tuple[str, str]:
    """The entity's plan for the year, published and amended: the year and a read token."""
    year = "2026-27"
    plan_line = {
        "id": "L1",
        "description": "District road rehabilitation",
        "category": "works",
        "estimated_value": {"amount": "10000000.00", "currency": "PKR"},
        "method": "single_stage_one_envelope",
        "quarter": 3,
    }
    drafted = api.post(f"/entity/plans/{year}/lines", officer, json=plan_line)
    assert drafted.status_code == 201, drafted.text
    published = api.post(f"/entity/plans/{year}/publish", head)
    assert published.status_code == 200, published.text
    amended = api.post(
        f"/entity/plans/{year}/amendments",
        head,
        json={"kind": "withdraw", "line_id": "L1", "reason": "Done under last year's plan"},
    )
    assert amended.status_code == 201, amended.text
    planned = f"read_token={amended.json()['read_token']}"
    return year, planned


def reads_of_a_whole_life(api: Api, clock: FakeClock) -> dict[str, Read]:
    """A tender taken through its whole life, a cancelled one and a draft; then every read
    with a typed answer, by name, as the caller who may make it."""
    tender = Scenario(api, clock)
    officer = tender.token("officer@works")
    asked = api.post(
        f"/tenders/{tender.id}/questions",
        api.register_vendor("asker"),
        json={"text": "Is the quarry specified?"},
    )
    assert asked.status_code == 201, asked.text
    answered = api.post(
        f"/tenders/{tender.id}/questions/{asked.json()['id']}/answer",
        officer,
        json={"answer": "Any quarry meeting the specification."},
    )
    assert answered.status_code == 200, answered.text
    plain = api.post(f"/tenders/{tender.id}/amendments", officer, json={"text": "Addendum 1."})
    assert plain.status_code == 201, plain.text
    tender.deadline += timedelta(days=5)
    extended = api.post(
        f"/tenders/{tender.id}/amendments",
        officer,
        json={
            "text": "Addendum 2: the deadline extended.",
            "timeline": {
                "clarification_deadline": (tender.deadline - timedelta(days=7)).isoformat(),
                "submission_deadline": tender.deadline.isoformat(),
                "opening_time": (tender.deadline + timedelta(minutes=30)).isoformat(),
            },
        },
    )
    assert extended.status_code == 201, extended.text
    tender.bid("alpha", offer("900000.00", security=False))  # the lowest, disqualified: R036
    tender.bid("beta", offer("1000000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    award_id = tender.award("beta")
    complaint = tender.complain(award_id, "alpha", "Our guarantee was sent by courier.")
    assert complaint.status_code == 201, complaint.text
    clock.set(clock.now() + timedelta(days=8))  # the standstill is over
    tender.decide(award_id, complaint.json()["id"], outcome="dismissed", reasons="Too late.")
    clock.set(clock.now() + timedelta(days=10))  # the complainant did not appeal in time
    signed = tender.sign(award_id)
    assert signed.status_code == 201, signed.text
    security = api.post(
        f"/tenders/{tender.id}/securities/bid-securities",
        tender.token("officer@works"),
        json={
            "vendor_id": str(account_id_for("beta")),
            "instrument": {
                "bank": "Sindh Bank",
                "reference": "BG-1",
                "amount": {"amount": "200000.00", "currency": "PKR"},
                "confirmed_at": clock.now().isoformat(),
            },
        },
    )
    assert security.status_code == 201, security.text
    grievances = Grievances(api.application, clock, UUID(tender.id), ENTITY)
    grievances.name_committee("Ayesha Khan", "Bilal Shah", "Chandni Memon")
    complainant = vendor()
    lodged = grievances.lodge(ComplaintStage.AWARD, complainant, award_id=UUID(award_id))
    grievances.decide(lodged, None, "No merit.")
    grievances.appeal(lodged, complainant)
    grievances.decide_appeal(lodged, Remedy.CANCEL_AWARD, "The award is annulled.")
    debar(api.application, clock, uuid4(), "Crooked Ltd", until=clock.now() + timedelta(days=9))

    by_lot = Scenario(api, clock, lots=LOTS, award_by_lot=True)
    lot_cancelled = api.post(
        f"/tenders/{by_lot.id}/lots/2/cancel",
        by_lot.token("officer@works"),
        json={"reason": "The culverts are built by the district instead."},
    )
    assert lot_cancelled.status_code == 200, lot_cancelled.text
    cancelled = Scenario(api, clock)
    officer = cancelled.token("officer@works")
    cancel = api.post(f"/tenders/{cancelled.id}/cancel", officer, json={"reason": "No budget"})
    assert cancel.status_code == 200, cancel.text
    draft = api.post("/tenders", officer, json=tender_json(clock.now()))
    assert draft.status_code == 201, draft.text
    year, planned = _published_plan(api, officer, tender.token(HEAD))

    auditor = api.login("auditor@sindh")
    size = _wait_for_checkpoint(api, clock, auditor)
    anyone: dict[str, str] = {}
    caught_up = f"read_token={cancel.json()['read_token']}"
    return {
        "keys": Read("/public/keys", "/public/keys", anyone),
        "tenders": Read("/public/tenders", f"/public/tenders?{caught_up}", anyone),
        "tender": Read(
            "/public/tenders/{tender_id}", f"/public/tenders/{tender.id}?{caught_up}", anyone
        ),
        "cancelled tender": Read(
            "/public/tenders/{tender_id}", f"/public/tenders/{cancelled.id}", anyone
        ),
        "tender with a cancelled lot": Read(
            "/public/tenders/{tender_id}", f"/public/tenders/{by_lot.id}?{caught_up}", anyone
        ),
        "awards": Read("/public/awards", "/public/awards", anyone),
        "debarments": Read("/public/debarments", f"/public/debarments?{caught_up}", anyone),
        "grievance committee": Read(
            "/public/entities/{entity}/grievance-committee",
            f"/public/entities/{ENTITY}/grievance-committee",
            anyone,
        ),
        "award": Read("/public/awards/{award_id}", f"/public/awards/{award_id}", anyone),
        "plans": Read("/public/plans", f"/public/plans?{planned}", anyone),
        "plan against actual": Read(
            "/public/entities/{entity}/plans/{fiscal_year}/against-actual",
            f"/public/entities/{ENTITY}/plans/{year}/against-actual?{planned}",
            anyone,
        ),
        "officer's plan": Read("/entity/plans/{fiscal_year}", f"/entity/plans/{year}", officer),
        "red flags": Read("/audit/red-flags", "/audit/red-flags", auditor),
        "events": Read(
            "/audit/streams/{aggregate_id}/events", f"/audit/streams/{tender.id}/events", auditor
        ),
        "checkpoint": Read("/audit/checkpoints/latest", "/audit/checkpoints/latest", auditor),
        "inclusion": Read(
            "/audit/proofs/inclusion", f"/audit/proofs/inclusion?index=3&size={size}", auditor
        ),
        "consistency": Read(
            "/audit/proofs/consistency",
            f"/audit/proofs/consistency?first=5&second={size}",
            auditor,
        ),
        "disqualified bid's result": Read(
            "/tenders/{tender_id}/bids/mine/evaluation",
            f"/tenders/{tender.id}/bids/mine/evaluation",
            tender.token("alpha"),
        ),
        "winning bid's result": Read(
            "/tenders/{tender_id}/bids/mine/evaluation",
            f"/tenders/{tender.id}/bids/mine/evaluation",
            tender.token("beta"),
        ),
        "evaluation": Read(
            "/tenders/{tender_id}/evaluation",
            f"/tenders/{tender.id}/evaluation",
            tender.token(MEMBERS[0]),
        ),
        "officer's tender": Read("/tenders/{tender_id}", f"/tenders/{tender.id}", officer),
        "vendor's complaints": Read(
            "/tenders/{tender_id}/complaints/mine",
            f"/tenders/{tender.id}/complaints/mine",
            tender.token("alpha"),
        ),
        "entity's complaints": Read(
            "/tenders/{tender_id}/complaints/all",
            f"/tenders/{tender.id}/complaints/all",
            tender.token(HEAD),  # the committee was named anew below: the head reads them
        ),
        "regulator's complaints": Read(
            "/regulator/tenders/{tender_id}/complaints",
            f"/regulator/tenders/{tender.id}/complaints",
            tender.token(REGULATOR),
        ),
        "securities": Read(
            "/public/tenders/{tender_id}/securities",
            f"/public/tenders/{tender.id}/securities?{caught_up}",
            anyone,
        ),
        "entity's securities": Read(
            "/tenders/{tender_id}/securities/all",
            f"/tenders/{tender.id}/securities/all",
            officer,
        ),
        "bidder's securities": Read(
            "/tenders/{tender_id}/securities/mine",
            f"/tenders/{tender.id}/securities/mine",
            tender.token("beta"),
        ),
        "officer's draft": Read("/tenders/{tender_id}", f"/tenders/{draft.json()['id']}", officer),
    }


def _validator(document: dict[str, Any], path: str) -> Draft202012Validator:
    """The validator of the operation's 200 answer, its references resolved in the
    document, with formats checked."""
    answer = document["paths"][path]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert set(schema) == {"$ref"}, (path, schema)  # a model's schema, not "any object"
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": DOCUMENT + schema["$ref"]},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


@pytest.mark.usefixtures("committee")
def test_every_typed_read_answers_as_its_schema_says(api: Api, clock: FakeClock) -> None:
    reads = reads_of_a_whole_life(api, clock)
    document = api.client.get("/schema/openapi.json").json()
    for name, read in reads.items():
        answer = api.client.get(read.url, headers=read.headers)
        assert answer.status_code == 200, (name, answer.text)
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validator(document, read.path).iter_errors(answer.json())
        ]
        assert not errors, (name, errors)
    tender = api.client.get(reads["tender"].url).json()
    # The whole life is in the answers checked: every part that can be null was not.
    assert all(tender[part] for part in ("opening", "evaluation", "bid_security"))
    assert [a["timeline"] is None for a in tender["amendments"]] == [True, False]
    _, complaint = tender["complaints"]  # one through the API, one decided on appeal
    assert complaint["decision"]
    assert complaint["appeal"]["decision"]
    assert api.client.get(reads["debarments"].url).json()["items"]
    [award] = tender["awards"]
    assert award["complaints"]
    assert award["contract"]
    assert api.client.get(reads["cancelled tender"].url).json()["cancelled_at"]
    actual = api.client.get(reads["plan against actual"].url).json()
    assert actual["lines"]
    assert actual["unplanned"]
    mine = reads["officer's plan"]
    assert api.client.get(mine.url, headers=mine.headers).json()["amendments"]
    flags = api.client.get(reads["red flags"].url, headers=reads["red flags"].headers).json()
    assert flags["flags"]
