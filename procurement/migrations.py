"""Apply the alembic migrations from code (``procurement migrate``, ``serve``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command
from procurement.database import sqlalchemy_url

SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "alembic"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # Percent signs in a URL would be read as interpolation by configparser.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")
