"""The paged rebuild (``procurement/jobs/rebuild.py``) against the live runners: row for row the
same read models, OCDS releases to the byte, whatever the page size."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from domain.account import account_id_for
from domain.award import ContractPeriod
from domain.bid import BidContents, BidSecurityOffer, LotPrice
from domain.documents import DocumentChange, DocumentChanges, DocumentKind, FileFacts, MediaType
from domain.plan import AmendmentKind, PlanLine, ProcurementPlan, fiscal_year_of
from domain.securities import Instrument
from domain.values import (
    Category,
    FrameworkPeriod,
    FrameworkTerms,
    Method,
    Money,
    PlanLineRef,
    Role,
)
from procurement.commands.application import ProcurementApplication
from procurement.jobs import rebuild, runners
from procurement.jobs.projection_runner import ProjectionJob
from procurement.settings import Settings
from procurement.store.database import eventsourcing_env
from projections.ocds import rebuild_pages
from projections.ocds.releases_projection import TABLES as OCDS_TABLES
from projections.public_tenders import TABLES as PUBLIC_TABLES
from tests.integration.test_public_grievances import grievance_history
from tests.integration.test_public_projection import _as, _evaluated_history, _history
from tests.support import FakeClock, officer, terms

# Every column as text, so that a release (json, served as written) is compared byte for
# byte and not as parsed JSON.
QUERIES = {
    table: f"SELECT t::text FROM {table} t ORDER BY 1"  # noqa: S608 (fixed names)
    for table in (*PUBLIC_TABLES, *OCDS_TABLES)
}


def _file(name: str) -> FileFacts:
    """A file as the document store would have measured it (the events need only that)."""
    return FileFacts(
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        size=len(name),
        media_type=MediaType.PDF,
        file_name=f"{name}.pdf",
    )


def _documents_history(application: ProcurementApplication, clock: FakeClock) -> int:
    """A tender published with documents (one of kind "other"), amended to replace one,
    withdraw one and add one."""
    works = officer("wsd")
    ids = [uuid4() for _ in range(4)]
    kinds = (DocumentKind.BIDDING_DOCUMENT, DocumentKind.DRAWING, DocumentKind.OTHER)
    tender = application.draft_tender(works, terms(clock.now(), reference="D"))
    added = tuple(
        DocumentChange(
            action="add",
            document_id=key,
            kind=kind,
            title=f"Document {n}",
            language="en",
            file=_file(str(n)),
        )
        for n, (key, kind) in enumerate(zip(ids, kinds, strict=False))
    )
    application.change_draft_documents(works, tender.id, DocumentChanges(items=added), None)
    application.publish_tender(works, tender.id, None)
    changes = (
        DocumentChange(action="replace", document_id=ids[0], file=_file("revised")),
        DocumentChange(action="withdraw", document_id=ids[1]),
        DocumentChange(
            action="add",
            document_id=ids[3],
            kind=DocumentKind.SPECIFICATION,  # (minutes come only by their own command)
            title="Specification",
            language="ur",
            file=_file("minutes"),
        ),
    )
    amended = application.amend_tender(
        works, tender.id, "Addendum 1", None, None, documents=DocumentChanges(items=changes)
    )
    return amended.position


def _securities_history(application: ProcurementApplication, clock: FakeClock) -> int:
    """After ``_evaluated_history`` (its accounts): a tender asking a 10% performance
    security, opened with two bids whose securities are recorded; an extension v.alpha
    accepts and v.beta declines; v.alpha awarded, its performance security recorded, and
    v.beta's bid security released."""
    works = _as("proc.officer@wsd")
    tender = application.draft_tender(
        works, terms(clock.now(), reference="S", performance_security_percent=Decimal(10))
    )
    application.publish_tender(works, tender.id, None)
    offer = BidSecurityOffer(
        instrument="pay_order", issuer="NBP", amount=Money(amount=Decimal(200000))
    )
    bids = {
        username: application.submit_bid(
            _as(username, Role.VENDOR),
            tender.id,
            BidContents(
                prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(price))),),
                bid_security=offer,
            ),
        ).id
        for username, price in (("v.alpha", "900000"), ("v.beta", "950000"))
    }
    clock.set(clock.now() + timedelta(days=20, minutes=31))
    application.open_bids(works, tender.id, None)

    def instrument(amount: str) -> Instrument:
        money = Money(amount=Decimal(amount))
        return Instrument(bank="NBP", reference="PO-1", amount=money, confirmed_at=clock.now())

    for username in bids:
        application.record_bid_security(
            works, tender.id, account_id_for(username), instrument("200000")
        )
    ends = terms(clock.now()).timeline.submission_deadline + timedelta(days=120)
    application.request_validity_extension(works, tender.id, ends, "The audit is late.")
    application.answer_validity_extension(
        _as("v.alpha", Role.VENDOR), tender.id, accepted=True, instrument=instrument("200000")
    )
    application.answer_validity_extension(
        _as("v.beta", Role.VENDOR), tender.id, accepted=False, instrument=None
    )
    application.start_evaluation(
        works, tender.id, ["m.one@wsd", "m.two@wsd", "m.three@wsd"], "m.one@wsd"
    )
    for member in ("m.one@wsd", "m.two@wsd", "m.three@wsd"):
        application.declare_interests(_as(member), tender.id, conflict=False, statement="")
    application.finalise_evaluation(_as("m.one@wsd"), tender.id)
    award = application.award_tender(works, tender.id, bids["v.alpha"], "")
    application.record_performance_security(works, award.id, instrument("90000"))
    return application.release_bid_security(works, tender.id, account_id_for("v.beta")).position


