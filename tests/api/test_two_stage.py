"""Two-stage tendering through HTTP with real tokens (docs/two-stage.md): a tender that
follows another and takes bids from its invited vendors alone, and a two-stage procurement
end to end."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.account import account_id_for
from domain.values import Actor, RelatedProcess, Relationship, Role, TenderTerms
from procurement.settings import Settings
from tests.api.conftest import ENTITY, Api
from tests.api.scenarios import Scenario, offer
from tests.api.test_bad_input import assert_problem
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
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    first = Scenario(api, clock)
    for vendor in ("alpha", "beta"):
        api.register_vendor(vendor)
    related = RelatedProcess(tender_id=UUID(first.id), relationship=Relationship.PRIOR)
    terms = api.application.follow_on_terms(
        TenderTerms.model_validate(tender_json(clock.now(), reference="WSD/RD/2026/002")),
        related,
        [account_id_for("alpha")],
    )
    follow_on = str(api.application.draft_tender(_officer(), terms).id)
    officer = api.login("officer@works")
    # Officers do not type them: the application fills them in.
    typed_fields: dict[str, Any] = {
        "related": related.model_dump(mode="json"),
        "invited_vendors": [],
    }
    for field, value in typed_fields.items():
        typed = api.post("/tenders", officer, json=tender_json(clock.now(), **{field: value}))
        problem = assert_problem(typed, 422, "validation_failed")
        assert problem["errors"][0]["loc"][-1] == field
    published = api.post(f"/tenders/{follow_on}/publish", officer)
    assert published.status_code == 200, published.text

    before = api.event_count()
    refused = api.post(
        f"/tenders/{follow_on}/bids", api.login("beta"), json={"contents": offer("9000000.00")}
    )
    assert_problem(refused, 403, "vendor_not_invited")
    upload = api.client.post(
        f"/tenders/{follow_on}/bids/documents",
        params={"file_name": "offer.pdf"},
        headers={**api.login("beta"), "Content-Type": "application/pdf"},
        content=b"%PDF-1.4 beta's offer",
    )
    assert_problem(upload, 403, "vendor_not_invited")
    assert api.event_count() == before  # nothing written
    accepted = api.post(
        f"/tenders/{follow_on}/bids", api.login("alpha"), json={"contents": offer("9000000.00")}
    )
    assert accepted.status_code == 201, accepted.text
    # The parent, open to every vendor, still takes beta's bid.
    assert (
        api.post(
            f"/tenders/{first.id}/bids", api.login("beta"), json={"contents": offer("9100000.00")}
        ).status_code
        == 201
    )

    page = _public(api, follow_on, published.json()["read_token"])
    assert page["related"] == {"tender_id": first.id, "relationship": "prior"}
    assert page["invited_vendors"] == [
        {"id": str(account_id_for("alpha")), "name": "alpha (Pvt) Ltd"}
    ]
    assert _public(api, first.id, published.json()["read_token"])["invited_vendors"] is None

    ocid = f"{settings.ocid_prefix}-{follow_on}"
    [release, *_] = _releases_of(api, ocid)
    assert release["relatedProcesses"] == [
        {
            "id": "1",
            "relationship": ["prior"],
            "scheme": "ocid",
            "identifier": f"{settings.ocid_prefix}-{first.id}",
        }
    ]
    assert release["tender"]["procurementMethod"] == "selective"
    compiled: dict[str, Any] = _record_is_valid(api, ocid)
    assert compiled["relatedProcesses"][0]["identifier"].endswith(first.id)
