"""The ledger on PostgreSQL: leaves over every stored event, signed checkpoints that stay
consistent, history replay, and tampering found by both verifiers at the right position."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.cli import app as cli
from domain.account import VendorProfile, account_id_for
from domain.bid import (
    Bid,
    BidContents,
    BidSecurityOffer,
    EnvelopeName,
    LotPrice,
    SealedBid,
    bid_id_for,
)
from domain.opening import OpenedBid, OpenedStatus
from domain.tender import Tender
from domain.values import Actor, Money, Role
from procurement.audit import export as audit_export
from procurement.audit import history, merkle
from procurement.audit import verify as audit
from procurement.audit.ledger import LedgerError, checkpoint_fields, event_leaf
from procurement.audit.verify_report import Report
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.crypto import hpke as sealing
from procurement.crypto import receipts
from procurement.jobs.ledger_writer import LedgerWriter
from procurement.settings import Settings
from tests.support import FakeClock, terms

# The ledger the writer signs for (settings.ledger_origin): an export's header names it.
ORIGIN = Settings.model_fields["ledger_origin"].default

OFFICER = Actor(
    account_id=account_id_for("l.officer@wsd"), role=Role.OFFICER, request_id="t", entity="wsd"
)


def _vendor(name: str) -> Actor:
    return Actor(account_id=account_id_for(name), role=Role.VENDOR, request_id="t")


def _history(application: ProcurementApplication, clock: FakeClock) -> UUID:
    """Accounts, a tender with bids (one replaced, one withdrawn) opened in public."""
    system = system_actor("test")
    application.register_account(
        system, username="l.officer@wsd", password="pw-123456789", role=Role.OFFICER, entity="wsd"
    )
    for name in ("l.alpha", "l.beta", "l.gamma"):
        application.register_account(
            system,
            username=name,
            password="pw-123456789",
            role=Role.VENDOR,
            vendor=VendorProfile(legal_name=name, ntn="1234567-8", contact_email="a@b.example"),
        )
    tender = application.draft_tender(OFFICER, terms(clock.now()))
    application.publish_tender(OFFICER, tender.id, None)
    security = BidSecurityOffer(
        instrument="pay_order", issuer="NBP", amount=Money(amount=Decimal(200000))
    )
    for name, price in (("l.alpha", "900000"), ("l.beta", "950000"), ("l.gamma", "990000")):
        application.submit_bid(
            _vendor(name),
            tender.id,
            BidContents(
                prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(price))),),
                bid_security=security,
            ),
        )
    application.replace_bid(
        _vendor("l.beta"),
        tender.id,
        BidContents(prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(940000))),)),
    )
    application.withdraw_bid(_vendor("l.gamma"), tender.id)
    clock.set(clock.now() + timedelta(days=20, minutes=31))
    application.open_bids(OFFICER, tender.id, None)
    return tender.id


@pytest.fixture
def writer(
    settings: Settings, application: ProcurementApplication, clock: FakeClock
) -> LedgerWriter:
    return LedgerWriter(
        dsn=settings.dsn,
        signer=application.signer,
        clock=clock,
        origin=settings.ledger_origin,
        checkpoint_interval=3600,
    )


def _verified(
    application: ProcurementApplication, writer: LedgerWriter, tender_id: UUID
) -> tuple[Report, int]:
    """The ledger caught up, the store exported and verified: the report, and the position of
    the tender's last event (its opening, in ``_history``)."""
    writer.catch_up()
    key = application.signer.public_key
    report = audit.verify(audit_export.database_lines(writer.dsn, key, ORIGIN), key)
    return report, history.events_of(application, tender_id)[-1]["position"]


def _rows(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM procurement_events ORDER BY notification_id"
        ).fetchall()


