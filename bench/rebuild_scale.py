"""Projection rebuild at scale: every read model rebuilt from a store of a million events,
beside a raw SELECT of the same rows, in alternating rounds.

``.venv/bin/python bench/rebuild_scale.py [--events 1000000] [--rounds 2] [--tenders 200]``
starts its own embedded PostgreSQL in a temporary folder and:

1. builds a template through the application: accounts, then ``--tenders`` tenders in waves
   of 20 (drafts never published, drafts edited, tenders published, asked and answered,
   amended, bid on, bids replaced and withdrawn, closed, opened, evaluated by a committee,
   awarded, complained about, contracted; some cancelled);
2. copies the template's rows with ``COPY`` until the store holds ``--events`` events, each
   copy with new ids for everything the template's events name (aggregates, questions, bids,
   complaints, accounts): the copies decode as the template does and are told apart by the
   read models;
3. times, in rounds whose order alternates, (a) ``SELECT * FROM procurement_events ORDER BY
   notification_id`` with psycopg, fetching every row (a server-side cursor, 10,000 rows a
   fetch), and (b) ``procurement.jobs.runners.rebuild``: both read models emptied and rebuilt;
4. checks that the rebuild of the whole store equals the read models the live runners built
   from the template (its first copy), row for row.

Before each timed run it waits (up to ``--quiet-wait`` seconds) for the load average to fall
below ``--quiet-load``, and records the load average and the CPU other processes used during
the run (the bench column counts the rebuild's own processes, one per read model). Prints a
Markdown report and writes it to ``bench/results/rebuild_scale.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import warnings
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run import CpuUse, Probe, machine_facts

from domain.account import VendorProfile, account_id_for
from domain.award import ContractPeriod
from domain.bid import BidContents, BidSecurityOffer, LotPrice
from domain.values import Actor, Money, Role
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.crypto.receipts import ReceiptSigner
from procurement.jobs import runners
from procurement.store import migrations
from procurement.store.database import eventsourcing_env, start_embedded
from projections.ocds.releases_projection import TABLES as OCDS_TABLES
from projections.public_tenders import TABLES as PUBLIC_TABLES
from tests.accounts import GRIEVANCE_MEMBERS, name_grievance_committee
from tests.support import START, terms, timeline

RESULTS = Path(__file__).resolve().parent / "results"
RAW = "SELECT * FROM procurement_events ORDER BY notification_id"
FETCH = 10_000
WAVE = 20
MEMBERS = ("m.one", "m.two", "m.three")
PASSWORD = "pw-123456789"  # noqa: S105 (accounts of a throwaway database)
UNSIGNED = 4  # one tender in five whose remainder is this stays in its standstill
VENDORS = tuple(f"v.{n}" for n in range(6))
# An id in a stored event: a UUID's 32 hex digits (the transcoder's form) or its 36
# characters with dashes (pydantic's).
UUID_TEXT = re.compile(
    rb"(?<![0-9a-f-])([0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})(?![0-9a-f-])"
)


class BenchError(RuntimeError):
    pass


class Clockwork:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


def _log(message: str) -> None:
    print(f"[rebuild-scale] {message}", file=sys.stderr, flush=True)


def _as(username: str, role: Role = Role.OFFICER) -> Actor:
    entity = "wsd" if role is Role.OFFICER else None
    return Actor(account_id=account_id_for(username), role=role, request_id=username, entity=entity)


# 1. The template, through the application ----------------------------------------------


def build_template(app: ProcurementApplication, clock: Clockwork, tenders: int) -> None:
    system = system_actor("bench")
    name_grievance_committee(app, "wsd")
    for username in (*MEMBERS, "proc.officer"):
        app.register_account(
            system, username=username, password=PASSWORD, role=Role.OFFICER, entity="wsd"
        )
    for username in VENDORS:
        app.register_account(
            system,
            username=username,
            password=PASSWORD,
            role=Role.VENDOR,
            vendor=VendorProfile(
                legal_name=f"Vendor {username}",
                ntn="1234567-8",
                contact_email=f"{username}@example.com",
            ),
        )
    for first in range(0, tenders, WAVE):
        _wave(app, clock, range(first, min(first + WAVE, tenders)))


def _wave(app: ProcurementApplication, clock: Clockwork, numbers: range) -> None:  # noqa: C901, PLR0912
    """A wave of tenders, each step taken for every tender of the wave before the next, so
    that their events interleave in the store as concurrent tenders' do."""
    works = _as("proc.officer")
    start = clock.now()
    ids = {}
    for n in numbers:
        drafted = app.draft_tender(works, terms(start, reference=f"WSD/{n:05d}"))
        ids[n] = drafted.id
        if n % 3 == 0:
            app.edit_tender(works, drafted.id, {"title": f"Road section {n}"}, None)
    live = [n for n in numbers if n % 10 != 0]  # one in ten stays a draft
    for n in live:
        app.publish_tender(works, ids[n], None)
    questions: dict[int, list[UUID]] = {n: [] for n in live}
    for k in range(4):
        for n in live:
            asked = app.ask_question(_as(VENDORS[k], Role.VENDOR), ids[n], f"Question {k}?")
            questions[n].append(asked.id)
    for n in live:
        for question in questions[n][:3]:
            app.answer_question(works, ids[n], question, "See the addendum.")
        moved = timeline(start, days=22) if n % 2 else None
        app.amend_tender(works, ids[n], f"Addendum 1 to tender {n}", moved, None)
    cancelled = [n for n in live if n % 10 == 1]
    for n in cancelled:
        app.cancel_tender(works, ids[n], "Budget withdrawn", None)
    going = [n for n in live if n not in cancelled]
    security = BidSecurityOffer(
        instrument="pay_order", issuer="NBP", amount=Money(amount=Decimal(200000))
    )
    for k, username in enumerate(VENDORS):
        for n in going:
            price = Money(amount=Decimal(9_000_000 + 10_000 * k + n))
            contents = BidContents(
                prices=(LotPrice(lot_id="1", price=price),), bid_security=security
            )
            app.submit_bid(_as(username, Role.VENDOR), ids[n], contents)
    for n in going:
        cheaper = Money(amount=Decimal(8_990_000 + n))
        app.replace_bid(
            _as(VENDORS[4], Role.VENDOR),
            ids[n],
            BidContents(prices=(LotPrice(lot_id="1", price=cheaper),), bid_security=security),
        )
        app.withdraw_bid(_as(VENDORS[5], Role.VENDOR), ids[n])
    clock.moment = start + timedelta(days=22, minutes=31)
    for n in going:
        app.close_bidding(ids[n], "bench")
        app.open_bids(works, ids[n], None)
        app.start_evaluation(works, ids[n], list(MEMBERS), MEMBERS[0])
        for member in MEMBERS:
            app.declare_interests(_as(member), ids[n], conflict=False, statement="")
        app.finalise_evaluation(_as(MEMBERS[0]), ids[n])
    awards = {}
    for n in going:
        winner = _recommended(app, works, ids[n])
        awards[n] = app.award_tender(works, ids[n], winner, "").id
        if n % 4 == 0:
            vendor = _as(VENDORS[1], Role.VENDOR)
            complaint = app.lodge_award_complaint(vendor, awards[n], "Unfair")
            app.decide_award_complaint(
                _as(f"{GRIEVANCE_MEMBERS[0]}@wsd"),
                awards[n],
                complaint.id,
                upheld=False,
                remedy=None,
                reasons="No merit.",
            )
    clock.advance(timedelta(days=12))
    for n in going:
        if n % 5 != UNSIGNED:
            app.sign_contract(
                works,
                awards[n],
                Money(amount=Decimal(8_990_000 + n)),
                ContractPeriod(start=clock.now(), end=clock.now() + timedelta(days=90)),
            )
    clock.advance(timedelta(days=1))


