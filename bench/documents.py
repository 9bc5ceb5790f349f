"""Tender documents: a 200 MiB document up and down the real server, and 50 downloads at
once, each beside a bare baseline measured in the same run.

``.venv/bin/python bench/documents.py [--quick]`` starts its own embedded PostgreSQL in a
fresh temporary folder, applies the migrations, registers an officer with a second factor
(through the application, in this process) and runs two servers on 127.0.0.1:

- real: ``procurement serve``, the command a deployment runs (uvicorn with the slow-client
  protocol; the whole app, its background jobs included). The officer signs in over HTTP.
  ``POST /documents`` takes the file's bytes (spooled to a temporary file, hashed, its type
  read from its first bytes, then stored in 1 MiB rows in one transaction); a draft gets the
  documents and is published over HTTP; ``GET /public/documents/{id}`` reads one back (a
  query per 1 MiB chunk, from the document store's own pool);
- bare: a Litestar app of its own under plain uvicorn. ``POST /blobs`` streams the body
  into 1 MiB bytea rows of a copy of ``document_chunks`` (same columns, same storage) in one
  transaction as it arrives; ``GET /blobs/{id}`` streams them out, a query per chunk, from a
  pool as large as the document store's. No token, no spooling, no hash, no type check.

The document is a PDF header and random bytes (incompressible), as large as the platform
takes (``MAX_DOCUMENT_BYTES``, 200 MiB); each upload round changes its last bytes, so each
is a new file to store. In alternating rounds (real, then bare) it measures:

- the upload and the download of that document: throughput (MB/s, 10^6 bytes), and the
  growth of the server process's resident memory (VmHWM after the transfer over VmRSS before
  it, the peak reset through ``/proc/PID/clear_refs``);
- 50 concurrent downloads of a 20 MiB document, released at once on connections opened
  before: the aggregate throughput, from the release to the last byte.

Every answer is checked: the upload's SHA-256 and size, and every downloaded byte against
the document (compared as it arrives, without a copy). It prints a Markdown report and writes
it to ``bench/results/documents.md``. Everything is bounded in time, a watchdog stops the run,
and the servers and the temporary folder are removed at the end.

``--quick`` moves a 20 MiB document and 10 downloads of 2 MiB, one round: a smoke test of
the script, not a measurement.

Longer than the 500 lines a module keeps to, on purpose: a benchmark is read as one script,
top to bottom, its servers, its baseline, its measurement and its report side by side; split
into modules, a reader would chase what was measured across files.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import secrets
import socket
import sys
import time
import warnings
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
from run import (
    ENTITY,
    MIN_METERED,
    OTHER_LOAD,
    POOL_SIZE,
    Probe,
    Row,
    Sample,
    Server,
    _log,
    free_port,
    machine_facts,
    officer,
    process_server,
    run_and_report,
    tender_terms,
)
from run import server as run_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.accounts

from domain.documents import MAX_DOCUMENT_BYTES
from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.crypto.second_factor import code_at
from procurement.store import migrations
from procurement.store.database import eventsourcing_env, start_embedded
from procurement.store.documents import CHUNK_SIZE
from tests.accounts import PASSWORD, add_staff

RESULTS = Path(__file__).resolve().parent / "results" / "documents.md"
MIB = 1024 * 1024
MB = 1_000_000
OFFICER = "bench.officer@works"
DOCUMENT_POOL = 4
"""Connections of the bare app's pool: as many as the document store's (its default)."""

WATCHDOG_SECONDS = 600  # the whole run, servers included (45 to 60 s at full size)
TRANSFER_SECONDS = 120.0  # bound on one transfer, or one burst of concurrent downloads
RECEIVE_BYTES = 256 * 1024  # the client's receive buffer per connection
TARGET_THROUGHPUT = 0.5
TARGET_MEMORY_MB = 50.0
TARGET_CONCURRENT = 0.8
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
TAIL = 32
"""The last bytes each upload round changes."""

CHUNKS_TABLE = "CREATE TABLE bench_document_chunks (LIKE document_chunks INCLUDING ALL)"
BLOBS_TABLE = """
    CREATE TABLE bench_document_blobs (
        blob_id uuid PRIMARY KEY,
        size bigint NOT NULL,
        chunks integer NOT NULL
    )
