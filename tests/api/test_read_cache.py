"""The public reads' cache (``api/read_cache.py``): byte for byte the uncached answer, dropped
when the projection commits a change, read-your-writes with ``read_token``, and off while
its listening connection is lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from api.read_cache import (
    APPLICATION_NAME,
    CAPACITY,
    Answer,
    ReadCache,
    _wanted_position,
)
from api.read_tokens import ReadTokens
from tests.api.conftest import Api
from tests.support import FakeClock, tender_json

PUBLIC_READS = (
    "/public/tenders",
    "/public/tenders?limit=1&offset=1",
    "/public/tenders?q=road&status=active",
    "/public/awards",
)


def _cache(api: Api) -> ReadCache:
    cache: ReadCache = api.client.app.state.read_cache
    return cache


def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _publish(
    api: Api, clock: FakeClock, officer: dict[str, str], reference: str
) -> tuple[str, int]:
    body = tender_json(clock.now(), reference=reference, title=f"Road {reference}")
    tender_id = api.post("/tenders", officer, json=body).json()["id"]
    published = api.post(f"/tenders/{tender_id}/publish", officer)
    assert published.status_code == 200, published.text
    return tender_id, int(published.json()["position"])


def _headers(answer: Any) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in answer.headers.items() if k != "x-request-id")


def _set_title(api: Api, tender_id: str, title: str) -> None:
    """Change the read model behind the app's back: no notification."""
    with psycopg.connect(api.dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE public_tenders SET title = %s WHERE tender_id = %s", (title, tender_id)
        )


