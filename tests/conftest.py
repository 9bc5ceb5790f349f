"""Shared fixtures: a real PostgreSQL (embedded, or TEST_DATABASE_URL), migrated once per
session and emptied before each test that uses it."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pydantic import SecretStr

from procurement.commands.application import ProcurementApplication
from procurement.settings import Settings
from procurement.store import migrations
from procurement.store.database import (
    ensure_database,
    start_embedded,
    with_database,
)
from tests.support import FakeClock

TABLES = (
    "idempotency_keys",
    "tender_bids",
    "procurement_events",
    "public_tenders_tracking",
    "public_tender_questions",
    "public_tender_amendments",
    "public_tenders",
    "public_awards",
    "entity_tenders",
    "job_failures",
    "ocds_releases_tracking",
    "ocds_releases",
    "ocds_aggregates",
    "ocds_processes",
    "ledger_leaves",
    "history_snapshots",
    "ledger_checkpoints",
    "rate_limit_windows",
    "sign_in_failures",
    "account_totp_steps",
    "public_tender_documents",
    "document_blobs",
    "document_chunks",
    "bid_document_uploads",
    "public_complaints",
    "public_complaint_files",
    "public_grievance_committees",
    "public_debarments",
    "public_debarment_records",
    "public_securities",
    "public_security_requests",
    "public_performance_securities",
    "public_plans",
    "public_plan_lines",
    "public_tender_plans",
    "active_taxpayers",
    "atl_imports",
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    # A server from the environment, but always our own database on it: tests empty tables.
    given = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if given:
        ensure_database(given, "procurement_test")
        url = with_database(given, "procurement_test")
    else:
        url = start_embedded(tmp_path_factory.mktemp("pg"), "procurement_test")
    migrations.upgrade(url)
    return url


@pytest.fixture
def clean_db(database_url: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        conn.execute(
            "UPDATE ledger_state SET size = 0, last_position = 0, frontier = '{}', signed_size = 0"
        )
    return database_url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(clean_db: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=clean_db,
        data_dir=tmp_path / "data",
        jwt_secret=SecretStr("test-secret-" + "x" * 32),
        sealing_kek=SecretStr(base64.urlsafe_b64encode(b"k" * 32).decode()),
        signing_key=SecretStr(base64.urlsafe_b64encode(b"s" * 32).decode()),
        rule_profile="sppra",
        read_wait_timeout=10.0,
        db_pool_size=3,
        # The scenarios sign in before every step; the limits have tests of their own.
        sign_in_max_delay=0,
        rate_limit_sign_in_address="100000/minute",
        rate_limit_register_address="100000/minute",
        rate_limit_bids="100000/minute",
        rate_limit_bids_address="100000/minute",
    )


@pytest.fixture
def application(settings: Settings, clock: FakeClock) -> Iterator[ProcurementApplication]:
    app = ProcurementApplication.from_settings(settings, clock)
    yield app
    app.close()