"""


@dataclass(frozen=True)
class Plan:
    size: int = MAX_DOCUMENT_BYTES
    """Bytes of the document uploaded and downloaded alone."""
    small: int = 20 * MIB
    """Bytes of the document downloaded by many at once."""
    concurrent: int = 50
    rounds: int = 3
    quick: bool = False

    def smoke(self) -> Plan:
        return replace(self, size=20 * MIB, small=2 * MIB, concurrent=10, rounds=1, quick=True)


class DocumentsBenchError(RuntimeError):
    pass


# The client: HTTP/1.1 on raw non-blocking sockets ----------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes
    """The body, unless it was compared with what was expected as it came."""
    mismatch: int | None = None
    """The offset of the first received piece that differed from what was expected."""
    sent_at: float | None = None
    """When the client had handed the request's last byte to the kernel (perf_counter)."""


class Connection:
    """One keep-alive connection. Bodies are sent from a memoryview and received into one
    reused buffer, and may be compared with the expected bytes as they arrive (memcmp,
    through ``bytes.startswith``): the client costs as little CPU as it can."""

    def __init__(self, sock: socket.socket, address: str) -> None:
        self.sock = sock
        self.address = address
        self.loop = asyncio.get_running_loop()
        self.pending = bytearray()
        self.buffer = memoryview(bytearray(RECEIVE_BYTES))

    @classmethod
    async def open(cls, target: Server) -> Connection:
        address = target.base.removeprefix("http://")
        host, port = address.split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)  # noqa: FBT003 (the socket module's own signature)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        return cls(sock, address)

    def close(self) -> None:
        self.sock.close()

    def head(self, method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.address}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def send(self, *parts: bytes | bytearray | memoryview) -> None:
        for part in parts:
            await self.loop.sock_sendall(self.sock, part)

    async def answer(self, expected: bytes | bytearray | None = None) -> Answer:
        """Read one response (it needs a Content-Length). With ``expected``, the body is
        compared with it as it comes and not kept."""
        while (end := self.pending.find(b"\r\n\r\n")) < 0:
            await self._receive_pending()
        lines = bytes(self.pending[:end]).split(b"\r\n")
        del self.pending[: end + 4]
        status = int(lines[0].split(b" ", 2)[1])
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(b":") for line in lines[1:])
        }
        if b"content-length" not in headers:
            msg = f"an answer without Content-Length: {status}"
            raise DocumentsBenchError(msg)
        length = int(headers[b"content-length"])
        if expected is None or status != 200:  # noqa: PLR2004
            while len(self.pending) < length:
                await self._receive_pending()
            body = bytes(self.pending[:length])
            del self.pending[:length]
            return Answer(status, headers, body)
        return Answer(status, headers, b"", await self._compare(expected, length))

    async def _receive_pending(self) -> None:
        received = await self.loop.sock_recv_into(self.sock, self.buffer)
        if received == 0:
            msg = "the server closed the connection"
            raise ConnectionError(msg)
        self.pending += self.buffer[:received]

    async def _compare(self, expected: bytes | bytearray, length: int) -> int | None:
        mismatch = None
        position = min(len(self.pending), length)
        if not expected.startswith(self.pending[:position]):
            mismatch = 0
        del self.pending[:position]
        while position < length:
            view = self.buffer[: min(len(self.buffer), length - position)]
            received = await self.loop.sock_recv_into(self.sock, view)
            if received == 0:
                msg = "the server closed the connection"
                raise ConnectionError(msg)
            if mismatch is None and not expected.startswith(view[:received], position):
                mismatch = position
            position += received
        return mismatch


async def _upload(
    target: Server, path: str, headers: dict[str, str], body: bytes | bytearray
) -> Answer:
    connection = await Connection.open(target)
    try:
        head = connection.head(
            "POST",
            path,
            {**headers, "Content-Type": "application/pdf", "Content-Length": str(len(body))},
        )

        async def send() -> float:
            await connection.send(head, memoryview(body))
            return time.perf_counter()

        sending = asyncio.create_task(send())
        answer = await connection.answer()
        if not sending.done():  # answered before taking the whole body: a refusal
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            return answer
        return replace(answer, sent_at=await sending)
    finally:
        connection.close()


async def _download(target: Server, path: str, expected: bytes | bytearray) -> Answer:
    connection = await Connection.open(target)
    try:
        await connection.send(connection.head("GET", path))
        return await connection.answer(expected)
    finally:
        connection.close()


def _bounded(coroutine: Coroutine[Any, Any, Answer]) -> Answer:
    async def bounded() -> Answer:
        return await asyncio.wait_for(coroutine, TRANSFER_SECONDS)

    return asyncio.run(bounded())