def test_a_cached_answer_is_the_uncached_one_byte_for_byte(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    first, _ = _publish(api, clock, officer, "RC-1")
    _, position = _publish(api, clock, officer, "RC-2")
    cache = _cache(api)
    _until(lambda: cache.enabled and cache.position >= position)

    for path in (*PUBLIC_READS, f"/public/tenders/{first}"):
        cache.enabled = False  # straight from the database, nothing kept
        uncached = api.client.get(path)
        cache.enabled = True
        missed = api.client.get(path)  # computed, and kept
        hit = api.client.get(path)  # from memory
        assert uncached.status_code == missed.status_code == hit.status_code == 200
        assert uncached.content == missed.content == hit.content, path
        assert _headers(uncached) == _headers(missed) == _headers(hit), path
        assert hit.headers["x-request-id"] != missed.headers["x-request-id"]
    assert len(cache) == len(PUBLIC_READS) + 1

    # Served from memory indeed: a change the projection did not make is not seen.
    _set_title(api, first, "Not through the projection")
    assert "Not through" not in api.client.get(f"/public/tenders/{first}").text
    # Not kept: errors, and what only the handler can judge.
    assert api.client.get("/public/tenders/00000000-0000-0000-0000-000000000000").status_code == 404
    assert api.client.get("/public/tenders?limit=1000").status_code == 422
    assert len(cache) == len(PUBLIC_READS) + 1


def test_a_change_is_seen_once_committed_and_read_your_writes_holds(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    tender_id, position = _publish(api, clock, officer, "RC-3")
    cache = _cache(api)
    _until(lambda: cache.enabled and cache.position >= position)
    detail = f"/public/tenders/{tender_id}"
    assert api.client.get(detail).json()["amendments"] == []
    assert api.client.get("/public/tenders?status=cancelled").json()["total"] == 0
    assert len(cache) == 2

    # Read-your-writes: right after the write, with its position; no sleeping in between.
    amended = api.post(f"/tenders/{tender_id}/amendments", officer, json={"text": "Addendum 1."})
    assert amended.status_code == 201, amended.text
    token = amended.json()["read_token"]
    assert [
        a["text"] for a in api.client.get(f"{detail}?read_token={token}").json()["amendments"]
    ] == ["Addendum 1."]
    # And every later read, with or without it, sees it too.
    assert len(api.client.get(detail).json()["amendments"]) == 1

    # Without read_token: current as soon as the projection's notification is in.
    cancelled = api.post(f"/tenders/{tender_id}/cancel", officer, json={"reason": "Withdrawn"})
    assert cancelled.status_code == 200, cancelled.text
    at = cancelled.json()["position"]
    _until(lambda: cache.position >= at)
    assert len(cache) == 0
    assert api.client.get(detail).json()["status"] == "cancelled"
    assert api.client.get("/public/tenders?status=cancelled").json()["total"] == 1

    # An event the public view does not show (a draft) keeps what is cached.
    assert len(cache) == 2
    drafted = api.post("/tenders", officer, json=tender_json(clock.now(), reference="RC-4"))
    at = drafted.json()["position"]
    _until(lambda: cache.position >= at)
    assert len(cache) == 2
    token = drafted.json()["read_token"]
    assert api.client.get(f"{detail}?read_token={token}").json()["status"] == "cancelled"


def test_without_its_listener_the_cache_is_off_until_it_is_back(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    tender_id, position = _publish(api, clock, officer, "RC-5")
    cache = _cache(api)
    _until(lambda: cache.enabled and cache.position >= position)
    detail = f"/public/tenders/{tender_id}"
    api.client.get(detail)
    assert len(cache) == 1

    with psycopg.connect(api.dsn, autocommit=True) as conn:
        ended = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchall()
    assert ended == [(True,)]
    _until(lambda: not cache.enabled, seconds=5)
    assert len(cache) == 0
    # Off: every request reads the database, and nothing is kept.
    _set_title(api, tender_id, "Changed while off")
    if not cache.enabled:
        assert api.client.get(detail).json()["title"] == "Changed while off"

    # Back on by itself, empty, at the current position.
    _until(lambda: cache.enabled, seconds=10)
    assert api.client.get(detail).json()["title"] == "Changed while off"
    _set_title(api, tender_id, "Not through the projection")
    assert api.client.get(detail).json()["title"] == "Changed while off"  # from memory


def test_a_position_moved_without_a_notification_drops_the_cache(
    api: Api, clock: FakeClock
) -> None:
    officer = api.login("officer@works")
    tender_id, position = _publish(api, clock, officer, "RC-6")
    cache = _cache(api)
    _until(lambda: cache.enabled and cache.position >= position)
    detail = f"/public/tenders/{tender_id}"
    api.client.get(detail)
    # As a paged rebuild commits: the rows and the tracking position, and no notification.
    with psycopg.connect(api.dsn, autocommit=True) as conn:
        conn.execute(
            "UPDATE public_tenders SET title = 'Rebuilt' WHERE tender_id = %s", (tender_id,)
        )
        conn.execute("UPDATE public_tenders_tracking SET notification_id = notification_id + 1000")
    _until(lambda: cache.position >= position + 1000, seconds=5)
    assert api.client.get(detail).json()["title"] == "Rebuilt"
    with psycopg.connect(api.dsn, autocommit=True) as conn:  # as the projection left it
        conn.execute("UPDATE public_tenders_tracking SET notification_id = notification_id - 1000")


def test_a_page_past_the_end_still_counts(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    _publish(api, clock, officer, "RC-7")
    _, position = _publish(api, clock, officer, "RC-8")
    token = api.client.app.state.read_tokens.issue(position)
    listing = api.client.get(f"/public/tenders?limit=1&read_token={token}").json()
    assert (len(listing["items"]), listing["total"]) == (1, 2)
    past = api.client.get("/public/tenders?offset=5").json()
    assert (past["items"], past["total"]) == ([], 2)
    assert api.client.get("/public/awards?offset=5").json()["total"] == 0


# The cache on its own ---------------------------------------------------------------------


def _answer(body: bytes = b"{}") -> Answer:
    return Answer(200, ((b"content-type", b"application/json"),), body)


def test_an_answer_computed_across_a_change_is_not_kept() -> None:
    cache = ReadCache()
    cache.enable(10)
    generation = cache.generation
    cache.moved(11, changed=True)
    assert not cache.put(("/public/tenders", b""), generation, _answer())
    assert cache.put(("/public/tenders", b""), cache.generation, _answer())
    generation = cache.generation
    cache.moved(12, changed=False)  # nothing shown changed: kept, and keepable
    assert cache.get(("/public/tenders", b"")) is not None
    assert cache.put(("/public/awards", b""), generation, _answer())
    cache.observed(15)  # the database is ahead of the notifications: drop
    assert len(cache) == 0
    assert cache.position == 15
    cache.disable()
    assert not cache.put(("/public/tenders", b""), cache.generation, _answer())


def test_the_cache_is_bounded_and_forgets_the_least_recently_used() -> None:
    cache = ReadCache()
    cache.enable(1)
    for n in range(CAPACITY + 5):
        cache.put(("/public/tenders", f"offset={n}".encode()), cache.generation, _answer())
        if n == CAPACITY - 1:  # before the first is forgotten
            assert cache.get(("/public/tenders", b"offset=0")) is not None
    assert len(cache) == CAPACITY
    assert cache.get(("/public/tenders", b"offset=0")) is not None  # used recently
    assert cache.get(("/public/tenders", b"offset=1")) is None


def test_waiting_for_a_position() -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        cache = ReadCache()
        cache.enable(5)
        reached = asyncio.create_task(cache.wait_for(7, 5.0))
        await asyncio.sleep(0)
        cache.moved(6, changed=False)
        await asyncio.sleep(0)
        assert not reached.done()
        cache.moved(7, changed=False)
        off = asyncio.create_task(cache.wait_for(9, 5.0))
        await asyncio.sleep(0)
        cache.disable()
        late = await cache.wait_for(9, 0.01)
        return await reached, await off, late

    assert asyncio.run(scenario()) == (True, False, False)


TOKENS = ReadTokens(b"k" * 32)
T42, T0 = TOKENS.issue(42), TOKENS.issue(0)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", -1),
        ("limit=20", -1),
        (f"read_token={T42}", 42),
        (f"limit=5&read_token={T0}", 0),
        (f"read%5Ftoken={T42}", 42),
        (f"read_token={T42[:-1]}", -2),
        (f"read_token={ReadTokens(b'x' * 32).issue(42)}", -2),
        ("read_token=42", -2),
        (f"read_token={T42}&read_token={T0}", -2),
        ("read_token=", -2),
        (f"read_token={T42}&min_position=42", -2),
        ("min_position=42", -2),
        ("min%5Fposition=", -2),
        ("q=%25", -1),
    ],
)
def test_the_read_token_is_read_as_the_handler_reads_it(query: str, expected: int) -> None:
    assert _wanted_position(query.encode(), TOKENS) == expected