def _checkpoints(dsn: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn:
        return [
            row[0]
            for row in conn.execute("SELECT checkpoint FROM ledger_checkpoints ORDER BY tree_size")
        ]


def test_every_event_is_a_leaf_and_checkpoints_are_signed_and_consistent(
    settings: Settings,
    application: ProcurementApplication,
    clock: FakeClock,
    writer: LedgerWriter,
) -> None:
    tender_id = _history(application, clock)
    rows = _rows(settings.dsn)
    assert writer.catch_up() == len(rows)
    leaves = [event_leaf(int(r[0]), r[1], int(r[2]), r[3], bytes(r[4])) for r in rows]
    [first] = _checkpoints(settings.dsn)  # the first is signed at once; then the opening's
    assert first["tree_size"] == len(rows)
    assert first["root"] == merkle.root(leaves).hex()
    assert receipts.verify(application.signer.public_key, first)

    # An amendment-free tender event later: no checkpoint until the interval, or an opening.
    application.cancel_tender(
        OFFICER, application.draft_tender(OFFICER, terms(clock.now())).id, "x", None
    )
    writer.catch_up()
    assert len(_checkpoints(settings.dsn)) == 1
    between = audit.verify(
        audit_export.database_lines(settings.dsn, application.signer.public_key, ORIGIN),
        application.signer.public_key,
    )  # events after the latest checkpoint are normal: counted, not failed
    assert between.ok, between.problems
    assert (between.covered, between.uncovered) == (len(rows), len(_rows(settings.dsn)) - len(rows))
    assert between.first_uncovered == int(_rows(settings.dsn)[len(rows)][0])
    clock.advance(timedelta(hours=2))
    writer.catch_up()
    second = _checkpoints(settings.dsn)[-1]
    assert second["tree_size"] == len(_rows(settings.dsn))
    all_leaves = [
        event_leaf(int(r[0]), r[1], int(r[2]), r[3], bytes(r[4])) for r in _rows(settings.dsn)
    ]
    merkle.verify_consistency(
        first["tree_size"],
        second["tree_size"],
        bytes.fromhex(first["root"]),
        bytes.fromhex(second["root"]),
        merkle.consistency_proof(all_leaves, first["tree_size"]),
    )

    report = audit.verify(
        audit_export.database_lines(settings.dsn, application.signer.public_key, ORIGIN),
        application.signer.public_key,
    )
    assert report.ok, report.problems
    assert (report.checkpoints, report.openings, report.bids_rechecked) == (2, 1, 2)
    assert report.leaves == len(all_leaves)
    assert (report.covered, report.uncovered, report.first_uncovered) == (len(all_leaves), 0, None)
    assert tender_id


def test_a_checkpoint_is_never_signed_inconsistent_with_the_last(
    settings: Settings,
    application: ProcurementApplication,
    clock: FakeClock,
    writer: LedgerWriter,
) -> None:
    _history(application, clock)
    writer.catch_up()
    before = _checkpoints(settings.dsn)
    with psycopg.connect(settings.dsn) as conn:  # someone rewrites a leaf in the ledger
        conn.execute("UPDATE ledger_leaves SET leaf_hash = %s WHERE leaf_index = 2", (b"x" * 32,))
    application.draft_tender(OFFICER, terms(clock.now()))
    clock.advance(timedelta(hours=2))
    with pytest.raises(LedgerError):
        writer.catch_up()
    assert _checkpoints(settings.dsn) == before


def _rewrite_the_last_event(dsn: str) -> int:
    """The reviewer's tail rewrite: edit the last event's state, recompute its leaf and the
    ledger's frontier, so that every leaf agrees with its event. Returns its position."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM procurement_events ORDER BY notification_id DESC LIMIT 1"
        ).fetchone()
        assert row is not None
        position, aggregate, version, topic, state = row
        forged = bytes(state) + b" "
        conn.execute(
            "UPDATE procurement_events SET state = %s WHERE notification_id = %s",
            (forged, position),
        )
        conn.execute(
            "UPDATE ledger_leaves SET leaf_hash = %s WHERE position = %s",
            (event_leaf(position, aggregate, version, topic, forged), position),
        )
        frontier = merkle.Frontier()
        for (leaf,) in conn.execute("SELECT leaf_hash FROM ledger_leaves ORDER BY leaf_index"):
            frontier.append(bytes(leaf))
        conn.execute("UPDATE ledger_state SET frontier = %s", (frontier.hashes,))
    return int(position)


def test_a_tail_rewritten_after_deleting_the_newest_checkpoint_is_shown_and_never_signed(
    settings: Settings,
    application: ProcurementApplication,
    clock: FakeClock,
    writer: LedgerWriter,
) -> None:
    key = application.signer.public_key
    _history(application, clock)
    writer.catch_up()
    application.draft_tender(OFFICER, terms(clock.now()))
    clock.advance(timedelta(hours=2))
    writer.catch_up()
    first, second = _checkpoints(settings.dsn)
    with psycopg.connect(settings.dsn) as conn:
        conn.execute("DELETE FROM ledger_checkpoints WHERE tree_size = %s", (second["tree_size"],))
    position = _rewrite_the_last_event(settings.dsn)

    # The export alone: every leaf agrees, but the rewritten event is not covered, and says so.
    report = audit.verify(audit_export.database_lines(settings.dsn, key, ORIGIN), key)
    assert (report.covered, report.uncovered) == (first["tree_size"], 1)
    assert report.first_uncovered == position
    # The auditor who kept the deleted checkpoint sees the rewrite.
    pinned = audit.verify(audit_export.database_lines(settings.dsn, key, ORIGIN), key, second)
    assert pinned.problems == [
        (
            position,
            (
                f"the export is inconsistent with the pinned checkpoint {second['tree_size']}: "
                f"its first {second['tree_size']} leaves do not give the pinned root"
            ),
        )
    ]
    assert audit.verify(audit_export.database_lines(settings.dsn, key, ORIGIN), key, first).ok

    # The writer does not sign over the rewrite: it knows it signed a larger tree.
    writer.checkpoint_interval = 0
    application.draft_tender(OFFICER, terms(clock.now()))
    assert writer.catch_up() == 1  # it still hashes new events
    assert _checkpoints(settings.dsn) == [first]
    expected = (
        f"the ledger signed checkpoint {second['tree_size']} but the newest stored is "
        f"{first['tree_size']}: signed history is missing, nothing is signed"
    )
    assert writer.refusal == expected  # its job fails with it (test_job_failures.py)

    # Every checkpoint deleted: the export is not ok, and the writer still refuses.
    with psycopg.connect(settings.dsn) as conn:
        conn.execute("DELETE FROM ledger_checkpoints")
    bare = audit.verify(audit_export.database_lines(settings.dsn, key, ORIGIN), key)
    assert bare.first_problem == (1, "no signed checkpoint covers the events: nothing is signed")
    assert (bare.covered, bare.uncovered) == (0, bare.events)
    writer.run_once()
    assert _checkpoints(settings.dsn) == []
    assert writer.refusal is not None
    assert "the newest stored is none" in writer.refusal


@pytest.mark.parametrize(
    "case",
    [("l.alpha", "was live at the opening"), ("l.gamma", "was withdrawn before the opening")],
)
def test_a_bid_left_out_of_the_opening_record_is_found(
    application: ProcurementApplication,
    clock: FakeClock,
    writer: LedgerWriter,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, str],
) -> None:
    """The opening reads the bids from the store; one that misses a bid (here the reading is
    made to skip one vendor's) writes a record the verifier must not accept."""
    left_out, what = case
    skipped = account_id_for(left_out)
    bids_on = application._bids_on  # the step a faulty opening would get wrong
    monkeypatch.setattr(
        application,
        "_bids_on",
        lambda tender_id: [b for b in bids_on(tender_id) if b.vendor_id != skipped],
    )
    tender_id = _history(application, clock)
    report, opening = _verified(application, writer, tender_id)
    bid_id = bid_id_for(tender_id, skipped)
    assert report.problems == [(opening, f"bid {bid_id} {what} but is not in its record")]
    assert report.openings == 1


@pytest.mark.parametrize("renamed", [False, True])
def test_a_valid_bid_marked_unreadable_at_the_opening_is_found(
    application: ProcurementApplication,
    clock: FakeClock,
    writer: LedgerWriter,
    monkeypatch: pytest.MonkeyPatch,
    renamed: bool,
) -> None:
    """An opening that marks a bid which opens (to valid contents) unreadable, its prices
    emptied, writes a record the verifier must not accept: it opens every such bid again, bound
    to the vendor of the bid's own submission (``renamed``: the record names another, which
    would make the envelope fail to open if the verifier took the record's word for it)."""
    hidden = account_id_for("l.alpha")
    opened = application._opened  # the step a faulty opening would get wrong

    def faulty(tender: Tender, bid: Bid, private: bytes) -> OpenedBid:
        result = opened(tender, bid, private)
        if bid.vendor_id != hidden:
            return result
        return result.model_copy(
            update={
                "status": OpenedStatus.UNREADABLE,
                "prices": (),
                "bid_security": None,
                "security_sufficient": None,
                "problem": "the envelope does not open with this tender's key",
                **({"vendor_id": account_id_for("l.beta")} if renamed else {}),
            }
        )

    monkeypatch.setattr(application, "_opened", faulty)
    tender_id = _history(application, clock)
    report, opening = _verified(application, writer, tender_id)
    bid_id = bid_id_for(tender_id, hidden)
    assert report.problems == [
        *([(opening, f"bid {bid_id}: the record names another vendor")] if renamed else []),
        (opening, f"bid {bid_id} was marked unreadable but opens with the released key"),
    ]
    assert (report.openings, report.bids_rechecked) == (1, 2)


def test_a_released_key_that_is_not_the_published_one_is_found(
    application: ProcurementApplication,
    clock: FakeClock,
    writer: LedgerWriter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An opening that releases another key than the tender's (every bid then unreadable,
    as nothing opens with it): the released key's public half is not the published one."""
    other = X25519PrivateKey.generate().private_bytes_raw()
    monkeypatch.setattr(sealing, "unwrap", lambda *_: other)
    tender_id = _history(application, clock)
    record = application._load(Tender, tender_id).opening
    assert record is not None
    assert {bid.status for bid in record.bids} == {OpenedStatus.UNREADABLE, OpenedStatus.WITHDRAWN}
    report, opening = _verified(application, writer, tender_id)
    assert report.problems == [
        (
            opening,
            f"tender {tender_id}: the released key of envelope bid is not the one it published",
        )
    ]


def test_bids_that_are_truly_unreadable_are_not_a_problem(
    application: ProcurementApplication, clock: FakeClock, writer: LedgerWriter
) -> None:
    """The honest opening's export verifies, with bids that really are unreadable in it: one
    sealed for another vendor (the ``info`` binding fails), one whose contents are not a bid,
    one whose prices break the tender's rules (a lot it does not have), all sealed on the
    vendors' machines."""
    _history(application, clock)
    application.register_account(
        system_actor("test"),
        username="l.delta",
        password="pw-123456789",
        role=Role.VENDOR,
        vendor=VendorProfile(legal_name="l.delta", ntn="1234567-8", contact_email="d@b.example"),
    )
    writer.catch_up()
    key = application.signer.public_key
    assert audit.verify(audit_export.database_lines(writer.dsn, key, ORIGIN), key).ok

    tender = application.draft_tender(OFFICER, terms(clock.now()))
    application.publish_tender(OFFICER, tender.id, None)
    keys = application._load(Tender, tender.id).sealing_keys
    assert keys is not None
    [public] = [k.public_key for k in keys.keys]
    plain = BidContents(prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(1))),))
    no_such_lot = BidContents(prices=(LotPrice(lot_id="9", price=Money(amount=Decimal(1))),))
    for name, vendor, contents in (
        ("l.alpha", _vendor("l.beta").account_id, plain.model_dump_json().encode()),
        ("l.beta", _vendor("l.beta").account_id, b'{"not": "a bid"}'),
        ("l.gamma", _vendor("l.gamma").account_id, plain.model_dump_json().encode()),
        ("l.delta", _vendor("l.delta").account_id, no_such_lot.model_dump_json().encode()),
    ):
        envelope = sealing.seal(public, tender.id, vendor, EnvelopeName.BID, contents)
        application.submit_bid(_vendor(name), tender.id, SealedBid(envelopes=(envelope,)))
    clock.set(clock.now() + timedelta(days=20, minutes=31))
    application.open_bids(OFFICER, tender.id, None)
    record = application._load(Tender, tender.id).opening
    assert record is not None
    assert [bid.status for bid in record.bids].count(OpenedStatus.UNREADABLE) == 3
    writer.catch_up()
    report = audit.verify(audit_export.database_lines(writer.dsn, key, ORIGIN), key)
    assert report.ok, report.problems
    assert (report.openings, report.bids_rechecked) == (2, 6)  # the unreadable ones tried too


