"""The methods' own rules through HTTP, with real tokens: a request for quotations with too
few quotations, direct contracting's justification, a pre-bid meeting and its minutes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from procurement.settings import Settings
from tests.api.conftest import Api
from tests.api.scenarios import MEMBERS, Scenario, at, offer
from tests.api.test_bad_input import assert_problem
from tests.api.test_documents import PDF, uploaded
from tests.api.test_ocds import _releases_of, assert_valid
from tests.support import FakeClock, tender_json

RFQ: dict[str, Any] = {
    "method": "request_for_quotations",
    "estimated_value": {"amount": "2000000.00", "currency": "PKR"},
    "bid_security": None,
    "translations": {},
}
JUSTIFICATION = {
    "case": "proprietary_spares",
    "explanation": "Spare parts of the Caterpillar graders in service, from its sole agent.",
}
DIRECT: dict[str, Any] = {"method": "direct_contracting", "bid_security": None, "translations": {}}


def _record_is_valid(api: Api, ocid: str) -> dict[str, Any]:
    """The process's record package passes the official schema: its compiled release."""
    answer = api.client.get(f"/ocds/records/{ocid}")
    assert answer.status_code == 200, answer.text
    package = answer.json()
    assert_valid(package, "record-package-schema.json")
    compiled: dict[str, Any] = package["records"][0]["compiledRelease"]
    return compiled


def _public(api: Api, tender_id: str, read_token: str) -> dict[str, Any]:
    answer = api.client.get(f"/public/tenders/{tender_id}", params={"read_token": read_token})
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


def test_a_request_for_quotations_with_two_quotations_is_awarded_only_with_a_reason(
    api: Api, clock: FakeClock, committee: None, settings: Settings
) -> None:
    tender = Scenario(api, clock, **RFQ)
    tender.bid("alpha", offer("1800000.00", security=False))
    tender.bid("beta", offer("1900000.00", security=False))
    opened = tender.open()
    assert opened["rules"]["min_quotations"] == 3
    tender.declare(*MEMBERS)
    tender.finalise()
    officer = tender.token("officer@works")
    before = api.event_count()
    for reason in ("", "   "):
        refused = api.post(
            f"/tenders/{tender.id}/award",
            officer,
            json={"bid_id": tender.bids["alpha"], "reason": reason},
        )
        problem = assert_problem(refused, 422, "too_few_quotations")
        assert problem["errors"][0]["loc"] == ["reason"]
        assert "2 responsive quotations" in problem["detail"]
    assert api.event_count() == before  # nothing changed

    reason = "Only two firms in Larkana stock the switches; a third was asked and declined."
    awarded = api.post(
        f"/tenders/{tender.id}/award",
        tender.token("officer@works"),
        json={"bid_id": tender.bids["alpha"], "reason": reason},
    )
    assert awarded.status_code == 201, awarded.text
    [award] = tender.page(awarded.json()["read_token"])["awards"]
    assert award["reason"] == reason
    ocid = f"{settings.ocid_prefix}-{tender.id}"
    [*_, last] = _releases_of(api, ocid)
    assert last["awards"][0]["description"] == reason


def test_a_request_for_quotations_with_three_quotations_needs_no_reason(
    api: Api, clock: FakeClock, committee: None
) -> None:
    tender = Scenario(api, clock, **RFQ)
    for vendor, price in (("alpha", "1700000.00"), ("beta", "1800000.00"), ("gamma", "1900000.00")):
        tender.bid(vendor, offer(price, security=False))
    tender.open()
    tender.declare(*MEMBERS)
    tender.finalise()
    assert tender.award("alpha")


