"""Complaints at every stage, the grievance committee, appeals to the regulator, through HTTP
with real tokens: what each complaint holds, and what an upheld one orders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.account import account_id_for
from domain.award import Award
from domain.values import Actor, Role
from procurement.jobs.scheduler import Scheduler
from tests.api.conftest import GRIEVANCE, HEAD, REGULATOR, Api
from tests.api.scenarios import MEMBERS, Scenario, at, offer
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock

pytestmark = pytest.mark.usefixtures("committee")

APPEAL_PERIOD = timedelta(days=10)
DECISION_PERIOD = timedelta(days=7)


def complain(tender: Scenario, vendor: str, stage: str, **more: Any) -> Any:
    return tender.api.post(
        f"/tenders/{tender.id}/complaints",
        tender.token(vendor),
        json={"stage": stage, "grounds": f"{vendor} objects to the {stage}", **more},
    )


def lodged(tender: Scenario, vendor: str, stage: str, **more: Any) -> str:
    answer = complain(tender, vendor, stage, **more)
    assert answer.status_code == 201, answer.text
    complaint_id: str = answer.json()["id"]
    return complaint_id


def decide(tender: Scenario, complaint_id: str, **decision: Any) -> Any:
    return tender.api.post(
        f"/tenders/{tender.id}/complaints/{complaint_id}/decision",
        tender.token(GRIEVANCE[0]),
        json=decision,
    )


def open_bids(tender: Scenario) -> Any:
    return tender.api.post(f"/tenders/{tender.id}/opening", tender.token("officer@works"))


def complaints_of(tender: Scenario, who: str = GRIEVANCE[1]) -> list[dict[str, Any]]:
    answer = tender.api.client.get(
        f"/tenders/{tender.id}/complaints/all", headers=tender.token(who)
    )
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["complaints"]
    return found


def with_bids(api: Api, clock: FakeClock) -> Scenario:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    return tender


def test_a_complaint_about_the_documents_holds_the_opening_until_it_is_settled(
    api: Api, clock: FakeClock
) -> None:
    tender = with_bids(api, clock)
    api.register_vendor("delta")  # registered, did not bid: may complain before the deadline
    complaint = lodged(tender, "delta", "documents")

    clock.set(tender.deadline + timedelta(hours=1))
    api.settle()  # bidding closed now: the background scheduler has nothing left to write
    assert_problem(complain(tender, "alpha", "documents"), 409, "complaint_stage_closed")
    before = api.event_count()
    assert_problem(open_bids(tender), 409, "opening_held_by_complaint")
    assert api.event_count() == before

    dismissed = decide(
        tender, complaint, outcome="dismissed", reasons="The specification is generic."
    )
    assert dismissed.status_code == 200, dismissed.text
    # Dismissed, it holds until the complainant's time to appeal has passed.
    assert_problem(open_bids(tender), 409, "opening_held_by_complaint")
    clock.set(clock.now() + APPEAL_PERIOD)
    assert open_bids(tender).status_code == 200

    [mine] = api.client.get(
        f"/tenders/{tender.id}/complaints/mine", headers=tender.token("delta")
    ).json()["complaints"]
    assert mine["status"] == "dismissed"
    assert mine["decision"]["reasons"] == "The specification is generic."
    assert mine["decision"]["panel_size"] == len(GRIEVANCE)


def uphold_amendment(tender: Scenario) -> None:
    complaint = lodged(tender, "alpha", "documents")
    wrong = decide(tender, complaint, outcome="upheld", remedy="cancel_award", reasons="Yes")
    assert_problem(wrong, 422, "invalid_terms")  # not a remedy of this stage
    upheld = decide(
        tender,
        complaint,
        outcome="upheld",
        remedy="amend_documents",
        reasons="The bill of quantities omits the drainage works.",
    )
    assert upheld.status_code == 200, upheld.text


def test_an_upheld_complaint_about_the_documents_waits_for_the_amendment(
    api: Api, clock: FakeClock
) -> None:
    tender = with_bids(api, clock)
    uphold_amendment(tender)
    clock.set(clock.now() + timedelta(hours=2))  # the entity drafts the addendum
    new = tender.deadline + timedelta(days=10)
    amended = api.post(
        f"/tenders/{tender.id}/amendments",
        tender.token("officer@works"),
        json={
            "text": "Drainage works added to the bill of quantities; deadline extended.",
            "timeline": {
                "clarification_deadline": at(new - timedelta(days=7)),
                "submission_deadline": at(new),
                "opening_time": at(new + timedelta(minutes=30)),
            },
        },
    )
    assert amended.status_code == 201, amended.text
    clock.set(new + timedelta(hours=1))
    opened = open_bids(tender)
    assert opened.status_code == 200, opened.text


def test_without_the_ordered_amendment_the_bids_are_never_opened(
    api: Api, clock: FakeClock
) -> None:
    tender = with_bids(api, clock)
    uphold_amendment(tender)
    clock.set(tender.deadline + timedelta(hours=1))
    api.settle()
    before = api.event_count()
    assert_problem(open_bids(tender), 409, "amendment_required")
    assert api.event_count() == before
    # Bidding has closed: the documents can no longer be amended; the entity cancels.
    cancelled = api.post(
        f"/tenders/{tender.id}/cancel",
        tender.token("officer@works"),
        json={"reason": "The documents must be corrected: the tender will be re-advertised."},
    )
    assert cancelled.status_code == 200, cancelled.text


def test_a_complaint_about_the_final_report_upheld_leads_to_a_new_report(
    api: Api, clock: FakeClock
) -> None:
    tender = with_bids(api, clock)
    api.register_vendor("delta")
    tender.open()
    tender.declare(*MEMBERS)
    assert_problem(complain(tender, "beta", "final_report"), 409, "complaint_stage_closed")
    tender.finalise()
    assert_problem(complain(tender, "delta", "final_report"), 422, "not_a_bidder")
    complaint = lodged(tender, "beta", "final_report")
    refused = api.post(
        f"/tenders/{tender.id}/award",
        tender.token("officer@works"),
        json={"bid_id": tender.bids["alpha"], "reason": ""},
    )
    assert_problem(refused, 409, "award_held_by_complaint")

    upheld = decide(
        tender,
        complaint,
        outcome="upheld",
        remedy="reopen_evaluation",
        reasons="Alpha's bid security was not checked against the bank.",
    )
    assert upheld.status_code == 200, upheld.text
    disqualified = tender.act(
        MEMBERS[0],
        {
            "action": "disqualify",
            "bid_id": tender.bids["alpha"],
            "reason": "Bid security not confirmed by the bank.",
        },
    )
    assert disqualified.status_code == 200, disqualified.text
    page = tender.finalise()
    assert [r["number"] for r in page["evaluation"]["reports"]] == [1, 2]
    assert tender.entries(page)["beta"]["rank"] == 1
    assert tender.award("beta")


def test_an_appeal_against_a_dismissed_award_complaint_annuls_the_award(
    api: Api, clock: FakeClock
) -> None:
    tender = with_bids(api, clock)
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    award_id = tender.award("alpha")
    complaint = lodged(tender, "beta", "award", award_id=award_id)
    appeal_path = f"/tenders/{tender.id}/complaints/{complaint}/appeal"
    early = api.post(appeal_path, tender.token("beta"), json={"grounds": "No decision yet"})
    assert_problem(early, 409, "complaint_not_appealable")
    dismissed = decide(tender, complaint, outcome="dismissed", reasons="The award is sound.")
    assert dismissed.status_code == 200, dismissed.text

    stranger = api.post(appeal_path, tender.token("alpha"), json={"grounds": "Me too"})
    assert_problem(stranger, 403, "forbidden")
    appealed = api.post(
        appeal_path, tender.token("beta"), json={"grounds": "The committee ignored the bank."}
    )
    assert appealed.status_code == 201, appealed.text
    clock.set(clock.now() + timedelta(days=20))  # the standstill and appeal period are over
    assert_problem(tender.sign(award_id), 409, "contract_held_by_complaint")

    decision_path = f"/regulator/tenders/{tender.id}/complaints/{complaint}/appeal-decision"
    by_officer = api.post(
        decision_path,
        tender.token("officer@works"),
        json={"outcome": "upheld", "remedy": "cancel_award", "reasons": "x"},
    )
    assert_problem(by_officer, 403, "forbidden")
    decided = api.post(
        decision_path,
        tender.token(REGULATOR),
        json={
            "outcome": "upheld",
            "remedy": "cancel_award",
            "reasons": "The bank denies issuing alpha's guarantee.",
        },
    )
    assert decided.status_code == 200, decided.text
    assert_problem(tender.sign(award_id), 409, "award_not_active")
    [seen] = complaints_of(tender)
    assert seen["status"] == "appeal_upheld"
    assert seen["appeal"]["decision"]["remedy"] == "cancel_award"
    page = tender.page(decided.json()["read_token"])
    [award] = page["awards"]
    assert award["status"] == "cancelled"


def test_an_evaluator_does_not_decide_the_tenders_complaints(api: Api, clock: FakeClock) -> None:
    tender = with_bids(api, clock)
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    complaint = lodged(tender, "beta", "final_report")

    def name(*members: str) -> None:
        named = api.put(
            "/entity/grievance-committee",
            api.login(HEAD),
            json={"members": list(members), "chair": GRIEVANCE[0]},
        )
        assert named.status_code == 200, named.text

    name(GRIEVANCE[0], GRIEVANCE[1], MEMBERS[1])  # an evaluator of this tender
    before = api.event_count()
    refused = decide(tender, complaint, outcome="dismissed", reasons="The report is sound.")
    assert_problem(refused, 403, "grievance_panel_conflict")
    assert MEMBERS[1] in refused.json()["detail"]
    assert api.event_count() == before

    name(*GRIEVANCE)
    decided = decide(tender, complaint, outcome="dismissed", reasons="The report is sound.")
    assert decided.status_code == 200, decided.text


def test_only_the_head_names_an_odd_committee_of_its_own_officers(api: Api) -> None:
    body = {"members": list(GRIEVANCE), "chair": GRIEVANCE[0]}
    officer = api.put("/entity/grievance-committee", api.login("officer@works"), json=body)
    assert_problem(officer, 403, "not_entity_head")
    even = {"members": list(GRIEVANCE[:2]), "chair": GRIEVANCE[0]}
    assert_problem(
        api.put("/entity/grievance-committee", api.login(HEAD), json=even),
        422,
        "invalid_committee",
    )
    foreign = {"members": [*GRIEVANCE[:2], "officer@health"], "chair": GRIEVANCE[0]}
    assert_problem(
        api.put("/entity/grievance-committee", api.login(HEAD), json=foreign),
        422,
        "invalid_committee",
    )


def test_only_the_chair_decides_and_only_for_its_entity(api: Api, clock: FakeClock) -> None:
    tender = with_bids(api, clock)
    complaint = lodged(tender, "alpha", "documents")
    path = f"/tenders/{tender.id}/complaints/{complaint}/decision"
    body = {"outcome": "dismissed", "reasons": "No."}
    not_chair = api.post(path, tender.token(GRIEVANCE[1]), json=body)
    assert_problem(not_chair, 403, "not_grievance_chair")
    assert_problem(
        api.post(path, tender.token("officer@health"), json=body), 404, "complaint_not_found"
    )
    assert complaints_of(tender)[0]["status"] == "pending"


def test_a_complaint_lodged_on_the_award_before_complaint_files_is_still_decided(
    api: Api, clock: FakeClock
) -> None:
    """Stored before complaints had a file of their own, such a complaint would otherwise
    hold its contract for ever: the committee's chair decides it where it is."""
    tender = with_bids(api, clock)
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    award_id = tender.award("alpha")
    application = api.application
    award: Award = application.repository.get(UUID(award_id))
    old = uuid4()
    award.lodge_complaint(
        complaint_id=old,
        grounds="Lodged the old way",
        actor=Actor(account_id=account_id_for("beta"), role=Role.VENDOR, request_id="old"),
        timestamp=clock.now(),
    )
    application.save(award)
    clock.set(clock.now() + timedelta(days=8))
    assert_problem(tender.sign(award_id), 409, "complaint_pending")
    decided = tender.decide(award_id, str(old), outcome="dismissed", reasons="No merit.")
    assert decided.status_code == 200, decided.text  # the scenario decides as the chair
    assert tender.sign(award_id, "900000.00").status_code == 201


def test_a_complaint_not_decided_in_time_is_overdue_in_public_and_appealable(
    api: Api, clock: FakeClock
) -> None:
    tender = with_bids(api, clock)
    answer = complain(tender, "alpha", "documents")
    assert answer.status_code == 201, answer.text
    complaint = answer.json()["id"]
    tender.page(answer.json()["read_token"])  # the read model has it: the scheduler reads there
    scheduler = Scheduler(application=api.application, dsn=api.dsn)
    assert scheduler.run_once() == 0  # the committee still has time

    clock.set(clock.now() + DECISION_PERIOD)
    assert scheduler.run_once() in {0, 1}  # 0: the background scheduler's pass came first
    assert scheduler.run_once() == 0  # marked once
    appealed = api.post(
        f"/tenders/{tender.id}/complaints/{complaint}/appeal",
        tender.token("alpha"),
        json={"grounds": "The committee has not decided in seven days."},
    )
    assert appealed.status_code == 201, appealed.text
    [public] = tender.page(appealed.json()["read_token"])["complaints"]
    assert public["overdue"] is True
    assert public["status"] == "appealed"
    late = decide(tender, complaint, outcome="dismissed", reasons="Late.")
    assert_problem(late, 409, "appeal_pending")  # the regulator has it now