def _tender_to_report(
    application: ProcurementApplication, clock: FakeClock, tender_id: Any, prices: dict[str, str]
) -> dict[str, Any]:
    """A published tender bid on at ``prices`` (vendor: amount), opened, reported: its bids."""
    works = _as("proc.officer@wsd")
    bids = {
        username: application.submit_bid(
            _as(username, Role.VENDOR),
            tender_id,
            BidContents(prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(price))),)),
        ).id
        for username, price in prices.items()
    }
    clock.set(clock.now() + timedelta(days=20, minutes=31))
    application.open_bids(works, tender_id, None)
    members = ["m.one@wsd", "m.two@wsd", "m.three@wsd"]
    application.start_evaluation(works, tender_id, members, "m.one@wsd")
    for member in members:
        application.declare_interests(_as(member), tender_id, conflict=False, statement="")
    application.finalise_evaluation(_as("m.one@wsd"), tender_id)
    return bids


def _framework_history(application: ProcurementApplication, clock: FakeClock) -> int:
    """After ``_evaluated_history`` (its accounts): a framework awarded to v.alpha and
    v.beta, both agreements signed; a direct order to v.beta; a mini-competition between
    them, awarded to v.alpha (docs/frameworks.md)."""
    works = _as("proc.officer@wsd")
    period = FrameworkPeriod(start=clock.now(), end=clock.now() + timedelta(days=365))
    ceiling = Money(amount=Decimal(5_000_000))
    framework = FrameworkTerms(max_suppliers=2, period=period, ceiling=ceiling)
    tender = application.draft_tender(
        works, terms(clock.now(), reference="F", bid_security=None, framework=framework)
    )
    application.publish_tender(works, tender.id, None)
    bids = _tender_to_report(
        application, clock, tender.id, {"v.alpha": "900000", "v.beta": "950000"}
    )
    awards = [application.award_tender(works, tender.id, bids[v], "") for v in bids]
    clock.set(clock.now() + timedelta(days=8))
    for award, value in zip(awards, ("900000", "950000"), strict=True):
        signed = ContractPeriod(start=clock.now(), end=clock.now() + timedelta(days=300))
        application.sign_contract(works, award.id, Money(amount=Decimal(value)), signed)
    application.place_direct_order(
        works,
        tender.id,
        account_id_for("v.beta"),
        "Culverts",
        "",
        Money(amount=Decimal(1000)),
        "Urgent repairs",
    )
    mini = application.draft_mini_competition(
        works, tender.id, terms(clock.now(), reference="F-1", bid_security=None)
    )
    application.publish_tender(works, mini.id, None)
    mini_bids = _tender_to_report(
        application, clock, mini.id, {"v.alpha": "800000", "v.beta": "850000"}
    )
    return application.award_tender(works, mini.id, mini_bids["v.alpha"], "").position


