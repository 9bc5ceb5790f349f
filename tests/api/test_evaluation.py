"""Evaluation, award, complaints and contract through HTTP, with real tokens: three complete
tenders, and every refusal the issue names (each with its code, and nothing written)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
import pytest

from domain.account import account_id_for
from domain.errors import VersionConflictError
from domain.evaluation import Evaluation, EvaluationStatus, evaluation_id_for
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from tests.api.conftest import Api
from tests.api.scenarios import FAILING_PRICE, MEMBERS, Scenario, offer
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock


def _standstill_complaint_then_contract(
    api: Api, clock: FakeClock, tender: Scenario, award_id: str
) -> None:
    """A non-bidder cannot complain; nothing is signed during the standstill or while a
    complaint is pending; after the standstill complaints are closed; then it is signed."""
    before = api.event_count()
    assert_problem(tender.complain(award_id, "delta", "I should have won"), 422, "not_a_bidder")
    assert_problem(tender.sign(award_id), 409, "standstill_in_progress")
    assert api.event_count() == before

    complaint = tender.complain(award_id, "alpha", "Our guarantee was sent by courier.")
    assert complaint.status_code == 201, complaint.text
    clock.set(clock.now() + timedelta(days=8))  # the standstill (7 days) is over
    api.settle()
    before = api.event_count()
    assert_problem(tender.complain(award_id, "gamma", "Too late"), 409, "complaint_period_closed")
    assert_problem(tender.sign(award_id), 409, "contract_held_by_complaint")
    assert_problem(
        api.post(
            f"/awards/{award_id}/cancel",
            tender.token("officer@works"),
            json={"reason": "changed our mind"},
        ),
        409,
        "complaint_pending",
    )
    assert api.event_count() == before
    dismissed = tender.decide(
        award_id,
        complaint.json()["id"],
        outcome="dismissed",
        reasons="The bid security must be submitted with the bid.",
    )
    assert dismissed.status_code == 200, dismissed.text
    # Dismissed, the complaint still holds the contract while its complainant may appeal.
    assert_problem(tender.sign(award_id), 409, "contract_held_by_complaint")
    clock.set(clock.now() + timedelta(days=10))  # the rules' appeal period
    api.settle()
    before = api.event_count()
    for other in ("999999.99", "1000000.01", "1.00"):  # the award's value, to the paisa
        assert_problem(tender.sign(award_id, other), 422, "contract_value_mismatch")
    assert api.event_count() == before
    signed = tender.sign(award_id)
    assert signed.status_code == 201, signed.text

    page = tender.page(signed.json()["read_token"])
    assert page["status"] == "contracted"
    [award] = page["awards"]
    assert award["status"] == "contracted"
    assert award["supplier"]["name"] == "beta (Pvt) Ltd"
    assert award["contract"]["value"] == {"amount": "1000000.00", "currency": "PKR"}
    [public_complaint] = award["complaints"]
    assert public_complaint["status"] == "dismissed"
    # The tender's awards are read nested in its row: the same as the award read on its own.
    assert award == api.client.get(f"/public/awards/{award_id}").json()
    assert "courier" not in json.dumps(page)  # the grounds stay private
    listed = api.client.get("/public/awards").json()
    assert [a["id"] for a in listed["items"]] == [award_id]

    cancel = api.post(
        f"/tenders/{tender.id}/cancel",
        tender.token("officer@works"),
        json={"reason": "no longer needed"},
    )
    assert_problem(cancel, 409, "contract_signed")


def awarded_to_alpha(api: Api, clock: FakeClock) -> tuple[Scenario, str]:
    """alpha (900,000) and beta (1,000,000) bid, the committee reports, alpha is awarded."""
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    return tender, tender.award("alpha")


@pytest.mark.usefixtures("committee")
def test_least_cost_the_lowest_bid_lacks_security_and_the_second_wins(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00", security=False))
    tender.bid("beta", offer("1000000.00"))
    tender.bid("gamma", offer("1100000.00"))
    api.register_vendor("delta")  # a vendor who did not bid
    tender.open()

    before = api.event_count()
    award_early = api.post(
        f"/tenders/{tender.id}/award",
        tender.token("officer@works"),
        json={"bid_id": tender.bids["beta"]},
    )
    assert_problem(award_early, 409, "report_not_final")
    undeclared = api.post(f"/tenders/{tender.id}/evaluation-report", tender.token(MEMBERS[0]))
    assert_problem(undeclared, 409, "declaration_required")
    assert api.event_count() == before

    tender.declare(*MEMBERS)
    not_chair = api.post(f"/tenders/{tender.id}/evaluation-report", tender.token(MEMBERS[1]))
    assert_problem(not_chair, 403, "not_chair")
    page = tender.finalise()

    assert page["status"] == "evaluated"
    entries = tender.entries(page)
    assert entries["alpha"]["responsive"] is False
    assert entries["alpha"]["reasons"] == ["bid security missing or below the required amount"]
    assert entries["alpha"]["rank"] is None
    assert (entries["beta"]["rank"], entries["gamma"]["rank"]) == (1, 2)
    assert entries["beta"]["evaluated_price"] == {"amount": "1000000.00", "currency": "PKR"}
    assert page["evaluation"]["reports"][0]["recommended_bid"] == tender.bids["beta"]

    before = api.event_count()
    bad = {"bid_id": tender.bids["alpha"]}
    officer = tender.token("officer@works")
    assert_problem(
        api.post(f"/tenders/{tender.id}/award", officer, json=bad), 422, "bid_not_responsive"
    )
    second = {"bid_id": tender.bids["gamma"]}
    assert_problem(
        api.post(f"/tenders/{tender.id}/award", officer, json=second), 422, "reason_required"
    )
    stranger = tender.token("officer@health")
    good = {"bid_id": tender.bids["beta"]}
    assert_problem(
        api.post(f"/tenders/{tender.id}/award", stranger, json=good), 404, "tender_not_found"
    )
    assert api.event_count() == before
    award_id = tender.award("beta")

    mine = api.client.get(
        f"/tenders/{tender.id}/bids/mine/evaluation", headers=tender.token("alpha")
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["responsive"] is False
    assert mine.json()["rank"] is None
    assert (
        api.client.get(
            f"/tenders/{tender.id}/bids/mine/evaluation", headers=tender.token("beta")
        ).json()["rank"]
        == 1
    )

    _standstill_complaint_then_contract(api, clock, tender, award_id)


@pytest.mark.usefixtures("committee")
def test_qcbs_a_technically_failing_bids_price_is_never_decrypted(
    api: Api, clock: FakeClock, settings: Any
) -> None:
    evaluation = {
        "method": "qcbs",
        "criteria": [
            {"id": "experience", "name": "Experience of similar works", "max_score": 40},
            {"id": "method", "name": "Methodology and work plan", "max_score": 60},
        ],
        "pass_mark": "70",
        "technical_weight": "80",
        "financial_weight": "20",
        "tie_break": "highest_technical_score",
    }
    tender = Scenario(api, clock, method="single_stage_two_envelope", evaluation=evaluation)
    tender.bid("alpha", offer("1200000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.bid("gamma", offer(FAILING_PRICE))
    page = tender.open()
    assert FAILING_PRICE not in json.dumps(page)
    assert all(bid["prices"] == [] for bid in page["opening"]["bids"])

    marks = {"alpha": (36, 54), "beta": (30, 48), "gamma": (10, 20)}

    def score(member: str, vendor: str) -> Any:
        experience, method = marks[vendor]
        return tender.act(
            member,
            {
                "action": "score",
                "bid_id": tender.bids[vendor],
                "scores": [
                    {"criterion_id": "experience", "score": experience, "justification": "cv"},
                    {"criterion_id": "method", "score": method, "justification": "plan"},
                ],
            },
        )

    before = api.event_count()
    assert_problem(score(MEMBERS[1], "alpha"), 409, "declaration_required")
    assert_problem(score("officer@works", "alpha"), 403, "not_committee_member")
    assert api.event_count() == before
    tender.declare(*MEMBERS)
    over = tender.act(
        MEMBERS[1],
        {
            "action": "score",
            "bid_id": tender.bids["alpha"],
            "scores": [
                {"criterion_id": "experience", "score": 41, "justification": "too generous"},
                {"criterion_id": "method", "score": 50, "justification": "plan"},
            ],
        },
    )
    assert_problem(over, 422, "invalid_scores")
    for member in MEMBERS:
        for vendor in marks:
            assert score(member, vendor).status_code == 200
    before = api.event_count()
    assert_problem(score(MEMBERS[1], "alpha"), 409, "already_scored")
    early = api.post(f"/tenders/{tender.id}/evaluation-report", tender.token(MEMBERS[0]))
    assert_problem(early, 409, "financial_opening_required")
    assert api.event_count() == before

    not_member = api.post(f"/tenders/{tender.id}/financial-opening", tender.token("officer@works"))
    assert_problem(not_member, 403, "not_committee_member")
    assert api.event_count() == before
    opened = api.post(f"/tenders/{tender.id}/financial-opening", tender.token(MEMBERS[1]))
    assert opened.status_code == 200, opened.text
    page = tender.finalise()
    entries = tender.entries(page)
    [financial] = page["evaluation"]["financial_openings"]
    assert {bid["bid_id"] for bid in financial["bids"]} == {
        tender.bids["alpha"],
        tender.bids["beta"],
    }
    assert entries["gamma"]["technical_score"] == "30.00"
    assert entries["gamma"]["technically_qualified"] is False
    assert entries["gamma"]["financial_envelope"] == "sealed"
    assert entries["gamma"]["read_price"] is None
    assert entries["gamma"]["reasons"] == ["technical score below the pass mark of 70%"]
    # alpha: technical 90, financial 100*1.0M/1.2M = 83.33 -> 0.8*90 + 0.2*83.33 = 88.67
    # beta: technical 78, financial 100 -> 0.8*78 + 0.2*100 = 82.40
    assert (entries["alpha"]["combined_score"], entries["beta"]["combined_score"]) == (
        "88.67",
        "82.40",
    )
    assert (entries["alpha"]["rank"], entries["beta"]["rank"]) == (1, 2)
    assert len(entries["alpha"]["member_scores"]) == 3

    officer_view = api.client.get(
        f"/tenders/{tender.id}/evaluation", headers=tender.token("officer@works")
    )
    assert officer_view.status_code == 200
    assert FAILING_PRICE not in officer_view.text
    assert FAILING_PRICE not in json.dumps(page)
    with psycopg.connect(settings.dsn) as conn:  # nowhere in the store, decrypted
        found = conn.execute(
            "SELECT count(*) FROM procurement_events WHERE position(%s in "
            "convert_from(state, 'UTF8')) > 0",
            (FAILING_PRICE,),
        ).fetchone()
    assert found == (0,)
    tender.award("alpha")

    assert_an_auditor_sees_the_scores(api, tender)


def assert_an_auditor_sees_the_scores(api: Api, tender: Scenario) -> None:
    """An auditor sees the evaluation as of any version: its scores are keyed by (bid, member),
    which JSON cannot name, so they come as [key, value] pairs (they used to fail, a 500)."""
    auditor = api.login("auditor@sindh")
    evaluation_id = evaluation_id_for(UUID(tender.id))
    state = api.client.get(f"/audit/streams/{evaluation_id}/state", headers=auditor)
    assert state.status_code == 200, state.text
    scores = state.json()["state"]["scores"]
    assert len(scores) == 9  # three members, three bids
    assert {bid for (bid, _), _ in scores} == set(tender.bids.values())
    replayed = api.client.get(
        f"/audit/streams/{evaluation_id}/state?replay=events", headers=auditor
    )
    assert replayed.content == state.content


@pytest.mark.usefixtures("committee")
def test_a_complaint_upheld_reopens_the_evaluation_and_the_award_moves(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.bid("gamma", offer("1100000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    first = tender.award("alpha")

    complaint = tender.complain(first, "beta", "Alpha's guarantee is from a non-scheduled bank.")
    assert complaint.status_code == 201, complaint.text
    before = api.event_count()
    assert_problem(
        tender.decide(first, complaint.json()["id"], outcome="upheld", reasons="true"),
        422,
        "reason_required",  # an upheld complaint needs its remedy
    )
    assert api.event_count() == before
    tender.uphold(
        first,
        complaint.json()["id"],
        remedy="reopen_evaluation",
        reasons="The issuing bank is not on the State Bank's schedule.",
    )
    assert_problem(tender.sign(first), 409, "award_not_active")

    disqualified = tender.act(
        MEMBERS[0],
        {
            "action": "disqualify",
            "bid_id": tender.bids["alpha"],
            "reason": "Bid security from a non-scheduled bank.",
        },
    )
    assert disqualified.status_code == 200, disqualified.text
    assert_problem(
        tender.act(
            MEMBERS[0], {"action": "disqualify", "bid_id": tender.bids["beta"], "reason": " "}
        ),
        422,
        "reason_required",
    )
    page = tender.finalise()
    assert len(page["evaluation"]["reports"]) == 2
    entries = tender.entries(page)
    assert entries["alpha"]["reasons"] == [
        "disqualified by the committee: Bid security from a non-scheduled bank."
    ]
    assert entries["beta"]["rank"] == 1
    second = tender.award("beta")
    assert second != first

    clock.set(clock.now() + timedelta(days=8))
    signed = tender.sign(second)
    assert signed.status_code == 201, signed.text
    page = tender.page(signed.json()["read_token"])
    awards = {a["id"]: a for a in page["awards"]}
    assert awards[first]["status"] == "cancelled"
    assert awards[first]["complaints"][0]["status"] == "upheld"
    assert awards[first]["complaints"][0]["remedy"] == "reopen_evaluation"
    assert awards[second]["status"] == "contracted"
    assert awards[second]["supplier"]["name"] == "beta (Pvt) Ltd"
    assert page["evaluation"]["reopenings"][0]["reason"].startswith("The issuing bank")


@pytest.mark.usefixtures("committee")
def test_no_responsive_bid_ends_unsuccessful(api: Api, clock: FakeClock) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00", security=False))
    tender.bid("beta", offer("1000000.00", validity_days=30))
    tender.open()
    tender.declare(*MEMBERS)
    page = tender.finalise()
    assert page["status"] == "unsuccessful"
    assert tender.entries(page)["beta"]["reasons"] == ["bid valid for 30 days; 90 required"]
    refused = api.post(
        f"/tenders/{tender.id}/award",
        tender.token("officer@works"),
        json={"bid_id": tender.bids["beta"]},
    )
    assert_problem(refused, 409, "no_responsive_bid")


@pytest.mark.usefixtures("committee")
def test_only_the_entity_the_committee_and_bidders_reach_an_evaluation(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    before_opening = api.post(
        f"/tenders/{tender.id}/committee",
        tender.token("officer@works"),
        json={"members": list(MEMBERS), "chair": MEMBERS[0]},
    )
    assert_problem(before_opening, 409, "evaluation_state")
    tender.open()
    stranger = tender.token("officer@health")
    vendor = tender.token("alpha")
    before = api.event_count()
    for path, body in (
        (f"/tenders/{tender.id}/committee", {"members": list(MEMBERS), "chair": MEMBERS[0]}),
        (f"/tenders/{tender.id}/committee/declaration", {"conflict_of_interest": False}),
        (f"/tenders/{tender.id}/evaluation-report", None),
        (f"/tenders/{tender.id}/award", {"bid_id": tender.bids["alpha"]}),
    ):
        assert_problem(api.post(path, stranger, json=body), 404, "tender_not_found")
        assert_problem(api.post(path, vendor, json=body), 403, "forbidden")
    again = api.post(
        f"/tenders/{tender.id}/committee",
        tender.token("officer@works"),
        json={"members": list(MEMBERS), "chair": MEMBERS[0]},
    )
    assert_problem(again, 409, "evaluation_state")
    assert api.client.get(f"/tenders/{tender.id}/evaluation", headers=stranger).status_code == 404
    assert api.event_count() == before

    reformed = api.client.put(
        f"/tenders/{tender.id}/committee",
        headers=tender.token("officer@works"),
        json={"members": list(MEMBERS), "chair": MEMBERS[1], "reason": "The chair is on leave"},
    )
    assert reformed.status_code == 200, reformed.text
    view = api.client.get(f"/tenders/{tender.id}/evaluation", headers=tender.token(MEMBERS[0]))
    assert [m["name"] for m in view.json()["committee"] if m["chair"]] == [MEMBERS[1]]

    tender.declare(*MEMBERS)
    finalised = api.post(f"/tenders/{tender.id}/evaluation-report", tender.token(MEMBERS[1]))
    assert finalised.status_code == 200, finalised.text
    award_id = tender.award("alpha")
    complaint = tender.complain(award_id, "alpha", "A complaint about my own award")
    assert complaint.status_code == 201
    decide = api.post(
        f"/awards/{award_id}/complaints/{complaint.json()['id']}/decision",
        stranger,
        json={"outcome": "dismissed", "reasons": "not ours"},
    )
    assert_problem(decide, 404, "award_not_found")
    assert_problem(
        api.post(f"/awards/{award_id}/complaints", stranger, json={"grounds": "x"}),
        403,
        "forbidden",
    )


MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("committee", {"members": ["member.chair@works"], "chair": "member.chair@works"}),
    ("committee", {"members": list(MEMBERS), "chair": "nobody.here"}),
    (
        "committee",
        {
            "members": ["member.chair@works", "member.two@works", "officer@health"],
            "chair": "member.chair@works",
        },
    ),
    (
        "committee",
        {
            "members": ["member.chair@works", "member.chair@works", "member.two@works"],
            "chair": "member.chair@works",
        },
    ),
    ("committee", {"members": list(MEMBERS)}),
    ("evaluations", {"action": "score", "bid_id": "not-a-uuid", "scores": []}),
    ("evaluations", {"action": "disqualify", "bid_id": "%(bid)s"}),
    ("evaluations", {"action": "score", "bid_id": "%(bid)s", "reason": "why"}),
    (
        "evaluations",
        {
            "action": "correct_price",
            "bid_id": "%(bid)s",
            "reason": "sum",
            "lot_id": "1",
            "corrected_price": {"amount": 5, "currency": "PKR"},
        },
    ),
    ("evaluations", {"action": "promote", "bid_id": "%(bid)s"}),
    ("award", {"bid_id": "%(bid)s", "extra": True}),
]


@pytest.mark.usefixtures("committee")
def test_malformed_evaluation_requests_are_refused_and_write_nothing(
    api: Api, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    clock.set(tender.deadline + timedelta(minutes=31))
    api.post(f"/tenders/{tender.id}/opening", tender.token("officer@works"))
    officer, chair = tender.token("officer@works"), tender.token(MEMBERS[0])
    named = False
    for path, body in MALFORMED:  # the committee cases first, while none is named
        if path != "committee" and not named:
            named = True
            answer = api.post(
                f"/tenders/{tender.id}/committee",
                officer,
                json={"members": list(MEMBERS), "chair": MEMBERS[0]},
            )
            assert answer.status_code == 201, answer.text
            tender.declare(*MEMBERS)
        filled = json.loads(json.dumps(body).replace("%(bid)s", tender.bids["alpha"]))
        before = api.event_count()
        token = chair if path == "evaluations" else officer
        answer = api.post(f"/tenders/{tender.id}/{path}", token, json=filled)
        assert answer.status_code == 422, (path, body, answer.text)
        assert answer.json()["code"] in {"validation_failed", "invalid_committee"}
        assert api.event_count() == before, (path, body)


@pytest.mark.usefixtures("committee")
def test_naming_a_committee_does_not_tell_which_usernames_exist(api: Api, clock: FakeClock) -> None:
    """A vendor, another entity's officer and no account at all are refused alike: the
    answer does not let an officer enumerate the platform's usernames."""
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    clock.set(tender.deadline + timedelta(minutes=31))
    officer = tender.token("officer@works")
    assert api.post(f"/tenders/{tender.id}/opening", officer).status_code == 200
    before = api.event_count()
    details = set()
    for outsider in ("alpha", "officer@health", "auditor@sindh", "nobody.here"):
        answer = api.post(
            f"/tenders/{tender.id}/committee",
            officer,
            json={"members": [MEMBERS[0], MEMBERS[1], outsider], "chair": MEMBERS[0]},
        )
        body = assert_problem(answer, 422, "invalid_committee")
        details.add((body["type"], body["title"], body["detail"].replace(repr(outsider), "U")))
    assert len(details) == 1, details
    assert api.event_count() == before


