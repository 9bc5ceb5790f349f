"""The ``procurement`` command: serve, worker, migrate, users, projections, demo."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from domain.account import account_id_for
from domain.bid import BidContents
from domain.errors import InvalidTextError, ProcurementError
from domain.sealing import HPKE_SUITE, SealingKey, SealingKeySet
from domain.text import check_text
from domain.values import Method, Role
from procurement import audit, logs, migrations, receipts, runners, sealing
from procurement import demo as demo_data
from procurement import ocds_export as ocds_files
from procurement.application import ProcurementApplication, system_actor
from procurement.bootstrap import resolve
from procurement.coordination import Coordinator
from procurement.database import eventsourcing_env
from procurement.receipts import ReceiptSigner
from procurement.settings import Settings

app = typer.Typer(help="Sindh e-procurement platform.", no_args_is_help=True)
users = typer.Typer(help="Accounts for officers, auditors and admins.", no_args_is_help=True)
projections = typer.Typer(help="Read models.", no_args_is_help=True)
ocds = typer.Typer(help="Open Contracting Data Standard data.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit ledger: export and verify.", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(projections, name="projections")
app.add_typer(ocds, name="ocds")
app.add_typer(audit_cli, name="audit")
console = Console(stderr=True)
log = logging.getLogger("procurement.cli")
DAMAGED_SHOWN = 20  # damaged lines listed by ``audit verify`` (all count as failures)


def _settings() -> Settings:
    settings = resolve(Settings())
    logs.configure(settings.log_level, settings.log_format)
    return settings


def _application(settings: Settings) -> ProcurementApplication:
    return ProcurementApplication.from_settings(settings)


@app.command()
def migrate() -> None:
    """Apply the database migrations."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    console.print("migrations applied")


@app.command()
def serve(
    demo: Annotated[
        bool, typer.Option(help="Load the demo data set if the store is empty.")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="API processes sharing the port.")
    ] = 1,
) -> None:
    """Serve the API. Background jobs (projections, ledger, scheduler) run in whichever
    process holds each one's lock: one process in the whole cluster runs each."""
    import uvicorn  # noqa: PLC0415

    from api.app import create_app  # noqa: PLC0415
    from api.slow_clients import SlowClientsProtocol  # noqa: PLC0415

    settings = _settings()
    migrations.upgrade(settings.dsn)
    if demo:
        _load_demo_if_empty(settings)
    log.info("serving on http://%s:%s (%s process(es))", settings.host, settings.port, workers)
    # Every process, the ones uvicorn spawns for --workers included, logs as this one does.
    log_config = logs.config(settings.log_level, settings.log_format)
    # uvicorn's own proxy headers stay off: it would take the client from X-Forwarded-For of
    # any loopback peer; the app decides (PROCUREMENT_TRUSTED_PROXIES, api/client_address.py).
    # Its protocol gets the header and body deadlines it lacks (api/slow_clients.py).
    server: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": log_config,
        "proxy_headers": False,
        # A partial of a light module's class: it pickles for the workers of --workers N.
        "http": partial(
            SlowClientsProtocol,
            header_timeout=settings.header_timeout,
            body_timeout=settings.body_timeout,
            body_min_rate=settings.body_min_rate,
        ),
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **server)
        return
    # The worker processes read their settings from the environment: hand them the database
    # this process resolved (the embedded one, if that is what runs), not a second one.
    os.environ["DATABASE_URL"] = settings.dsn
    uvicorn.run("api.asgi:app_factory", factory=True, workers=workers, **server)


