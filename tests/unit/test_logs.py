"""Structured logs: JSON lines carrying the request id, nothing else from the request."""

from __future__ import annotations

import json
import logging

import pytest

from procurement import logs


def test_a_log_line_is_json_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    before = logging.getLogger().handlers[:]
    try:
        logs.configure("INFO", "json", force=True)
        token = logs.REQUEST_ID.set("req-42")
        logging.getLogger("procurement.test").info("bid accepted")
        logs.REQUEST_ID.reset(token)
        logging.getLogger("procurement.test").warning("no request here")
    finally:
        logging.getLogger().handlers[:] = before
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "bid accepted"
    assert lines[0]["request_id"] == "req-42"
    assert lines[0]["level"] == "INFO"
    assert lines[0]["logger"] == "procurement.test"
    assert lines[1]["request_id"] is None
    assert set(lines[0]) == {"time", "level", "logger", "message", "request_id"}
