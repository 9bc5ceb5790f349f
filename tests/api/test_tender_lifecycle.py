"""An officer drafts, edits, publishes, amends and cancels a tender through HTTP while the
public list follows; a vendor asks, the officer answers, the public reads the answer."""

from __future__ import annotations

from datetime import timedelta

from domain.account import account_id_for
from tests.api.conftest import Api
from tests.support import TRANSLATIONS_JSON, FakeClock, tender_json


def test_the_whole_lifecycle_through_http(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    drafted = api.post("/tenders", officer, json=tender_json(clock.now()))
    assert drafted.status_code == 201, drafted.text
    tender_id = drafted.json()["id"]
    assert drafted.json()["version"] == 1

    # Drafts are not public.
    listing = api.client.get(f"/public/tenders?read_token={drafted.json()['read_token']}")
    assert listing.json()["total"] == 0

    edited = api.client.patch(
        f"/tenders/{tender_id}",
        headers={**officer, "If-Match": '"1"'},
        json={"title": "Road rehabilitation, km 12 to 27"},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2

    published = api.post(f"/tenders/{tender_id}/publish", {**officer, "If-Match": "2"})
    assert published.status_code == 200, published.text
    token = published.json()["read_token"]

    listing = api.client.get(f"/public/tenders?read_token={token}").json()
    assert [t["id"] for t in listing["items"]] == [tender_id]
    assert listing["items"][0]["title"] == "Road rehabilitation, km 12 to 27"
    assert listing["items"][0]["estimated_value"] == {"amount": "10000000.00", "currency": "PKR"}

    vendor = api.register_vendor("indus.builders")
    asked = api.post(f"/tenders/{tender_id}/questions", vendor, json={"text": "Which quarry?"})
    assert asked.status_code == 201, asked.text
    question_id = asked.json()["id"]
    answered = api.post(
        f"/tenders/{tender_id}/questions/{question_id}/answer",
        officer,
        json={"answer": "Any quarry meeting the specification."},
    )
    assert answered.status_code == 200, answered.text

    detail = api.client.get(
        f"/public/tenders/{tender_id}?read_token={answered.json()['read_token']}"
    ).json()
    assert detail["questions"] == [
        {
            "id": question_id,
            "question": "Which quarry?",
            "asked_at": detail["questions"][0]["asked_at"],
            "answer": "Any quarry meeting the specification.",
            "answered_at": detail["questions"][0]["answered_at"],
        }
    ]
    assert "indus" not in str(detail)  # the asker is never disclosed
    officers_view = api.client.get(f"/tenders/{tender_id}", headers=officer).json()
    assert [set(q) for q in officers_view["questions"]] == [  # nor to the officers
        {"id", "text", "asked_at", "answer", "answered_at"}
    ]
    assert str(account_id_for("indus.builders")) not in str(officers_view)

    clock.advance(timedelta(days=1))
    officer = api.login("officer@works")  # the first token has expired meanwhile
    deadline = clock.now() + timedelta(days=25)
    amended = api.post(
        f"/tenders/{tender_id}/amendments",
        officer,
        json={
            "text": "Addendum 1: deadline extended.",
            "timeline": {
                "clarification_deadline": (deadline - timedelta(days=7)).isoformat(),
                "submission_deadline": deadline.isoformat(),
                "opening_time": (deadline + timedelta(minutes=30)).isoformat(),
            },
        },
    )
    assert amended.status_code == 201, amended.text
    detail = api.client.get(
        f"/public/tenders/{tender_id}?read_token={amended.json()['read_token']}"
    ).json()
    assert detail["amendments"][0]["number"] == 1
    assert detail["timeline"]["submission_deadline"] == deadline.isoformat().replace("+00:00", "Z")

    cancelled = api.post(
        f"/tenders/{tender_id}/cancel", officer, json={"reason": "Budget withdrawn"}
    )
    assert cancelled.status_code == 200, cancelled.text
    listing = api.client.get(
        f"/public/tenders?status=cancelled&read_token={cancelled.json()['read_token']}"
    ).json()
    assert [t["id"] for t in listing["items"]] == [tender_id]
    assert api.client.get("/public/tenders?status=active").json()["total"] == 0


def test_the_public_list_filters_and_pages(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    last = ""
    for n, (category, title) in enumerate(
        [("works", "School building"), ("goods", "Medicines"), ("services", "Cleaning")]
    ):
        body = tender_json(clock.now(), category=category, title=title, reference=f"R-{n}")
        tender_id = api.post("/tenders", officer, json=body).json()["id"]
        last = api.post(f"/tenders/{tender_id}/publish", officer).json()["read_token"]
    api.client.get(f"/public/tenders?read_token={last}")

    goods = api.client.get("/public/tenders?category=goods").json()
    assert [t["title"] for t in goods["items"]] == ["Medicines"]
    text = api.client.get("/public/tenders?q=clean").json()
    assert [t["title"] for t in text["items"]] == ["Cleaning"]
    entity = api.client.get("/public/tenders?entity=health-department").json()
    assert entity["total"] == 0
    page = api.client.get("/public/tenders?limit=2&offset=2").json()
    assert (page["total"], len(page["items"])) == (3, 1)
    wildcard = api.client.get("/public/tenders?q=%25").json()
    assert wildcard["total"] == 0  # a literal percent sign, not a wildcard


def test_health_ready_and_the_openapi_document(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
    accounts = api.client.app.state.read_tokens.issue(api.event_count())  # the fixture's
    api.client.get(f"/public/tenders?read_token={accounts}")
    ready = api.client.get("/ready").json()
    assert ready["status"] == "ready"
    assert ready["projections"] == {"public_tenders": "current", "ocds_releases": "current"}
    assert "position" not in str(ready)  # no event counts in public
    spec = api.client.get("/schema/openapi.json").json()
    for path in (
        "/auth/token",
        "/vendors/register",
        "/tenders",
        "/tenders/{tender_id}",
        "/tenders/{tender_id}/publish",
        "/tenders/{tender_id}/amendments",
        "/tenders/{tender_id}/cancel",
        "/tenders/{tender_id}/questions",
        "/tenders/{tender_id}/questions/{question_id}/answer",
        "/public/tenders",
        "/public/tenders/{tender_id}",
        "/health",
        "/ready",
    ):
        assert path in spec["paths"], path


def test_the_public_notice_shows_its_english_urdu_and_sindhi_texts(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    # A draft without its Sindhi text is not published, and stays out of public view.
    body = tender_json(clock.now(), translations={"ur": TRANSLATIONS_JSON["ur"]})
    tender_id = api.post("/tenders", officer, json=body).json()["id"]
    refused = api.post(f"/tenders/{tender_id}/publish", officer)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "notice_translation_missing"
    assert "Sindhi" in refused.json()["detail"]
    own = api.client.get(f"/tenders/{tender_id}", headers=officer).json()
    assert own["status"] == "draft"
    assert own["version"] == 1

    # The officer adds the Sindhi text (an edit replaces the translations whole) ...
    sindhi = {"title": "پل جي مرمت", "description": "روهڙي ڪئنال پل جي مرمت"}
    edited = api.client.patch(
        f"/tenders/{tender_id}",
        headers=officer,
        json={"translations": {**body["translations"], "sd": sindhi}},
    )
    assert edited.status_code == 200, edited.text
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text

    # ... and the public reads the notice in all three languages.
    detail = api.client.get(
        f"/public/tenders/{tender_id}?read_token={published.json()['read_token']}"
    ).json()
    assert detail["title"] == body["title"]
    assert detail["description"] == body["description"]
    assert detail["translations"] == {"ur": TRANSLATIONS_JSON["ur"], "sd": sindhi}
    assert detail["rules"]["notice_languages"] == ["en", "ur", "sd"]


def test_a_request_for_quotations_is_published_in_english_alone(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    body = tender_json(
        clock.now(),
        method="request_for_quotations",
        estimated_value={"amount": "1000000.00", "currency": "PKR"},
        bid_security=None,
        translations={},
    )
    tender_id = api.post("/tenders", officer, json=body).json()["id"]
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text
    detail = api.client.get(
        f"/public/tenders/{tender_id}?read_token={published.json()['read_token']}"
    ).json()
    assert detail["translations"] == {}