@pytest.mark.usefixtures("committee")
def test_no_complaint_is_lodged_against_the_award_of_a_cancelled_tender(
    api: Api, clock: FakeClock
) -> None:
    """Its decision would be refused (the tender is cancelled): it would stay pending."""
    tender, award_id = awarded_to_alpha(api, clock)
    fallen = api.post(
        f"/awards/{award_id}/cancel", tender.token("officer@works"), json={"reason": "Budget"}
    )
    assert fallen.status_code == 200, fallen.text
    cancelled = api.post(
        f"/tenders/{tender.id}/cancel", tender.token("officer@works"), json={"reason": "Budget"}
    )
    assert cancelled.status_code == 200, cancelled.text
    before = api.event_count()
    refused = tender.complain(award_id, "beta", "The award went to the wrong bid.")
    assert_problem(refused, 409, "tender_cancelled")
    assert api.event_count() == before


@pytest.mark.usefixtures("committee")
def test_only_a_declared_unrecused_member_opens_the_financial_envelopes(
    api: Api, clock: FakeClock
) -> None:
    """The second opening is a committee act: not for the entity's other officers, nor for
    a member who has not declared, nor for one recused for a conflict of interest."""
    tender = Scenario(api, clock, method="single_stage_two_envelope")
    tender.bid("alpha", offer("900000.00"))
    tender.open()
    path = f"/tenders/{tender.id}/financial-opening"
    before = api.event_count()
    assert_problem(api.post(path, tender.token(MEMBERS[0])), 409, "declaration_required")
    tender.declare(MEMBERS[0], MEMBERS[1])
    assert_problem(api.post(path, tender.token(MEMBERS[0])), 409, "scoring_incomplete")
    tender.recuse(MEMBERS[2], "Alpha's director is my brother")
    before = api.event_count()
    assert_problem(api.post(path, tender.token(MEMBERS[2])), 403, "not_committee_member")
    assert_problem(api.post(path, tender.token("officer@works")), 403, "not_committee_member")
    assert_problem(api.post(path, tender.token("officer@health")), 404, "tender_not_found")
    assert api.event_count() == before
    opened = api.post(path, tender.token(MEMBERS[1]))
    assert opened.status_code == 200, opened.text