# The server process's memory -------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    before: int
    """VmRSS before the transfer, bytes."""
    peak: int
    """VmHWM after it (the peak since the reset just before it), bytes."""
    after: int
    """VmRSS after it, bytes."""

    @property
    def growth(self) -> int:
        return self.peak - self.before


def _status_bytes(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) * 1024
    msg = f"no {field_name} in /proc/{pid}/status"
    raise DocumentsBenchError(msg)


class MemoryMeter:
    """A process's resident memory from now on: its peak reset (``5`` into
    ``clear_refs``, Linux 4.0 and later) and its size read when it starts."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        self.before = _status_bytes(pid, "VmRSS")

    def stop(self) -> Memory:
        return Memory(
            self.before, _status_bytes(self.pid, "VmHWM"), _status_bytes(self.pid, "VmRSS")
        )


@dataclass(frozen=True)
class Transfer:
    answer: Answer
    seconds: float
    sent: float
    """Seconds until the client had handed its last byte to the kernel (uploads)."""
    memory: Memory
    sample: Sample


def transfer(probe: Probe, target: Server, run: Callable[[], Answer]) -> Transfer:
    """Time ``run``, one transfer, and meter the server's memory and everyone's CPU."""
    meter, memory = probe.meter(target.pid), MemoryMeter(target.pid)
    start = time.perf_counter()
    answer = run()
    seconds = time.perf_counter() - start
    used, grown = meter.stop(), memory.stop()
    sent = (answer.sent_at or start + seconds) - start
    return Transfer(answer, seconds, sent, grown, Sample(1, seconds, (), used))


# Concurrent downloads ---------------------------------------------------------------------


@dataclass(frozen=True)
class Burst:
    seconds: float
    """From the release to the last byte of the last download."""
    memory: Memory
    sample: Sample


async def _burst(probe: Probe, target: Server, path: str, expected: bytes, count: int) -> Burst:
    """Open ``count`` connections and warm each with ``GET /health``; then send every
    download at once and read every byte. Timed and metered from the release."""
    connections = await asyncio.gather(*(Connection.open(target) for _ in range(count)))
    try:
        for connection in connections:
            await connection.send(connection.head("GET", "/health"))
        for connection in connections:
            if (await connection.answer()).status != 200:  # noqa: PLR2004
                msg = "GET /health failed on a fresh connection"
                raise DocumentsBenchError(msg)
        meter, memory = probe.meter(target.pid), MemoryMeter(target.pid)
        start = time.perf_counter()

        async def one(connection: Connection) -> float:
            await connection.send(connection.head("GET", path))
            answer = await connection.answer(expected)
            _check_download(answer, f"one of {count} downloads of {path}", None)
            return time.perf_counter() - start

        latencies = await asyncio.gather(*(one(connection) for connection in connections))
        seconds = time.perf_counter() - start
        used, grown = meter.stop(), memory.stop()
    finally:
        for connection in connections:
            connection.close()
    return Burst(seconds, grown, Sample(count, seconds, tuple(latencies), used))


def burst(probe: Probe, target: Server, path: str, expected: bytes, count: int) -> Burst:
    async def bounded() -> Burst:
        return await asyncio.wait_for(
            _burst(probe, target, path, expected, count), TRANSFER_SECONDS
        )

    return asyncio.run(bounded())


# Checks ---------------------------------------------------------------------------------


def _check_upload(answer: Answer, label: str, size: int, sha256: str | None) -> Any:
    if answer.status != 201:  # noqa: PLR2004
        msg = f"{label}: {answer.status} {answer.body[:300]!r}"
        raise DocumentsBenchError(msg)
    body = json.loads(answer.body)
    if body["size"] != size or (sha256 is not None and body["sha256"] != sha256):
        msg = f"{label}: stored {body}, expected {size} bytes hashing to {sha256}"
        raise DocumentsBenchError(msg)
    return body


def _check_download(answer: Answer, label: str, sha256: str | None) -> None:
    if answer.status != 200:  # noqa: PLR2004
        msg = f"{label}: {answer.status} {answer.body[:300]!r}"
        raise DocumentsBenchError(msg)
    if answer.mismatch is not None:
        msg = f"{label}: the bytes differ from the document's at offset {answer.mismatch}"
        raise DocumentsBenchError(msg)
    if sha256 is not None and answer.headers.get(b"etag") != f'"{sha256}"'.encode():
        msg = f"{label}: ETag {answer.headers.get(b'etag')!r}, expected the SHA-256 {sha256}"
        raise DocumentsBenchError(msg)


def _check_chunks(url: str, blob_id: str, size: int) -> None:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), sum(octet_length(data)) FROM bench_document_chunks "
            "WHERE blob_id = %s",
            (UUID(blob_id),),
        ).fetchone()
    if row is None or (row[0], row[1]) != (-(-size // CHUNK_SIZE), size):
        msg = f"the bare app stored {row} for blob {blob_id}, expected {size} bytes"
        raise DocumentsBenchError(msg)


# Set-up ---------------------------------------------------------------------------------


def make_document(size: int) -> bytearray:
    """A PDF header and random bytes: a file the platform takes, and incompressible."""
    return bytearray(PDF_HEAD + os.urandom(size - len(PDF_HEAD)))


def sign_in(base: str, secret: str) -> dict[str, str]:
    answer = httpx.post(
        f"{base}/auth/token",
        json={
            "username": OFFICER,
            "password": PASSWORD,
            "totp_code": code_at(secret, datetime.now(UTC)),
        },
        timeout=30.0,
    )
    if answer.status_code != 200:  # noqa: PLR2004
        msg = f"the officer could not sign in: {answer.status_code} {answer.text[:300]}"
        raise DocumentsBenchError(msg)
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def publish(
    app: ProcurementApplication, base: str, token: dict[str, str], files: Sequence[Any]
) -> list[str]:
    """Draft a tender (in this process), attach ``files`` and publish it over HTTP; wait
    until its documents are public. Their document ids."""
    draft = app.draft_tender(officer(), tender_terms(1, app.clock.now()))
    changes = [
        {
            "action": "add",
            "kind": "bidding_document",
            "title": f"Bidding document {index}",
            "language": "en",
            "sha256": file["sha256"],
            "file_name": file["file_name"],
        }
        for index, file in enumerate(files)
    ]
    with httpx.Client(base_url=base, headers=token, timeout=30.0) as client:
        attached = client.post(f"/tenders/{draft.id}/documents", json={"changes": changes})
        published = client.post(f"/tenders/{draft.id}/publish")
        if attached.status_code != 200 or published.status_code != 200:  # noqa: PLR2004
            msg = f"attach {attached.text[:300]}; publish {published.text[:300]}"
            raise DocumentsBenchError(msg)
        listed = client.get(
            f"/public/tenders/{draft.id}/documents",
            params={"read_token": published.json()["read_token"]},
        )
        if listed.status_code != 200:  # noqa: PLR2004
            msg = f"the published documents: {listed.status_code} {listed.text[:300]}"
            raise DocumentsBenchError(msg)
    added: list[str] = attached.json()["added"]
    return added


def server_environment(url: str, tmp: Path, kek: str) -> dict[str, str]:
    """``procurement serve``'s settings, on the bench's database; nothing from the caller's
    PROCUREMENT_ variables or DATABASE_URL."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PROCUREMENT_") and name != "DATABASE_URL"
    }
    return env | {
        "DATABASE_URL": url,
        "PROCUREMENT_JWT_SECRET": secrets.token_urlsafe(32),
        "PROCUREMENT_SEALING_KEK": kek,
        "PROCUREMENT_SIGNING_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "PROCUREMENT_DATA_DIR": str(tmp / "data"),
        "PROCUREMENT_UPLOAD_DIR": str(tmp / "uploads"),
        "PROCUREMENT_HOST": "127.0.0.1",
        "PROCUREMENT_LOG_LEVEL": "WARNING",
        "PROCUREMENT_SIGN_IN_MAX_DELAY": "0",
        "PROCUREMENT_DOCUMENT_POOL_SIZE": str(DOCUMENT_POOL),
        "BENCH_DATABASE_URL": url,
    }