@app.command()
def worker() -> None:
    """Run the background jobs (projections, ledger, scheduler) without the API; stop with
    Ctrl-C or SIGTERM. Run several: each job runs in one of them, and another takes it over
    within seconds if that one dies. API processes may run them too, or not
    (PROCUREMENT_RUN_PROJECTIONS=false, PROCUREMENT_RUN_SCHEDULER=false)."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ExitStack() as stack:
        application = _application(settings)
        stack.callback(application.close)
        coordinator = Coordinator(
            settings.dsn, runners.jobs(settings, application, application.clock)
        )
        coordinator.start()
        stack.callback(coordinator.stop)
        gc.freeze()  # as the API process does: start-up objects out of the full passes
        log.info("projections, ledger and scheduler running")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


@app.command()
def demo() -> None:
    """Load the demo data set into an empty store."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    if not _load_demo_if_empty(settings):
        console.print("the store is not empty: no demo data loaded")


def _load_demo_if_empty(settings: Settings) -> bool:
    application = _application(settings)
    try:
        if application.has_events():
            return False
        credentials = demo_data.load(application, settings.data_dir)
    finally:
        application.close()
    log.info(
        "demo data loaded; accounts and passwords are in %s/demo-credentials.txt: %s",
        settings.data_dir,
        ", ".join(username for username, _ in credentials),
    )
    return True


@users.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[Role, typer.Option(help="officer, auditor or admin.")],
    entity: Annotated[str | None, typer.Option(help="The officer's procuring entity.")] = None,
) -> None:
    """Add a staff account (its username has an @, such as o.khan@works); the password is
    read from standard input. Staff of the roles that need a second factor enrol it at
    their first sign-in, in the portal."""
    if role in {Role.VENDOR, Role.SYSTEM}:
        console.print("vendors register themselves (POST /vendors/register)")
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 10:  # noqa: PLR2004
        console.print("the password must have at least 10 characters")
        raise typer.Exit(2)
    try:  # the text rule, as for what comes over HTTP (the password is kept as typed)
        username = check_text(username, single_line=True, field="username")
        entity = None if entity is None else check_text(entity, single_line=True, field="entity")
        check_text(password, single_line=True, field="password")
    except InvalidTextError as error:
        console.print(f"{error.code}: {error}")
        raise typer.Exit(2) from None
    settings = _settings()
    migrations.upgrade(settings.dsn)
    application = _application(settings)
    try:
        result = application.register_account(
            system_actor("cli"),
            username=username,
            password=password,
            role=role,
            entity=entity,
        )
    except ProcurementError as error:
        console.print(f"{error.code}: {error}")
        raise typer.Exit(1) from None
    finally:
        application.close()
    console.print(f"account {username} ({role.value}) created: {result.id}")


def _administer(action: Callable[[ProcurementApplication], str]) -> None:
    """One administrator's action on an account, as the platform (the system actor): what
    it printed, or the refusal's code and exit status 1."""
    settings = _settings()
    application = _application(settings)
    try:
        console.print(action(application))
    except ProcurementError as error:
        console.print(f"{error.code}: {error}")
        raise typer.Exit(1) from None
    finally:
        application.close()


Username = Annotated[str, typer.Option(help="The account's username.")]
Reason = Annotated[str, typer.Option(help="Why, for the record (auditors read it).")]


def _account_write(username: str, done: str, command: Callable[..., Any], *args: Any) -> None:
    def run(application: ProcurementApplication) -> str:
        written = command(application, system_actor("cli"), account_id_for(username), *args)
        return f"{username}: {done} (position {written.position})"

    _administer(run)


@users.command("disable")
def users_disable(username: Username, reason: Reason) -> None:
    """Disable an account: it cannot sign in, and its sessions end within seconds."""
    _account_write(username, "disabled", ProcurementApplication.disable_account, reason)


@users.command("enable")
def users_enable(username: Username, reason: Reason) -> None:
    """Enable a disabled account again."""
    _account_write(username, "enabled", ProcurementApplication.enable_account, reason)


@users.command("reset-password")
def users_reset_password(username: Username) -> None:
    """A one-time code for the owner to set a new password with (shown once, valid 24 hours;
    the portal's "Set a new password" page or POST /auth/password-reset). The account's
    sessions end now."""

    def reset(application: ProcurementApplication) -> str:
        code, expires_at, _ = application.issue_password_reset(
            system_actor("cli"), account_id_for(username)
        )
        return f"reset code for {username}: {code} (valid until {expires_at.isoformat()})"

    _administer(reset)