def test_the_state_at_every_version_is_the_fold_of_its_events(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = _history(application, clock)
    events = history.events_of(application, tender_id)
    assert [e["type"] for e in events] == [
        "TenderDrafted",
        "TenderPublished",
        "BiddingClosed",  # the opening closes bidding first
        "BidsOpened",
    ]
    assert events[0]["actor"]["account_id"] == str(OFFICER.account_id)
    stored: list[Any] = [
        application.mapper.to_domain_event(s) for s in application.recorder.select_events(tender_id)
    ]
    folded: Any = None
    for version, event in enumerate(stored, start=1):
        folded = event.mutate(folded)
        assert isinstance(folded, Tender)
        as_of = history.state_as_of(application, tender_id, version=version)
        expected = {
            k: history.jsonable(v) for k, v in vars(folded).items() if not k.startswith("_")
        }
        assert as_of["state"] == expected
        assert as_of["version"] == version
    moment = stored[1].timestamp
    assert history.state_as_of(application, tender_id, at=moment)["version"] == 2
    account = history.state_as_of(application, account_id_for("l.alpha"))
    assert account["state"]["password_hash"] == history.REDACTED


def test_the_state_at_any_moment_is_the_last_version_that_happened_by_then(
    application: ProcurementApplication, clock: FakeClock
) -> None:
    tender_id = _history(application, clock)
    times = [
        application.mapper.to_domain_event(s).timestamp  # type: ignore[attr-defined]
        for s in application.recorder.select_events(tender_id)
    ]
    clock_ticks = sorted({*times, *(t + timedelta(microseconds=1) for t in times)})
    for moment in clock_ticks:
        expected = max(v for v, t in enumerate(times, start=1) if t <= moment)
        assert history.state_as_of(application, tender_id, at=moment)["version"] == expected
    with pytest.raises(history.StreamNotFoundError, match="did not exist yet"):
        history.state_as_of(application, tender_id, at=times[0] - timedelta(microseconds=1))
    with pytest.raises(history.StreamNotFoundError, match="versions 1 to 4"):
        history.state_as_of(application, tender_id, version=5)
    with pytest.raises(history.StreamNotFoundError):
        history.state_as_of(application, uuid4())


# Tampering ---------------------------------------------------------------------------------


def _tamper(conn: psycopg.Connection[Any], kind: str, position: int, other: int) -> int:
    """Change the event table directly; return the position a verifier must name."""
    if kind == "update":
        conn.execute(
            "UPDATE procurement_events SET state = set_byte(state, 3, get_byte(state, 3) # 1) "
            "WHERE notification_id = %s",
            (position,),
        )
        return position
    if kind == "delete":
        conn.execute("DELETE FROM procurement_events WHERE notification_id = %s", (position,))
        return position
    if kind == "swap":
        low, high = sorted((position, other))
        for old, new in ((low, -1), (high, low), (-1, high)):
            conn.execute(
                "UPDATE procurement_events SET notification_id = %s WHERE notification_id = %s",
                (new, old),
            )
        return low
    # insert: shift the rows from `position` up by one and forge an event in the gap
    conn.execute(
        "UPDATE procurement_events SET notification_id = notification_id + 1000000 "
        "WHERE notification_id >= %s",
        (position,),
    )
    conn.execute(
        "UPDATE procurement_events SET notification_id = notification_id - 999999 "
        "WHERE notification_id >= 1000000"
    )
    conn.execute(
        "INSERT INTO procurement_events (originator_id, originator_version, topic, state, "
        "notification_id) VALUES (%s, 1, 'procurement:Tender.TenderDrafted', %s, %s)",
        (uuid4(), b"{}", position),
    )
    return position


@pytest.fixture
def ledgered(
    settings: Settings, application: ProcurementApplication, clock: FakeClock, writer: LedgerWriter
) -> tuple[str, str, int]:
    _history(application, clock)
    writer.catch_up()
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS events_backup")
        conn.execute("CREATE TABLE events_backup AS SELECT * FROM procurement_events")
        count = conn.execute("SELECT max(notification_id) FROM procurement_events").fetchone()
    assert count is not None
    return settings.dsn, application.signer.public_key, int(count[0])


@settings(
    max_examples=16,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_tampering_is_found_at_its_position_by_both_verifiers(
    ledgered: tuple[str, str, int], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    dsn, key, last = ledgered
    kind = data.draw(st.sampled_from(["update", "delete", "swap", "insert"]))
    position = data.draw(st.integers(1, last))
    other = data.draw(st.integers(1, last).filter(lambda p: p != position))
    with psycopg.connect(dsn, autocommit=True) as conn:
        expected = _tamper(conn, kind, position, other)
    try:
        live = audit.verify(audit_export.database_lines(dsn, key, ORIGIN), key)
        assert live.first_problem is not None, kind
        assert live.first_problem[0] == expected, (kind, live.problems)
        export = tmp_path_factory.mktemp("export") / "audit.jsonl"
        export.write_text("".join(audit_export.database_lines(dsn, key, ORIGIN)), encoding="utf-8")
        offline = audit.verify(export.read_text(encoding="utf-8").splitlines(), key)
        assert offline.first_problem == live.first_problem
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DELETE FROM procurement_events")
            conn.execute("INSERT INTO procurement_events SELECT * FROM events_backup")
    assert audit.verify(audit_export.database_lines(dsn, key, ORIGIN), key).ok


def _cli_env(dsn: str, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The environment of a `procurement audit` run on this store."""
    return {
        "DATABASE_URL": dsn,
        "PROCUREMENT_DATA_DIR": str(tmp_path / "data"),
        "PROCUREMENT_SIGNING_KEY": settings.signing_key.get_secret_value()
        if settings.signing_key
        else "",
    }


def test_the_command_line_exports_and_verifies(
    ledgered: tuple[str, str, int], settings: Settings, tmp_path: Path
) -> None:
    dsn, key, _ = ledgered
    env = _cli_env(dsn, settings, tmp_path)
    runner = CliRunner()
    exported = runner.invoke(cli, ["audit", "export", str(tmp_path / "a.jsonl")], env=env)
    assert exported.exit_code == 0, exported.output
    ok = runner.invoke(
        cli, ["audit", "verify", str(tmp_path / "a.jsonl"), "--public-key", key], env=env
    )
    assert ok.exit_code == 0, ok.output
    assert "verified" in ok.output
    assert runner.invoke(cli, ["audit", "verify", "--database"], env=env).exit_code == 0

    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    checkpoint = json.loads(lines[-1])
    checkpoint["root"] = "00" * 32
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join([*lines[:-1], json.dumps(checkpoint)]), encoding="utf-8")
    failed = runner.invoke(cli, ["audit", "verify", str(forged), "--public-key", key], env=env)
    assert failed.exit_code == 1
    assert "FAILED at position" in failed.output
    other_key = base64.b64encode(bytes(32)).decode()
    wrong = runner.invoke(
        cli, ["audit", "verify", str(tmp_path / "a.jsonl"), "--public-key", other_key], env=env
    )
    assert wrong.exit_code == 1


def test_the_command_line_verifies_against_a_pinned_checkpoint(
    ledgered: tuple[str, str, int],
    settings: Settings,
    application: ProcurementApplication,
    tmp_path: Path,
) -> None:
    dsn, key, last = ledgered
    env = _cli_env(dsn, settings, tmp_path)
    runner = CliRunner()
    export = tmp_path / "a.jsonl"
    assert runner.invoke(cli, ["audit", "export", str(export)], env=env).exit_code == 0
    [kept] = _checkpoints(dsn)  # as GET /audit/checkpoints/latest gives it
    pinned = tmp_path / "kept.json"
    pinned.write_text(json.dumps(kept), encoding="utf-8")
    verify = ["audit", "verify", str(export), "--public-key", key, "--checkpoint", str(pinned)]
    ok = runner.invoke(cli, verify, env=env)
    assert ok.exit_code == 0, ok.output
    said = " ".join(ok.output.split())  # the console wraps long lines
    assert f"{last} events covered by the latest signed checkpoint, none after it" in said
    assert f"consistent with the pinned checkpoint {kept['tree_size']}" in said
    database = ["audit", "verify", "--database", "--checkpoint", str(pinned)]
    assert runner.invoke(cli, database, env=env).exit_code == 0

    # A checkpoint signed over another history of the same size: this export does not extend it.
    other = application.signer.sign(
        checkpoint_fields("o", kept["tree_size"], bytes(32), datetime.fromisoformat(kept["time"]))
    )
    pinned.write_text(json.dumps(other), encoding="utf-8")
    failed = runner.invoke(cli, verify, env=env)
    assert failed.exit_code == 1
    said = " ".join(failed.output.split())
    assert f"FAILED at position {last}: the export is inconsistent with the pinned" in said
    assert runner.invoke(cli, database, env=env).exit_code == 1