def _recommended(app: ProcurementApplication, works: Actor, tender_id: UUID) -> UUID:
    reports = app.evaluation_for_officer(works, tender_id).state["reports"]
    if not reports or reports[-1]["recommended_bid"] is None:
        raise BenchError(f"no bid to award in tender {tender_id}")
    return UUID(str(reports[-1]["recommended_bid"]))


# 2. Copies of the template --------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    originator_id: UUID
    version: int
    topic: str
    parts: list[bytes]
    """The state split at every id: text, id, text, ..., text."""


def read_template(dsn: str) -> list[TemplateRow]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM procurement_events "
            "ORDER BY notification_id"
        ).fetchall()
    return [
        TemplateRow(row[0], int(row[1]), str(row[2]), UUID_TEXT.split(bytes(row[3])))
        for row in rows
    ]


def copy_template(dsn: str, template: list[TemplateRow], copies: int, limit: int) -> None:
    """``copies`` copies of the template after it, each with new ids, up to ``limit``
    events in the store."""
    written = len(template)
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        for copy_number in range(copies):
            fresh: dict[bytes, UUID] = {}
            with (
                conn.cursor() as cursor,
                cursor.copy(
                    "COPY procurement_events "
                    "(originator_id, originator_version, topic, state) FROM STDIN"
                ) as copy,
            ):
                for row in template:
                    if written >= limit:
                        break
                    state = b"".join(
                        part if i % 2 == 0 else _renamed(part, fresh)
                        for i, part in enumerate(row.parts)
                    )
                    originator = fresh.setdefault(row.originator_id.hex.encode(), uuid4())
                    copy.write_row((originator, row.version, row.topic, state))
                    written += 1
            conn.commit()
            if copy_number % 20 == 0:
                rate = written / (time.perf_counter() - started)
                _log(f"copied {copy_number + 1} of {copies}: {written:,} events ({rate:,.0f}/s)")
            if written >= limit:
                break


