"""The real server for tests that need one: ``procurement serve`` as a process of its own, on a
free port, against the test database, its stderr kept in a file."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from procurement.settings import Settings


def server_env(settings: Settings, data_dir: Path, **more: str) -> dict[str, str]:
    """The environment of a server on ``settings``' database and secrets, with every rate
    limit out of the way (they have tests of their own)."""
    assert settings.jwt_secret
    assert settings.sealing_kek
    assert settings.signing_key
    return {
        **os.environ,
        "DATABASE_URL": settings.dsn,
        "PROCUREMENT_DATA_DIR": str(data_dir),
        "PROCUREMENT_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "PROCUREMENT_SEALING_KEK": settings.sealing_kek.get_secret_value(),
        "PROCUREMENT_SIGNING_KEY": settings.signing_key.get_secret_value(),
        "PROCUREMENT_SIGN_IN_MAX_DELAY": "0",
        "PROCUREMENT_RATE_LIMIT_SIGN_IN_ADDRESS": "100000/minute",
        "PROCUREMENT_RATE_LIMIT_REGISTER_ADDRESS": "100000/minute",
        "PROCUREMENT_RATE_LIMIT_BIDS": "100000/minute",
        "PROCUREMENT_RATE_LIMIT_BIDS_ADDRESS": "100000/minute",
        **more,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """One ``procurement serve`` process (``start`` again after ``kill``: same port)."""

    def __init__(self, env: dict[str, str], stderr: Path, *, workers: int = 1) -> None:
        self.port = free_port()
        self.env = {**env, "PROCUREMENT_PORT": str(self.port)}
        self.stderr = stderr
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [str(Path(sys.executable).parent / "procurement"), "serve"]
        with self.stderr.open("ab") as errors:
            self.process = subprocess.Popen(  # noqa: S603 (our own command, fixed arguments)
                [*command, "--workers", str(self.workers)],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        while not self._healthy():
            if self.process.poll() is not None:
                msg = f"the server exited with {self.process.returncode}: see {self.stderr}"
                raise RuntimeError(msg)
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=5) as answer:  # noqa: S310
                return bool(answer.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last answer, no release of anything."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        timeout: float = 60,
    ) -> tuple[int, dict[str, str], Any]:
        """One request: status, headers and the decoded JSON body (None if there is none)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (the test's own server)
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                status, raw, got = answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), dict(error.headers)
        return status, {k.lower(): v for k, v in got.items()}, json.loads(raw) if raw else None