@contextlib.contextmanager
def procurement_serve(env: dict[str, str], log_path: Path) -> Iterator[Server]:
    port = free_port()
    command = [str(Path(sys.executable).parent / "procurement"), "serve"]
    with process_server(command, env | {"PROCUREMENT_PORT": str(port)}, log_path, port) as up:
        yield up


# The bare server (run in a subprocess by ``run.server``) ---------------------------------


def serve(port: int) -> None:
    import uvicorn  # noqa: PLC0415 (only the server subprocess needs it)

    uvicorn.run(_bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _bare_app() -> Any:
    """HTTP, routing and the bytes in and out of PostgreSQL, in 1 MiB rows: what moving a
    document cannot cost less than."""
    from litestar import Litestar, Request, get, post  # noqa: PLC0415
    from litestar.exceptions import NotFoundException  # noqa: PLC0415
    from litestar.response import Stream  # noqa: PLC0415

    from projections.reads import create_pool  # noqa: PLC0415

    url = os.environ["BENCH_DATABASE_URL"]

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await create_pool(url, DOCUMENT_POOL)  # as the document store's
        try:
            yield
        finally:
            await app.state.pool.close()

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @post("/blobs", status_code=201, request_max_body_size=None)
    async def upload(request: Request[Any, Any, Any]) -> dict[str, Any]:
        async with request.app.state.pool.acquire() as connection, connection.transaction():
            blob_id, size = await _bare_store(connection, request.stream())
        return {"blob_id": str(blob_id), "size": size}

    @get("/blobs/{blob_id:uuid}")
    async def download(request: Request[Any, Any, Any], blob_id: UUID) -> Stream:
        pool = request.app.state.pool
        row = await pool.fetchrow(
            "SELECT size, chunks FROM bench_document_blobs WHERE blob_id = $1", blob_id
        )
        if row is None:
            raise NotFoundException

        async def chunks() -> AsyncIterator[bytes]:
            for seq in range(row["chunks"]):
                yield await pool.fetchval(
                    "SELECT data FROM bench_document_chunks WHERE blob_id = $1 AND seq = $2",
                    blob_id,
                    seq,
                )

        return Stream(
            chunks(), media_type="application/pdf", headers={"Content-Length": str(row["size"])}
        )

    return Litestar(
        route_handlers=[health, upload, download],
        lifespan=[lifespan],
        signature_namespace={"Stream": Stream},  # imported here, not at the module's top
        debug=False,
    )


async def _bare_store(connection: Any, stream: AsyncIterator[bytes]) -> tuple[UUID, int]:
    """The body into 1 MiB rows as it comes, then the blob's row."""
    blob_id, seq, size, pending = uuid4(), 0, 0, bytearray()
    insert = "INSERT INTO bench_document_chunks (blob_id, seq, data) VALUES ($1, $2, $3)"
    async for piece in stream:
        pending += piece
        size += len(piece)
        while len(pending) >= CHUNK_SIZE:
            await connection.execute(insert, blob_id, seq, bytes(pending[:CHUNK_SIZE]))
            del pending[:CHUNK_SIZE]
            seq += 1
    if pending:
        await connection.execute(insert, blob_id, seq, bytes(pending))
        seq += 1
    await connection.execute(
        "INSERT INTO bench_document_blobs (blob_id, size, chunks) VALUES ($1, $2, $3)",
        blob_id,
        size,
        seq,
    )
    return blob_id, size


# The run --------------------------------------------------------------------------------

REAL = "real app"
BARE = "bare app"


@dataclass
class Results:
    uploads: dict[str, list[Transfer]] = field(default_factory=lambda: {REAL: [], BARE: []})
    downloads: dict[str, list[Transfer]] = field(default_factory=lambda: {REAL: [], BARE: []})
    bursts: dict[str, list[Burst]] = field(default_factory=lambda: {REAL: [], BARE: []})
    load: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)

    def note_load(self, moment: str) -> None:
        self.load.append((moment, os.getloadavg()))


