"""What the audit verifier reports, and the lines it holds: shared by ``verify`` (which reads
the lines), ``verify_ledger`` and ``verify_openings`` (which check them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec


@dataclass
class Report:
    events: int = 0
    leaves: int = 0
    checkpoints: int = 0
    openings: int = 0
    bids_rechecked: int = 0
    # The events the latest checkpoint that verifies covers (its tree size), and those after
    # it: hashed since, or not hashed by the ledger yet (``unhashed``, part of ``uncovered``).
    # Events after the latest checkpoint are normal (checkpoints are periodic) but nothing
    # signed vouches for them yet; ``first_uncovered`` is the first one's position.
    covered: int = 0
    uncovered: int = 0
    unhashed: int = 0
    first_uncovered: int | None = None
    pinned: int | None = None  # the tree size of the auditor's own checkpoint, when given
    # With the documents' check (``verify_documents``): the document versions the events
    # name, the distinct files checked in the document store, and each version whose stored
    # bytes are missing or changed (each a problem too, at the naming event's position).
    documents: int = 0
    document_files: int = 0
    document_problems: list[str] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    # The lines the verifier could not read: (line number, position, why). Each is a problem
    # too, at its own position when it can be read, else at the position of the line before.
    damaged: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> tuple[int, str] | None:
        return min(self.problems) if self.problems else None

    def add(self, position: int, what: str) -> None:
        self.problems.append((position, what))

    def add_damaged(self, line: int, position: int, why: str) -> None:
        self.damaged.append((line, position, why))
        self.add(position, f"line {line} (position {position}) is damaged: {why}")


class _Event(msgspec.Struct, forbid_unknown_fields=True):
    """One event line, decoded in one pass of C (the base64 state included), every field
    required. A line this strict decoding refuses (another type, a field of another JSON type,
    an absent or unknown field, a position's event missing from the store) is read again as
    plain JSON by ``_event_of``, which reads what the export's format allows (a whole number
    written as a float, say) alike and names what it does not."""

    type: Literal["event"]
    position: int
    leaf_index: int | None
    leaf_hash: str | None
    aggregate_id: str
    version: int
    topic: str
    state_sha256: str
    state: bytes | None
    redacted: bool
    missing: bool = False  # read by ``_event_of`` only: a missing event's line has no fields


class _Damaged(Exception):  # noqa: N818 (a line that is damaged, not an error of ours)
    """A line the verifier cannot read, and why; with its position when that could be read."""

    def __init__(self, why: str, position: int | None = None) -> None:
        super().__init__(why)
        self.position = position


@dataclass(frozen=True)
class _Checkpoint:
    size: int
    root: bytes
    document: dict[str, Any]  # as signed