@users.command("remove-second-factor")
def users_remove_second_factor(username: Username, reason: Reason) -> None:
    """Remove a lost second factor: the owner enrols a new one at the next sign-in."""
    _account_write(
        username, "second factor removed", ProcurementApplication.remove_second_factor, reason
    )


_LOOPBACK = ("http://127.0.0.1", "http://localhost", "http://[::1]")


def _fetch_json(url: str) -> Any:
    # Over plain http anyone on the way could hand over their own key and read the bid:
    # https, or a platform on this very machine.
    if not url.startswith(("https://", *_LOOPBACK)):
        console.print("--api takes an https URL (http only to this machine)")
        raise typer.Exit(2)
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 (scheme checked)
        return json.load(answer)


@app.command()
def seal(
    tender: Annotated[UUID, typer.Option(help="The tender's id.")],
    bid_file: Annotated[Path, typer.Option("--in", help="The bid in plain JSON.")],
    username: Annotated[str, typer.Option(help="Your vendor username (bound into the seal).")],
    notice: Annotated[
        Path | None, typer.Option(help="The tender's public notice, saved as JSON.")
    ] = None,
    api: Annotated[str | None, typer.Option(help="Or the platform's URL to fetch it.")] = None,
) -> None:
    """Seal a bid on your own machine; print the body to POST to /tenders/{id}/bids.

    The plain bid never leaves this machine: only the envelopes are printed.
    """
    if (notice is None) == (api is None):
        console.print("give either --notice FILE or --api URL")
        raise typer.Exit(2)
    public = (
        _read_notice(notice)
        if notice is not None
        else _fetch_json(f"{str(api).rstrip('/')}/public/tenders/{tender}")
    )
    if not isinstance(public, dict) or public.get("id") != str(tender):
        console.print("the notice is not this tender's")
        raise typer.Exit(2)
    try:
        contents = BidContents.model_validate_json(bid_file.read_text())
    except ValidationError as error:  # where and what, never the values (they are the bid)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        console.print(f"the bid is not valid: {problems}")
        raise typer.Exit(2) from None
    keys, method = _sealing_of(public)
    sealed = sealing.seal_contents(keys, method, tender, account_id_for(username), contents)
    body = {
        "envelopes": [{"name": e.name.value, "ciphertext": e.ciphertext} for e in sealed.envelopes]
    }
    typer.echo(json.dumps(body, indent=2))
    for envelope in sealed.envelopes:
        console.print(f"{envelope.name.value}: commitment {envelope.commitment}")
    console.print(f"sealed for vendor {username} ({account_id_for(username)}) on tender {tender}")