def _throughput(size: int, transfers: Sequence[Transfer]) -> float:
    """MB/s over all rounds: bytes moved over seconds taken."""
    return size * len(transfers) / sum(t.seconds for t in transfers) / MB


@dataclass
class Rig:
    """What every round needs: the plan, the database, the servers, the officer's token,
    the document and what was stored of it."""

    plan: Plan
    url: str
    probe: Probe
    real: Server
    bare: Server
    token: dict[str, str]
    document: bytearray
    results: Results = field(default_factory=Results)
    hashes: list[str] = field(default_factory=list)
    real_files: list[Any] = field(default_factory=list)
    bare_blobs: list[Any] = field(default_factory=list)

    def upload_rounds(self) -> None:
        """Real then bare, each round a new file: nothing is deduplicated."""
        document, results, size = self.document, self.results, self.plan.size
        for round_ in range(1, self.plan.rounds + 1):
            document[-TAIL:] = secrets.token_bytes(TAIL)
            self.hashes.append(hashlib.sha256(document).hexdigest())
            results.note_load(f"upload round {round_}")
            path = "/documents?file_name=bench.pdf"
            up = self.transfer(self.real, _upload(self.real, path, self.token, document))
            self.real_files.append(_check_upload(up.answer, "upload", size, self.hashes[-1]))
            results.uploads[REAL].append(up)
            _log_transfer(f"{REAL} upload, round {round_}", size, up)
            up = self.transfer(self.bare, _upload(self.bare, "/blobs", {}, document))
            self.bare_blobs.append(_check_upload(up.answer, "bare upload", size, None))
            _check_chunks(self.url, self.bare_blobs[-1]["blob_id"], size)
            results.uploads[BARE].append(up)
            _log_transfer(f"{BARE} upload, round {round_}", size, up)

    def download_rounds(self, document_id: str, sha256: str) -> None:
        """The last round's upload, real then bare, after a warm-up download of each."""
        real_path = f"/public/documents/{document_id}"
        bare_path = f"/blobs/{self.bare_blobs[-1]['blob_id']}"
        document, results, size = self.document, self.results, self.plan.size
        _check_download(_bounded(_download(self.real, real_path, document)), "warm-up", sha256)
        _check_download(_bounded(_download(self.bare, bare_path, document)), "bare warm-up", None)
        for round_ in range(1, self.plan.rounds + 1):
            results.note_load(f"download round {round_}")
            down = self.transfer(self.real, _download(self.real, real_path, document))
            _check_download(down.answer, f"download, round {round_}", sha256)
            results.downloads[REAL].append(down)
            _log_transfer(f"{REAL} download, round {round_}", size, down)
            down = self.transfer(self.bare, _download(self.bare, bare_path, document))
            _check_download(down.answer, f"bare download, round {round_}", None)
            results.downloads[BARE].append(down)
            _log_transfer(f"{BARE} download, round {round_}", size, down)

    def burst_rounds(self, paths: dict[str, str], small: bytes) -> None:
        plan = self.plan
        for round_ in range(1, plan.rounds + 1):
            self.results.note_load(f"concurrent round {round_}")
            for name, target in ((REAL, self.real), (BARE, self.bare)):
                done = burst(self.probe, target, paths[name], small, plan.concurrent)
                self.results.bursts[name].append(done)
                _log(
                    f"{name}, {plan.concurrent} downloads at once, round {round_}: "
                    f"{plan.small * plan.concurrent / done.seconds / MB:.0f} MB/s, "
                    f"memory +{done.memory.growth / MB:.1f} MB"
                )

    def transfer(self, target: Server, run: Coroutine[Any, Any, Answer]) -> Transfer:
        return transfer(self.probe, target, lambda: _bounded(run))


