"""The audit export (JSON Lines): in position order, every stored event with its ledger leaf,
then every signed checkpoint. The format is in ``docs/audit.md``; ``verify`` checks it."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg.rows import dict_row

FORMAT = "sindh-procurement-audit"
REDACTED_TOPICS = ("procurement:Account.",)  # password hashes are nobody's business
OPENED = "procurement:Tender.BidsOpened"
PUBLISHED = "procurement:Tender.TenderPublished"  # its sealing keys: the released ones' halves
BID_ENVELOPES = ("procurement:Bid.BidSubmitted", "procurement:Bid.BidReplaced")
WITHDRAWN = "procurement:Bid.BidWithdrawn"


def export_lines(conn: psycopg.Connection[Any], public_key: str, origin: str) -> Iterator[str]:
    """The export, line by line, from one consistent read of ``conn``."""
    yield _line(
        {
            "type": "header",
            "format": FORMAT,
            "version": 1,
            "origin": origin,
            "public_key": public_key,
            "leaf_encoding": "SPL1",
        }
    )
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            "SELECT l.leaf_index, coalesce(e.notification_id, l.position) AS position, "
            "l.leaf_hash, e.originator_id, e.originator_version, e.topic, e.state "
            "FROM ledger_leaves l FULL OUTER JOIN procurement_events e "
            "ON e.notification_id = l.position ORDER BY 2"
        )
        for row in cursor:
            yield _line(_event_line(row))
        cursor.execute("SELECT checkpoint FROM ledger_checkpoints ORDER BY tree_size")
        for row in cursor:
            yield _line(row["checkpoint"])


def _event_line(row: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "event",
        "position": int(row["position"]),
        "leaf_index": row["leaf_index"],
        "leaf_hash": bytes(row["leaf_hash"]).hex() if row["leaf_hash"] is not None else None,
    }
    if row["originator_id"] is None:
        return {**line, "missing": True}
    state = bytes(row["state"])
    redacted = row["topic"].startswith(REDACTED_TOPICS)
    return {
        **line,
        "aggregate_id": str(row["originator_id"]),
        "version": int(row["originator_version"]),
        "topic": row["topic"],
        "state_sha256": hashlib.sha256(state).hexdigest(),
        "state": None if redacted else base64.b64encode(state).decode("ascii"),
        "redacted": redacted,
    }


def _line(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"


def database_lines(dsn: str, public_key: str, origin: str) -> list[str]:
    """The export of the live database, read in one repeatable-read transaction."""
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return list(export_lines(conn, public_key, origin))
