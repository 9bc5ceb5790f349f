"""Every portal page, for every tender of a data set, as every kind of user, in both languages:
fetched through the real app with real sessions, none may answer 5xx.

Reusable for any data set: give ``render_every_page`` the app's client, the accounts to sign
in as (with their passwords and roles) and the tenders' ids (drafts too); it returns each
page's status so a caller can also say which pages must be 200.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from litestar import Litestar
from litestar.testing import TestClient

from api.portal.public import STATUSES
from domain.tender import Tender
from domain.values import Role
from tests.api.portal.conftest import Browser

LANGUAGES = ("en", "ur")


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: Role


@dataclass(frozen=True)
class Visit:
    username: str | None  # None: not signed in
    language: str
    path: str


def _public_pages(tender_ids: list[str]) -> Iterator[str]:
    yield "/portal/tenders"
    yield "/portal/tenders?q=road&category=works&entity=works-and-services-department"
    yield from (f"/portal/tenders?status={status}" for status in STATUSES)
    yield "/portal/tenders?page=2"
    yield "/portal/awards"
    yield "/portal/entities/works-and-services-department/plans/2026-27"
    yield "/portal/entities/works-and-services-department/plans/not-a-year"
    yield "/portal/login"
    yield "/portal/register"
    yield from (f"/portal/tenders/{tender}" for tender in tender_ids)


def _pages_of(role: Role, tender_ids: list[str]) -> Iterator[str]:
    if role is Role.VENDOR:
        yield "/portal/vendor"
        yield "/portal/vendor/debarment"
        yield "/portal/receipts/verify"
        for tender in tender_ids:
            yield f"/portal/tenders/{tender}/bid"
            yield f"/portal/tenders/{tender}/bid/receipt"
            yield f"/portal/vendor/tenders/{tender}/securities"
    elif role is Role.OFFICER:
        yield "/portal/officer"
        yield "/portal/officer/tenders/new"
        yield "/portal/officer/entity"
        yield "/portal/officer/plans/2026-27"
        yield "/portal/officer/plans/not-a-year"
        for tender in tender_ids:
            yield f"/portal/officer/tenders/{tender}"
            yield f"/portal/officer/tenders/{tender}/edit"
            yield f"/portal/officer/tenders/{tender}/securities"
    elif role is Role.AUDITOR:
        yield "/portal/audit"
        for tender in tender_ids:
            yield f"/portal/audit/tenders/{tender}"
            yield f"/portal/audit/tenders/{tender}?version=1"
            yield f"/portal/audit/tenders/{tender}?at=2000-01-01T00:00"  # before it existed
    elif role is Role.REGULATOR:
        yield "/portal/regulator"
        yield "/portal/regulator?tender_id=not-an-id"
        for tender in tender_ids:
            yield f"/portal/regulator/tenders/{tender}"
            yield f"/portal/regulator/debarments/{tender}"  # no vendor's: no record


def _with_language(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def render_every_page(
    client: TestClient[Litestar],
    dsn: str,
    accounts: Iterable[Account],
    tender_ids: Iterable[UUID | str],
    codes: Callable[[str], str | None] = lambda _username: None,
) -> dict[Visit, int]:
    """Fetch every page (public ones signed out and as each account; each role's own as
    its accounts) in every language, once the read models have caught up with the store.
    ``codes`` gives a staff account's second-factor code as it signs in.
    Fails on the first 5xx, naming the page and the user; returns every page's status."""
    tenders = [str(tender) for tender in tender_ids]
    browser = Browser(client, dsn)
    browser.page("/portal/tenders")  # the read models have every event so far
    statuses: dict[Visit, int] = {}
    for account in [None, *accounts]:
        client.cookies.clear()
        paths = list(_public_pages(tenders))
        if account is not None:
            browser.sign_in(account.username, account.password, codes(account.username))
            paths += _pages_of(account.role, tenders)
        for path in paths:
            for language in LANGUAGES:
                answer = client.get(_with_language(path, language), follow_redirects=False)
                visit = Visit(account.username if account else None, language, path)
                assert answer.status_code < 500, (visit, _error_of(answer.text))
                statuses[visit] = answer.status_code
    client.cookies.clear()
    return statuses


def _error_of(page: str) -> str:
    start = page.find('class="error-detail"')
    return page[start : start + 300] if start >= 0 else page[:300]


def tender_ids_in_store(dsn: str) -> list[str]:
    """Every tender the store holds, drafts included, in the order they were created."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT originator_id FROM procurement_events WHERE topic = %s "
            "ORDER BY notification_id",
            (Tender.TenderDrafted.TOPIC,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def by_path(statuses: dict[Visit, int], path: str, username: str | None) -> set[Any]:
    """The statuses one user got for one page, in every language."""
    return {
        status
        for visit, status in statuses.items()
        if visit.path == path and visit.username == username
    }