def measure(tmp: Path, plan: Plan) -> str:
    started = datetime.now(UTC)
    load = os.getloadavg()
    _log(f"starting an embedded PostgreSQL in {tmp}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        url = start_embedded(tmp / "pg", "bench")
    migrations.upgrade(url)
    with psycopg.connect(url) as conn:
        conn.execute(CHUNKS_TABLE)
        conn.execute(BLOBS_TABLE)
        conn.commit()
    kek = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = server_environment(url, tmp, kek)
    (tmp / "uploads").mkdir()
    app = ProcurementApplication(
        eventsourcing_env(url, POOL_SIZE), rule_profile="sppra", kek=base64.urlsafe_b64decode(kek)
    )
    try:
        secret = add_staff(app, OFFICER, Role.OFFICER, ENTITY)
        _log(f"making a {plan.size / MIB:.0f} MiB document")
        document = make_document(plan.size)
        small = bytes(document[: plan.small])
        with (
            procurement_serve(env, tmp / "real-server.log") as real,
            run_server("bare", env, tmp / "bare-server.log", script=Path(__file__)) as bare,
        ):
            token = sign_in(real.base, secret)
            rig = Rig(
                plan, url, Probe.for_pgdata(tmp / "pg" / "pgdata"), real, bare, token, document
            )
            rig.results.load.append(("start", load))
            # The warm-up (pools, code paths), and the concurrent downloads' document.
            small_file = _check_upload(
                _bounded(_upload(real, "/documents?file_name=small.pdf", token, small)),
                "upload of the small document",
                plan.small,
                hashlib.sha256(small).hexdigest(),
            )
            bare_small = _check_upload(
                _bounded(_upload(bare, "/blobs", {}, small)), "bare warm-up", plan.small, None
            )
            rig.upload_rounds()
            big_id, small_id = publish(app, real.base, token, [rig.real_files[-1], small_file])
            rig.download_rounds(big_id, rig.hashes[-1])
            small_paths = {
                REAL: f"/public/documents/{small_id}",
                BARE: f"/blobs/{bare_small['blob_id']}",
            }
            rig.burst_rounds(small_paths, small)
        rig.results.note_load("end")
        facts = machine_facts(url)
    finally:
        app.close()
    return report(plan, rig.results, facts, started)


def _log_transfer(label: str, size: int, done: Transfer) -> None:
    _log(
        f"{label}: {size / done.seconds / MB:.0f} MB/s ({done.seconds:.2f} s), memory "
        f"+{done.memory.growth / MB:.1f} MB"
    )


# The report -----------------------------------------------------------------------------


def report(plan: Plan, results: Results, facts: list[tuple[str, str]], started: datetime) -> str:
    up = {name: _throughput(plan.size, results.uploads[name]) for name in (REAL, BARE)}
    down = {name: _throughput(plan.size, results.downloads[name]) for name in (REAL, BARE)}
    many = {
        name: plan.small
        * plan.concurrent
        * len(results.bursts[name])
        / sum(b.seconds for b in results.bursts[name])
        / MB
        for name in (REAL, BARE)
    }
    size = f"{plan.size / MIB:.0f} MiB"
    at_once = f"{plan.concurrent} downloads of {plan.small / MIB:.0f} MiB at once"
    rows = [
        Row(f"upload of {size}", up[REAL], up[BARE], "MB/s"),
        Row(f"download of {size}", down[REAL], down[BARE], "MB/s"),
        Row(at_once, many[REAL], many[BARE], "MB/s"),
    ]
    growth = {
        what: {name: max(m.growth for m in memories[name]) / MB for name in (REAL, BARE)}
        for what, memories in (
            (
                f"upload of {size}",
                {n: [t.memory for t in results.uploads[n]] for n in (REAL, BARE)},
            ),
            (
                f"download of {size}",
                {n: [t.memory for t in results.downloads[n]] for n in (REAL, BARE)},
            ),
            (at_once, {n: [b.memory for b in results.bursts[n]] for n in (REAL, BARE)}),
        )
    }
    lines = [
        f"# Tender documents, {started:%Y-%m-%d %H:%M} UTC",
        "",
        "| metric | real app | bare app | ratio |",
        "|---|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    lines += [
        "",
        "Ratio is real / bare; MB is 10^6 bytes; throughput over all rounds.",
        "",
        (
            "| server process's peak memory growth, largest over the rounds (MB) "
            "| real app | bare app |"
        ),
        "|---|---:|---:|",
    ]
    lines += [f"| {what} | {v[REAL]:.1f} | {v[BARE]:.1f} |" for what, v in growth.items()]
    lines.append("")
    ratios = (up[REAL] / up[BARE], down[REAL] / down[BARE], many[REAL] / many[BARE])
    worst = max(growth[f"upload of {size}"][REAL], growth[f"download of {size}"][REAL])
    lines += [f"- {note}" for note in _notes(plan, results, ratios, worst)]
    lines += ["", "## Each round", ""]
    lines += _round_table(plan, results)
    lines += ["", "## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in facts]
    lines += [
        "- load average (1, 5, 15 min): "
        + "; ".join(f"{moment} {a:.2f} {b:.2f} {c:.2f}" for moment, (a, b, c) in results.load)
    ]
    return "\n".join(lines) + "\n"


def _round_table(plan: Plan, results: Results) -> list[str]:
    lines = [
        (
            "Seconds; MB/s; the server's peak memory growth (MB); average cores used by the "
            "server, PostgreSQL and the bench client (CPU seconds over wall seconds). For an "
            "upload, `sent` is when the client had handed its last byte to the kernel: the "
            "rest is the server finishing (for the real app, storing the spooled file)."
        ),
        "",
        "| what | round | real app | bare app |",
        "|---|---:|---|---|",
    ]

    def cell(seconds: float, moved: int, memory: Memory, sample: Sample, sent: float | None) -> str:
        cpu = sample.cpu
        cores = f"; cores {cpu.server:.2f} / {cpu.postgres:.2f} / {cpu.bench:.2f}" if cpu else ""
        extra = f" (sent {sent:.2f} s)" if sent is not None else ""
        return (
            f"{seconds:.2f} s{extra}; {moved / seconds / MB:.0f} MB/s; "
            f"+{memory.growth / MB:.1f} MB{cores}"
        )

    for what, transfers, uploads in (
        ("upload", results.uploads, True),
        ("download", results.downloads, False),
    ):
        for index in range(plan.rounds):
            cells = [
                cell(t.seconds, plan.size, t.memory, t.sample, t.sent if uploads else None)
                for t in (transfers[REAL][index], transfers[BARE][index])
            ]
            lines.append(f"| {what} | {index + 1} | " + " | ".join(cells) + " |")
    for index in range(plan.rounds):
        cells = [
            cell(b.seconds, plan.small * plan.concurrent, b.memory, b.sample, None)
            for b in (results.bursts[REAL][index], results.bursts[BARE][index])
        ]
        lines.append(f"| {plan.concurrent} at once | {index + 1} | " + " | ".join(cells) + " |")
    return lines


def _verdict(plan: Plan, met: bool) -> str:
    if plan.quick:
        return "no verdict (quick run)"
    return "**met**" if met else "**not met**"


def _notes(
    plan: Plan, results: Results, ratios: tuple[float, float, float], worst: float
) -> list[str]:
    upload, download, concurrent = ratios
    notes = [
        (
            f"Targets: upload and download at least {TARGET_THROUGHPUT}x the bare app: upload "
            f"{upload:.2f}x {_verdict(plan, upload >= TARGET_THROUGHPUT)}, download "
            f"{download:.2f}x {_verdict(plan, download >= TARGET_THROUGHPUT)}; the API "
            f"process's memory growth under {TARGET_MEMORY_MB:.0f} MB during the upload and "
            f"the download: at most {worst:.1f} MB {_verdict(plan, worst < TARGET_MEMORY_MB)}; "
            f"{plan.concurrent} downloads at once at least {TARGET_CONCURRENT}x the bare app: "
            f"{concurrent:.2f}x {_verdict(plan, concurrent >= TARGET_CONCURRENT)}."
        ),
        (
            f"Document: {plan.size:,} bytes ({plan.size / MIB:.0f} MiB), a PDF header and "
            "random bytes; each upload round a new file (its last 32 bytes changed). The "
            f"concurrent downloads: its first {plan.small:,} bytes, stored as a file of its own. "
            f"{plan.rounds} rounds of each, real then bare, after a warm-up."
        ),
        (
            "Real app: `procurement serve` (one process, its background jobs included), the "
            "officer's token from `POST /auth/token`, `POST /documents` and "
            "`GET /public/documents/{id}` of a published tender; every upload answered 201 "
            "with the file's SHA-256 and size, every download 200 with the SHA-256 as ETag and "
            "every byte the document's."
        ),
        (
            "Bare app: plain uvicorn (h11, no access log) and Litestar, the body streamed into "
            "1 MiB rows of `bench_document_chunks` (`LIKE document_chunks INCLUDING ALL`: "
            f"same storage) in one transaction, read back a query per chunk; a pool of "
            f"{DOCUMENT_POOL} connections, as the document store's."
        ),
        (
            "Memory: VmHWM after the transfer over VmRSS before it, the peak reset just before "
            "through /proc/PID/clear_refs, of the server process alone (not PostgreSQL)."
        ),
        (
            "Client: raw non-blocking sockets in the bench process, one connection per "
            "transfer, the body sent from memory and compared as it arrives; the concurrent "
            "downloads from connections opened and warmed with GET /health before the release, "
            "timed from the release to the last byte."
        ),
    ]
    phases = [
        (f"{name} {what}", sample)
        for name in (REAL, BARE)
        for what, samples in (
            ("uploads", [t.sample for t in results.uploads[name]]),
            ("downloads", [t.sample for t in results.downloads[name]]),
            ("concurrent downloads", [b.sample for b in results.bursts[name]]),
        )
        for sample in [Sample.merge(samples)]
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
    other = ", ".join(
        f"{name} {sample.cpu.other:.2f}" for name, sample in phases if sample.cpu is not None
    )
    notes.append(f"Cores used by other processes during each phase: {other}.")
    if plan.quick:
        notes.insert(0, "QUICK RUN (--quick): a smoke test, not a measurement.")
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="20 MiB, 10 downloads of 2 MiB, 1 round (smoke test)"
    )
    parser.add_argument("--serve", choices=["bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.port)
        return 0
    plan = Plan().smoke() if args.quick else Plan()
    return run_and_report(
        "procurement-documents-", RESULTS, lambda tmp: measure(tmp, plan), WATCHDOG_SECONDS
    )


if __name__ == "__main__":
    sys.exit(main())
