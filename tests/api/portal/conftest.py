"""The portal through HTTP: the real app, real accounts, a browser-like client that keeps
cookies and posts forms with the CSRF token the page gave it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import PASSWORD, Api

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Browser:
    """What a browser does with a form: fetch the page, post its fields and token."""

    client: TestClient[Litestar]
    dsn: str
    api: Api | None = None
    """Answers for the staff's second factor (a browser that signs in as staff with no
    ``api`` is given each code)."""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def latest(self) -> int:
        """The store's latest position: pages given its token as ``after=`` wait for it."""
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute("SELECT max(notification_id) FROM procurement_events").fetchone()
        return int(row[0] or 0) if row else 0

    def page(self, path: str) -> httpx.Response:
        """A page once its read model has caught up with every write so far."""
        joiner = "&" if "?" in path else "?"
        token = self.client.app.state.read_tokens.issue(self.latest())
        return self.client.get(f"{path}{joiner}after={token}")

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        match = _CSRF.search(page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def submit(
        self, page: str, action: str, fields: dict[str, str], *, files: Any = None
    ) -> httpx.Response:
        data = {"_csrf_token": self.csrf(page), **fields}
        return self.client.post(action, data=data, files=files, follow_redirects=False)

    def sign_in(self, username: str, password: str = PASSWORD, code: str | None = None) -> None:
        """Signs in as a person does: staff type the code their authenticator app shows."""
        fields = {"username": username, "password": password}
        if code is None and self.api is not None and username in self.api.secrets:
            code = self.api.code(username)
        if code is not None:
            fields["code"] = code
        answer = self.submit("/portal/login", "/portal/login", fields)
        assert answer.status_code == 303, answer.text
        self.client.cookies.update(answer.cookies)


@pytest.fixture
def browser(api: Api) -> Browser:
    return Browser(api.client, api.dsn, api)