def test_three_quotations_two_of_them_disqualified_are_awarded_only_with_a_reason(
    api: Api, clock: FakeClock, committee: None
) -> None:
    """The minimum counts the quotations the final report ranks, not the bids opened."""
    tender = Scenario(api, clock, **RFQ)
    for vendor, price in (("alpha", "1700000.00"), ("beta", "1800000.00"), ("gamma", "1900000.00")):
        tender.bid(vendor, offer(price, security=False))
    tender.open()
    tender.declare(*MEMBERS)
    for vendor in ("beta", "gamma"):
        ruled = tender.act(
            MEMBERS[0],
            {
                "action": "disqualify",
                "bid_id": tender.bids[vendor],
                "reason": "The quotation is not signed by the firm.",
            },
        )
        assert ruled.status_code == 200, ruled.text
    tender.finalise()
    before = api.event_count()
    refused = api.post(
        f"/tenders/{tender.id}/award",
        tender.token("officer@works"),
        json={"bid_id": tender.bids["alpha"], "reason": ""},
    )
    problem = assert_problem(refused, 422, "too_few_quotations")
    assert problem["errors"][0]["loc"] == ["reason"]
    assert "1 responsive quotation," in problem["detail"]
    assert api.event_count() == before
    assert tender.award("alpha", reason="The other two firms sent unsigned quotations.")


