"""Bid validity extensions, bid securities and the performance security through HTTP, with
real tokens (docs/securities.md): each refusal with its code, and nothing written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.account import account_id_for
from procurement.jobs.scheduler import Scheduler
from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario, at, offer
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock, tender_json

pytestmark = pytest.mark.usefixtures("committee")

OFFICER = "officer@works"
VALIDITY = timedelta(days=90)  # tests.support's notice
RELEASE_PERIOD = timedelta(days=7)
STANDSTILL = timedelta(days=7)


def instrument(amount: str = "200000.00", **more: Any) -> dict[str, Any]:
    return {
        "bank": "Sindh Bank",
        "reference": "BG-2026-0042",
        "amount": {"amount": amount, "currency": "PKR"},
        **more,
    }


def confirmed(clock: FakeClock, amount: str = "200000.00") -> dict[str, Any]:
    return instrument(amount, confirmed_at=at(clock.now()))


def tender_of_three(api: Api, clock: FakeClock, **changes: Any) -> Scenario:
    """alpha (900,000), beta (1,000,000), gamma (1,100,000) bid; the bids are opened."""
    tender = Scenario(api, clock, **changes)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("1000000.00"))
    tender.bid("gamma", offer("1100000.00"))
    tender.open()
    tender.declare(*MEMBERS)
    return tender


def vendor(name: str) -> str:
    return str(account_id_for(name))


def officer_file(api: Api, tender: Scenario, username: str = OFFICER) -> Any:
    return api.client.get(f"/tenders/{tender.id}/securities/all", headers=tender.token(username))


def public(api: Api, tender: Scenario, read_token: str) -> dict[str, Any]:
    answer = api.client.get(f"/public/tenders/{tender.id}/securities?read_token={read_token}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def by_name(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["bidder_name"].split(" ")[0]: row for row in page["bidders"]}


def answer(api: Api, tender: Scenario, name: str, body: dict[str, Any]) -> Any:
    return api.post(
        f"/tenders/{tender.id}/securities/extension-answer", tender.token(name), json=body
    )


def test_an_extension_one_bidder_declines_another_accepts_a_third_lets_lapse(  # noqa: PLR0915 (one story)
    api: Api, clock: FakeClock
) -> None:
    tender = tender_of_three(api, clock)
    ends = tender.deadline + VALIDITY
    seen = officer_file(api, tender)
    assert seen.status_code == 200, seen.text
    assert {b["valid_until"] for b in seen.json()["bidders"]} == {at(ends)}
    assert seen.json()["version"] == 0
    assert officer_file(api, tender, "officer@health").status_code == 404  # another entity

    before = api.event_count()
    path = f"/tenders/{tender.id}/securities/extension-requests"
    officer = tender.token(OFFICER)
    not_later = api.post(path, officer, json={"new_end": at(ends), "reason": "Audit delay"})
    assert_problem(not_later, 422, "invalid_terms")
    no_field = assert_problem(
        api.post(path, officer, json={"new_end": at(ends)}), 422, "validation_failed"
    )
    assert "reason" in str(no_field)
    other = api.post(
        path,
        tender.token("officer@health"),
        json={"new_end": at(ends + timedelta(days=30)), "reason": "Audit delay"},
    )
    assert_problem(other, 404, "tender_not_found")
    assert_problem(answer(api, tender, "alpha", {"answer": "decline"}), 404, "bid_not_found")
    assert api.event_count() == before

    stranger = api.register_vendor("delta")  # no bid: nothing of its own to read
    assert_problem(
        api.client.get(f"/tenders/{tender.id}/securities/mine", headers=stranger),
        404,
        "bid_not_found",
    )
    new_end = ends + timedelta(days=30)
    asked = api.post(
        path, officer, json={"new_end": at(new_end), "reason": "The evaluation awaits audit."}
    )
    assert asked.status_code == 201, asked.text
    again = api.post(path, officer, json={"new_end": at(new_end), "reason": "again"})
    assert_problem(again, 409, "extension_request_closed")

    # gamma sees the request waiting, with its due time.
    mine = api.client.get(f"/tenders/{tender.id}/securities/mine", headers=tender.token("gamma"))
    assert mine.status_code == 200, mine.text
    [row] = mine.json()["bidders"]
    assert row["waiting_answer"] is True
    assert row["vendor_id"] == vendor("gamma")
    assert mine.json()["open_request"]["due"] == at(ends)

    declined = answer(api, tender, "alpha", {"answer": "decline"})
    assert declined.status_code == 200, declined.text
    assert_problem(
        answer(api, tender, "alpha", {"answer": "accept"}), 409, "extension_request_closed"
    )
    assert_problem(answer(api, tender, "beta", {"answer": "accept"}), 409, "security_not_recorded")
    low = answer(api, tender, "beta", {"answer": "accept", "security": instrument("1.00")})
    assert_problem(low, 422, "security_insufficient")
    accepted = answer(api, tender, "beta", {"answer": "accept", "security": instrument()})
    assert accepted.status_code == 200, accepted.text

    tender.finalise()
    before = api.event_count()
    award = api.post(
        f"/tenders/{tender.id}/award",
        tender.token(OFFICER),
        json={"bid_id": tender.bids["alpha"], "reason": ""},
    )
    assert_problem(award, 409, "bid_validity_expired")  # alpha, the lowest, declined
    assert api.event_count() == before

    page = public(api, tender, accepted.json()["read_token"])
    rows = by_name(page)
    assert rows["alpha"]["standing"] == "declined"
    assert rows["beta"]["valid_until"] == at(new_end)
    assert rows["gamma"]["waiting_answer"] is True
    [request] = page["requests"]
    assert request["reason"] == "The evaluation awaits audit."

    # gamma does not answer: at the old end the scheduler lapses its answer, as declined.
    scheduler = Scheduler(application=api.application, dsn=api.dsn)
    assert scheduler.run_once() == 0
    clock.set(ends)
    assert_problem(
        answer(api, tender, "gamma", {"answer": "decline"}), 409, "extension_request_closed"
    )
    assert scheduler.run_once() in {0, 1}  # 0: the background scheduler's pass came first
    assert scheduler.run_once() == 0  # lapsed once
    lapsed = api.post(
        f"/tenders/{tender.id}/award",
        tender.token(OFFICER),
        json={"bid_id": tender.bids["gamma"], "reason": ""},
    )
    assert_problem(lapsed, 409, "bid_validity_expired")
    beta = tender.award("beta", "alpha declined the extension of its bid's validity")
    assert beta
    mine = api.client.get(f"/tenders/{tender.id}/securities/mine", headers=tender.token("gamma"))
    assert mine.json()["bidders"][0]["standing"] == "lapsed"


def test_securities_recorded_the_losers_released_one_forfeited_and_one_flagged_overdue(
    api: Api, clock: FakeClock
) -> None:
    tender = tender_of_three(api, clock)
    path = f"/tenders/{tender.id}/securities/bid-securities"
    officer = tender.token(OFFICER)
    before = api.event_count()
    unconfirmed = {"vendor_id": vendor("alpha"), "instrument": instrument()}
    assert_problem(api.post(path, officer, json=unconfirmed), 422, "invalid_terms")
    low = {"vendor_id": vendor("alpha"), "instrument": confirmed(clock, "100.00")}
    assert_problem(api.post(path, officer, json=low), 422, "security_insufficient")
    stranger = {"vendor_id": vendor("delta"), "instrument": confirmed(clock)}
    assert_problem(api.post(path, officer, json=stranger), 404, "bid_not_found")
    health = api.post(
        path,
        tender.token("officer@health"),
        json={"vendor_id": vendor("alpha"), "instrument": confirmed(clock)},
    )
    assert_problem(health, 404, "tender_not_found")
    assert api.event_count() == before

    for name in ("alpha", "beta", "gamma"):
        body = {"vendor_id": vendor(name), "instrument": confirmed(clock)}
        recorded = api.post(path, officer, json=body)
        assert recorded.status_code == 201, recorded.text
    twice = {"vendor_id": vendor("alpha"), "instrument": confirmed(clock)}
    assert_problem(api.post(path, officer, json=twice), 409, "security_already_recorded")

    tender.finalise()
    award_id = tender.award("alpha")
    clock.set(clock.now() + STANDSTILL)
    signed = tender.sign(award_id, "900000.00")
    assert signed.status_code == 201, signed.text

    # beta's security is released; gamma's forfeited with a reason; alpha won.
    officer = tender.token(OFFICER)  # a new token: the clock moved
    released = api.post(f"{path}/release", officer, json={"vendor_id": vendor("beta")})
    assert released.status_code == 200, released.text
    assert_problem(
        api.post(f"{path}/release", officer, json={"vendor_id": vendor("beta")}),
        409,
        "security_closed",
    )
    forfeit = f"{path}/forfeit"
    after_release = {"vendor_id": vendor("beta"), "reason": "other", "text": "late"}
    assert_problem(api.post(forfeit, officer, json=after_release), 409, "security_closed")
    unknown = {"vendor_id": vendor("gamma"), "reason": "mischief", "text": "x"}
    body = assert_problem(api.post(forfeit, officer, json=unknown), 422, "validation_failed")
    assert "reason" in str(body)
    forfeited = api.post(
        forfeit,
        officer,
        json={
            "vendor_id": vendor("gamma"),
            "reason": "withdrawal_after_deadline",
            "text": "gamma withdrew its bid by letter after the deadline.",
        },
    )
    assert forfeited.status_code == 200, forfeited.text
    vendor_view = api.client.get(
        f"/tenders/{tender.id}/securities/mine", headers=tender.token("gamma")
    )
    assert [b["state"] for b in vendor_view.json()["bidders"]] == ["forfeited"]
    assert len(vendor_view.json()["bidders"]) == 1  # its own only

    page = public(api, tender, forfeited.json()["read_token"])
    rows = by_name(page)
    assert rows["beta"]["security"] == "released"
    assert rows["gamma"]["security"] == "forfeited"
    assert rows["gamma"]["forfeit_reason"] == "withdrawal_after_deadline"
    assert rows["alpha"]["security"] == "held"
    assert "BG-2026-0042" not in str(page)  # the instrument's reference stays private
    assert not any(row["release_overdue"] for row in page["bidders"])


def test_an_unreleased_loser_security_is_flagged_overdue_by_the_scheduler(
    api: Api, clock: FakeClock
) -> None:
    tender = tender_of_three(api, clock)
    path = f"/tenders/{tender.id}/securities/bid-securities"
    officer = tender.token(OFFICER)
    for name in ("alpha", "beta"):
        recorded = api.post(
            path, officer, json={"vendor_id": vendor(name), "instrument": confirmed(clock)}
        )
        assert recorded.status_code == 201, recorded.text
    tender.finalise()
    award_id = tender.award("alpha")
    clock.set(clock.now() + STANDSTILL)
    signed = tender.sign(award_id, "900000.00")
    assert signed.status_code == 201, signed.text
    public(api, tender, signed.json()["read_token"])  # the scheduler reads the read model

    scheduler = Scheduler(application=api.application, dsn=api.dsn)
    clock.set(clock.now() + RELEASE_PERIOD - timedelta(seconds=1))
    assert scheduler.run_once() == 0  # still in time
    clock.set(clock.now() + timedelta(seconds=1))
    assert scheduler.run_once() in {0, 1}  # 0: the background scheduler's pass came first
    assert scheduler.run_once() == 0  # flagged once; the winner's is not due back
    file = officer_file(api, tender).json()
    read_token = api.post(
        f"{path}/release", tender.token(OFFICER), json={"vendor_id": vendor("beta")}
    ).json()["read_token"]
    rows = by_name(public(api, tender, read_token))
    assert rows["beta"]["release_overdue"] is True
    assert rows["beta"]["security"] == "released"  # released late: the flag stays public
    assert rows["alpha"]["release_overdue"] is False
    flagged = {b["vendor_id"]: b["release_overdue"] for b in file["bidders"]}
    assert flagged == {vendor("alpha"): False, vendor("beta"): True, vendor("gamma"): False}


def test_a_contract_is_refused_until_the_performance_security_is_recorded(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login(OFFICER)  # a notice over the rules' cap (10%) is not published
    draft = api.post(
        "/tenders", officer, json=tender_json(clock.now(), performance_security_percent="11")
    )
    assert draft.status_code == 201, draft.text
    refused = api.post(f"/tenders/{draft.json()['id']}/publish", officer)
    assert_problem(refused, 422, "performance_security_out_of_range")

    tender = tender_of_three(api, clock, performance_security_percent="10")
    tender.finalise()
    award_id = tender.award("alpha")  # 900,000: at least 90,000 of performance security
    clock.set(clock.now() + STANDSTILL)
    api.settle()
    before = api.event_count()
    assert_problem(tender.sign(award_id, "900000.00"), 409, "performance_security_required")
    assert api.event_count() == before

    path = f"/awards/{award_id}/performance-security"
    low = api.post(path, tender.token(OFFICER), json={"instrument": confirmed(clock, "89999.99")})
    assert_problem(low, 422, "security_insufficient")
    other = api.post(
        path, tender.token("officer@health"), json={"instrument": confirmed(clock, "90000.00")}
    )
    assert_problem(other, 404, "award_not_found")
    assert api.event_count() == before
    recorded = api.post(
        path, tender.token(OFFICER), json={"instrument": confirmed(clock, "90000.00")}
    )
    assert recorded.status_code == 201, recorded.text
    twice = api.post(path, tender.token(OFFICER), json={"instrument": confirmed(clock, "90000.00")})
    assert_problem(twice, 409, "security_already_recorded")

    signed = tender.sign(award_id, "900000.00")
    assert signed.status_code == 201, signed.text
    [performance] = public(api, tender, signed.json()["read_token"])["performance_securities"]
    assert performance["award_id"] == award_id
    assert performance["required"] == "90000.00"


def test_the_notice_tells_bidders_of_the_performance_security_and_the_award_by_lot(
    api: Api, clock: FakeClock
) -> None:
    """A bidder prices a performance security and chooses its lots before bidding: both
    terms are in the public notice and on its page, in English and Urdu."""
    asked = Scenario(api, clock, performance_security_percent="7.5", award_by_lot=True)
    whole = Scenario(api, clock)
    token = api.post(
        f"/tenders/{whole.id}/questions",
        api.register_vendor("asker"),
        json={"text": "Is the site visit compulsory?"},
    ).json()["read_token"]
    notice = asked.page(token)
    assert notice["performance_security_percent"] == "7.50"
    assert notice["award_by_lot"] is True
    plain = whole.page(token)
    assert plain["performance_security_percent"] is None
    assert plain["award_by_lot"] is False

    page = api.client.get(f"/portal/tenders/{asked.id}").text
    assert "7.50% of the award&#39;s value, before the contract" in page
    assert "Each lot on its own" in page
    assert "The whole tender to one bidder" in api.client.get(f"/portal/tenders/{whole.id}").text
    urdu = api.client.get(f"/portal/tenders/{asked.id}?lang=ur").text
    assert "ایوارڈ کی مالیت کا 7.50%" in urdu
