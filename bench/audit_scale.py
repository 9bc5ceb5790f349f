"""Audit and opening at scale, each beside a baseline measured in the same run.

``.venv/bin/python bench/audit_scale.py [--events 100000] [--versions 10000] [--bids 10000]``
starts its own embedded PostgreSQL in a temporary folder and measures:

- ledger: appending N stored events to the ledger (``LedgerWriter.catch_up``, with its
  checkpoint), exporting them (``audit_export.database_lines``) and verifying the export
  (``audit.verify``), beside a raw SELECT of the same rows;
- any-version rebuild: a tender with V events; ``history.state_as_of_json`` (what the API
  answers) at 30 random versions (median and worst) from the snapshots the worker made, beside
  the same versions replayed from the first event, the worker's time to make them, the first
  answer when none are made, and a raw SELECT of the tender's rows;
- opening: a tender with B sealed bids from B vendors; ``open_bids`` (load every bid, unwrap
  the key, decrypt and check every envelope, record the opening), beside HPKE-opening the same
  B envelopes alone.

The events of the ledger part are synthetic rows (random state bytes, real topics): the ledger
hashes stored bytes whatever they hold. Everything else goes through the application. Prints
a Markdown report and writes it to ``bench/results/audit_scale.md``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.account import Account, VendorProfile
from domain.bid import Bid, BidContents, LotPrice
from domain.tender import Tender
from domain.values import Actor, Money, Role
from procurement.audit import export as audit_export
from procurement.audit import history
from procurement.audit import verify as audit
from procurement.clock import Clock
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.crypto import hpke as sealing
from procurement.crypto.passwords_and_tokens import hash_password
from procurement.crypto.receipts import ReceiptSigner
from procurement.jobs.ledger_writer import LedgerWriter
from procurement.jobs.snapshot_job import Snapshotter
from procurement.store import migrations
from procurement.store.database import eventsourcing_env, start_embedded
from tests.support import START, published_tender, terms

RESULTS = Path(__file__).resolve().parent / "results"
TOPICS = ("procurement:Tender.QuestionAsked", "procurement:Tender.TenderDraftEdited")


class Clockwork:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


BATCH = 100  # aggregates per save: larger pipelines stall psycopg (seen at 2,000)


class BenchError(RuntimeError):
    pass


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _timed(action: object) -> tuple[object, float]:
    started = time.perf_counter()
    result = action()  # type: ignore[operator]
    return result, time.perf_counter() - started


def bench_ledger(dsn: str, events: int, signer: ReceiptSigner) -> list[str]:
    chance = random.Random(1)
    with (
        psycopg.connect(dsn) as conn,
        conn.cursor() as cursor,
        cursor.copy(
            "COPY procurement_events (originator_id, originator_version, topic, state) FROM STDIN"
        ) as copy,
    ):
        for _ in range(events):
            copy.write_row(
                (uuid4(), 1, chance.choice(TOPICS), chance.randbytes(chance.randint(200, 600)))
            )
    writer = LedgerWriter(dsn, signer, Clockwork(START), "bench", checkpoint_interval=0)
    writer.batch_size = 20_000
    appended, append_s = _timed(writer.catch_up)
    if appended != events:
        raise BenchError(f"the ledger appended {appended} of {events} events")
    with psycopg.connect(dsn) as conn:
        _, raw_s = _timed(
            lambda: conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM procurement_events ORDER BY notification_id"
            ).fetchall()
        )
    lines, export_s = _timed(lambda: audit_export.database_lines(dsn, signer.public_key, "bench"))
    report, verify_s = _timed(lambda: audit.verify(lines, signer.public_key))  # type: ignore[arg-type]
    if not report.ok:  # type: ignore[attr-defined]
        raise BenchError(str(report.problems))  # type: ignore[attr-defined]
    size = f"{events:,} events"
    return [
        row(
            "ledger append (hash, store, sign)",
            size,
            f"{append_s:.2f} s",
            f"{events / append_s:,.0f} events/s",
        ),
        row("audit export", size, f"{export_s:.2f} s", f"{events / export_s:,.0f} events/s"),
        row(
            "**audit verify** (leaves, roots, checkpoints)",
            size,
            f"{verify_s:.2f} s",
            f"**{events / verify_s:,.0f} events/s**",
        ),
        row(
            "baseline: raw SELECT of the rows",
            f"{events:,} rows",
            f"{raw_s:.2f} s",
            f"{events / raw_s:,.0f} rows/s",
        ),
    ]


def bench_versions(app: ProcurementApplication, dsn: str, versions: int) -> list[str]:
    works = Actor(account_id=uuid4(), role=Role.OFFICER, request_id="b", entity="wsd")
    tender = published_tender(works)
    asker = Actor(account_id=uuid4(), role=Role.VENDOR, request_id="b")
    while tender.version < versions:
        for _ in range(min(BATCH, versions - tender.version)):
            tender.ask_question(
                question_id=uuid4(), text="Which quarry?", actor=asker, timestamp=START
            )
        app.save(tender)
    # As the API process does once it has started (api/app.py): what is loaded so far is
    # kept out of the collector's full passes, which otherwise walk it during the replay.
    gc.freeze()
    chance = random.Random(2)
    picked = [versions, *chance.sample(range(1, versions), 29)]

    def answers(*, use: bool) -> list[float]:
        # One answer first, untimed: a process's first decode of each kind of value builds
        # its decoder (a pydantic schema takes milliseconds), once per process.
        history.state_as_of_json(app, tender.id, version=versions // 2, snapshots=use)
        samples = []
        for version in picked:
            _, seconds = _timed(
                lambda v=version: history.state_as_of_json(app, tender.id, version=v, snapshots=use)
            )
            samples.append(seconds * 1000)
        return samples

    replayed = answers(use=False)  # the baseline: every answer a fold from the first event
    made, worker_s = _timed(lambda: Snapshotter(app, dsn).run_once())
    snapshotted = answers(use=True)
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM history_snapshots")
        stored = conn.execute(
            "SELECT count(*), coalesce(sum(length(state)), 0) FROM procurement_events "
            "WHERE originator_id = %s",
            (tender.id,),
        ).fetchone()
    _, cold_s = _timed(lambda: history.state_as_of_json(app, tender.id, version=versions))
    with psycopg.connect(dsn) as conn:
        size = conn.execute(
            "SELECT coalesce(sum(length(state)), 0) FROM history_snapshots"
        ).fetchone()
    _, raw_s = _timed(lambda: list(app.recorder.select_events(tender.id)))

    def spread(samples: list[float]) -> str:
        top = [ms for version, ms in zip(picked, samples, strict=True) if version > versions * 0.9]
        return (
            f"median {statistics.median(samples):.1f} ms, worst {max(samples):.1f} ms "
            f"(versions over {versions * 0.9:,.0f}: median {statistics.median(top):.1f} ms)"
        )

    events = f"tender of {versions:,} events"
    snapshot_mb = (size[0] if size else 0) / 1e6
    event_mb = (stored[1] if stored else 0) / 1e6
    return [
        row(
            "**state as of a version** (from snapshots)", events, spread(snapshotted), "30 versions"
        ),
        row(
            "state as of a version, replayed from the first event",
            events,
            spread(replayed),
            "30 versions",
        ),
        row(
            "snapshots made by the worker (`Snapshotter`)",
            events,
            f"{worker_s:.2f} s",
            f"{made} rows, {snapshot_mb:.1f} MB (the events: {event_mb:.1f} MB)",
        ),
        row(
            "first answer with no snapshots made (replays and makes them)",
            events,
            f"{cold_s * 1000:.0f} ms",
            "",
        ),
        row(
            "baseline: raw SELECT of its rows",
            f"{stored[0] if stored else 0:,} rows",
            f"{raw_s * 1000:.0f} ms",
            "",
        ),
    ]


def bench_opening(app: ProcurementApplication, clock: Clockwork, bids: int) -> list[str]:
    works = Actor(account_id=uuid4(), role=Role.OFFICER, request_id="b", entity="wsd")
    tender_id = app.draft_tender(works, terms(clock.now())).id
    app.publish_tender(works, tender_id, None)
    tender = app._load(Tender, tender_id)  # noqa: SLF001 (a benchmark sets up in bulk)
    if tender.sealing_keys is None:
        raise BenchError("the tender has no keys")
    password = hash_password("bench-password-1")
    envelopes = []
    batch: list[object] = []
    for n in range(bids):
        profile = VendorProfile(legal_name=f"Vendor {n}", ntn="1234567-8", contact_email="a@b.c")
        account = Account(
            username=f"bench.vendor{n}",
            role=Role.VENDOR,
            entity=None,
            vendor=profile,
            password_hash=password,
            actor=system_actor("bench"),
            timestamp=clock.now(),
        )
        vendor = Actor(account_id=account.id, role=Role.VENDOR, request_id="b")
        contents = BidContents(prices=(LotPrice(lot_id="1", price=Money(amount=Decimal(n + 1))),))
        sealed = sealing.seal_parts(
            tender.sealing_keys, tender.id, account.id, contents.split(tender.terms.method)
        )
        envelopes.append((account.id, sealed.envelopes[0]))
        bid = Bid(
            tender_id=tender.id,
            vendor_id=account.id,
            envelopes=sealed,
            method=tender.terms.method,
            deadline=tender.terms.timeline.submission_deadline,
            actor=vendor,
            timestamp=clock.now(),
        )
        batch += [account, bid]
        if len(batch) >= BATCH:
            app.save(*batch)  # type: ignore[arg-type]
            batch = []
    if batch:
        app.save(*batch)  # type: ignore[arg-type]
    clock.moment = tender.terms.timeline.opening_time + timedelta(minutes=5)
    _, open_s = _timed(lambda: app.open_bids(works, tender.id, None))
    private = sealing.unwrap(app.kek, tender.id, tender.sealing_keys.keys[0])
    _, hpke_s = _timed(
        lambda: [sealing.open_envelope(private, tender.id, v, e) for v, e in envelopes]
    )
    return [
        row(
            "**opening** (load, decrypt, check, record)",
            f"{bids:,} bids",
            f"**{open_s:.2f} s**",
            f"{bids / open_s:,.0f} bids/s",
        ),
        row(
            "baseline: HPKE-open the envelopes alone",
            f"{bids:,} envelopes",
            f"{hpke_s:.2f} s",
            f"{bids / hpke_s:,.0f} envelopes/s",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--bids", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as folder:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dsn = start_embedded(Path(folder), "bench_audit")
        migrations.upgrade(dsn)
        signer = ReceiptSigner(os.urandom(32))
        clock = Clockwork(START)
        app = ProcurementApplication(
            eventsourcing_env(dsn, 4),
            clock=clock,
            kek=os.urandom(32),
            signer=signer,
        )
        rows = [row("what", "size", "time", "rate"), "|---|---:|---:|---:|"]
        rows += bench_opening(app, clock, args.bids)
        rows += bench_versions(app, dsn, args.versions)
        app.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("TRUNCATE procurement_events, ledger_leaves, ledger_checkpoints")
            conn.execute(
                "UPDATE ledger_state SET size = 0, last_position = 0, frontier = '{}', "
                "signed_size = 0"
            )
        rows += bench_ledger(dsn, args.events, signer)
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    report = "\n".join(["# Audit and opening at scale", "", *rows, "", f"Machine: {machine}", ""])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit_scale.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()


_ = Clock  # the benchmark's clock is a stand-in with the same shape
