"""Rewrite imports, dotted names and file paths after procurement/ moved into wings (issue 17).

Run from the repository root after the files have moved (or after a rebase onto the moves):
``python .ci/rewrite_imports.py``, then ``ruff check --fix . && ruff format .`` to sort the
imports. Idempotent: a second run changes nothing. It touches *.py (not .venv), docs/*.md
(not the changelog, which records history), README.md, pyproject.toml, Makefile and .ci/run.

Left alone on purpose:
- logger names: they stay the old dotted names (operators and tests filter on them), so an old
  module name in LOGGERS written alone between quotes or backquotes is not rewritten;
- ``procurement.store``, ``procurement.audit`` and ``projections.ocds`` written alone: they name
  the new packages, and only ``old.attribute`` or ``old:attribute`` is rewritten for them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MODULES = {  # old dotted module -> new dotted module (each file moved whole)
    "procurement.store": "procurement.store.application_base",
    "procurement.recorder": "procurement.store.recorder",
    "procurement.batcher": "procurement.store.group_commit",
    "procurement.transcodings": "procurement.store.transcodings",
    "procurement.database": "procurement.store.database",
    "procurement.migrations": "procurement.store.migrations",
    "procurement.idempotency": "procurement.store.idempotency_keys",
    "procurement.rate_limits": "procurement.store.rate_limit_tables",
    "procurement.session_epochs": "procurement.store.session_epochs",
    "procurement.ids": "procurement.store.aggregate_ids",
    "procurement.application": "procurement.commands.application",
    "procurement.evaluations": "procurement.commands.evaluations",
    "procurement.audit": "procurement.audit.verify",
    "procurement.ledger": "procurement.audit.ledger",
    "procurement.merkle": "procurement.audit.merkle",
    "procurement.history": "procurement.audit.history",
    "procurement.snapshots": "procurement.audit.snapshots",
    "procurement.snapshotter": "procurement.jobs.snapshot_job",
    "procurement.projecting": "procurement.jobs.projection_runner",
    "procurement.runners": "procurement.jobs.runners",
    "procurement.scheduler": "procurement.jobs.scheduler",
    "procurement.periodic": "procurement.jobs.periodic",
    "procurement.coordination": "procurement.jobs.coordination",
    "procurement.failures": "procurement.jobs.failures",
    "procurement.rebuild": "procurement.jobs.rebuild",
    "procurement.collector": "procurement.gc_pause",
    "procurement.sealing": "procurement.crypto.hpke",
    "procurement.receipts": "procurement.crypto.receipts",
    "procurement.security": "procurement.crypto.passwords_and_tokens",
    "procurement.second_factor": "procurement.crypto.second_factor",
    "procurement.ocds_records": "projections.ocds.records",
    "procurement.ocds_export": "projections.ocds.bulk_export",
    "procurement.cli": "api.cli",
    "procurement.demo": "api.cli.demo_data",
    "projections.ocds": "projections.ocds.release_builder",
    "projections.ocds_merge_rules": "projections.ocds.merge_rules",
    "projections.ocds_releases": "projections.ocds.releases_projection",
    "projections.schedule": "projections.tenders_due",
}
PACKAGES = {"api.cli"}  # new modules that are packages: their file is __init__.py
LOGGERS = {  # old module names kept as logger names (getLogger pinned in the moved module)
    "procurement.cli",
    "procurement.coordination",
    "procurement.database",
    "procurement.failures",
    "procurement.history",
    "procurement.idempotency",
    "procurement.ledger",
    "procurement.projecting",
    "procurement.scheduler",
    "procurement.snapshots",
    "procurement.snapshotter",
}
NEW = set(MODULES.values()) | {new.rpartition(".")[0] for new in MODULES.values()}
"""Every new module and new package: a dotted name that continues into one of them is new."""

FROM_IMPORT = re.compile(
    r"^(?P<indent>[ \t]*)from (?P<module>[\w.]+) import (?P<names>\([^)]*\)|[^\n]*)", re.MULTILINE
)
IMPORT_LINE = re.compile(r"[ \t]*(from [\w.]+ import\b|import (procurement|projections)\b)")
DOTTED = re.compile(r"(?<![\w./])(?:procurement|projections)\.\w+")


def _path(module: str) -> str:
    suffix = "/__init__.py" if module in PACKAGES else ".py"
    return module.replace(".", "/") + suffix


PATHS = {
    re.compile(rf"(?<![\w/]){re.escape(_path(old))}"): _path(new) for old, new in MODULES.items()
}


def _names(text: str) -> list[str]:
    text = re.sub(r"#[^\n]*", "", text.strip().strip("()"))
    return [name.strip() for name in text.split(",") if name.strip()]


def _from_package(indent: str, package: str, names: list[str]) -> str:
    """``from procurement import sealing as s, logs``: one line per moved module, each keeping
    its local name, so ``sealing.seal_contents`` and monkeypatches of it still work."""
    kept, lines = [], []
    for part in names:
        name, _, alias = (piece.strip() for piece in part.partition(" as "))
        target = MODULES.get(f"{package}.{name}")
        if target is None:
            kept.append(part)
            continue
        parent, _, leaf = target.rpartition(".")
        local = alias or name
        lines.append(
            f"{indent}from {parent} import {leaf}" + (f" as {local}" if local != leaf else "")
        )
    if kept:
        lines.insert(0, f"{indent}from {package} import {', '.join(kept)}")
    return "\n".join(lines)


def _rewrite_import(match: re.Match[str]) -> str:
    indent, module, names = match["indent"], match["module"], _names(match["names"])
    if module in {"procurement", "projections"}:
        if not any(f"{module}.{name.partition(' as ')[0].strip()}" in MODULES for name in names):
            return match[0]
        return _from_package(indent, module, names)
    if module not in MODULES:
        return match[0]
    # procurement.store, procurement.audit and projections.ocds are old modules and new
    # packages: importing one of the package's modules is the new meaning.
    if all(f"{module}.{name.partition(' as ')[0].strip()}" in NEW for name in names):
        return match[0]
    return match[0].replace(f"from {module} import", f"from {MODULES[module]} import", 1)


def _rewrite_dotted(match: re.Match[str]) -> str:
    old, text, start, end = match[0], match.string, match.start(), match.end()
    if old not in MODULES:
        return old
    following = re.match(r"[.:](\w+)", text[end:])
    if following is None and old in NEW:
        return old  # the new package
    if following and f"{old}.{following[1]}" in NEW:
        return old  # already the new name
    before, after = text[start - 1 : start], text[end : end + 1]
    if old in LOGGERS and before and before in "\"'`" and after == before:
        return old
    return MODULES[old]


def rewrite_text(text: str) -> str:
    """Paths (``procurement/recorder.py``) and dotted names (``procurement.cli:main``), except
    in import statements, which `rewrite_python` has already rewritten."""
    for pattern, new in PATHS.items():
        text = pattern.sub(new, text)
    lines = text.splitlines(keepends=True)
    return "".join(
        line if IMPORT_LINE.match(line) else DOTTED.sub(_rewrite_dotted, line) for line in lines
    )


def rewrite_python(text: str) -> str:
    return rewrite_text(FROM_IMPORT.sub(_rewrite_import, text))


def files(root: Path) -> list[Path]:
    python = [
        path
        for path in root.rglob("*.py")
        if not {".venv", ".git", "node_modules"} & set(path.parts)
        and path.resolve() != Path(__file__).resolve()
    ]
    docs = [path for path in root.glob("docs/*.md") if path.name != "CHANGELOG.md"]
    named = [root / name for name in ("README.md", "pyproject.toml", "Makefile", ".ci/run")]
    return sorted({*python, *docs, *(path for path in named if path.exists())})


def main() -> None:
    for path in files(Path()):
        old = path.read_text(encoding="utf-8")
        new = rewrite_python(old) if path.suffix == ".py" else rewrite_text(old)
        if new != old:
            path.write_text(new, encoding="utf-8")
            sys.stderr.write(f"rewrote {path}\n")


if __name__ == "__main__":
    main()