@pytest.mark.usefixtures("committee")
def test_a_tender_is_not_cancelled_while_its_award_stands_or_a_complaint_waits(
    api: Api, clock: FakeClock
) -> None:
    """Cancelled under a live award, the award stayed public in its standstill for good and
    its complaints could never be decided: the award falls first, its complaints decided."""
    tender, award_id = awarded_to_alpha(api, clock)
    officer = tender.token("officer@works")
    first = tender.complain(award_id, "beta", "Alpha's guarantee is forged.")
    second = tender.complain(award_id, "alpha", "The award's value is misstated.")
    assert first.status_code == second.status_code == 201, second.text

    before = api.event_count()
    cancel = api.post(f"/tenders/{tender.id}/cancel", officer, json={"reason": "Budget"})
    assert_problem(cancel, 409, "award_live")
    assert f"/awards/{award_id}/cancel" in cancel.json()["detail"]
    assert api.event_count() == before

    tender.uphold(
        award_id,
        first.json()["id"],
        remedy="cancel_award",
        reasons="The guarantee is not the bank's.",
    )
    before = api.event_count()
    cancel = api.post(f"/tenders/{tender.id}/cancel", officer, json={"reason": "Budget"})
    assert_problem(cancel, 409, "complaint_pending")
    assert api.event_count() == before
    moot = tender.decide(
        award_id, second.json()["id"], outcome="dismissed", reasons="Moot: the award fell."
    )
    assert moot.status_code == 200, moot.text

    cancelled = api.post(f"/tenders/{tender.id}/cancel", officer, json={"reason": "Budget"})
    assert cancelled.status_code == 200, cancelled.text
    page = tender.page(cancelled.json()["read_token"])
    assert page["status"] == "cancelled"
    [award] = page["awards"]
    assert award["status"] == "cancelled"
    assert {c["status"] for c in award["complaints"]} == {"upheld", "dismissed"}
    listed = api.client.get("/public/awards?status=standstill").json()
    assert listed["items"] == []


