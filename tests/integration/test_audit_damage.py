"""``procurement audit verify`` on a damaged export: a real export (the demo's store, its
ledger hashed and signed twice, and an event after that) damaged one line and one field at a
time, in every field of every kind of line and of the states the openings are checked from.
Each damage gives a report and exit status 1, never a traceback; a line the verifier cannot
read is named with its number and position."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from api.cli import demo_data as demo
from domain.account import account_id_for
from domain.values import Actor, Role
from procurement.audit import export as audit_export
from procurement.audit import verify as audit
from procurement.commands.application import ProcurementApplication
from procurement.jobs.ledger_writer import LedgerWriter
from procurement.settings import Settings
from tests.support import FakeClock, terms

OFFICER = Actor(
    account_id=account_id_for("officer.works"),
    role=Role.OFFICER,
    request_id="t",
    entity="works-and-services-department",
)
STATE_TOPICS = (audit_export.PUBLISHED, audit_export.OPENED, *audit_export.BID_ENVELOPES)
# A value of every JSON type, and numbers no field takes.
OTHER_VALUES: tuple[Any, ...] = (None, True, 7, 1.5, 1e300, "x", [], {})
WHOLE_LINE = ("truncated", "not JSON", "a list", "a string", "null", "an empty object", "extra")


@dataclass(frozen=True)
class Damage:
    line: int  # 1-based, as the report names it
    what: str
    text: bytes  # the whole export, damaged
    unreadable: bool  # the line can no longer be read: the report must name it
    detectable: bool = True  # False: a change nothing signed vouches for (the unhashed event)


@pytest.fixture
def export(
    settings: Settings, application: ProcurementApplication, clock: FakeClock, tmp_path: Path
) -> tuple[list[str], str]:
    """The demo's store, hashed and signed; one more checkpoint; one event the ledger has not
    hashed: every kind of line an export has."""
    demo.load(application, tmp_path / "demo")
    writer = LedgerWriter(
        dsn=settings.dsn,
        signer=application.signer,
        clock=clock,
        origin=settings.ledger_origin,
        checkpoint_interval=0,
    )
    writer.catch_up()
    application.draft_tender(OFFICER, terms(clock.now()))
    writer.catch_up()  # a second checkpoint: their consistency is checked
    application.draft_tender(OFFICER, terms(clock.now()))  # not hashed yet
    key = application.signer.public_key
    lines = audit_export.database_lines(settings.dsn, key, settings.ledger_origin)
    return [line.rstrip("\n") for line in lines], key


def kinds(lines: list[str]) -> dict[str, int]:
    """One line (its index) of each kind: the header, the checkpoints, an event redacted, one
    not hashed yet, and one of each topic the openings are checked from, and any other."""
    chosen: dict[str, int] = {}
    for index, line in enumerate(lines):
        document = json.loads(line)
        kind = document["type"]
        if kind == "event":
            if document["redacted"]:
                kind = "redacted event"
            elif document["leaf_index"] is None:
                kind = "unhashed event"
            elif document["topic"] in STATE_TOPICS:
                kind = document["topic"]
        chosen.setdefault(kind, index)
    return chosen


def _text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _whole_line(line: str, how: str) -> str:
    return {
        "truncated": line[: len(line) // 2],
        "not JSON": "this is not JSON",
        "a list": json.dumps([json.loads(line)]),
        "a string": json.dumps(line),
        "null": "null",
        "an empty object": "{}",
        "extra": line + " 1",
    }[how]


def _corrupted(value: Any) -> Iterator[tuple[str, Any]]:
    """The value changed but of its own type: a character replaced, cut short, lengthened;
    a number off by one; a flag flipped."""
    if isinstance(value, bool):
        yield "flipped", not value
    elif isinstance(value, int):
        yield from (("plus one", value + 1), ("minus one", value - 1))
    elif isinstance(value, str) and value:
        yield from (
            ("a character replaced", "~" + value[1:]),
            ("cut short", value[: len(value) // 2]),
            ("lengthened", value + "0"),
        )


def _other_types(value: Any) -> Iterator[tuple[str, Any]]:
    """The value replaced by one of another JSON type (or a number no field takes)."""
    for other in OTHER_VALUES:
        same_number = type(other) is type(value) and other == value
        if not same_number and (isinstance(other, bool) or type(other) is not type(value)):
            yield f"made {json.dumps(other)}", other
    if isinstance(value, int) and not isinstance(value, bool):
        yield from (("made 1.5", 1.5), ("made 2**64", 2**64))


def field_damages(lines: list[str], index: int, detectable: bool) -> Iterator[Damage]:
    number = index + 1
    document = json.loads(lines[index])

    def damaged(what: str, line: str, *, unreadable: bool, always: bool = False) -> Damage:
        changed = [*lines[:index], line, *lines[index + 1 :]]
        return Damage(number, what, _text(changed), unreadable, detectable or always)

    for how in WHOLE_LINE:
        yield damaged(how, _whole_line(lines[index], how), unreadable=True, always=True)
    raw = _text(lines)
    start = sum(len(line.encode()) + 1 for line in lines[:index])
    middle = start + len(lines[index].encode()) // 2
    not_utf8 = raw[:middle] + b"\xff" + raw[middle + 1 :]
    yield Damage(number, "not UTF-8", not_utf8, unreadable=True, detectable=True)
    for key, value in document.items():
        without = {k: v for k, v in document.items() if k != key}
        yield damaged(f"{key} deleted", json.dumps(without), unreadable=True, always=True)
        renamed = {(k + "_" if k == key else k): v for k, v in document.items()}
        yield damaged(f"{key} renamed", json.dumps(renamed), unreadable=True, always=True)
        for how, other in _other_types(value):
            changed = json.dumps({**document, key: other})
            numeric = isinstance(other, (int, float)) and not isinstance(other, bool)
            same_kind = numeric and isinstance(value, (int, float)) and not isinstance(value, bool)
            whole = same_kind and float(other).is_integer()
            yield damaged(f"{key} {how}", changed, unreadable=not whole, always=not whole)
        for how, other in _corrupted(value):
            yield damaged(f"{key} {how}", json.dumps({**document, key: other}), unreadable=False)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        yield (*path, key)
        yield from _paths(child, (*path, key))


def state_damages(lines: list[str], index: int) -> Iterator[Damage]:
    """Every field of the event's state deleted or given another type; the state re-encoded
    and its digest made to match, so that only the leaf tells, and the openings' check reads
    the damaged state."""
    document = json.loads(lines[index])
    state = json.loads(base64.b64decode(document["state"]))
    replacements: list[tuple[str, Any]] = [("deleted", ...)]
    others: tuple[Any, ...] = (None, "x", 1, [], {})
    replacements += [(f"made {json.dumps(v)}", v) for v in others]
    for path in _paths(state):
        for how, value in replacements:
            changed = copy.deepcopy(state)
            parent = changed
            for step in path[:-1]:
                parent = parent[step]
            if value is ...:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            data = json.dumps(changed).encode()
            line = json.dumps(
                {
                    **document,
                    "state": base64.b64encode(data).decode(),
                    "state_sha256": hashlib.sha256(data).hexdigest(),
                }
            )
            what = f"{document['topic']} state {'.'.join(map(str, path))} {how}"
            text = _text([*lines[:index], line, *lines[index + 1 :]])
            yield Damage(index + 1, what, text, unreadable=False)


def damages(lines: list[str]) -> Iterator[Damage]:
    chosen = kinds(lines)
    assert set(chosen) >= {
        "header",
        "checkpoint",
        "redacted event",
        "unhashed event",
        "event",
        *STATE_TOPICS[:3],
    }, chosen
    for kind, index in chosen.items():
        yield from field_damages(lines, index, detectable=kind != "unhashed event")
        if kind in STATE_TOPICS:
            yield from state_damages(lines, index)


def verify(path: Path, text: bytes, key: str) -> Any:
    path.write_bytes(text)
    return CliRunner().invoke(cli, ["audit", "verify", str(path), "--public-key", key])


def test_the_undamaged_export_verifies(export: tuple[list[str], str], tmp_path: Path) -> None:
    lines, key = export
    result = verify(tmp_path / "export.jsonl", _text(lines), key)
    assert result.exit_code == 0, result.output
    assert "verified" in result.output


def test_every_damage_is_reported_never_raised(export: tuple[list[str], str]) -> None:
    """The verifier on every damage: a report (it raises nothing), not ok unless the damage
    is one nothing signed vouches for, and the line named when it can no longer be read."""
    lines, key = export
    count = 0
    for damage in damages(lines):
        count += 1
        report = audit.verify(audit.file_lines(damage.text), key)
        where = (damage.line, damage.what, report.problems[:3])
        if damage.detectable:
            assert not report.ok, where
        if damage.unreadable:
            assert damage.line in {line for line, _, _ in report.damaged}, where
    assert count > 2000  # every field of every kind of line, and of the states


def test_the_command_line_names_a_damaged_line_and_exits_1(
    export: tuple[list[str], str], tmp_path: Path
) -> None:
    """What the command adds to the report, for each kind of line: reading the file (bytes
    that are not UTF-8 included), printing the damaged lines, the exit status."""
    lines, key = export
    path = tmp_path / "damaged.jsonl"
    for index in kinds(lines).values():
        for damage in field_damages(lines, index, detectable=True):
            if damage.what not in {*WHOLE_LINE, "not UTF-8"}:
                continue  # a field's damage: the verifier's (above)
            result = verify(path, damage.text, key)
            where = (damage.line, damage.what, result.output[-600:], result.exception)
            assert isinstance(result.exception, SystemExit), where
            assert result.exit_code == 1, where
            assert f"line {damage.line} (position " in result.output, where
            assert "FAILED at position" in result.output, where
