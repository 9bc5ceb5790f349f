"""``procurement projections`` (rebuild, status) and ``procurement ocds export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.console import _settings, console
from procurement.jobs import runners
from procurement.store import migrations
from procurement.store.database import eventsourcing_env
from projections.ocds import bulk_export as ocds_files

projections = typer.Typer(help="Read models.", no_args_is_help=True)
ocds = typer.Typer(help="Open Contracting Data Standard data.", no_args_is_help=True)


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