def _renamed(text: bytes, fresh: dict[bytes, UUID]) -> bytes:
    key = text.replace(b"-", b"")
    new = fresh.setdefault(key, uuid4())
    return str(new).encode() if b"-" in text else new.hex.encode()


# 3. The timed runs ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    what: str
    round: int
    rows: int
    seconds: float
    load_before: str
    cpu: CpuUse

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def _loadavg() -> tuple[float, str]:
    text = Path("/proc/loadavg").read_text().split()
    return float(text[0]), " ".join(text[:3])


def _children_seconds() -> float:
    """CPU seconds of this process's children that have ended and been waited for."""
    times = os.times()
    return times.children_user + times.children_system


def wait_for_quiet(threshold: float, patience: float) -> str:
    deadline = time.monotonic() + patience
    load, text = _loadavg()
    while load > threshold and time.monotonic() < deadline:
        _log(f"load average {text}: waiting for it to fall below {threshold}")
        time.sleep(15)
        load, text = _loadavg()
    return text


def raw_select(dsn: str) -> int:
    count = 0
    with psycopg.connect(dsn) as conn, conn.cursor(name="raw") as cursor:
        cursor.itersize = FETCH
        cursor.execute(RAW)
        while rows := cursor.fetchmany(FETCH):
            count += len(rows)
    return count


