"""Open data through HTTP: every release and record package of full scenarios validates
against the official OCDS 1.1.5 schemas offline, uses the codelists, matches the public view,
never shows anything sealed before the opening, and the feed neither skips nor repeats."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ocdsmerge
import pytest
from jsonschema import Draft4Validator
from ocdsmerge.merge import get_merge_rules
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from typer.testing import CliRunner

from api.cli import app
from procurement.settings import Settings
from projections.ocds.merge_rules import MERGE_RULES
from tests.api.conftest import Api
from tests.api.scenarios import FAILING_PRICE, MEMBERS, Scenario, offer
from tests.api.test_documents import PDF, PNG, add, draft, uploaded, xlsx
from tests.reference_data import reference
from tests.support import TRANSLATIONS_JSON, FakeClock, tender_json

OCDS = reference("ocds-1.1.5")
SCHEMA_BASE = "https://standard.open-contracting.org/schema/"
SCHEMA_URLS = {
    SCHEMA_BASE + "1__1__5/release-schema.json": "release-schema.json",
    SCHEMA_BASE + "1__2__0/record-schema.json": "record-schema.json",
    SCHEMA_BASE + "1__1__5/versioned-release-validation-schema.json": (
        "versioned-release-validation-schema.json"
    ),
}
CANARY = "977777.77"  # a price: absent from every release before the opening
PLATFORM_ROLES = frozenset({"guarantor"})
"""Party roles of the platform's own in the open partyRole codelist: a performance
security's bank (projections/ocds/securities.py)."""
GUARANTEED_OBLIGATIONS = frozenset(
    {"fulfillment", "prepaid", "latentDefects", "confidentiality", "quality"}
)
"""The guarantees extension's guaranteedObligations codelist (not downloadable here: its
codes as its documentation lists them)."""


def _load(name: str) -> Any:
    return json.loads((OCDS / name).read_text(encoding="utf-8"))


@cache
def validator(package: str) -> Draft4Validator:
    """The package schema, its references to the release (and record) schemas resolved to the
    local files: validation needs no network."""
    registry: Registry[Any] = Registry().with_resources(
        (url, Resource.from_contents(_load(name), default_specification=DRAFT4))
        for url, name in SCHEMA_URLS.items()
    )
    return Draft4Validator(_load(package), registry=registry)


@cache
def codelist(name: str) -> frozenset[str]:
    with (OCDS / "codelists" / f"{name}.csv").open(encoding="utf-8") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle))


