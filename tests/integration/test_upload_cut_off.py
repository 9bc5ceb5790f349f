"""An upload cut off half-way, on the real server: nothing is stored, no spooled file stays,
and the server goes on serving (the same bytes uploaded whole are then stored)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.crypto.second_factor import code_at
from procurement.settings import Settings
from tests.accounts import add_staff
from tests.api.conftest import PASSWORD
from tests.served import Served, server_env

SIZE = 6 * 1024 * 1024


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[Served]:
    spool = tmp_path / "spool"
    spool.mkdir()
    served = Served(
        server_env(settings, tmp_path / "data", PROCUREMENT_UPLOAD_DIR=str(spool)),
        tmp_path / "stderr.log",
    )
    served.start()
    yield served
    served.stop()


def rows(dsn: str) -> tuple[int, int]:
    with psycopg.connect(dsn) as connection:
        [(blobs, chunks)] = connection.execute(
            "SELECT (SELECT count(*) FROM document_blobs), (SELECT count(*) FROM document_chunks)"
        ).fetchall()
    return blobs, chunks


def test_an_upload_cut_off_half_way_leaves_nothing(
    server: Served, application: ProcurementApplication, settings: Settings, tmp_path: Path
) -> None:
    secret = add_staff(application, "officer@works", Role.OFFICER, "works-and-services-department")
    body = {"username": "officer@works", "password": PASSWORD}
    status, _, signed_in = server.call(
        "POST", "/auth/token", {**body, "totp_code": code_at(secret, datetime.now(UTC))}
    )
    assert status == 200, signed_in
    token = f"Bearer {signed_in['access_token']}"
    content = b"%PDF-1.7\n" + os.urandom(SIZE)
    head = (
        f"POST /documents?file_name=cut.pdf HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: {token}\r\nContent-Type: application/pdf\r\n"
        f"Content-Length: {len(content)}\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    connection.sendall(head + content[: len(content) // 2])
    time.sleep(0.5)  # the server has begun spooling
    connection.close()  # cut off half-way

    deadline = time.monotonic() + 10
    while any((tmp_path / "spool").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list((tmp_path / "spool").iterdir()) == []
    assert rows(settings.dsn) == (0, 0)

    request = urllib.request.Request(  # noqa: S310 (the test's own server)
        f"{server.url}/documents?file_name=whole.pdf",
        data=content,
        method="POST",
        headers={"Authorization": token, "Content-Type": "application/pdf"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
        assert answer.status == 201
        body = json.load(answer)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert rows(settings.dsn)[0] == 1
    assert list((tmp_path / "spool").iterdir()) == []
