"""Apply the alembic migrations from code (``procurement migrate``, ``serve``, tests)."""

from __future__ import annotations

from pathlib import Path

import psycopg
from alembic.config import Config

from alembic import command
from procurement.store.database import lock_key, sqlalchemy_url

SCRIPT_LOCATION = Path(__file__).resolve().parents[2] / "alembic"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # Percent signs in a URL would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    """Upgrade to the latest revision; several processes starting at once take turns (an
    advisory lock), so each finds the schema either before or after, never half-way."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (lock_key("migrations"),))
        try:
            command.upgrade(alembic_config(database_url), "head")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key("migrations"),))
