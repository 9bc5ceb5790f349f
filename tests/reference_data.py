"""Where the reference data is: ``../shared/`` beside the project when it is there, else the
copies in ``tests/data/`` (a clone alone runs the suite)."""

from __future__ import annotations

from pathlib import Path

_PROJECT = Path(__file__).resolve().parents[1]


def reference(name: str) -> Path:
    shared = _PROJECT.parent / "shared" / name
    return shared if shared.is_dir() else _PROJECT / "tests" / "data" / name