def assert_valid(package: dict[str, Any], schema: str) -> None:
    errors = sorted(validator(schema).iter_errors(package), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def assert_codelists(release: dict[str, Any]) -> None:
    """Closed codelists are in the schema; these are checked here too, with the open ones."""
    assert set(release["tag"]) <= codelist("releaseTag")
    assert release["initiationType"] in codelist("initiationType")
    tender = release.get("tender", {})
    assert tender["status"] in codelist("tenderStatus")
    assert tender["procurementMethod"] in codelist("method")
    assert tender["mainProcurementCategory"] in codelist("procurementCategory")
    assert tender["awardCriteria"] in codelist("awardCriteria")
    assert set(tender["submissionMethod"]) <= codelist("submissionMethod")
    for party in release["parties"]:
        assert set(party["roles"]) <= codelist("partyRole") | PLATFORM_ROLES
    documents = tender["documents"] + [
        d for award in release.get("awards", []) for d in award["documents"]
    ]
    for document in documents:  # a document of kind "other" has no code, and no documentType
        assert document.get("documentType", "biddingDocuments") in codelist("documentType")
    for award in release.get("awards", []):
        assert award["status"] in codelist("awardStatus")
    for contract in release.get("contracts", []):
        assert contract["status"] in codelist("contractStatus")
        for guarantee in contract.get("guarantees", []):
            assert guarantee["obligations"] in GUARANTEED_OBLIGATIONS
    for moment in _dates(release):
        assert datetime.fromisoformat(moment).tzinfo is not None


def _dates(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and (key == "date" or key.endswith(("Date", "dSigned"))):
                yield value
            else:
                yield from _dates(value)
    elif isinstance(node, list):
        for value in node:
            yield from _dates(value)


def follow(api: Api, after: int = 0, limit: int = 7) -> list[dict[str, Any]]:
    """Every release from ``after`` on, following the ``next`` links page by page."""
    releases: list[dict[str, Any]] = []
    url = f"/ocds/releases?after={after}&limit={limit}"
    while True:
        page = api.client.get(url)
        assert page.status_code == 200, page.text
        package = page.json()
        assert_valid(package, "release-package-schema.json")
        if not package["releases"]:
            return releases
        releases.extend(package["releases"])
        parts = urlsplit(package["links"]["next"])
        url = f"{parts.path}?{parts.query}"
        assert page.headers["link"] == f'<{package["links"]["next"]}>; rel="next"'


def wait_for_ocds(api: Api) -> None:
    for _ in range(500):
        ready = api.client.get("/ready").json()
        if ready["projections"]["ocds_releases"] == "current":
            return
        threading.Event().wait(0.02)
    pytest.fail("the OCDS projection did not catch up")


def _scenarios(api: Api, clock: FakeClock) -> tuple[list[dict[str, Any]], list[str]]:
    """Three tenders to their ends; returns the releases seen before the first opening and
    the tenders' ids."""
    start = clock.now()
    # A least-cost tender: a question answered, an addendum, a bid without security, a
    # complaint dismissed, a contract.
    cheap = Scenario(api, clock)
    question = api.post(
        f"/tenders/{cheap.id}/questions",
        api.register_vendor("asker"),
        json={"text": "Is the quarry specified?"},
    )
    api.post(
        f"/tenders/{cheap.id}/questions/{question.json()['id']}/answer",
        cheap.token("officer@works"),
        json={"answer": "Any quarry meeting the specification."},
    )
    api.post(
        f"/tenders/{cheap.id}/amendments",
        cheap.token("officer@works"),
        json={"text": "Addendum 1: revised bill of quantities."},
    )
    cheap.bid("alpha", offer("900000.00", security=False))
    cheap.bid("beta", offer(CANARY))
    cheap.bid("gamma", offer("1100000.00"))
    wait_for_ocds(api)
    before_opening = follow(api)
    assert before_opening
    cheap.open()
    cheap.declare(*MEMBERS)
    cheap.finalise()
    award = cheap.award("beta")
    complaint = cheap.complain(award, "alpha", "Our guarantee came by courier")
    cheap.decide(award, complaint.json()["id"], outcome="dismissed", reasons="Late security.")
    clock.set(clock.now() + timedelta(days=10))  # the standstill and the appeal period
    assert cheap.sign(award, CANARY).status_code == 201  # the contract's value is the award's

    # A two-envelope QCBS tender: a failing bid's price never decrypted.
    clock.set(start)
    qcbs = Scenario(
        api,
        clock,
        method="single_stage_two_envelope",
        evaluation={
            "method": "qcbs",
            "criteria": [{"id": "plan", "name": "Work plan", "max_score": 100}],
            "technical_weight": "70",
            "financial_weight": "30",
        },
    )
    qcbs.bid("alpha", offer("1200000.00"))
    qcbs.bid("gamma", offer(FAILING_PRICE))
    qcbs.open()
    qcbs.declare(*MEMBERS)
    for member in MEMBERS:
        for vendor, points in (("alpha", 90), ("gamma", 20)):
            scored = qcbs.act(
                member,
                {
                    "action": "score",
                    "bid_id": qcbs.bids[vendor],
                    "scores": [{"criterion_id": "plan", "score": points, "justification": "j"}],
                },
            )
            assert scored.status_code == 200, scored.text
    opened = api.post(f"/tenders/{qcbs.id}/financial-opening", qcbs.token(MEMBERS[0]))
    assert opened.status_code == 200, opened.text
    qcbs.finalise()
    first = qcbs.award("alpha")
    qcbs.uphold(
        first,
        qcbs.complain(first, "gamma", "The scoring was unfair").json()["id"],
        remedy="cancel_award",
        reasons="One member's scores were not justified.",
    )

    # A cancelled tender.
    clock.set(start)
    dropped = Scenario(api, clock)
    last = api.post(
        f"/tenders/{dropped.id}/cancel",
        dropped.token("officer@works"),
        json={"reason": "Budget withdrawn"},
    )
    assert last.status_code == 200
    wait_for_ocds(api)
    return before_opening, [cheap.id, qcbs.id, dropped.id]


@pytest.mark.usefixtures("committee")
def test_full_scenarios_give_valid_releases_and_records_that_match_the_public_view(
    api: Api, clock: FakeClock, settings: Settings, tmp_path: Path
) -> None:
    before_opening, tender_ids = _scenarios(api, clock)
    releases = follow(api)
    positions = [int(r["id"].rsplit("-", 1)[1]) for r in releases]
    assert positions == sorted(positions)
    assert len({r["id"] for r in releases}) == len(releases)
    tags = {tag for r in releases for tag in r["tag"]}
    assert {"tender", "tenderAmendment", "tenderUpdate", "tenderCancellation", "award"} <= tags
    assert {"awardUpdate", "awardCancellation", "contract"} <= tags
    for release in releases:
        assert_codelists(release)
        assert FAILING_PRICE not in json.dumps(release)
    # Each notice in English, Urdu and Sindhi: OCDS language variants (field_language).
    notices = [r["tender"] for r in releases if r["tag"] == ["tender"]]
    assert len(notices) == len(tender_ids)
    for notice in notices:
        assert notice["title_ur"] == TRANSLATIONS_JSON["ur"]["title"]
        assert notice["title_sd"] == TRANSLATIONS_JSON["sd"]["title"]
        assert notice["description_ur"] == TRANSLATIONS_JSON["ur"]["description"]
        assert notice["description_sd"] == TRANSLATIONS_JSON["sd"]["description"]

    # Before the opening: nothing sealed, no count of bids.
    for release in before_opening:
        text = json.dumps(release)
        assert CANARY not in text
        assert "bids" not in release
        assert "tenderers" not in release["tender"]
        assert "numberOfTenderers" not in release["tender"]

    for tender_id in tender_ids:
        ocid = f"{settings.ocid_prefix}-{tender_id}"
        answer = api.client.get(f"/ocds/records/{ocid}")
        assert answer.status_code == 200, answer.text
        package = answer.json()
        assert_valid(package, "record-package-schema.json")
        [record] = package["records"]
        compiled = record["compiledRelease"]
        public = api.client.get(f"/public/tenders/{tender_id}").json()
        assert_matches_public_view(compiled, public)
        again = api.client.get(
            f"/ocds/records/{ocid}", headers={"If-None-Match": answer.headers["etag"]}
        )
        assert again.status_code == 304

    _check_export(settings, tmp_path, [r["id"] for r in releases])


def _check_export(settings: Settings, tmp_path: Path, release_ids: list[str]) -> None:
    """The bulk export writes the same releases, in the same order, and valid packages."""
    exported = CliRunner().invoke(
        app,
        ["ocds", "export", str(tmp_path / "ocds"), "--page-size", "5"],
        env={"DATABASE_URL": settings.dsn, "PROCUREMENT_DATA_DIR": str(tmp_path / "data")},
    )
    assert exported.exit_code == 0, exported.output
    files = sorted((tmp_path / "ocds" / "releases").glob("*.json"))
    exported_ids = []
    for path in files:
        package = json.loads(path.read_text(encoding="utf-8"))
        assert_valid(package, "release-package-schema.json")
        exported_ids += [r["id"] for r in package["releases"]]
    assert exported_ids == release_ids
    for path in (tmp_path / "ocds" / "records").glob("*.json"):
        assert_valid(json.loads(path.read_text(encoding="utf-8")), "record-package-schema.json")
    assert len(list((tmp_path / "ocds" / "records").glob("*.json"))) == 3
    # Again into the same folder, with another page size: refused, the first export intact
    # (its pages would otherwise mix with the new ones).
    again = CliRunner().invoke(
        app,
        ["ocds", "export", str(tmp_path / "ocds"), "--page-size", "50"],
        env={"DATABASE_URL": settings.dsn, "PROCUREMENT_DATA_DIR": str(tmp_path / "data")},
    )
    assert again.exit_code == 2
    assert "empty folder" in again.output
    assert sorted((tmp_path / "ocds" / "releases").glob("*.json")) == files


OCDS_STATUS = {
    "active": "active",
    "closed": "active",
    "opened": "active",
    "evaluation": "active",
    "evaluated": "active",
    "awarded": "active",
    "unsuccessful": "unsuccessful",
    "contracted": "complete",
    "cancelled": "cancelled",
}
AWARD_STATUS = {"standstill": "pending", "cancelled": "cancelled", "contracted": "active"}


def _amount(money: dict[str, str]) -> float:
    return float(money["amount"])


def assert_matches_public_view(compiled: dict[str, Any], public: dict[str, Any]) -> None:
    tender = compiled["tender"]
    assert tender["id"] == public["id"]
    assert tender["title"] == public["title"]
    for language, text in public["translations"].items():
        assert tender[f"title_{language}"] == text["title"]
        assert tender[f"description_{language}"] == (text["description"] or text["title"])
    assert tender["status"] == OCDS_STATUS[public["status"]]
    # Every lot goes the tender's way (they stayed "active" after it was cancelled or done).
    assert {lot["status"] for lot in tender["lots"]} == {tender["status"]}
    assert tender["value"]["amount"] == _amount(public["estimated_value"])
    assert tender["tenderPeriod"]["endDate"] == public["timeline"]["submission_deadline"]
    assert tender["enquiryPeriod"]["endDate"] == public["timeline"]["clarification_deadline"]
    assert compiled["buyer"]["id"] == public["entity"]
    assert len(tender.get("amendments", [])) == len(public["amendments"])
    answered = [d for d in tender["documents"] if d["documentType"] == "clarifications"]
    assert [d["description"] for d in answered] == [q["answer"] for q in public["questions"]]
    assert [d["title"] for d in answered] == [q["question"] for q in public["questions"]]
    if public["opening"] is None:
        assert "bids" not in compiled
    else:
        submitted = [b for b in public["opening"]["bids"] if b["status"] != "withdrawn"]
        assert tender["numberOfTenderers"] == len(submitted)
        assert {d["id"] for d in compiled["bids"]["details"]} == {
            b["bid_id"] for b in public["opening"]["bids"]
        }
    reports = (public["evaluation"] or {}).get("reports", [])
    documents = {d["id"]: d for d in tender["documents"]}
    for report in reports:  # each report's published digest is its canonical JSON's
        recorded = {k: v for k, v in report.items() if k != "finalised_at"}
        canonical = json.dumps(recorded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        assert documents[f"evaluation-report-{report['number']}"]["description"].endswith(digest)
    awards = {a["id"]: a for a in compiled.get("awards", [])}
    assert set(awards) == {a["id"] for a in public["awards"]}
    for mine in public["awards"]:
        theirs = awards[mine["id"]]
        assert theirs["status"] == AWARD_STATUS[mine["status"]]
        assert theirs["value"]["amount"] == _amount(mine["value"])
        assert theirs["suppliers"] == [mine["supplier"]]
    contracts = compiled.get("contracts", [])
    signed = [a for a in public["awards"] if a["contract"]]
    assert [c["awardID"] for c in contracts] == [a["id"] for a in signed]
    for contract, award in zip(contracts, signed, strict=True):
        assert contract["value"]["amount"] == _amount(award["contract"]["value"])


def test_the_feed_neither_skips_nor_repeats_while_tenders_are_published(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    done = threading.Event()
    published: list[str] = []

    def publish() -> None:
        try:
            for n in range(12):
                body = tender_json(clock.now(), reference=f"FEED/{n}", title=f"Feed test {n}")
                drafted = api.post("/tenders", officer, json=body)
                api.post(f"/tenders/{drafted.json()['id']}/publish", officer)
                published.append(drafted.json()["id"])
        finally:
            done.set()

    writer = threading.Thread(target=publish)
    writer.start()
    seen: list[dict[str, Any]] = []
    after = 0
    while True:
        # Checked before the read: if the writer had finished and the projection had caught
        # up, an empty page means the follower has everything.
        settled = done.is_set() and (
            api.client.get("/ready").json()["projections"]["ocds_releases"] == "current"
        )
        page = api.client.get(f"/ocds/releases?after={after}&limit=3").json()
        seen.extend(page["releases"])
        after = int(parse_qs(urlsplit(page["links"]["next"]).query)["after"][0])
        if settled and not page["releases"]:
            break
    writer.join()
    ids = [r["id"] for r in seen]
    assert len(ids) == len(set(ids)) == 12  # one "tender" release per publication
    positions = [int(i.rsplit("-", 1)[1]) for i in ids]
    assert positions == sorted(positions)
    assert {r["tender"]["id"] for r in seen} == set(published)
    assert follow(api) == seen
    first = api.client.get("/ocds/releases?after=0&limit=5")
    cached = api.client.get(
        "/ocds/releases?after=0&limit=5", headers={"If-None-Match": first.headers["etag"]}
    )
    assert (cached.status_code, cached.content) == (304, b"")
    assert api.client.get("/ocds/releases?after=0&limit=4").headers["etag"] != first.headers["etag"]


def test_the_merge_rules_are_the_schemas() -> None:
    assert get_merge_rules(_load("release-schema.json")) == MERGE_RULES
    assert ocdsmerge.Merger(merge_rules=MERGE_RULES).merge_rules == MERGE_RULES


def _releases_of(api: Api, ocid: str) -> list[dict[str, Any]]:
    """The process's releases from the feed, once the projection has caught up (every
    package validated by ``follow``)."""
    wait_for_ocds(api)
    releases = [r for r in follow(api) if r["ocid"] == ocid]
    for release in releases:
        assert_codelists(release)
    return releases


def _files(release: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The entries of the tender's own documents, by id (not the notice's entry and such)."""
    return {
        d["id"]: d
        for d in release["tender"]["documents"]
        if "/public/documents/" in d.get("url", "")
    }


def _hash(entry: dict[str, Any]) -> str:
    description: str = entry["description"]
    note, digest = description.rsplit("SHA-256 of the file: ", 1)
    assert note
    return digest


def _listed(api: Api, tender_id: str, token: str) -> dict[str, dict[str, Any]]:
    """GET /public/tenders/{id}/documents: each document's current version and whether it
    is withdrawn, by id."""
    answer = api.client.get(f"/public/tenders/{tender_id}/documents", params={"read_token": token})
    assert answer.status_code == 200, answer.text
    return {
        d["document_id"]: {**d["versions"][-1], "withdrawn": d["withdrawn_at"] is not None}
        for d in answer.json()["documents"]
    }


def _event_hashes(api: Api, tender_id: str) -> list[str]:
    """Every SHA-256 the tender's events record, as an auditor reads them."""
    auditor = api.login("auditor@sindh")
    events = api.client.get(f"/audit/streams/{tender_id}/events", headers=auditor).json()
    text = json.dumps(events["events"])
    return sorted(set(re.findall(r'"sha256": "([0-9a-f]{64})"', text)))


def test_a_tenders_documents_are_in_its_releases_with_the_hashes_of_its_events(
    api: Api, clock: FakeClock, settings: Settings
) -> None:
    officer = api.login("officer@works")
    files = [
        uploaded(api, officer, PDF, "SBD.pdf"),
        uploaded(api, officer, xlsx(), "BOQ.xlsx"),
        uploaded(api, officer, PNG, "site plan.png"),
        uploaded(api, officer, PDF + b"% photos", "photos.pdf"),
    ]
    tender_id = draft(api, officer, clock)
    changes = [
        add(files[0], "bidding_document", "Standard bidding document"),
        add(files[1], "bill_of_quantities", "Bill of quantities"),
        add(files[2], "drawing", "Site plan"),
        add(files[3], "other", "Site photographs"),
    ]
    attached = api.post(f"/tenders/{tender_id}/documents", officer, json={"changes": changes})
    assert attached.status_code == 200, attached.text
    sbd, boq, plan, photos = attached.json()["added"]
    clock.advance(timedelta(minutes=5))
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text
    ocid = f"{settings.ocid_prefix}-{tender_id}"

    [notice] = _releases_of(api, ocid)
    entries = _files(notice)
    assert list(entries) == [sbd, boq, plan, photos]  # in the notice's order, after its own
    listed = _listed(api, tender_id, published.json()["read_token"])
    assert {k: _hash(v) for k, v in entries.items()} == {k: v["sha256"] for k, v in listed.items()}
    assert sorted(_hash(e) for e in entries.values()) == _event_hashes(api, tender_id)
    assert [entries[k].get("documentType") for k in (sbd, boq, plan, photos)] == [
        "biddingDocuments",
        "billOfQuantity",
        "illustration",
        None,
    ]
    assert entries[boq]["format"] == listed[boq]["media_type"]
    assert entries[sbd]["url"] == f"{settings.base_url}/public/documents/{sbd}?version=1"
    assert {e["datePublished"] for e in entries.values()} == {notice["date"]}

    revised = uploaded(api, officer, PDF + b"% revised\n", "SBD rev 1.pdf")
    clock.advance(timedelta(hours=1))
    officer = api.login("officer@works")  # the first token has expired
    amendment = {
        "text": "Addendum 1: revised bidding document; the site plan is withdrawn",
        "documents": {
            "changes": [
                {
                    "action": "replace",
                    "document_id": sbd,
                    "sha256": revised["sha256"],
                    "file_name": revised["file_name"],
                },
                {"action": "withdraw", "document_id": plan},
            ]
        },
    }
    amended = api.post(f"/tenders/{tender_id}/amendments", officer, json=amendment)
    assert amended.status_code == 201, amended.text

    _, after = _releases_of(api, ocid)
    assert after["tag"] == ["tenderAmendment"]
    entries = _files(after)
    listed = _listed(api, tender_id, amended.json()["read_token"])
    assert {k: _hash(v) for k, v in entries.items()} == {k: v["sha256"] for k, v in listed.items()}
    assert _hash(entries[sbd]) == revised["sha256"]
    assert sorted({_hash(e) for e in entries.values()} | {files[0]["sha256"]}) == (
        _event_hashes(api, tender_id)
    )
    assert entries[sbd]["url"] == f"{settings.base_url}/public/documents/{sbd}?version=2"
    assert (entries[sbd]["datePublished"], entries[sbd]["dateModified"]) == (
        notice["date"],
        after["date"],
    )
    assert listed[plan]["withdrawn"]
    assert entries[plan]["description"].startswith(f"Withdrawn by amendment 1 on {after['date']}.")
    assert _hash(entries[plan]) == files[2]["sha256"]
    for key in (sbd, plan):  # each entry's address downloads the bytes its hash names
        address = urlsplit(entries[key]["url"])
        got = api.client.get(f"{address.path}?{address.query}")
        assert got.status_code == 200, got.text
        assert hashlib.sha256(got.content).hexdigest() == _hash(entries[key])
    [said] = after["tender"]["amendments"]
    assert said["description"] == (
        f'{amendment["text"]}\n\nDocuments: replaced "Standard bidding document" ({sbd}) '
        f'with version 2; withdrew "Site plan" ({plan}).'
    )

    record = api.client.get(f"/ocds/records/{ocid}").json()
    assert_valid(record, "record-package-schema.json")
    compiled = _files(record["records"][0]["compiledRelease"])
    assert compiled == entries
