"""FBR's Active Taxpayer List (ATL), as an operator last imported it, and every import.

``active_taxpayers`` holds the latest list only: an import replaces its rows in one
transaction (``procurement/store/active_taxpayers.py``), so a reader sees the old list or the
new one, never a mix. ``atl_imports`` keeps every import: the file's SHA-256, the rows read
and kept, the rows skipped by reason, when it was imported (the platform's clock) and the
date FBR published it, if the operator said. The lists are not events: they are copies of
FBR's data, checked against when a vendor registers, bids or is shown at an opening.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-09
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE atl_imports (
            id bigserial PRIMARY KEY,
            imported_at timestamptz NOT NULL,
            published_on date,
            file_name text NOT NULL,
            sha256 text NOT NULL,
            rows_read bigint NOT NULL,
            taxpayers bigint NOT NULL,
            skipped jsonb NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE active_taxpayers (
            ntn text PRIMARY KEY,
            name text NOT NULL,
            import_id bigint NOT NULL REFERENCES atl_imports (id)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE active_taxpayers")
    op.execute("DROP TABLE atl_imports")
