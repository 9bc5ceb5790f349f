"""The served OpenAPI document tells the truth: schemathesis, run as its command line is,
against the real server (``procurement serve``, a process of its own) on the real PostgreSQL,
with every check it has, as nobody, a vendor, an officer and an auditor.

Each run generates requests from ``/schema/openapi.json`` (its examples, the coverage of every
boundary it states, then random valid and invalid data, then sequences linked by the ids the
answers carry) and checks every answer against the document: no 5xx; every status, content
type, header and body as documented; valid data accepted and invalid data refused; a guarded
operation refused without its token; nothing readable after it is deleted. Validating real
answers against the document's schemas is what a client generated from it relies on.

The run is bounded by a number of examples per operation (``EXAMPLES``) and a fixed seed, so
it is the same run each time; ``PROCUREMENT_SCHEMATHESIS_EXAMPLES`` and
``PROCUREMENT_SCHEMATHESIS_SEED`` explore further (docs/api.md says how to run it by hand).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.values import Role
from procurement.commands.application import ProcurementApplication
from procurement.crypto.second_factor import code_at
from procurement.settings import Settings
from tests.accounts import add_staff
from tests.api.conftest import PASSWORD, Api
from tests.served import Served, server_env

EXAMPLES = int(os.environ.get("PROCUREMENT_SCHEMATHESIS_EXAMPLES", "5"))
SEED = int(os.environ.get("PROCUREMENT_SCHEMATHESIS_SEED", "15"))
METRICS_TOKEN = "operators-token-for-the-conformance-run"
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
VENDOR = "conformance.vendor"
STAFF = {
    "officer@works": (Role.OFFICER, "works-and-services-department"),
    "auditor@sindh": (Role.AUDITOR, None),
    "regulator@sppra": (Role.REGULATOR, None),
}
IDENTITIES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    # who: (username, the tags of the operations run with the token; None: all, no token)
    "anonymous": (None, ()),
    "vendor": (VENDOR, ("vendor", "auth", "public", "open data")),
    "officer": ("officer@works", ("officer", "auth")),
    "auditor": ("auditor@sindh", ("auditor", "auth", "operations")),
    "regulator": ("regulator@sppra", ("regulator", "auth")),
}
"""Nobody runs every operation (each guarded one answers 401, the open ones in full); each
role runs its own operations, the account's and the ones it reads. A role's token on
another's operations is a 403 the anonymous run's 401 and tests/api cover."""


@pytest.fixture
def server(
    settings: Settings, application: ProcurementApplication, tmp_path: Path
) -> Iterator[tuple[Served, dict[str, str]]]:
    secrets = {
        username: add_staff(application, username, role, entity)
        for username, (role, entity) in STAFF.items()
    }
    env = server_env(settings, tmp_path / "data", PROCUREMENT_METRICS_TOKEN=METRICS_TOKEN)
    served = Served(env, tmp_path / "stderr.log")
    served.start()
    status, _, body = served.call(
        "POST",
        "/vendors/register",
        {
            "username": VENDOR,
            "password": PASSWORD,
            "legal_name": "Conformance (Pvt) Ltd",
            "ntn": "1234567-8",
            "contact_email": "conformance@example.com",
        },
    )
    assert status == 201, body
    yield served, secrets
    served.stop()


def _token(server: Served, secrets: dict[str, str], username: str) -> str:
    """A token as a client gets one: staff with the code of their authenticator, now (the
    server runs on the real clock)."""
    body = {"username": username, "password": PASSWORD}
    if username in secrets:
        body["totp_code"] = code_at(secrets[username], datetime.now(UTC))
    status, _, answer = server.call("POST", "/auth/token", body)
    assert status == 200, answer
    return str(answer["access_token"])


def _config(bearer: str | None) -> str:
    """schemathesis.toml for one identity: every check, bounded, the tokens it holds. The
    positive data may meet the rules and states no schema states (412, 422 with a domain
    code); ``schemathesis_hooks.py`` checks that none of them says the request was
    malformed."""
    lines = [
        f"seed = {SEED}",
        f'hooks = "{HOOKS}"',
        "[generation]",
        f"max-examples = {EXAMPLES}",
        "[checks]",
        "enabled = true",
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]',
    ]
    if bearer is not None:
        lines += [
            "[auth.openapi.bearer]",
            f'bearer = "{bearer}"',
            "[auth.openapi.metricsToken]",
            f'bearer = "{METRICS_TOKEN}"',
        ]
    return "\n".join(lines) + "\n"


def _failures(output: str) -> str:
    """schemathesis's report, each line cut short (a generated body can be megabytes)."""
    return "\n".join(line[:400] for line in output.splitlines())[-40_000:]


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("who", IDENTITIES)
def test_the_served_document_holds_for(
    server: tuple[Served, dict[str, str]], who: str, tmp_path: Path
) -> None:
    served, secrets = server
    username, tags = IDENTITIES[who]
    bearer = None if username is None else _token(served, secrets, username)
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(bearer))
    report = tmp_path / "report.json"
    command = [
        str(Path(sys.executable).parent / "st"),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        f"{served.url}/schema/openapi.json",
        "--checks",
        "all",
        "--workers",
        "1",
        # A generator's health check, not the API's: TenderIn's patterns reject many drawn
        # strings, and whether that trips hypothesis on an operation depends on the seed.
        "--suppress-health-check",
        "filter_too_much",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *[option for tag in tags for option in ("--include-tag", tag)],
    ]
    run = subprocess.run(  # noqa: S603 (schemathesis, fixed arguments)
        command, capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert run.returncode == 0, _failures(run.stdout + run.stderr)
    summary = json.loads(report.read_text())
    assert summary["operations"]["tested"] >= len(tags)
    assert summary["test_cases"]["generated"] > 0


def _keys(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def test_the_document_states_problems_security_and_bounds(api: Api) -> None:
    """What the conformance runs rely on, read from the document itself (fast)."""
    document = api.client.get("/schema/openapi.json").json()
    assert not {"ge", "le", "gt", "lt"} & set(_keys(document["components"]["schemas"]))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            problems = {s: a for s, a in answers.items() if s.startswith(("4", "5"))}
            assert problems or path == "/health", (method, path)  # the liveness probe
            for status, answer in problems.items():
                assert list(answer["content"]) == ["application/problem+json"], (path, status)
                assert answer["x-codes"], (method, path, status)
            if operation.get("security"):
                assert "unauthenticated" in answers["401"]["x-codes"], (method, path)
    releases = document["paths"]["/ocds/releases"]["get"]["responses"]["200"]
    assert releases["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReleasePackage"
    }
