"""Deadline rush: N vendors submit a sealed bid at the same moment, beside a bare baseline.

``.venv/bin/python bench/deadline_rush.py [--vendors 200] [--quick]`` starts its own embedded
PostgreSQL in a fresh temporary folder, applies the migrations, registers N vendor accounts
(``ProcurementApplication.register_account``) and signs each one in over HTTP for a real
token. Then, in alternating rounds, each on a freshly published tender:

- real: the real app (``api.app.create_app``) under uvicorn in a subprocess on 127.0.0.1, in
  the production layout of docs/deployment.md: the API process runs no background jobs, and
  a ``procurement worker`` process beside it runs the projections, the ledger and the
  scheduler (``--layout single`` runs them in the API process instead, as ``procurement
  serve`` does by default). N keep-alive connections, opened and warmed before
  the start, each POST one bid in plain form (``{"contents": ...}``, sealed by the platform)
  to ``/tenders/{id}/bids`` at the same instant. Every answer must be 201, and afterwards the
  store must hold exactly N ``BidSubmitted`` events for the tender;
- real + ``Idempotency-Key``: the same, each vendor sending its own key;
- bare: a bare Litestar app under the same uvicorn set-up, one POST endpoint on the same path
  taking the same requests and doing one asyncpg ``INSERT`` of a random envelope as large as
  a real sealed one into a scratch table (pool as the real app's read pool).

It reports accepted bids per second (N over the time from the start to the last answer) and
p50/p99 latency for each, how many transactions wrote each round's bids, the CPU each process
used during the bursts and the machine, prints the Markdown and writes it to
``bench/results/deadline_rush.md``. Sign-in (argon2) and every other set-up step happen before
the timed part, and every round waits until the real app's projection runner has caught up,
so that it starts on an idle machine. Everything is bounded in count and time, a watchdog
stops the run, and the servers and the temporary folder are removed at the end.

``--quick`` runs 20 vendors and 2 rounds: a smoke test of the script, not a measurement.

Longer than the 500 lines a module keeps to, on purpose: a benchmark is read as one script,
top to bottom, its servers, its baseline, its measurement and its report side by side; split
into modules, a reader would chase what was measured across files.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import os
import secrets
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
from run import (
    MIN_METERED,
    OTHER_LOAD,
    POOL_SIZE,
    Probe,
    Row,
    Sample,
    Server,
    WatchdogExpiredError,
    _log,
    machine_facts,
    officer,
    run_and_report,
    tender_terms,
    wait_for_projections,
)
from run import server as run_server

from domain.account import VendorProfile, account_id_for
from domain.bid import Bid
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from procurement.store import migrations
from procurement.store.database import eventsourcing_env, start_embedded

RESULTS = Path(__file__).resolve().parent / "results" / "deadline_rush.md"
PASSWORD = "correct-horse-battery"  # noqa: S105 (a throwaway account in a throwaway database)

WATCHDOG_SECONDS = 180  # the whole run, servers included (about 60 s with 200 vendors)
ROUND_SECONDS = 30.0  # bound on one burst, connections included
MAX_VENDORS = 500  # argon2 makes set-up (register, sign in) take about 0.16 s per vendor
SIGN_IN_CONCURRENCY = 8
TARGET_VENDORS = 200
TARGET_RATIO = 0.8
TARGET_P99_MS = 100.0


SPLIT = "split"
SINGLE = "single"


@dataclass(frozen=True)
class Plan:
    vendors: int = TARGET_VENDORS
    rounds: int = 5
    """Each of the three loads runs once per round, in turn; a warm-up round comes first."""
    quick: bool = False
    layout: str = SPLIT
    """``split``: API process(es) without jobs and one ``procurement worker``; ``single``:
    the jobs in the API process(es)."""
    api_processes: int = 1
    """uvicorn worker processes, as many for the real app as for the bare app."""


class RushError(RuntimeError):
    pass


# The raw HTTP/1.1 client ----------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    """One response, body included; needs Content-Length (Litestar sends it)."""
    line = await reader.readline()
    if not line:
        msg = "the server closed the connection"
        raise ConnectionError(msg)
    status = int(line.split(b" ", 2)[1])
    headers: dict[bytes, bytes] = {}
    while (line := await reader.readline()) not in {b"\r\n", b""}:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if b"content-length" not in headers:
        msg = "a response without Content-Length"
        raise RushError(msg)
    body = await reader.readexactly(int(headers[b"content-length"]))
    return Answer(status, headers, body)


def _post(address: str, path: str, token: str, body: bytes, key: str | None) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {address}",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(body)}",
    ]
    if key is not None:
        head.append(f"Idempotency-Key: {key}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass(frozen=True)
class Burst:
    sample: Sample
    answers: list[Answer]


async def _rush(
    probe: Probe, target: Server, requests: Sequence[bytes], worker: int | None = None
) -> Burst:
    """Open one keep-alive connection per request and warm it with ``GET /health``; then
    release every request at once and wait for every answer. Timed from the release."""
    address = target.base.removeprefix("http://")
    host, port = address.split(":")
    deadline = time.monotonic() + ROUND_SECONDS
    connections = await asyncio.wait_for(
        asyncio.gather(*(asyncio.open_connection(host, int(port)) for _ in requests)),
        ROUND_SECONDS,
    )
    try:
        health = f"GET /health HTTP/1.1\r\nHost: {address}\r\n\r\n".encode()
        for _, writer in connections:
            writer.write(health)
        warm = await asyncio.wait_for(
            asyncio.gather(*(_read_answer(reader) for reader, _ in connections)),
            deadline - time.monotonic(),
        )
        if any(answer.status != 200 for answer in warm):  # noqa: PLR2004
            msg = "GET /health failed on a fresh connection"
            raise RushError(msg)

        go = asyncio.Event()

        async def vendor(index: int) -> tuple[Answer, float]:
            reader, writer = connections[index]
            await go.wait()
            before = time.perf_counter()
            writer.write(requests[index])
            answer = await _read_answer(reader)
            return answer, time.perf_counter() - before

        tasks = [asyncio.create_task(vendor(index)) for index in range(len(requests))]
        await asyncio.sleep(0.1)  # every task is now waiting on ``go``; the server is idle
        # A full collection in this process (it holds the whole platform too) takes 50-100 ms:
        # landing inside a burst, it would stall the client and add as much to the latencies.
        gc.collect()
        gc.disable()
        meter = probe.meter(target.pid, worker)
        start = time.perf_counter()
        go.set()
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*tasks), max(1.0, deadline - time.monotonic())
            )
        except TimeoutError:
            msg = f"the burst did not finish within {ROUND_SECONDS} s"
            raise RushError(msg) from None
        finally:
            gc.enable()
        elapsed = time.perf_counter() - start
        cpu = meter.stop()
    finally:
        for _, writer in connections:
            writer.close()
        await asyncio.gather(
            *(writer.wait_closed() for _, writer in connections), return_exceptions=True
        )
    latencies = tuple(latency for _, latency in results)
    return Burst(Sample(len(results), elapsed, latencies, cpu), [answer for answer, _ in results])


async def _send_one(target: Server, request: bytes) -> Answer:
    host, port = target.base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        return await asyncio.wait_for(_read_answer(reader), 10.0)
    finally:
        writer.close()
        await writer.wait_closed()


# Set-up ---------------------------------------------------------------------------------


def bid_body(index: int) -> bytes:
    """A plain bid on ``run.tender_terms``'s two lots: about 400 bytes of JSON."""
    contents = {
        "contents": {
            "prices": [
                {"lot_id": "1", "price": {"amount": f"{9_000_000 + index}.00", "currency": "PKR"}},
                {"lot_id": "2", "price": {"amount": f"{14_500_000 + index}.00", "currency": "PKR"}},
            ],
            "technical_offer": "12 graders, 4 rollers and 2 pavers; the works in 14 months.",
            "bid_security": {
                "instrument": "bank_guarantee",
                "issuer": "Sindh Bank",
                "amount": {"amount": "500000.00", "currency": "PKR"},
            },
        }
    }
    return json.dumps(contents, separators=(",", ":")).encode()