QCBS_TWO_ENVELOPES: dict[str, Any] = {
    "method": "qcbs",
    "criteria": [{"id": "plan", "name": "Methodology and work plan", "max_score": 100}],
    "pass_mark": "50",
    "technical_weight": "70",
    "financial_weight": "30",
    "tie_break": "earliest_submission",
}


def _score(tender: Scenario, member: str, vendor: str, points: int) -> Any:
    return tender.act(
        member,
        {
            "action": "score",
            "bid_id": tender.bids[vendor],
            "scores": [{"criterion_id": "plan", "score": points, "justification": "plan"}],
        },
    )


@pytest.mark.usefixtures("committee")
def test_a_bid_not_scored_before_the_prices_opened_is_not_reinstated_after(
    api: Api, clock: FakeClock
) -> None:
    """Disqualified before scoring, reinstated once the qualified bids' prices are public,
    a bid would be scored by members who know its rivals' prices."""
    tender = Scenario(api, clock, method="single_stage_two_envelope", evaluation=QCBS_TWO_ENVELOPES)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.bid("gamma", offer("1100000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    for member in MEMBERS:
        for vendor in ("alpha", "beta"):
            assert _score(tender, member, vendor, 80).status_code == 200
    for vendor in ("beta", "gamma"):
        ruled = tender.act(
            MEMBERS[0],
            {"action": "disqualify", "bid_id": tender.bids[vendor], "reason": "in doubt"},
        )
        assert ruled.status_code == 200, ruled.text
    opened = api.post(f"/tenders/{tender.id}/financial-opening", tender.token(MEMBERS[0]))
    assert opened.status_code == 200, opened.text

    before = api.event_count()
    unscored = tender.act(
        MEMBERS[0], {"action": "reinstate", "bid_id": tender.bids["gamma"], "reason": "cleared"}
    )
    assert_problem(unscored, 409, "prices_open")
    not_chair = tender.act(
        MEMBERS[1], {"action": "reinstate", "bid_id": tender.bids["gamma"], "reason": "cleared"}
    )
    assert_problem(not_chair, 403, "not_chair")
    assert api.event_count() == before
    scored = tender.act(
        MEMBERS[0], {"action": "reinstate", "bid_id": tender.bids["beta"], "reason": "cleared"}
    )
    assert scored.status_code == 200, scored.text  # its scores were given before any price


@pytest.mark.usefixtures("committee")
def test_the_committee_works_only_once_constituted_so_a_recused_chair_is_replaced(
    api: Api, clock: FakeClock
) -> None:
    """Members who scored before the chair declared a conflict left a committee nobody could
    finalise and nobody could replace: the work now waits for every declaration, and a
    recused chair is replaced before any work."""
    tender = Scenario(api, clock, method="single_stage_two_envelope", evaluation=QCBS_TWO_ENVELOPES)
    tender.bid("alpha", offer("900000.00"))
    tender.open()
    tender.declare(MEMBERS[1], MEMBERS[2])
    assert_problem(_score(tender, MEMBERS[1], "alpha", 80), 409, "committee_not_ready")
    tender.recuse(MEMBERS[0], "Alpha's director is my cousin")
    before = api.event_count()
    refused = _score(tender, MEMBERS[1], "alpha", 80)
    assert_problem(refused, 409, "committee_not_ready")
    assert "chair is recused" in refused.json()["detail"]
    assert api.event_count() == before

    members = [MEMBERS[1], MEMBERS[2], "officer@works"]
    reformed = api.client.put(
        f"/tenders/{tender.id}/committee",
        headers=tender.token("officer@works"),
        json={"members": members, "chair": MEMBERS[1], "reason": "The chair is recused"},
    )
    assert reformed.status_code == 200, reformed.text
    tender.declare(*members)
    for member in members:
        assert _score(tender, member, "alpha", 80).status_code == 200
    opened = api.post(f"/tenders/{tender.id}/financial-opening", tender.token(MEMBERS[2]))
    assert opened.status_code == 200, opened.text
    finalised = api.post(f"/tenders/{tender.id}/evaluation-report", tender.token(MEMBERS[1]))
    assert finalised.status_code == 200, finalised.text


@pytest.mark.usefixtures("committee")
def test_a_correction_that_takes_the_corrected_total_out_of_range_is_refused(
    api: Api, clock: FakeClock
) -> None:
    """Each correction was checked against the other lots' read prices, not their corrected
    ones: two of them took the total past the largest amount, and the bid was left unranked
    with no reason given."""
    lots = [
        {
            "id": lot,
            "title": f"Lot {lot}",
            "items": [{"id": f"{lot}-1", "description": "Works", "quantity": "1", "unit": "job"}],
        }
        for lot in ("1", "2")
    ]
    tender = Scenario(api, clock, lots=lots)
    alpha = offer("1.00")
    alpha["prices"] = [
        {"lot_id": lot, "price": {"amount": "1.00", "currency": "PKR"}} for lot in ("1", "2")
    ]
    tender.bid("alpha", alpha)
    tender.open()
    tender.declare(*MEMBERS)
    huge = {"amount": "999999999999998.00", "currency": "PKR"}

    def correct(lot: str) -> Any:
        return tender.act(
            MEMBERS[0],
            {
                "action": "correct_price",
                "bid_id": tender.bids["alpha"],
                "lot_id": lot,
                "corrected_price": huge,
                "reason": "the rate times the quantity",
            },
        )

    assert correct("2").status_code == 200
    before = api.event_count()
    assert_problem(correct("1"), 422, "corrected_total_out_of_range")
    assert api.event_count() == before
    [entry] = tender.entries(tender.finalise()).values()
    assert entry["rank"] == 1
    assert entry["evaluated_price"] == {"amount": "999999999999999.00", "currency": "PKR"}


@pytest.mark.usefixtures("committee")
def test_a_complaints_or_a_questions_id_does_not_tell_who_made_it(
    api: Api, clock: FakeClock
) -> None:
    """Derived as uuid5 of the vendor's public id and its idempotency key, an id could be
    recomputed by anyone guessing the key ("1", a date), naming the complainant or the
    asker. Now keyed on the server's secret; a retry with the same key still lands on the
    same id (and answers that complaint rather than writing twice)."""
    unkeyed = uuid5(NAMESPACE_URL, "urn:sindh-procurement:idempotency-key")
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    asked = api.post(
        f"/tenders/{tender.id}/questions",
        {**tender.token("beta"), "Idempotency-Key": "q1"},
        json={"text": "Which quarry?"},
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["id"] != str(uuid5(unkeyed, f"{account_id_for('beta')}:q1"))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    award_id = tender.award("alpha")

    def complain(key: str, vendor: str = "beta") -> Any:
        return api.post(
            f"/awards/{award_id}/complaints",
            {**tender.token(vendor), "Idempotency-Key": key},
            json={"grounds": "Alpha's guarantee is forged."},
        )

    first = complain("1")
    assert first.status_code == 201, first.text
    complaint_id = first.json()["id"]
    assert complaint_id != str(uuid5(unkeyed, f"{account_id_for('beta')}:1"))
    with psycopg.connect(api.dsn) as conn:  # the idempotency store forgets the answer
        conn.execute("DELETE FROM idempotency_keys")
    before = api.event_count()
    again = complain("1")  # the same id again: that complaint, not a second one
    assert (again.status_code, again.json()["id"]) == (201, complaint_id)
    assert api.event_count() == before
    assert_problem(complain("2"), 409, "complaint_exists")  # one complaint per bidder
    other = complain("1", "alpha")  # the same key, another vendor: another id
    assert other.status_code == 201, other.text
    assert other.json()["id"] != complaint_id


@pytest.mark.usefixtures("committee")
def test_a_tender_cancelled_while_it_is_awarded_is_not(
    api: Api, clock: FakeClock, application: ProcurementApplication, monkeypatch: Any
) -> None:
    """The cancellation saved only the tender, the award only itself and the evaluation: an
    award landing between the cancellation's reads and its write left a cancelled tender
    with a live award. Each write now holds only if what it was decided from is unchanged."""
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    officer = Actor(
        account_id=account_id_for("officer@works"),
        role=Role.OFFICER,
        request_id="race",
        entity="works-and-services-department",
    )
    tender_id = UUID(tender.id)
    checked = application.check_tender_cancellable

    def awarded_meanwhile(tender_id: UUID) -> dict[UUID, int]:
        read = checked(tender_id)
        application.award_tender(officer, tender_id, UUID(tender.bids["alpha"]), "")
        return read

    monkeypatch.setattr(application, "check_tender_cancellable", awarded_meanwhile)
    with pytest.raises(VersionConflictError):
        application.cancel_tender(officer, tender_id, "Budget", None)
    monkeypatch.undo()
    assert application.tender_for_officer(officer, tender_id).status.value == "opened"

    # The award it lost to stands, and the tender with it.
    assert application.evaluation_for_officer(officer, tender_id).state["current_award"]


@pytest.mark.usefixtures("committee")
def test_a_report_is_not_finalised_on_a_tender_cancelled_meanwhile(
    api: Api, clock: FakeClock, application: ProcurementApplication, monkeypatch: Any
) -> None:
    """The report was saved without looking at the tender again: a cancellation between the
    two left a cancelled tender shown in public as evaluated."""
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    officer = Actor(
        account_id=account_id_for("officer@works"),
        role=Role.OFFICER,
        request_id="race",
        entity="works-and-services-department",
    )
    tender_id = UUID(tender.id)
    chair = Actor(
        account_id=account_id_for(MEMBERS[0]),
        role=Role.OFFICER,
        request_id="race",
        entity="works-and-services-department",
    )
    read = application._standing_evaluation

    def cancelled_meanwhile(actor: Actor, tender_id: UUID) -> Any:
        found = read(actor, tender_id)
        application.cancel_tender(officer, tender_id, "Budget withdrawn", None)
        return found

    monkeypatch.setattr(application, "_standing_evaluation", cancelled_meanwhile)
    with pytest.raises(VersionConflictError):
        application.finalise_evaluation(chair, tender_id)
    monkeypatch.undo()
    assert application.tender_for_officer(officer, tender_id).status.value == "cancelled"
    evaluation = application._load(Evaluation, evaluation_id_for(tender_id))
    assert evaluation.status is EvaluationStatus.IN_PROGRESS  # no report was published


@pytest.mark.usefixtures("committee")
def test_a_bid_whose_award_fell_on_an_upheld_complaint_is_awarded_again_only_with_a_reason(
    api: Api, clock: FakeClock
) -> None:
    """Awarded again without a word, the upheld complaint would be undone at once."""
    tender, award_id = awarded_to_alpha(api, clock)
    complaint = tender.complain(award_id, "beta", "Alpha's guarantee is forged.")
    assert complaint.status_code == 201, complaint.text
    tender.uphold(
        award_id,
        complaint.json()["id"],
        remedy="cancel_award",
        reasons="The guarantee is not the bank's.",
    )

    before = api.event_count()
    again = api.post(
        f"/tenders/{tender.id}/award",
        tender.token("officer@works"),
        json={"bid_id": tender.bids["alpha"], "reason": ""},
    )
    assert_problem(again, 422, "reason_required")
    assert api.event_count() == before
    tender.award("alpha", reason="The bank confirmed the guarantee in writing.")
