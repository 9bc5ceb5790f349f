"""OCDS records: the releases of one process, compiled and versioned by the OCDS merge rules
(``ocdsmerge``), and record packages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ocdsmerge

from projections.ocds.merge_rules import MERGE_RULES
from projections.ocds.release_builder import EXTENSIONS, PUBLISHER

_MERGER = ocdsmerge.Merger(merge_rules=MERGE_RULES)


def record(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """One process's record: its releases (embedded, in order), compiled and versioned."""
    return {
        "ocid": releases[0]["ocid"],
        "releases": releases,
        "compiledRelease": _MERGER.create_compiled_release(releases),
        "versionedRelease": _MERGER.create_versioned_release(releases),
    }


def record_package(releases: list[dict[str, Any]], uri: str, base_url: str) -> dict[str, Any]:
    """A record package holding the record of ``releases`` (all of one ocid)."""
    return records_package([record(releases)], uri, base_url)


def records_package(records: list[dict[str, Any]], uri: str, base_url: str) -> dict[str, Any]:
    # As moments, not as text: "…:00Z" would sort after "…:00.5Z".
    latest = max(
        (r["date"] for rec in records for r in rec["releases"]),
        key=datetime.fromisoformat,
    )
    return {
        "uri": uri,
        "version": "1.1",
        "extensions": list(EXTENSIONS),
        "publisher": {"name": PUBLISHER},
        "publishedDate": latest,
        "packages": [f"{base_url}/ocds/releases"],
        "records": records,
    }