def username(index: int) -> str:
    return f"rush-vendor-{index:04d}"


def register_vendors(app: ProcurementApplication, count: int) -> float:
    """Register ``count`` vendors through the application (argon2 hashes: threads help)."""

    def register(index: int) -> None:
        name = username(index)
        actor = Actor(account_id=account_id_for(name), role=Role.VENDOR, request_id="bench")
        app.register_account(
            actor,
            username=name,
            password=PASSWORD,
            role=Role.VENDOR,
            vendor=VendorProfile(
                legal_name=f"Rush Vendor {index} (Pvt) Ltd",
                ntn=f"{1_000_000 + index:07d}-{index % 10}",
                contact_email=f"{name}@example.com",
            ),
        )

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(register, range(count)))
    return time.perf_counter() - start


async def _sign_in(base: str, count: int) -> list[str]:
    semaphore = asyncio.Semaphore(SIGN_IN_CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:

        async def one(index: int) -> str:
            async with semaphore:
                answer = await client.post(
                    "/auth/token", json={"username": username(index), "password": PASSWORD}
                )
            answer.raise_for_status()
            token: str = answer.json()["access_token"]
            return token

        return list(await asyncio.gather(*(one(index) for index in range(count))))


def sign_in(base: str, count: int) -> tuple[list[str], float]:
    start = time.perf_counter()
    tokens = asyncio.run(_sign_in(base, count))
    return tokens, time.perf_counter() - start


class Tenders:
    """Fresh published tenders, one per real round, published from the bench process."""

    def __init__(self, app: ProcurementApplication) -> None:
        self.app = app
        self.actor = officer()
        self.made = 0

    def publish(self) -> UUID:
        self.made += 1
        draft = self.app.draft_tender(
            self.actor, tender_terms(300_000 + self.made, self.app.clock.now())
        )
        self.app.publish_tender(self.actor, draft.id, draft.version)
        return draft.id


# Checks ---------------------------------------------------------------------------------

BIDS_WHERE = (
    "FROM procurement_events WHERE topic = %s "
    "AND convert_from(state, 'UTF8')::jsonb #>> '{tender_id,_data_}' = %s"
)
# Rows and the transactions that wrote them (xmin): how the group commit batched the bids.
COUNT_BIDS = "SELECT count(*), count(DISTINCT xmin::text) " + BIDS_WHERE
COUNT_SCRATCH = (
    "SELECT count(*), count(DISTINCT xmin::text) FROM bench_rush_scratch WHERE tender_id = %s"
)
SCRATCH_TABLE = """
    CREATE TABLE bench_rush_scratch (
        originator_id uuid NOT NULL,
        originator_version bigint NOT NULL,
        topic text,
        state bytea,
        tender_id uuid NOT NULL,
        notification_id bigserial,
        PRIMARY KEY (originator_id, originator_version)
    )
"""


def _counts(url: str, query: str, params: tuple[Any, ...]) -> tuple[int, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    return tuple(int(value) for value in row) if row else (0,)


def check_answers(label: str, answers: Sequence[Answer], tender_id: UUID, *, real: bool) -> None:
    bad = [answer for answer in answers if answer.status != 201]  # noqa: PLR2004
    if bad:
        msg = (
            f"{label}: {len(bad)} of {len(answers)} answers were not 201; the first: "
            f"{bad[0].status} {bad[0].body[:300]!r}"
        )
        raise RushError(msg)
    if real:
        for answer in answers:
            receipt = json.loads(answer.body)["receipt"]
            if receipt["kind"] != "submitted" or receipt["tender_id"] != str(tender_id):
                msg = f"{label}: an unexpected receipt {receipt}"
                raise RushError(msg)


def check_store(url: str, label: str, tender_id: UUID, expected: int, *, real: bool) -> int:
    """Check the store holds ``expected`` bids for the tender; return how many transactions
    wrote them."""
    if real:
        held, transactions = _counts(url, COUNT_BIDS, (Bid.BidSubmitted.TOPIC, tender_id.hex))
    else:
        held, transactions = _counts(url, COUNT_SCRATCH, (tender_id,))
    if held != expected:
        msg = f"{label}: the store holds {held} bid rows for the tender, expected {expected}"
        raise RushError(msg)
    return transactions


def check_keys(url: str, label: str, prefix: str, expected: int) -> None:
    """Every key ends up completed with the 201. The middleware records the answer after
    sending it, so the last few may still be finishing when the client has every answer."""
    deadline = time.monotonic() + 5.0
    while True:
        [held] = _counts(
            url,
            "SELECT count(*) FROM idempotency_keys WHERE key LIKE %s AND status = 201",
            (prefix + "%",),
        )
        if held == expected:
            return
        if time.monotonic() > deadline:
            msg = f"{label}: {held} completed idempotency keys, expected {expected}"
            raise RushError(msg)
        time.sleep(0.05)


@dataclass(frozen=True)
class Sizes:
    envelope: int
    """Bytes of one sealed envelope (HPKE ``enc || ciphertext``), averaged."""
    event: int
    """Bytes of one stored ``BidSubmitted`` event's state, averaged."""
    request: int
    answer: int


def measure_sizes(url: str, tender_id: UUID, request: bytes, answer: Answer) -> Sizes:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT state " + BIDS_WHERE, (Bid.BidSubmitted.TOPIC, tender_id.hex)
        ).fetchall()
    if not rows:
        msg = "no bid events to measure"
        raise RushError(msg)
    states = [bytes(row[0]) for row in rows]
    envelopes = [
        len(base64.b64decode(text)) for state in states for text in _ciphertexts(json.loads(state))
    ]
    return Sizes(
        envelope=round(sum(envelopes) / len(envelopes)),
        event=round(sum(map(len, states)) / len(states)),
        request=len(request),
        answer=len(answer.body),
    )


def _ciphertexts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "ciphertext" and isinstance(item, str):
                yield item
            else:
                yield from _ciphertexts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ciphertexts(item)


# The servers (run in a subprocess by ``server``) ----------------------------------------


@contextlib.contextmanager
def worker(env: dict[str, str], log_path: Path) -> Iterator[int]:
    """``procurement worker`` in a subprocess, on the bench's database and keys; its pid."""
    settings = {
        "DATABASE_URL": env["BENCH_DATABASE_URL"],
        "PROCUREMENT_JWT_SECRET": env["BENCH_JWT_SECRET"],
        "PROCUREMENT_SEALING_KEK": env["BENCH_SEALING_KEK"],
        "PROCUREMENT_SIGNING_KEY": env["BENCH_SIGNING_KEY"],
        "PROCUREMENT_DATA_DIR": env["BENCH_DATA_DIR"],
        "PROCUREMENT_DB_POOL_SIZE": str(POOL_SIZE),
        "PROCUREMENT_LOG_LEVEL": "WARNING",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "worker"],
            env=env | settings,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@contextlib.contextmanager
def server(kind: str, env: dict[str, str], log_path: Path) -> Iterator[Server]:
    """Run this script with ``--serve kind`` in a subprocess (bench/run.py's machinery)."""
    with run_server(kind, env, log_path, script=Path(__file__)) as started:
        yield started


def serve(kind: str, port: int) -> None:
    import uvicorn  # noqa: PLC0415 (only the server subprocesses need it)

    processes = int(os.environ.get("BENCH_API_PROCESSES", "1"))
    if processes > 1:  # as ``procurement serve --workers N``: each process builds its app
        uvicorn.run(
            f"deadline_rush:{'_real_app' if kind == 'real' else '_bare_app'}",
            factory=True,
            workers=processes,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
        return
    app = _real_app() if kind == "real" else _bare_app()
    # The same server and settings for both (and as bench/run.py): one process, no access log.
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _real_app() -> Any:
    from pydantic import SecretStr  # noqa: PLC0415

    from api.app import create_app  # noqa: PLC0415
    from procurement.settings import Settings  # noqa: PLC0415

    settings = Settings(
        database_url=os.environ["BENCH_DATABASE_URL"],
        jwt_secret=SecretStr(os.environ["BENCH_JWT_SECRET"]),
        sealing_kek=SecretStr(os.environ["BENCH_SEALING_KEK"]),
        signing_key=SecretStr(os.environ["BENCH_SIGNING_KEY"]),
        data_dir=Path(os.environ["BENCH_DATA_DIR"]),
        db_pool_size=POOL_SIZE,
        # The production layout: the jobs run in ``procurement worker`` (BENCH_LAYOUT=split).
        run_projections=os.environ.get("BENCH_LAYOUT") == SINGLE,
        run_scheduler=os.environ.get("BENCH_LAYOUT") == SINGLE,
        # Every bench vendor bids from 127.0.0.1: the per-address limit would cap the rush.
        rate_limit_bids_address="1000000/minute",
        rate_limit_sign_in_address="1000000/minute",
    )
    return create_app(settings)


def _bare_app() -> Any:
    """HTTP, routing, a JSON body and one durable INSERT: what a bid cannot cost less than."""
    from collections.abc import AsyncIterator  # noqa: PLC0415

    from litestar import Litestar, Request, get, post  # noqa: PLC0415

    from projections.reads import create_pool  # noqa: PLC0415

    url = os.environ["BENCH_DATABASE_URL"]
    size = int(os.environ["BENCH_ENVELOPE_BYTES"])
    topic = os.environ["BENCH_TOPIC"]

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # This process imported the whole platform (this script does, for the real server);
        # a bare server would not have it on its heap. Without the freeze its first full
        # collection took about 100 ms, in the middle of the second round, every time.
        gc.collect()
        gc.freeze()
        app.state.pool = await create_pool(url, POOL_SIZE)  # as the real app's read pool
        try:
            yield
        finally:
            await app.state.pool.close()

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @post("/tenders/{tender_id:uuid}/bids", status_code=201)
    async def submit(
        tender_id: UUID,
        data: dict[str, Any],  # noqa: ARG001 (parsed, as the real app parses its body)
        request: Request[Any, Any, Any],
    ) -> dict[str, Any]:
        bid_id = uuid4()
        position = await request.app.state.pool.fetchval(
            "INSERT INTO bench_rush_scratch "
            "(originator_id, originator_version, topic, state, tender_id) "
            "VALUES ($1, 1, $2, $3, $4) RETURNING notification_id",
            bid_id,
            topic,
            secrets.token_bytes(size),
            tender_id,
        )
        return {"id": str(bid_id), "tender_id": str(tender_id), "position": position}

    return Litestar(route_handlers=[health, submit], lifespan=[lifespan], debug=False)


# The run --------------------------------------------------------------------------------

REAL = "real app"
KEYED = "real app + Idempotency-Key"
BARE = "bare app"


@dataclass(frozen=True)
class Round:
    sample: Sample
    transactions: int
    """How many transactions wrote the round's bids (the group commit's batches)."""
    tender_id: UUID
    requests: list[bytes]
    answers: list[Answer]


@dataclass
class Results:
    rounds: dict[str, list[Round]] = field(default_factory=lambda: {REAL: [], KEYED: [], BARE: []})

    def merged(self, load: str) -> Sample:
        return Sample.merge([round_.sample for round_ in self.rounds[load]])


@dataclass
class Rig:
    """What every round needs: the database, the servers, the vendors' tokens."""

    url: str
    probe: Probe
    tenders: Tenders
    tokens: list[str]
    real: Server
    worker: int | None = None
    """The ``procurement worker`` process's pid in the split layout."""
    bare: Server | None = None
    replay_checked: bool = False

    def requests(self, target: Server, tender_id: UUID, key_prefix: str | None) -> list[bytes]:
        address = target.base.removeprefix("http://")
        path = f"/tenders/{tender_id}/bids"
        return [
            _post(
                address,
                path,
                token,
                bid_body(index),
                None if key_prefix is None else f"{key_prefix}{index:04d}",
            )
            for index, token in enumerate(self.tokens)
        ]

    def run(self, load: str, tag: str) -> Round:
        real = load != BARE
        target = self.real if real else self.bare
        if target is None:
            msg = "the bare server is not running"
            raise RushError(msg)
        tender_id = self.tenders.publish() if real else uuid4()
        prefix = f"rush-{tag}-" if load == KEYED else None
        requests = self.requests(target, tender_id, prefix)
        self._wait_until_quiet()
        burst = asyncio.run(_rush(self.probe, target, requests, self.worker))
        label = f"{load}, round {tag}"
        check_answers(label, burst.answers, tender_id, real=real)
        transactions = check_store(self.url, label, tender_id, len(requests), real=real)
        if prefix is not None:
            check_keys(self.url, label, prefix, len(requests))
            if not self.replay_checked:
                self._check_replay(tender_id, requests[0], burst.answers[0])
        sample = burst.sample
        _log(
            f"{label}: {sample.count} bids in {sample.seconds * 1000:.0f} ms, "
            f"p50 {sample.percentile(0.5):.1f} ms, p99 {sample.percentile(0.99):.1f} ms, "
            f"{transactions} transactions"
        )
        return Round(burst.sample, transactions, tender_id, requests, burst.answers)

    def _wait_until_quiet(self) -> None:
        """Start every round on an idle machine: the projection runners (in the worker, or
        in the real app's process) have processed every event of the previous rounds."""
        with httpx.Client(base_url=self.real.base, timeout=10.0) as client:
            wait_for_projections(client, poll=0.05)

    def _check_replay(self, tender_id: UUID, request: bytes, first: Answer) -> None:
        """A vendor retrying with its key gets its first answer; nothing more is stored."""
        again = asyncio.run(_send_one(self.real, request))
        replayed = again.headers.get(b"idempotent-replayed") == b"true"
        if again.status != 201 or not replayed or again.body != first.body:  # noqa: PLR2004
            msg = f"a retry with the same Idempotency-Key was not replayed: {again.status}"
            raise RushError(msg)
        check_store(self.url, "after a replay", tender_id, len(self.tokens), real=True)
        self.replay_checked = True


def child_environment(url: str, tmp: Path, kek: str, plan: Plan) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PROCUREMENT_") and name != "DATABASE_URL"
    }
    env |= {
        "BENCH_DATABASE_URL": url,
        "BENCH_JWT_SECRET": secrets.token_urlsafe(32),
        "BENCH_SEALING_KEK": kek,
        "BENCH_SIGNING_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "BENCH_DATA_DIR": str(tmp / "data"),
        "BENCH_TOPIC": Bid.BidSubmitted.TOPIC,
        "BENCH_LAYOUT": plan.layout,
        "BENCH_API_PROCESSES": str(plan.api_processes),
    }
    return env


@dataclass(frozen=True)
class SetUp:
    registration: float
    sign_in: float
    sizes: Sizes
    bare_answer: int


def measure(tmp: Path, plan: Plan) -> str:
    started = datetime.now(UTC)
    _log(f"starting an embedded PostgreSQL in {tmp}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        url = start_embedded(tmp / "pg", "bench")
    migrations.upgrade(url)
    probe = Probe.for_pgdata(tmp / "pg" / "pgdata")
    kek = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = child_environment(url, tmp, kek, plan)
    results = Results()

    app = ProcurementApplication(
        eventsourcing_env(url, POOL_SIZE),
        rule_profile="sppra",
        kek=base64.urlsafe_b64decode(kek),
    )
    try:
        _log(f"registering {plan.vendors} vendors (argon2 hashes)")
        registration = register_vendors(app, plan.vendors)
        with contextlib.ExitStack() as stack:
            jobs = (
                stack.enter_context(worker(env, tmp / "worker.log"))
                if plan.layout == SPLIT
                else None
            )
            real = stack.enter_context(server("real", env, tmp / "real-server.log"))
            _log(f"signing {plan.vendors} vendors in over HTTP (argon2 on the server)")
            tokens, signing = sign_in(real.base, plan.vendors)
            rig = Rig(
                url=url, probe=probe, tenders=Tenders(app), tokens=tokens, real=real, worker=jobs
            )

            _log("warm-up rounds")
            warm = rig.run(REAL, "warm-up")
            sizes = measure_sizes(url, warm.tender_id, warm.requests[0], warm.answers[0])
            rig.run(KEYED, "warm-up")
            with psycopg.connect(url) as conn:
                conn.execute(SCRATCH_TABLE)
                conn.commit()
            bare_env = env | {"BENCH_ENVELOPE_BYTES": str(sizes.envelope)}
            with server("bare", bare_env, tmp / "bare-server.log") as bare:
                rig.bare = bare
                bare_answer = len(rig.run(BARE, "warm-up").answers[0].body)
                _log(f"{plan.rounds} rounds of {plan.vendors} bids for each of three loads")
                for round_ in range(1, plan.rounds + 1):
                    for load in (REAL, KEYED, BARE):
                        results.rounds[load].append(rig.run(load, str(round_)))
        facts = machine_facts(url)
    finally:
        app.close()
    setup = SetUp(registration, signing, sizes, bare_answer)
    return report(plan, results, setup, facts, started)


def report(
    plan: Plan,
    results: Results,
    setup: SetUp,
    facts: list[tuple[str, str]],
    started: datetime,
) -> str:
    real, keyed, bare = (results.merged(load) for load in (REAL, KEYED, BARE))
    n = plan.vendors
    rows = [
        Row(f"{n} bids at once, accepted", real.rate, bare.rate, "per s"),
        Row(f"{n} bids at once, p50", real.percentile(0.5), bare.percentile(0.5), "ms"),
        Row(f"{n} bids at once, p99", real.percentile(0.99), bare.percentile(0.99), "ms"),
        Row("with Idempotency-Key, accepted", keyed.rate, bare.rate, "per s"),
        Row("with Idempotency-Key, p50", keyed.percentile(0.5), bare.percentile(0.5), "ms"),
        Row("with Idempotency-Key, p99", keyed.percentile(0.99), bare.percentile(0.99), "ms"),
    ]
    lines = [
        f"# Deadline rush, {started:%Y-%m-%d %H:%M} UTC",
        "",
        "| metric | real app | bare app | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    lines += ["", "Ratio is real / bare.", ""]
    lines += [f"- {note}" for note in _notes(plan, results, setup)]
    lines += [
        "",
        "## Each round",
        "",
        (
            "Accepted per second; p50 / p99 in ms; how many transactions wrote the round's "
            "bids. Each real round on a freshly published tender."
        ),
        "",
        "| round | " + " | ".join(results.rounds) + " |",
        "|---|" + "---:|" * len(results.rounds),
    ]
    for index in range(plan.rounds):
        cells = [
            f"{_rate(round_.sample)}; {round_.sample.percentile(0.5):.1f} / "
            f"{round_.sample.percentile(0.99):.1f}; {round_.transactions} txn"
            for round_ in (results.rounds[load][index] for load in results.rounds)
        ]
        lines.append(f"| {index + 1} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## CPU during the bursts",
        "",
        (
            "Average cores busy (CPU seconds / wall seconds) from the release to the last "
            "answer, over all rounds of a load; CPU time is counted in 10 ms ticks, so "
            f"loads shorter than {MIN_METERED} s in all are only indicative."
        ),
        "",
        (
            "| load | wall (s) | bench process (client) | HTTP server | worker (jobs) "
            "| PostgreSQL | other processes |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {sample.seconds:.2f} | {cpu.bench:.2f} | {cpu.server:.2f} "
        f"| {cpu.worker:.2f} | {cpu.postgres:.2f} | {cpu.other:.2f} |"
        for name, sample in ((REAL, real), (KEYED, keyed), (BARE, bare))
        if (cpu := sample.cpu) is not None
    ]
    lines += ["", "## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in facts]
    return "\n".join(lines) + "\n"


def _rate(sample: Sample) -> str:
    return f"{sample.rate:,.0f}"


def _verdict(plan: Plan, rate_ratio: float, p99: float) -> str:
    if plan.vendors != TARGET_VENDORS:
        return f"no verdict: this run had {plan.vendors} vendors, not {TARGET_VENDORS}"
    met = rate_ratio >= TARGET_RATIO and p99 < TARGET_P99_MS
    return "**met**" if met else "**not met**"


def _notes(plan: Plan, results: Results, setup: SetUp) -> list[str]:
    real, keyed, bare = (results.merged(load) for load in (REAL, KEYED, BARE))
    sizes = setup.sizes
    outcomes = [
        f"{name} {_verdict(plan, sample.rate / bare.rate, sample.percentile(0.99))} "
        f"({sample.rate / bare.rate:.2f}x, p99 {sample.percentile(0.99):.1f} ms)"
        for name, sample in (("without a key", real), ("with Idempotency-Key", keyed))
    ]
    notes = [
        (
            f"Target (at {TARGET_VENDORS} concurrent vendors, at least {TARGET_RATIO}x the bare "
            f"endpoint's throughput and p99 under {TARGET_P99_MS:.0f} ms): "
            + "; ".join(outcomes)
            + "."
        ),
        (
            f"Layout: {plan.api_processes} API process(es) (uvicorn, asyncio loop, h11) for the "
            "real app and as many for the bare app; "
            + (
                "the real app's background jobs (projections, ledger, scheduler) in a "
                "`procurement worker` process beside it, as in production (docs/deployment.md)."
                if plan.layout == SPLIT
                else "the real app's background jobs in its API process (`--layout single`)."
            )
        ),
        (
            f"Each round: {plan.vendors} keep-alive connections from one asyncio client, opened "
            "and warmed with GET /health, then every bid released at once; accepted/s is "
            f"{plan.vendors} over the time from the release to the last answer. "
            f"{plan.rounds} rounds after a warm-up round, the three loads in turn, each real "
            "round on a freshly published tender."
        ),
        (
            f"Real app: every answer 201 with a `submitted` receipt, and the store held exactly "
            f"{plan.vendors} BidSubmitted events per tender after each round; with keys, "
            f"{plan.vendors} completed idempotency keys per round, and a retry with a used key "
            "was replayed without writing."
        ),
        (
            f"Bare app: the same requests (about {sizes.request} bytes each); it parses the JSON "
            f"body and INSERTs a random {sizes.envelope}-byte bytea (a sealed envelope's average "
            f"size; the whole stored BidSubmitted event is {sizes.event} bytes) into a scratch "
            "table with the event table's keys, on asyncpg with the real app's read-pool set-up "
            f"({POOL_SIZE} connections), and answers {setup.bare_answer} bytes of JSON against "
            f"the real app's {sizes.answer} (the signed receipt). No token check, no sealing."
        ),
        (
            f"Set-up, outside the timed part: registering {plan.vendors} vendors took "
            f"{setup.registration:.1f} s and signing them in over HTTP {setup.sign_in:.1f} s "
            "(argon2id for each)."
        ),
    ]
    spread = [
        f"{load} {min(r.sample.rate for r in rounds):,.0f} to "
        f"{max(r.sample.rate for r in rounds):,.0f}/s"
        for load, rounds in results.rounds.items()
    ]
    notes.append("Range over rounds: " + "; ".join(spread) + ".")
    batches = [r.transactions for load in (REAL, KEYED) for r in results.rounds[load]]
    notes.append(
        f"Group commit: the {plan.vendors} bids of a real round were written by "
        f"{min(batches)} to {max(batches)} transactions "
        f"({plan.vendors * len(batches) / sum(batches):.1f} bids per transaction on average)."
    )
    per_bid = [
        f"{name} {sample.cpu.server * sample.seconds / sample.count * 1000:.2f} ms"
        for name, sample in ((REAL, real), (KEYED, keyed), (BARE, bare))
        if sample.cpu is not None and sample.count
    ]
    notes.append(
        "API process CPU per bid (its CPU seconds over the bursts / bids; less disturbed by "
        "other load than the rates): " + "; ".join(per_bid) + "."
    )
    disturbed = [
        name
        for name, sample in ((REAL, real), (KEYED, keyed), (BARE, bare))
        if sample.cpu and sample.seconds >= MIN_METERED and sample.cpu.other > OTHER_LOAD
    ]
    if disturbed:
        notes.insert(
            0,
            f"WARNING: other processes used more than {OTHER_LOAD} cores during "
            f"{', '.join(disturbed)}; those figures are disturbed, run again on a quiet machine.",
        )
    if plan.quick:
        notes.insert(0, "QUICK RUN (--quick): a smoke test, not a measurement.")
    return notes


def _watchdog(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
    msg = f"the deadline rush ran longer than {WATCHDOG_SECONDS} s"
    raise WatchdogExpiredError(msg)


def _vendors(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_VENDORS:
        msg = f"between 1 and {MAX_VENDORS}"
        raise argparse.ArgumentTypeError(msg)
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--vendors",
        type=_vendors,
        help=f"concurrent vendors (default {TARGET_VENDORS}; 20 with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="20 vendors, 2 rounds (smoke test)")
    parser.add_argument(
        "--layout",
        choices=[SPLIT, SINGLE],
        default=SPLIT,
        help="split: background jobs in a procurement worker process (default); "
        "single: in the API process",
    )
    parser.add_argument(
        "--api-processes",
        type=int,
        choices=range(1, 5),
        default=1,
        help="uvicorn processes for each app (default 1)",
    )
    parser.add_argument("--serve", choices=["real", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0

    plan = Plan(quick=True, vendors=20, rounds=2) if args.quick else Plan()
    if args.vendors is not None:
        plan = replace(plan, vendors=args.vendors)
    plan = replace(plan, layout=args.layout, api_processes=args.api_processes)
    return run_and_report("procurement-rush-", RESULTS, lambda tmp: measure(tmp, plan))


if __name__ == "__main__":
    sys.exit(main())
