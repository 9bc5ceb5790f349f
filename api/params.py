"""The upper bound of every integer query parameter, for the API and the portal alike.

Every integer a client passes is bounded above as well as below: a store position, a
version, a tree size can never exceed PostgreSQL's ``bigint``, and a value past it used to
reach the database and fail there (500). Out of its range, or not an integer, a parameter is
422 naming it. ``tests/api/test_query_parameters.py`` checks every route for a bound.
"""

from __future__ import annotations

BIGINT_MAX = 2**63 - 1
"""The largest store position (a ``bigint`` notification id), version or ledger size."""