def snapshot(dsn: str, tenders: list[UUID] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the read models as text (releases byte for byte); with ``tenders``,
    only those tenders' rows."""
    found = {}
    with psycopg.connect(dsn) as conn:
        for table in (*PUBLIC_TABLES, *OCDS_TABLES):
            query = f"SELECT t::text FROM {table} t"  # noqa: S608 (fixed names)
            if tenders is not None:
                column = "substr(t.ocid, 13)::uuid" if table == "ocds_releases" else "t.tender_id"
                query += f" WHERE {column} = ANY(%(tenders)s)"
            found[table] = conn.execute(
                f"{query} ORDER BY 1",
                {"tenders": tenders},
            ).fetchall()
    return found


def _tenders(dsn: str) -> list[UUID]:
    with psycopg.connect(dsn) as conn:
        return [row[0] for row in conn.execute("SELECT tender_id FROM public_tenders")]


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tenders", type=int, default=200, help="tenders in the template")
    parser.add_argument("--quiet-load", type=float, default=1.0)
    parser.add_argument("--quiet-wait", type=float, default=600.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as folder:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dsn = start_embedded(Path(folder), "bench_rebuild")
        migrations.upgrade(dsn)
        probe = Probe.for_pgdata(Path(folder) / "pgdata")
        env = eventsourcing_env(dsn, 4)
        clock = Clockwork(START)
        app = ProcurementApplication(
            env, clock=clock, kek=os.urandom(32), signer=ReceiptSigner(os.urandom(32))
        )
        context = runners.DEFAULT_CONTEXT
        started = time.perf_counter()
        with ExitStack() as stack:
            live = runners.start_runners(env, stack, context)
            build_template(app, clock, args.tenders)
            head = app.recorder.max_notification_id() or 0
            for runner in live:
                runner.wait(head, timeout=120)
        app.close()
        expected = snapshot(dsn)
        tenders = _tenders(dsn)
        template = read_template(dsn)
        _log(
            f"template: {len(template):,} events through the application "
            f"in {time.perf_counter() - started:.0f} s"
        )
        copies = -(-args.events // len(template)) - 1
        started = time.perf_counter()
        copy_template(dsn, template, copies, args.events)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM (FREEZE, ANALYZE) procurement_events")
            conn.execute("CHECKPOINT")
            total = int(conn.execute("SELECT count(*) FROM procurement_events").fetchone()[0])  # type: ignore[index]
            size = conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('procurement_events'))"
            ).fetchone()[0]  # type: ignore[index]
            mix = Counter(
                {
                    str(topic): int(count)
                    for topic, count in conn.execute(
                        "SELECT topic, count(*) FROM procurement_events GROUP BY topic"
                    ).fetchall()
                }
            )
        _log(f"store: {total:,} events, {size}, in {time.perf_counter() - started:.0f} s")
        raw_select(dsn)  # warm: the first read of fresh pages is not what is compared

        runs: list[Run] = []
        for number in range(1, args.rounds + 1):
            order = ("raw", "rebuild") if number % 2 else ("rebuild", "raw")
            for what in order:
                load = wait_for_quiet(args.quiet_load, args.quiet_wait)
                _log(f"round {number}: {what} (load average {load})")
                meter = probe.meter()
                children = _children_seconds()
                begin = time.perf_counter()
                rows = raw_select(dsn) if what == "raw" else runners.rebuild(env, None, context)
                seconds = time.perf_counter() - begin
                cpu = meter.stop()
                # The rebuild's processes (one per read model), ended and waited for.
                spent = (_children_seconds() - children) / seconds
                cpu = replace(cpu, bench=cpu.bench + spent)
                runs.append(Run(what, number, rows, seconds, load, cpu))
                _log(f"round {number}: {what} {rows:,} in {seconds:.1f} s")
                if rows != total:
                    raise BenchError(f"{what} saw {rows:,} events of {total:,}")
        if snapshot(dsn, tenders) != expected:
            raise BenchError("the rebuild differs from the live read models")
        facts = machine_facts(dsn)
    report = render(runs, total, str(size), mix, len(template), args.tenders, facts)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rebuild_scale.md").write_text(report)
    print(report)


def render(  # noqa: PLR0917
    runs: list[Run],
    total: int,
    size: str,
    mix: Counter[str],
    template: int,
    tenders: int,
    facts: list[tuple[str, str]],
) -> str:
    lines = [
        "# Projection rebuild at scale",
        "",
        (
            f"Store: {total:,} events ({size}): a template of {template:,} events from "
            f"{tenders} tenders through the application, copied with new ids."
        ),
        "",
        "| round | what | rows | time | rate | load before | bench | PostgreSQL | other |",
        "|---:|---|---:|---:|---:|---|---:|---:|---:|",
    ]
    lines += [
        f"| {run.round} | {run.what} | {run.rows:,} | {run.seconds:.1f} s | "
        f"{run.rate:,.0f}/s | {run.load_before} | {run.cpu.bench:.2f} | "
        f"{run.cpu.postgres:.2f} | {run.cpu.other:.2f} |"
        for run in runs
    ]
    lines += ["", "| round | rebuild / raw | 1M events in |", "|---:|---:|---:|"]
    for number in sorted({run.round for run in runs}):
        raw = next(r for r in runs if r.round == number and r.what == "raw")
        built = next(r for r in runs if r.round == number and r.what == "rebuild")
        lines.append(
            f"| {number} | {built.rate / raw.rate:.2f}x | {1_000_000 / built.rate:.0f} s |"
        )
    lines += ["", "Event mix:", ""]
    lines += [f"- {topic}: {count:,}" for topic, count in mix.most_common()]
    lines += ["", *(f"- {name}: {value}" for name, value in facts), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
