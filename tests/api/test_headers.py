"""No header value makes the API answer 5xx: bytes outside ASCII (HTTP allows them, and
servers decode them as Latin-1) in the headers the app reads are refused or ignored."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.api.conftest import Api

ODD = (b"\xe9", b"Bearer \xff\xfe", b"\x80" * 5000, b"Bearer " + b"A" * 9000)
HEADERS = ("Authorization", "X-Request-ID", "If-Match", "Idempotency-Key", "Cookie")
PATHS = (
    ("GET", "/metrics"),
    ("GET", "/public/tenders"),
    ("GET", "/audit/export"),
    ("POST", "/tenders"),
    ("GET", "/portal/tenders"),
    ("GET", "/portal/officer"),
)


@pytest.mark.parametrize("header", HEADERS)
def test_odd_bytes_in_a_header_are_never_a_5xx(api: Api, header: str) -> None:
    for method, path in PATHS:
        for value in ODD:
            answer = api.client.request(method, path, headers={header.encode(): value}, json={})
            assert answer.status_code < 500, (method, path, value[:20], answer.text[:300])


def test_the_metrics_token_compared_with_any_bytes_is_a_401(api: Api) -> None:
    settings = api.client.app.state.settings
    token = "operators-" + "t" * 30
    api.client.app.state.settings = settings.model_copy(update={"metrics_token": SecretStr(token)})
    for value in (b"Bearer \xe9", b"Bearer " + token.encode() + b"\xff"):
        answer = api.client.get("/metrics", headers={b"Authorization": value})
        assert answer.status_code == 401, answer.text
    assert (
        api.client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )


def test_options_allows_every_method_of_the_path(api: Api) -> None:
    """Litestar 2 answered with the methods of the path's first handler only (#4169)."""
    some_id = "00000000-0000-4000-8000-000000000000"
    vendor = api.register_vendor("options.vendor")
    officer = api.login("officer@works")
    for path, headers, allow in (
        (f"/tenders/{some_id}/bids/mine", vendor, "DELETE, GET, OPTIONS, PUT"),
        (f"/tenders/{some_id}", officer, "GET, OPTIONS, PATCH"),
        (f"/tenders/{some_id}/committee", officer, "OPTIONS, POST, PUT"),
        ("/public/tenders", {}, "GET, OPTIONS"),
    ):
        answer = api.client.options(path, headers=headers)
        assert answer.status_code == 204, (path, answer.text)
        assert answer.headers["allow"] == allow, path