def test_a_request_for_quotations_over_its_ceiling_is_refused_at_publishing(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    body = tender_json(
        clock.now(), **{**RFQ, "estimated_value": {"amount": "2500000.01", "currency": "PKR"}}
    )
    tender_id = api.post("/tenders", officer, json=body).json()["id"]
    refused = api.post(f"/tenders/{tender_id}/publish", officer)
    assert_problem(refused, 422, "method_not_allowed_for_value")
    assert api.client.get(f"/tenders/{tender_id}", headers=officer).json()["status"] == "draft"


def test_direct_contracting_is_published_with_its_justification(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    officer = api.login("officer@works")
    tender_id = api.post("/tenders", officer, json=tender_json(clock.now(), **DIRECT)).json()["id"]
    before = api.event_count()
    refused = api.post(f"/tenders/{tender_id}/publish", officer)
    problem = assert_problem(refused, 422, "justification_required")
    assert problem["errors"][0]["loc"] == ["direct_contracting"]
    assert "proprietary_spares" in problem["detail"]  # the rules' cases are named
    assert api.event_count() == before

    # The justification belongs to direct contracting alone.
    other = tender_json(clock.now(), direct_contracting=JUSTIFICATION)
    assert_problem(api.post("/tenders", officer, json=other), 422, "validation_failed")
    unknown = {"case": "convenience", "explanation": "We know them."}
    patched = api.client.patch(
        f"/tenders/{tender_id}", headers=officer, json={"direct_contracting": unknown}
    )
    assert_problem(patched, 422, "validation_failed")

    edited = api.client.patch(
        f"/tenders/{tender_id}", headers=officer, json={"direct_contracting": JUSTIFICATION}
    )
    assert edited.status_code == 200, edited.text
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text
    page = _public(api, tender_id, published.json()["read_token"])
    assert page["direct_contracting"] == JUSTIFICATION
    assert "proprietary_spares" in page["rules"]["direct_contracting_cases"]
    assert page["pre_bid_meeting"] is None

    ocid = f"{settings.ocid_prefix}-{tender_id}"
    [notice] = _releases_of(api, ocid)
    _record_is_valid(api, ocid)
    assert notice["tender"]["procurementMethod"] == "direct"
    rationale = notice["tender"]["procurementMethodRationale"]
    assert JUSTIFICATION["explanation"] in rationale
    assert "(proprietary_spares)" in rationale
    assert notice["tender"]["procurementMethodDetails"].startswith("Direct contracting: spare")


def _meeting(start: datetime, days: int = 5) -> dict[str, str]:
    return {
        "at": at(start + timedelta(days=days)),
        "place": "Committee room, Works Department, Karachi",
        "link": "https://meet.example.org/wsd-rd-001",
    }


def test_a_pre_bid_meeting_is_before_the_clarification_deadline_and_in_the_notice(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    meeting = _meeting(clock.now())
    # After the clarification deadline (13 days on): refused at publishing, naming the field.
    body = tender_json(clock.now(), pre_bid_meeting=_meeting(clock.now(), days=14))
    tender_id = api.post("/tenders", officer, json=body).json()["id"]
    problem = assert_problem(
        api.post(f"/tenders/{tender_id}/publish", officer), 422, "invalid_pre_bid_meeting"
    )
    assert problem["errors"][0]["loc"] == ["pre_bid_meeting", "at"]
    path = f"/tenders/{tender_id}"
    nowhere = {"pre_bid_meeting": {"at": meeting["at"]}}
    assert_problem(api.client.patch(path, headers=officer, json=nowhere), 422, "validation_failed")
    edited = api.client.patch(path, headers=officer, json={"pre_bid_meeting": meeting})
    assert edited.status_code == 200, edited.text
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text
    page = _public(api, tender_id, published.json()["read_token"])
    assert page["pre_bid_meeting"] == meeting
    assert page["direct_contracting"] is None
    # An addendum may not move the clarification deadline before a meeting still to come.
    timeline = {
        "clarification_deadline": at(clock.now() + timedelta(days=4)),
        "submission_deadline": page["timeline"]["submission_deadline"],
        "opening_time": page["timeline"]["opening_time"],
    }
    moved = api.post(
        f"/tenders/{tender_id}/amendments", officer, json={"text": "Sooner.", "timeline": timeline}
    )
    assert_problem(moved, 422, "invalid_pre_bid_meeting")


def test_the_minutes_of_a_pre_bid_meeting_are_published_after_it(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    officer = api.login("officer@works")
    start = clock.now()
    body = tender_json(start, pre_bid_meeting=_meeting(start))
    tender_id = api.post("/tenders", officer, json=body).json()["id"]
    assert api.post(f"/tenders/{tender_id}/publish", officer).status_code == 200
    file = uploaded(api, officer, PDF, "minutes.pdf")
    minutes = {"sha256": file["sha256"], "file_name": "minutes.pdf"}
    before = api.event_count()
    early = api.post(f"/tenders/{tender_id}/pre-bid-minutes", officer, json=minutes)
    assert_problem(early, 422, "pre_bid_meeting_not_held")
    # A tender without a meeting has no minutes to publish.
    plain = api.post("/tenders", officer, json=tender_json(start)).json()["id"]
    assert api.post(f"/tenders/{plain}/publish", officer).status_code == 200
    none = api.post(f"/tenders/{plain}/pre-bid-minutes", officer, json=minutes)
    assert_problem(none, 422, "no_pre_bid_meeting")
    assert api.event_count() == before + 2  # the plain tender drafted and published, alone

    clock.set(start + timedelta(days=5, hours=3))
    officer = api.login("officer@works")
    written = api.post(f"/tenders/{tender_id}/pre-bid-minutes", officer, json=minutes)
    assert written.status_code == 201, written.text
    [document_id] = written.json()["added"]
    token = written.json()["read_token"]

    [addendum] = _public(api, tender_id, token)["amendments"]
    assert addendum["number"] == 1
    assert "Minutes of the pre-bid meeting" in addendum["text"]
    listed = api.client.get(
        f"/public/tenders/{tender_id}/documents", params={"read_token": token}
    ).json()["documents"]
    [document] = [d for d in listed if d["document_id"] == document_id]
    [version] = document["versions"]
    assert (version["kind"], version["amendment"]) == ("pre_bid_minutes", 1)
    assert api.client.get(version["url"]).content == PDF  # the public's download
    vendor = api.register_vendor("alpha")  # and a bidder's
    assert api.client.get(version["url"], headers=vendor).content == PDF

    ocid = f"{settings.ocid_prefix}-{tender_id}"
    releases = _releases_of(api, ocid)
    compiled = _record_is_valid(api, ocid)
    assert compiled["tender"]["milestones"][0]["status"] == "met"
    [milestone] = releases[0]["tender"]["milestones"]
    assert (milestone["type"], milestone["status"]) == ("engagement", "scheduled")
    assert milestone["dueDate"] == _meeting(start)["at"]
    amended = releases[-1]["tender"]
    assert amended["milestones"][0]["status"] == "met"
    [entry] = [d for d in amended["documents"] if d["id"] == document_id]
    assert entry["documentType"] == "clarifications"
    assert "added" in amended["amendments"][-1]["description"]