def _plan_history(application: ProcurementApplication, clock: FakeClock) -> None:
    """An entity's plan published with two lines, one of them withdrawn; a tender citing
    the other. (Another entity than the other histories': its tenders then need a line.)"""
    planner = officer("planning-department")
    year = fiscal_year_of(clock.now())
    plan = ProcurementPlan(
        entity="planning-department", fiscal_year=year, actor=planner, timestamp=clock.now()
    )
    for line_id in ("L1", "L2"):
        line = PlanLine(
            id=line_id,
            description=f"Line {line_id}",
            category=Category.WORKS,
            estimated_value=Money(amount=Decimal("10000000.00")),
            method=Method.SINGLE_STAGE_ONE_ENVELOPE,
            quarter=2,
        )
        plan.draft_line(line=line, actor=planner, timestamp=clock.now())
    plan.publish(
        fiscal_year=year, lines=list(plan.lines.values()), actor=planner, timestamp=clock.now()
    )
    plan.amend(
        number=1,
        kind=AmendmentKind.WITHDRAW,
        line_id="L2",
        line=None,
        reason="Funds cut",
        actor=planner,
        timestamp=clock.now(),
    )
    application._save(plan)
    cited = terms(clock.now(), reference="P").model_copy(
        update={"plan_line": PlanLineRef(fiscal_year=year, line_id="L1")}
    )
    tender = application.draft_tender(planner, cited)
    application.publish_tender(planner, tender.id, None)


@pytest.fixture
def live(settings: Settings) -> Iterator[list[ProjectionJob]]:
    with ExitStack() as stack:
        yield runners.start_runners(
            eventsourcing_env(settings.dsn, 2), stack, runners.ocds_context(settings)
        )


def _snapshot(dsn: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(dsn) as conn:
        return {table: conn.execute(query).fetchall() for table, query in QUERIES.items()}


def _tracking(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return [
            *conn.execute("SELECT * FROM public_tenders_tracking").fetchall(),
            *conn.execute("SELECT * FROM ocds_releases_tracking").fetchall(),
        ]


@pytest.mark.parametrize("page_size", [1, 2, 7, 5_000])
def test_a_paged_rebuild_equals_the_live_read_models_row_for_row(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    live: list[ProjectionJob],
    page_size: int,
) -> None:
    _history(application, clock)
    _documents_history(application, clock)
    grievance_history(application, clock)
    _plan_history(application, clock)
    _evaluated_history(application, clock)
    _securities_history(application, clock)
    position = _framework_history(application, clock)
    for runner in live:
        runner.wait(position, timeout=20)
        runner.stop()
    expected = _snapshot(settings.dsn)
    assert all(expected[table] for table in QUERIES)  # every table has rows to compare
    tracked = _tracking(settings.dsn)

    replayed = rebuild.rebuild(
        eventsourcing_env(settings.dsn, 2),
        runners.projections(runners.ocds_context(settings)),
        page_size=page_size,
    )

    assert replayed == position
    assert _snapshot(settings.dsn) == expected
    assert _tracking(settings.dsn) == tracked


def test_the_rebuild_reports_progress_and_tracks_events_no_read_model_shows(
    application: ProcurementApplication, settings: Settings, clock: FakeClock
) -> None:
    position = _history(application, clock)  # ends with a draft: shown by no read model
    seen: list[tuple[int, int]] = []
    replayed = runners.rebuild(
        eventsourcing_env(settings.dsn, 2),
        lambda done, total: seen.append((done, total)),
        runners.ocds_context(settings),
    )
    assert replayed == position
    assert seen[-1] == (position, position)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert _tracking(settings.dsn) == [("procurement", position), ("procurement", position)]


def test_a_state_read_back_in_memory_is_what_jsonb_gives_back(settings: Settings) -> None:
    """The paged rebuild applies an OCDS process's events to its state in memory; the live
    view stores the state as jsonb and reads it back between events. Same keys in the same
    order, same numbers."""
    state = {
        "tender": {"zz": 1, "a": [1.5, 1e16, 1.5e-7, 2.0, 10**20], "bb": {"yy": None, "é": "x"}},
        "ocid": "ocds-x",
        "_private": {"questions": {"b": "?", "aa": "?"}},
        "ü": True,
        "z": 12345678.9,
    }
    with psycopg.connect(settings.dsn) as conn:
        row = conn.execute("SELECT %s::jsonb", (json.dumps(state),)).fetchone()
    assert row is not None
    from_jsonb = row[0]
    # The text is only ever parsed again: what counts is its parse, keys in the same order.
    assert json.dumps(json.loads(rebuild_pages.stored_text(state))) == json.dumps(from_jsonb)
    assert json.dumps(
        rebuild_pages.state_from_text(rebuild_pages.stored_text(state))
    ) == json.dumps(from_jsonb)
