"""Alembic environment: migrations are plain SQL; the URL comes from the settings."""

from __future__ import annotations

from sqlalchemy import create_engine, pool

from alembic import context
from procurement.bootstrap import resolve
from procurement.settings import Settings
from procurement.store.database import sqlalchemy_url


def _url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    return sqlalchemy_url(resolve(Settings()).dsn)


def run_migrations_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
