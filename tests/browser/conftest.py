"""Browser tests: the real app served over HTTP on loopback (uvicorn in a thread, with the
test's clock), driven by Playwright in Debian's headless Chromium.

Screenshots of the main pages are written to ``tests/browser/screenshots/`` (git-ignored)
for review. Chromium comes from the system (``apt-get install chromium``; ``.ci/run``
installs it); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from api.app import create_app
from domain.values import Role
from procurement.application import ProcurementApplication
from procurement.settings import Settings
from tests.accounts import add_staff
from tests.api.conftest import COMMITTEE, ENTITY
from tests.support import FakeClock

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# As the probe of this machine found: without these, Chromium reaches for Google's hosts.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_executable() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail(
            "Debian's Chromium is needed for the browser tests: "
            "apt-get install -y chromium (.ci/run does this), or set CHROMIUM=/path/to/it"
        )
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def accounts(application: ProcurementApplication) -> dict[str, str]:
    """The staff, each enrolled in a second factor: their TOTP secrets, by username."""
    return {
        username: add_staff(application, username, role, entity)
        for username, role, entity in (
            ("officer@works", Role.OFFICER, ENTITY),
            ("auditor@sindh", Role.AUDITOR, None),
            *((member, Role.OFFICER, ENTITY) for member in COMMITTEE),
        )
    }


@pytest.fixture
def server(settings: Settings, clock: FakeClock, accounts: dict[str, str]) -> Iterator[str]:
    """The whole platform (API, portal, projections, ledger) on a loopback port."""
    port = _free_port()
    # Its public URL is where the browser finds it: forms are accepted from that origin only.
    served = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    config = uvicorn.Config(
        create_app(served, clock=clock), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="portal-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


# Package scope: Playwright's sync API runs an event loop in the main thread while it is
# started; it must be stopped before the rest of the suite (whose tests may run their own).
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def new_page(chromium: Browser, server: str) -> Iterator[Callable[..., Page]]:
    """Pages of separate browser contexts (separate people), all closed at the end."""
    contexts = []

    def open_page(*, phone: bool = False) -> Page:
        context = chromium.new_context(
            base_url=server,
            viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
            locale="en-GB",
            timezone_id="Asia/Karachi",
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot for review, once the page passes the accessibility checks."""
    assert accessibility_problems(page) == [], f"{name}: {accessibility_problems(page)}"
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def accessibility_problems(page: Page) -> list[str]:
    """What axe-core (WCAG 2.1 A and AA rules: labels, contrast, names, structure, ARIA)
    finds wrong with the page as it stands, one line per failing element."""
    results = Axe().run(
        page, options={"resultTypes": ["violations"], "runOnly": ["wcag2a", "wcag2aa", "wcag21aa"]}
    )
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]
