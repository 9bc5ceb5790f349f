"""Two-stage tendering through HTTP with real tokens (docs/two-stage.md): a tender that
follows another and takes bids from its invited vendors alone, and a two-stage procurement
end to end."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from uuid import UUID

from domain.account import account_id_for
from domain.bid import EnvelopeName
from domain.values import Actor, RelatedProcess, Relationship, Role, TenderTerms
from procurement.audit import verify as audit
from procurement.crypto import hpke as sealing
from procurement.settings import Settings
from tests.api.conftest import ENTITY, GRIEVANCE, Api
from tests.api.scenarios import MEMBERS, Scenario, offer
from tests.api.test_audit import _wait
from tests.api.test_bad_input import assert_problem
from tests.api.test_documents import PDF, add, uploaded
from tests.api.test_methods import _public, _record_is_valid
from tests.api.test_ocds import _releases_of
from tests.support import FakeClock, tender_json


def _officer() -> Actor:
    return Actor(
        account_id=account_id_for("officer@works"),
        role=Role.OFFICER,
        request_id="test",
        entity=ENTITY,
    )


def test_a_follow_on_tender_takes_bids_from_its_invited_vendors_alone(
    api: Api, clock: FakeClock, committee: None
) -> None:
    """Stage two invites the vendors stage one qualified (alpha, beta): gamma, failed, may
    neither bid, upload, ask nor complain about its documents; officers never type the
    link or the invitations (the application fills them in)."""
    stage_one = _stage_one(api, clock, "two_stage_one_envelope")
    stage_two, token = _stage_two(api, clock, stage_one, "two_stage_one_envelope")
    follow_on = stage_two.id
    officer = api.login("officer@works")
    related = RelatedProcess(tender_id=UUID(stage_one.id), relationship=Relationship.PRIOR)
    typed_fields: dict[str, Any] = {
        "related": related.model_dump(mode="json"),
        "invited_vendors": [],
    }
    for field, value in typed_fields.items():
        typed = api.post("/tenders", officer, json=tender_json(clock.now(), **{field: value}))
        problem = assert_problem(typed, 422, "validation_failed")
        assert problem["errors"][0]["loc"][-1] == field

    before = api.event_count()
    refused = api.post(
        f"/tenders/{follow_on}/bids", api.login("gamma"), json={"contents": offer("9000000.00")}
    )
    assert_problem(refused, 403, "vendor_not_invited")
    upload = api.client.post(
        f"/tenders/{follow_on}/bids/documents",
        params={"file_name": "offer.pdf"},
        headers={**api.login("gamma"), "Content-Type": "application/pdf"},
        content=b"%PDF-1.4 gamma's offer",
    )
    assert_problem(upload, 403, "vendor_not_invited")
    question = api.post(
        f"/tenders/{follow_on}/questions", api.login("gamma"), json={"text": "Is asphalt PG 60/70?"}
    )
    assert_problem(question, 403, "vendor_not_invited")
    # Nor may it hold the opening with a complaint about documents it cannot bid on.
    complaint = api.post(
        f"/tenders/{follow_on}/complaints",
        api.login("gamma"),
        json={"stage": "documents", "grounds": "The specification favours one maker."},
    )
    assert_problem(complaint, 403, "vendor_not_invited")
    assert api.event_count() == before  # nothing written
    asked = api.post(
        f"/tenders/{follow_on}/questions", api.login("alpha"), json={"text": "Is asphalt PG 60/70?"}
    )
    assert asked.status_code == 201, asked.text
    accepted = api.post(
        f"/tenders/{follow_on}/bids", api.login("alpha"), json={"contents": offer("9000000.00")}
    )
    assert accepted.status_code == 201, accepted.text

    page = _public(api, follow_on, token)
    assert page["related"] == {"tender_id": stage_one.id, "relationship": "prior"}
    assert sorted(v["name"] for v in page["invited_vendors"]) == [
        "alpha (Pvt) Ltd",
        "beta (Pvt) Ltd",
    ]
    assert _public(api, stage_one.id, token)["invited_vendors"] is None


PROPOSAL: dict[str, Any] = {
    "technical_offer": "Twelve graders, four rollers; asphalt laid warm, in two courses.",
    "prices": [],
    "bid_security": None,
}
STAGE_ONE: dict[str, Any] = {"title": "Rehabilitation of a district road: stage one"}


def _stage_one(api: Api, clock: FakeClock, method: str) -> Scenario:
    """Stage one published, three unpriced proposals, opened, gamma's failed with a reason,
    the qualification report finalised."""
    stage_one = Scenario(api, clock, method=method, bid_security=None, **STAGE_ONE)
    api.register_vendor("alpha")
    priced = api.post(
        f"/tenders/{stage_one.id}/bids", api.login("alpha"), json={"contents": offer("1.00")}
    )
    problem = assert_problem(priced, 422, "unpriced_proposal_required")
    assert problem["errors"][0]["loc"] == ["contents", "prices"]
    for vendor in ("alpha", "beta", "gamma"):
        stage_one.bid(vendor, PROPOSAL)
    opened = stage_one.open()
    assert opened["rules"]["stage_two_method"] == _STAGE_TWO[method]
    assert opened["rules"]["citations"]["two_stage"]["verified"] is False
    stage_one.declare(*MEMBERS)
    failed = stage_one.act(
        MEMBERS[0],
        {
            "action": "disqualify",
            "bid_id": stage_one.bids["gamma"],
            "reason": "No asphalt plant within 50 km of the site, as the specification asks",
        },
    )
    assert failed.status_code == 200, failed.text
    page = stage_one.finalise()
    assert page["status"] == "evaluated"
    [report] = page["evaluation"]["reports"]
    entries = {entry["vendor_name"]: entry for entry in report["entries"]}
    assert entries["alpha (Pvt) Ltd"]["responsive"] is True
    assert entries["gamma (Pvt) Ltd"]["responsive"] is False
    assert "No asphalt plant" in entries["gamma (Pvt) Ltd"]["reasons"][0]
    assert all(entry["rank"] is None for entry in report["entries"])  # no prices, no ranking
    assert report["recommended_bid"] is None
    return stage_one


_STAGE_TWO = {
    "two_stage_one_envelope": "single_stage_one_envelope",
    "two_stage_two_envelope": "single_stage_two_envelope",
}


def _stage_two(
    api: Api, clock: FakeClock, stage_one: Scenario, method: str
) -> tuple[Scenario, str]:
    """Stage two drafted from stage one, its revised specification added, published."""
    officer = api.login("officer@works")
    revised = tender_json(
        clock.now(),
        method=_STAGE_TWO[method],
        reference="WSD/RD/2026/001-II",
        title="Rehabilitation of a district road: stage two",
    )
    wrong = api.post(
        f"/tenders/{stage_one.id}/stage-two", officer, json={**revised, "method": method}
    )
    assert_problem(wrong, 422, "invalid_terms")
    drafted = api.post(f"/tenders/{stage_one.id}/stage-two", officer, json=revised)
    assert drafted.status_code == 201, drafted.text
    stage_two_id = drafted.json()["id"]
    again = api.post(f"/tenders/{stage_one.id}/stage-two", officer, json=revised)
    assert_problem(again, 409, "stage_two_issued")
    terms = api.client.get(f"/tenders/{stage_two_id}", headers=officer).json()["terms"]
    assert terms["related"] == {"tender_id": stage_one.id, "relationship": "prior"}
    assert sorted(terms["invited_names"]) == ["alpha (Pvt) Ltd", "beta (Pvt) Ltd"]

    # One consolidated addendum; the minutes of each discussion stay in the file.
    changes = [
        add(uploaded(api, officer, PDF, "revised.pdf"), "specification", "Revised specification")
    ]
    attached = api.post(f"/tenders/{stage_two_id}/documents", officer, json={"changes": changes})
    assert attached.status_code == 200, attached.text
    # Not published while the bidders may still complain about stage one's report: a
    # complaint upheld after would withdraw the report stage two invites from.
    before = api.event_count()
    early = api.post(f"/tenders/{stage_two_id}/publish", officer)
    assert_problem(early, 409, "stage_two_held_by_complaint")
    assert api.event_count() == before
    _past_the_report_complaint_period(api, clock, stage_two_id)
    published = api.post(f"/tenders/{stage_two_id}/publish", api.login("officer@works"))
    assert published.status_code == 200, published.text
    return Scenario.published(api, clock, stage_two_id), published.json()["read_token"]


def _past_the_report_complaint_period(api: Api, clock: FakeClock, stage_two_id: str) -> None:
    """The clock past stage one's report complaint period (10 days); stage two's draft
    given a timeline from then."""
    clock.set(clock.now() + api.application.grievance_rules.report_complaint_period)
    api.settle()
    fresh = {"timeline": tender_json(clock.now())["timeline"]}
    moved = api.client.patch(
        f"/tenders/{stage_two_id}", headers=api.login("officer@works"), json=fresh
    )
    assert moved.status_code == 200, moved.text


def _two_stage_end_to_end(api: Api, clock: FakeClock, settings: Settings, method: str) -> None:
    stage_one = _stage_one(api, clock, method)
    refused = api.post(
        f"/tenders/{stage_one.id}/award",
        api.login("officer@works"),
        json={"bid_id": stage_one.bids["alpha"], "reason": ""},
    )
    assert_problem(refused, 422, "stage_one_not_awarded")

    stage_two, read_token = _stage_two(api, clock, stage_one, method)
    first = _public(api, stage_one.id, read_token)
    assert first["status"] == "completed"
    assert first["stage_two"] == stage_two.id
    # The notices link the stages; stage two names the vendors it invites.
    notice = api.client.get(f"/portal/tenders/{stage_two.id}").text
    assert f'href="/portal/tenders/{stage_one.id}"' in notice
    assert "alpha (Pvt) Ltd" in notice
    assert "gamma (Pvt) Ltd" not in notice
    assert (
        "صرف یہ فروشندگان بولی دے سکتے ہیں"
        in api.client.get(f"/portal/tenders/{stage_two.id}?lang=ur").text
    )
    assert (
        f'href="/portal/tenders/{stage_two.id}"'
        in api.client.get(f"/portal/tenders/{stage_one.id}").text
    )
    cancelled = api.post(
        f"/tenders/{stage_one.id}/cancel", api.login("officer@works"), json={"reason": "Late."}
    )
    assert_problem(cancelled, 409, "stage_two_issued")

    before = api.event_count()
    outsider = api.post(
        f"/tenders/{stage_two.id}/bids", api.login("gamma"), json={"contents": offer("8.00")}
    )
    assert_problem(outsider, 403, "vendor_not_invited")
    assert api.event_count() == before
    stage_two.bid("alpha", offer("9100000.00"))
    stage_two.bid("beta", offer("9200000.00"))
    stage_two.open()
    stage_two.declare(*MEMBERS)
    if method == "two_stage_two_envelope":
        financial = api.post(f"/tenders/{stage_two.id}/financial-opening", api.login(MEMBERS[0]))
        assert financial.status_code == 200, financial.text
    page = stage_two.finalise()
    assert page["related"] == {"tender_id": stage_one.id, "relationship": "prior"}
    listed = api.client.get(
        f"/public/tenders/{stage_two.id}/documents", params={"read_token": read_token}
    ).json()["documents"]
    kinds = sorted(d["versions"][-1]["kind"] for d in listed)
    assert kinds == ["specification"]
    stage_two.award("alpha")

    one, two = (f"{settings.ocid_prefix}-{t.id}" for t in (stage_one, stage_two))
    assert _releases_of(api, one)[-1]["tag"] == ["tenderUpdate"]  # caught up; stage one's end
    compiled_one = _record_is_valid(api, one)
    compiled_two = _record_is_valid(api, two)
    assert compiled_one["tender"]["status"] == "complete"
    assert "relatedProcesses" not in compiled_one
    assert compiled_two["relatedProcesses"] == [
        {"id": "1", "relationship": ["prior"], "scheme": "ocid", "identifier": one}
    ]
    assert compiled_two["tender"]["procurementMethod"] == "selective"
    assert "stage two" in compiled_two["tender"]["procurementMethodDetails"]
    assert compiled_two["awards"][0]["suppliers"][0]["name"] == "alpha (Pvt) Ltd"
    assert {t["name"] for t in compiled_two["tender"]["tenderers"]} == {
        "alpha (Pvt) Ltd",
        "beta (Pvt) Ltd",
    }


def test_a_two_stage_procurement_end_to_end(
    api: Api, clock: FakeClock, committee: None, settings: Settings
) -> None:
    _two_stage_end_to_end(api, clock, settings, "two_stage_one_envelope")


def test_a_two_stage_two_envelope_procurement_end_to_end(
    api: Api, clock: FakeClock, committee: None, settings: Settings
) -> None:
    _two_stage_end_to_end(api, clock, settings, "two_stage_two_envelope")


def _draft_stage_two(api: Api, clock: FakeClock, stage_one: Scenario) -> str:
    revised = tender_json(
        clock.now(), method="single_stage_one_envelope", reference="WSD/RD/2026/001-II"
    )
    drafted = api.post(
        f"/tenders/{stage_one.id}/stage-two", api.login("officer@works"), json=revised
    )
    assert drafted.status_code == 201, drafted.text
    stage_two_id: str = drafted.json()["id"]
    return stage_two_id


def test_stage_twos_method_and_invitations_are_not_edited(
    api: Api, clock: FakeClock, committee: None
) -> None:
    stage_one = _stage_one(api, clock, "two_stage_one_envelope")
    stage_two = _draft_stage_two(api, clock, stage_one)
    officer = api.login("officer@works")
    before = api.event_count()
    for method in ("two_stage_one_envelope", "request_for_quotations", "single_stage_two_envelope"):
        edited = api.client.patch(f"/tenders/{stage_two}", headers=officer, json={"method": method})
        problem = assert_problem(edited, 422, "follow_on_terms_fixed")
        assert problem["errors"][0]["loc"] == ["method"]
    typed = api.client.patch(f"/tenders/{stage_two}", headers=officer, json={"invited_vendors": []})
    assert_problem(typed, 422, "validation_failed")
    assert api.event_count() == before  # nothing written
    kept = api.client.patch(
        f"/tenders/{stage_two}", headers=officer, json={"method": "single_stage_one_envelope"}
    )
    assert kept.status_code == 200, kept.text

    # Publishing checks the method again, whatever made the draft.
    terms = api.application.follow_on_terms(
        TenderTerms.model_validate(
            tender_json(
                clock.now(), method="single_stage_two_envelope", reference="WSD/RD/2026/009"
            )
        ),
        RelatedProcess(tender_id=UUID(stage_one.id), relationship=Relationship.PRIOR),
        [account_id_for("alpha"), account_id_for("beta")],
    )
    other = str(api.application.draft_tender(_officer(), terms).id)
    before = api.event_count()
    assert_problem(api.post(f"/tenders/{other}/publish", officer), 422, "invalid_terms")
    assert api.event_count() == before


def test_stage_two_is_published_on_stage_ones_report_as_it_stands(
    api: Api, clock: FakeClock, committee: None
) -> None:
    stage_one = _stage_one(api, clock, "two_stage_one_envelope")
    stage_two = _draft_stage_two(api, clock, stage_one)
    officer = api.login("officer@works")

    def refused(code: str) -> None:
        before = api.event_count()
        assert_problem(api.post(f"/tenders/{stage_two}/publish", officer), 409, code)
        assert api.event_count() == before  # nothing written

    complaint = api.post(
        f"/tenders/{stage_one.id}/complaints",
        api.login("gamma"),
        json={"stage": "final_report", "grounds": "Our plant is 40 km from the site."},
    )
    assert complaint.status_code == 201, complaint.text
    refused("stage_two_held_by_complaint")
    again = api.post(
        f"/tenders/{stage_one.id}/stage-two",
        officer,
        json=tender_json(clock.now(), method="single_stage_one_envelope"),
    )
    assert_problem(again, 409, "stage_two_held_by_complaint")

    upheld = api.post(
        f"/tenders/{stage_one.id}/complaints/{complaint.json()['id']}/decision",
        api.login(GRIEVANCE[0]),
        json={
            "outcome": "upheld",
            "remedy": "reopen_evaluation",
            "reasons": "The plant is 40 km from the site, as gamma's lease shows.",
        },
    )
    assert upheld.status_code == 200, upheld.text
    refused("report_not_final")  # the report is withdrawn
    reinstated = stage_one.act(
        MEMBERS[0],
        {"action": "reinstate", "bid_id": stage_one.bids["gamma"], "reason": "Plant at 40 km."},
    )
    assert reinstated.status_code == 200, reinstated.text
    stage_one.finalise()
    refused("stage_two_held_by_complaint")  # the new report's complaint period runs
    _past_the_report_complaint_period(api, clock, stage_two)
    officer = api.login("officer@works")
    refused("invited_vendors_changed")  # the draft invites alpha and beta, not gamma

    redrafted = api.post(
        f"/tenders/{stage_one.id}/stage-two",
        officer,
        json=tender_json(clock.now(), method="single_stage_one_envelope"),
    )
    assert redrafted.status_code == 201, redrafted.text
    assert redrafted.json()["id"] == stage_two
    terms = api.client.get(f"/tenders/{stage_two}", headers=officer).json()["terms"]
    assert sorted(terms["invited_names"]) == [
        "alpha (Pvt) Ltd",
        "beta (Pvt) Ltd",
        "gamma (Pvt) Ltd",
    ]
    published = api.post(f"/tenders/{stage_two}/publish", officer)
    assert published.status_code == 200, published.text
    assert _public(api, stage_one.id, published.json()["read_token"])["status"] == "completed"


def test_a_price_sealed_into_a_stage_one_proposal_is_never_published(
    api: Api, clock: FakeClock, committee: None, settings: Settings
) -> None:
    officer = api.login("officer@works")
    notice = tender_json(clock.now(), method="two_stage_one_envelope", bid_security=None)
    drafted = api.post("/tenders", officer, json=notice)
    assert drafted.status_code == 201, drafted.text
    published = api.post(f"/tenders/{drafted.json()['id']}/publish", officer)
    assert published.status_code == 200, published.text
    stage_one = Scenario.published(api, clock, drafted.json()["id"])
    [key] = stage_one.page(published.json()["read_token"])["sealing"]
    # Sealed on the vendor's machine, the proposal is not read before the opening.
    priced = json.dumps(offer("4271913.00", security=False)).encode()
    envelope = sealing.seal(
        key["public_key"], UUID(stage_one.id), account_id_for("alpha"), EnvelopeName.BID, priced
    )
    sealed = api.post(
        f"/tenders/{stage_one.id}/bids",
        api.register_vendor("alpha"),
        json={"envelopes": [{"name": "bid", "ciphertext": envelope.ciphertext}]},
    )
    assert sealed.status_code == 201, sealed.text
    stage_one.bid("beta", PROPOSAL)
    clock.set(stage_one.deadline + timedelta(minutes=31))
    opening = api.post(f"/tenders/{stage_one.id}/opening", api.login("officer@works"))
    assert opening.status_code == 200, opening.text
    page = stage_one.page(opening.json()["read_token"])
    opened = {bid["vendor_name"]: bid for bid in page["opening"]["bids"]}
    assert opened["alpha (Pvt) Ltd"]["status"] == "opened"
    assert opened["alpha (Pvt) Ltd"]["prices"] == []
    assert "4271913" not in json.dumps(page)
    releases = _releases_of(api, f"{settings.ocid_prefix}-{stage_one.id}")
    assert "4271913" not in json.dumps(releases)
    # The audit re-opens the proposal and agrees with the record that lists no price.
    auditor = api.login("auditor@sindh")
    _wait(api, auditor, opening.json()["position"])
    key = api.client.get("/public/keys").json()["receipt_signing_key"]["public_key"]
    report = audit.verify(api.client.get("/audit/export", headers=auditor).text.splitlines(), key)
    assert report.ok, report.problems
    assert report.bids_rechecked == 2


def test_stage_one_that_qualifies_a_bidder_is_not_unsuccessful_in_ocds(
    api: Api, clock: FakeClock, committee: None, settings: Settings
) -> None:
    stage_one = _stage_one(api, clock, "two_stage_two_envelope")  # its report: evaluated
    compiled = _record_is_valid(api, f"{settings.ocid_prefix}-{stage_one.id}")
    assert compiled["tender"]["status"] == "active"