def _read_notice(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError included
        console.print(f"--notice: {path} is not a notice's JSON ({error})", markup=False)
        raise typer.Exit(2) from None


def _sealing_of(public: dict[str, Any]) -> tuple[SealingKeySet, Method]:
    """The notice's sealing keys and method, or exit 2 saying the notice is not one."""
    try:
        unknown = {k["suite"] for k in public["sealing"]} - {HPKE_SUITE}
        if unknown:
            what = f"the notice asks for a suite this tool does not seal with: {unknown}"
            console.print(what, markup=False)
            raise typer.Exit(2)
        keys = SealingKeySet(
            keys=tuple(
                SealingKey(
                    envelope=k["envelope"],
                    suite=k["suite"],
                    public_key=k["public_key"],
                    wrapped_private_key="",
                    kek_id="",
                )
                for k in public["sealing"]
            )
        )
        return keys, Method(public["method"])
    except (KeyError, TypeError, ValueError) as error:  # pydantic's ValidationError included
        what = f"the notice's sealing keys or method are not readable ({error!r})"
        console.print(what[:300], markup=False)
        raise typer.Exit(2) from None


@app.command("verify-receipt")
def verify_receipt(
    receipt_file: Annotated[Path, typer.Argument(help="The receipt JSON.")],
    public_key: Annotated[
        str | None, typer.Option(help="The platform's receipt key (base64).")
    ] = None,
    api: Annotated[str | None, typer.Option(help="Or the platform's URL to fetch it.")] = None,
) -> None:
    """Check a bid receipt's signature offline (or with the key fetched from --api)."""
    if (public_key is None) == (api is None):
        console.print("give either --public-key KEY or --api URL")
        raise typer.Exit(2)
    key = (
        public_key
        or _fetch_json(f"{str(api).rstrip('/')}/public/keys")["receipt_signing_key"]["public_key"]
    )
    try:  # each field named once: a repeated one could show one value and verify another
        document = receipts.loads(receipt_file.read_text())
    except ValueError as error:
        console.print(f"INVALID: not a receipt's JSON ({error})")
        raise typer.Exit(1) from None
    receipt = document.get("receipt", document) if isinstance(document, dict) else document
    gaps = receipts.bid_receipt_gaps(receipt)
    if gaps:  # such as a ledger checkpoint, which the same key signs
        console.print(f"INVALID: not a bid receipt (no valid {', '.join(gaps)})")
        raise typer.Exit(1)
    if not receipts.verify_bid_receipt(key, receipt):
        console.print("INVALID: the receipt was not signed by this key, or it was changed")
        raise typer.Exit(1)
    console.print(
        f"valid: {receipt['kind']} bid {receipt['bid_id']} at {receipt['received_at']}, "
        f"position {receipt['position']}"
    )


@projections.command("rebuild")
def projections_rebuild() -> None:
    """Empty every read model and replay the whole event store into it."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    env = eventsourcing_env(settings.dsn, settings.db_pool_size)
    with Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("rebuild", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        count = runners.rebuild(env, update, runners.ocds_context(settings))
    console.print(f"rebuilt from {count} events")


@projections.command("status")
def projections_status(
    as_json: Annotated[bool, typer.Option("--json", help="As one JSON object.")] = False,
) -> None:
    """Each projection's position, lag behind the store and last error, and the other
    background jobs' last errors. Exits 1 while a job is failing."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    found = runners.status(settings)
    if as_json:
        typer.echo(json.dumps(found, indent=2))
    else:
        typer.echo(f"store head: {found['head']}")
        for projection in found["projections"]:
            typer.echo(
                f"projection {projection['name']}: position {projection['position']}, "
                f"lag {projection['lag']}; {_last_error(projection)}"
            )
        for job in found["jobs"]:
            typer.echo(f"job {job['job']}: {_last_error(job)}")
    if any(job["failing"] for job in [*found["projections"], *found["jobs"]]):
        raise typer.Exit(1)


def _last_error(job: dict[str, Any]) -> str:
    error = job["last_error"]
    if error is None:
        return "no error recorded"
    where = "" if error["position"] is None else f" at position {error['position']}"
    topic = "" if error["topic"] is None else f" ({error['topic']})"
    what = f"{error['error']}: {error['message']}{where}{topic}"
    if job["failing"]:
        return (
            f"FAILING since {error['failing_since']}, {error['attempts']} attempts, "
            f"last at {error['last_failed_at']}: {what}"
        )
    return f"last error {error['last_failed_at']}, resolved {error['resolved_at']}: {what}"


@ocds.command("export")
def ocds_export(
    directory: Annotated[Path, typer.Argument(help="where to write the packages")],
    page_size: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """Write every OCDS release package and one record package per process as files."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    with Progress(
        TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("export", total=None)
        try:
            releases, records = ocds_files.export(
                settings.dsn,
                directory,
                settings.base_url,
                page_size,
                lambda done, total: progress.update(task, completed=done, total=total),
            )
        except ocds_files.ExportFolderNotEmptyError as error:
            console.print(str(error))
            raise typer.Exit(2) from None
    console.print(f"{releases} releases and {records} records written to {directory}")


@audit_cli.command("export")
def audit_export(
    file: Annotated[Path, typer.Argument(help="the JSON Lines file to write")],
) -> None:
    """Write every stored event with its ledger leaf, and every signed checkpoint."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    public_key = ReceiptSigner(settings.signing_seed).public_key
    lines = audit.database_lines(settings.dsn, public_key, settings.ledger_origin)
    with file.open("w", encoding="utf-8") as handle:
        handle.writelines(lines)
    console.print(f"{len(lines) - 1} lines written to {file}; public key {public_key}")


@audit_cli.command("verify")
def audit_verify(
    file: Annotated[Path | None, typer.Argument(help="an audit export to verify")] = None,
    public_key: Annotated[
        str | None, typer.Option(help="the platform's Ed25519 public key (base64)")
    ] = None,
    database: Annotated[bool, typer.Option(help="verify the live database instead")] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="a signed checkpoint (JSON) kept from earlier: the export must extend it",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Recompute every leaf and root, check every checkpoint and opening; report the first
    position where anything disagrees (exit status 1). Events after the latest signed
    checkpoint are counted, not failed; with no signed checkpoint at all nothing is verified
    as signed, and that fails. Only a checkpoint kept outside the platform (--checkpoint)
    shows a history rewritten after it with its later checkpoints deleted."""
    if database == (file is not None):
        console.print("give an export FILE, or --database")
        raise typer.Exit(2)
    pinned = _pinned_checkpoint(checkpoint) if checkpoint is not None else None
    if database:
        settings = _settings()
        key = public_key or ReceiptSigner(settings.signing_seed).public_key
        lines = audit.database_lines(settings.dsn, key, settings.ledger_origin)
    else:
        if public_key is None:
            console.print("--public-key is required: verify against a key you trust")
            raise typer.Exit(2)
        key = public_key
        lines = audit.file_lines(file.read_bytes() if file else b"")
    report = audit.verify(lines, key, pinned)
    console.print(
        f"{report.events} events, {report.leaves} leaves, {report.checkpoints} checkpoints, "
        f"{report.openings} openings ({report.bids_rechecked} bids re-decrypted)"
    )
    console.print(_coverage(report))
    for line, position, why in report.damaged[:DAMAGED_SHOWN]:
        console.print(f"line {line} (position {position}) is damaged: {why}", markup=False)
    if len(report.damaged) > DAMAGED_SHOWN:
        console.print(f"... and {len(report.damaged) - DAMAGED_SHOWN} more damaged lines")
    problem = report.first_problem
    if problem is not None:
        console.print(f"FAILED at position {problem[0]}: {problem[1]}", markup=False)
        raise typer.Exit(1)
    pinned_text = f", consistent with the pinned checkpoint {report.pinned}" if pinned else ""
    console.print(f"verified: every leaf, root, checkpoint and opening agrees{pinned_text}")


def _pinned_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint in ``path``: one JSON object, as ``GET /audit/checkpoints/latest``
    answers it or as an export's checkpoint line holds it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        console.print(f"--checkpoint: {path} is not a JSON checkpoint ({error})")
        raise typer.Exit(2) from None
    if not isinstance(document, dict):
        console.print(f"--checkpoint: {path} is not a JSON checkpoint (not an object)")
        raise typer.Exit(2)
    return document


def _coverage(report: audit.Report) -> str:
    """How much of the history the latest signed checkpoint covers, and what follows it."""
    text = f"{report.covered} events covered by the latest signed checkpoint"
    if not report.uncovered:
        return f"{text}, none after it"
    text = f"{text}; {report.uncovered} not yet covered, from position {report.first_uncovered}"
    if report.unhashed:
        text += f" ({report.unhashed} of them not yet hashed by the ledger)"
    return text


def main() -> None:
    app()
