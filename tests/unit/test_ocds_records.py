"""A record package's publishedDate is its latest release's moment, compared as moments."""

from __future__ import annotations

from typing import Any

from projections.ocds.records import records_package


def test_the_published_date_is_the_latest_moment_not_the_largest_text() -> None:
    # As text "…:00Z" sorts after "…:00.500000Z", though it is half a second earlier.
    earlier = {"date": "2026-12-01T05:00:00Z"}
    later = {"date": "2026-12-01T05:00:00.500000Z"}
    records: list[dict[str, Any]] = [{"ocid": "ocds-x-1", "releases": [later, earlier]}]

    package = records_package(records, "https://example.org/r", "https://example.org")

    assert package["publishedDate"] == later["date"]
