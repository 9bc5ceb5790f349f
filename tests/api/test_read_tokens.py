"""Read-your-writes without an oracle (``api/read_tokens.py``): writes answer a token the
platform signed; public reads and the portal's ``?after=`` take only such tokens, and answer
everything else alike whatever the store holds, so probing them counts nothing."""

from __future__ import annotations

import base64
import random
import re

import httpx
import psycopg
import pytest

from api.read_tokens import TOKEN_CHARACTERS, ReadTokens
from tests.api.conftest import Api
from tests.api.scenarios import Scenario, offer
from tests.support import FakeClock, tender_json

PROBES = 10_000
BIDDERS = ("alpha", "beta", "gamma", "delta")


def _tokens(api: Api) -> ReadTokens:
    tokens: ReadTokens = api.client.app.state.read_tokens
    return tokens


def _head(api: Api) -> int:
    with psycopg.connect(api.dsn) as conn:
        row = conn.execute("SELECT max(notification_id) FROM procurement_events").fetchone()
    return int(row[0] or 0) if row else 0


def _encoded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forgeries(rng: random.Random, genuine: str, near: int) -> list[str]:
    """Values a prober might try as a read token: raw positions, random strings, tokens of
    the right shape with a wrong MAC or another key's, a genuine token altered."""
    position = rng.randrange(max(0, near - 10), near + 40)
    other_key = ReadTokens(rng.randbytes(32))
    altered_at = rng.randrange(len(genuine))
    replacement = rng.choice([c for c in "AQgw-_9z" if c != genuine[altered_at]])
    return [
        str(position),
        str(rng.randrange(10**18)),
        other_key.issue(position),
        _encoded(b"\x01" + position.to_bytes(8, "big") + rng.randbytes(16)),
        _encoded(rng.randbytes(25)),
        genuine[:altered_at] + replacement + genuine[altered_at + 1 :],
        genuine[: rng.randrange(len(genuine))],
        genuine + rng.choice("A-_="),
        genuine.replace("-", "+").replace("_", "/") if re.search("[-_]", genuine) else "",
        rng.choice(["", "0", "-1", "null", "%00", "ــ", "a" * rng.randrange(1, 200)]),
    ]


def _probes(api: Api, tender_id: str, near: int) -> list[str]:
    rng = random.Random(16)  # noqa: S311 (the same probes before and after; no secret)
    genuine = _tokens(api).issue(1)
    paths = [
        "/public/tenders",
        f"/public/tenders/{tender_id}",
        "/public/awards",
        f"/public/awards/{tender_id}",
        "/public/tenders?status=active&limit=5",
    ]
    probes: list[str] = []
    while len(probes) < PROBES:
        path = rng.choice(paths)
        joiner = "&" if "?" in path else "?"
        probes.extend(
            f"{path}{joiner}{httpx.QueryParams({'read_token': value})}"
            for value in _forgeries(rng, genuine, near)
        )
        position = rng.randrange(max(0, near - 10), near + 40)
        probes.append(f"{path}{joiner}min_position={position}")
        portal = rng.choice(["/portal/tenders", f"/portal/tenders/{tender_id}"])
        after = rng.choice([str(position), _encoded(rng.randbytes(25))])
        probes.append(f"{portal}?{httpx.QueryParams({'after': after})}")
    return probes[:PROBES]


def _code(body: bytes) -> bytes:
    found = re.search(rb'"code":"(\w+)"|data-code="(\w+)"', body)
    assert found, body
    return found.group(0)


def _answer(response: httpx.Response) -> tuple[int, str | None, bytes]:
    """Status, type and body, the request id taken out."""
    body = response.content.replace(response.headers["x-request-id"].encode(), b"")
    return response.status_code, response.headers.get("content-type"), body


def test_ten_thousand_probes_answer_alike_before_and_after_hidden_bids(
    api: Api, clock: FakeClock
) -> None:
    scenario = Scenario(api, clock)
    for vendor in BIDDERS:
        api.register_vendor(vendor)
    near = _head(api)
    probes = _probes(api, scenario.id, near)
    before = [_answer(api.client.get(probe)) for probe in probes]

    for number, vendor in enumerate(BIDDERS):  # bids nobody may count before the opening
        scenario.bid(vendor, offer(f"{900_000 + number}.00"))
    head = _head(api)
    assert head > near + len(BIDDERS) - 1
    # The read model has passed every bid too.
    caught_up = api.client.get(f"/public/tenders?read_token={_tokens(api).issue(head)}")
    assert caught_up.status_code == 200, caught_up.text

    after = [_answer(api.client.get(probe)) for probe in probes]
    changed = [probe for probe, one, two in zip(probes, before, after, strict=True) if one != two]
    assert changed == []
    statuses = {status for status, _, _ in before}
    assert statuses == {422}, statuses  # each refused from the request alone
    assert {_code(body) for _, _, body in before} == {
        b'"code":"invalid_read_token"',
        b'"code":"min_position_withdrawn"',
        b'data-code="invalid_read_token"',  # the portal's page
    }


def test_a_write_answers_a_token_that_reads_it_back(api: Api, clock: FakeClock) -> None:
    officer = api.login("officer@works")
    drafted = api.post("/tenders", officer, json=tender_json(clock.now(), title="Token road"))
    published = api.post(f"/tenders/{drafted.json()['id']}/publish", officer).json()
    token = published["read_token"]
    assert len(token) == TOKEN_CHARACTERS
    assert _tokens(api).position(token) == published["position"]
    listing = api.client.get(f"/public/tenders?read_token={token}").json()
    assert [t["title"] for t in listing["items"]] == ["Token road"]
    # The portal's page after a write takes the same token.
    page = api.client.get(f"/portal/tenders?after={token}")
    assert page.status_code == 200
    assert "Token road" in page.text


@pytest.mark.parametrize("path", ["/public/tenders", "/public/awards"])
def test_a_raw_position_is_refused_with_what_to_send_instead(api: Api, path: str) -> None:
    answer = api.client.get(f"{path}?min_position=1")
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["code"] == "min_position_withdrawn"
    assert problem["errors"][0]["loc"] == ["min_position"]
    assert "read_token" in problem["detail"]
    forged = api.client.get(f"{path}?read_token=1").json()
    assert (forged["code"], forged["errors"][0]["loc"]) == ("invalid_read_token", ["read_token"])


def test_the_portal_refuses_an_after_it_did_not_issue(api: Api) -> None:
    answer = api.client.get("/portal/tenders?after=1")
    assert answer.status_code == 422
    assert 'data-code="invalid_read_token"' in answer.text


def test_a_token_is_the_position_signed_and_nothing_else_passes() -> None:
    tokens = ReadTokens(b"k" * 32)
    for position in (0, 1, 2**31, 2**63 - 1):
        assert tokens.position(tokens.issue(position)) == position
    genuine = tokens.issue(12345)
    assert re.fullmatch(r"[A-Za-z0-9_-]{34}", genuine)
    assert ReadTokens(b"j" * 32).position(genuine) is None
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for index, current in enumerate(genuine):  # every other spelling of every character
        for other in alphabet.replace(current, ""):
            assert tokens.position(genuine[:index] + other + genuine[index + 1 :]) is None
    assert tokens.position(genuine + "=") is None
    assert tokens.position("+" * 34) is None
    assert tokens.position("é" * 34) is None
