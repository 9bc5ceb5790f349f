"""The running server's logs: every line on stderr, from start-up to shutdown, in each of its
processes, uvicorn's and Litestar's included, is one JSON object with the request id of the
request it was written under."""

from __future__ import annotations

import json
import time
from pathlib import Path
from uuid import uuid4

import pytest

from procurement.settings import Settings
from tests.served import Served, server_env


def _wait_for_every_process(stderr: Path, workers: int) -> None:
    """The first process to listen answers the requests; under load, another may still be
    starting when they are done. Stopped before it starts, it would write no line."""
    for _ in range(600):
        if stderr.read_text().count("Started server process") >= workers:
            return
        time.sleep(0.1)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_line_the_server_writes_is_json_with_its_request_id(
    settings: Settings, tmp_path: Path, workers: int
) -> None:
    stderr = tmp_path / "stderr.log"
    server = Served(server_env(settings, tmp_path / "data"), stderr, workers=workers)
    server.start()
    try:
        answers = {
            "probe-health": server.call("GET", "/health", headers={"X-Request-ID": "probe-health"}),
            "probe-404": server.call("GET", "/no/such/page", headers={"X-Request-ID": "probe-404"}),
            "probe-tender": server.call(
                "GET", f"/public/tenders/{uuid4()}", headers={"X-Request-ID": "probe-tender"}
            ),
            "probe-401": server.call(
                "POST",
                "/auth/token",
                {"username": "nobody", "password": "not-the-password"},
                {"X-Request-ID": "probe-401"},
            ),
        }
        _wait_for_every_process(stderr, workers)
    finally:
        server.stop()

    assert [status for status, _, _ in answers.values()] == [200, 404, 404, 401]
    for request_id, (status, headers, body) in answers.items():
        assert headers["x-request-id"] == request_id
        if status >= 400:
            assert body["request_id"] == request_id
    lines = stderr.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # fails on the first line that is not JSON
    assert all(isinstance(record, dict) for record in records)
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= set(record), record
        assert not any("\x1b" in str(value) for value in record.values())  # no colours
    loggers = {record["logger"] for record in records}
    assert {"uvicorn.error", "uvicorn.access", "procurement.cli"} <= loggers
    access = {
        record["request_id"]: record["message"]
        for record in records
        if record["logger"] == "uvicorn.access"
    }
    assert set(answers) <= set(access), access
    assert '"GET /no/such/page HTTP/1.1" 404' in access["probe-404"]
    started = [r for r in records if r["message"].startswith("Started server process")]
    assert len(started) == workers  # each server process, from its first line
    assert all(r["request_id"] is None for r in started)
