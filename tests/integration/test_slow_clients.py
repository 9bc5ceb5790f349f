"""Slow clients on the real server (``procurement serve``, one-second deadlines): headers sent
a byte at a time, a silent connection, a trickling body and the unread rest of a body are cut
off while other requests are answered; a client that keeps going is served."""

from __future__ import annotations

import http.client
import select
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from procurement.settings import Settings
from tests.served import Served, server_env

METRICS_TOKEN = "scrape-me-" + "x" * 32
DRIP_LIMIT = 600
"""Bytes a slow client sends, one a tenth of a second, before the test gives up on the cut."""


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[Served]:
    served = Served(
        server_env(
            settings,
            tmp_path / "data",
            PROCUREMENT_HEADER_TIMEOUT="1",
            PROCUREMENT_BODY_TIMEOUT="2",
            PROCUREMENT_METRICS_TOKEN=METRICS_TOKEN,
        ),
        tmp_path / "stderr.log",
    )
    served.start()
    yield served
    served.stop()


def _connect(server: Served) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def _closed(connection: socket.socket) -> bool:
    """Whether the server has closed the connection (without waiting)."""
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(4096) == b""
    except ConnectionResetError:
        return True


def _read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes."""
    received = b""
    while True:
        try:
            chunk = connection.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def test_a_slow_header_client_is_cut_off_while_others_are_served(server: Served) -> None:
    slow = _connect(server)
    slow.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    idle = _connect(server)  # sends nothing at all
    served = []
    sent = 0
    while not _closed(slow) and sent < DRIP_LIMIT:
        try:
            slow.sendall(b"x")
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 1
        served.append(server.call("GET", "/health")[0])
        time.sleep(0.1)
    assert sent < DRIP_LIMIT  # cut off, headers never finished
    assert served
    assert set(served) == {200}  # every other request answered meanwhile
    assert _read_all(idle) == b""  # the silent one too, without an answer
    slow.close()
    idle.close()
    scrape = urllib.request.Request(  # noqa: S310 (the test's own server)
        f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(scrape, timeout=60) as metrics:  # noqa: S310
        assert 'procurement_slow_clients_cut_total{phase="headers"} 2.0' in metrics.read().decode()


def test_a_trickling_body_gets_408_and_the_connection_ends(server: Served) -> None:
    slow = _connect(server)
    slow.sendall(
        b"POST /auth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b'Content-Length: 200\r\n\r\n{"username": '
    )
    answer = _read_all(slow)  # the server waits 2 s for more, then answers and closes
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in head.lower()
    assert b'"code":"request_timeout"' in body


def test_the_unread_rest_of_a_body_is_cut_off_after_its_answer(server: Served) -> None:
    slow = _connect(server)
    slow.sendall(b"POST /no/such/route HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9999\r\n\r\n")
    answer = b""
    for _ in range(DRIP_LIMIT):  # a byte of the body now and then, never the whole
        readable, _, _ = select.select([slow], [], [], 0.1)
        if readable:  # read in one place only: the answer, then the end of the connection
            try:
                chunk = slow.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
        try:
            slow.sendall(b"x")
        except (BrokenPipeError, ConnectionResetError):
            break
    else:
        pytest.fail("the connection was never closed")
    assert answer.startswith(b"HTTP/1.1 404 ")  # answered at once, then cut off


def test_a_client_that_keeps_going_is_served(server: Served) -> None:
    # A body in pieces, each well within the pause allowed; then another request on the
    # same connection (keep-alive).
    body = b'{"username": "nobody", "password": "not-the-password"}'
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.putrequest("POST", "/auth/token")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders()
    for start in range(0, len(body), 10):
        connection.send(body[start : start + 10])
        time.sleep(0.2)
    first = connection.getresponse()
    first.read()
    connection.request("GET", "/health")
    second = connection.getresponse()
    assert (first.status, second.status) == (401, 200)
    connection.close()
