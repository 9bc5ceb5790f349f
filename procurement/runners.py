"""Starting the projections (in ``serve`` or a worker) and rebuilding them from the store."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from procurement import failures, rate_limits
from procurement import rebuild as paged
from procurement.application import ProcurementApplication
from procurement.clock import Clock
from procurement.coordination import Start, Stop
from procurement.database import eventsourcing_env
from procurement.failures import Backoff
from procurement.ledger import LedgerWriter
from procurement.projecting import ProjectionJob, ReadModelsApplication
from procurement.scheduler import Scheduler
from procurement.settings import Settings
from procurement.snapshotter import Snapshotter
from projections.ocds import Context
from projections.ocds_releases import OcdsReleasesProjection, OcdsReleasesView
from projections.public_tenders import PublicTendersProjection, PublicTendersView

DEFAULT_CONTEXT = Context(ocid_prefix="ocds-sindh1", public_url="http://127.0.0.1:8000")


def ocds_context(settings: Settings) -> Context:
    return Context(ocid_prefix=settings.ocid_prefix, public_url=settings.base_url)


def ledger_writer(
    settings: Settings, application: ProcurementApplication, clock: Clock
) -> LedgerWriter:
    """The ledger's writer, signing with the platform's key."""
    return LedgerWriter(
        dsn=settings.dsn,
        signer=application.signer,
        clock=clock,
        origin=settings.ledger_origin,
        checkpoint_interval=settings.checkpoint_interval,
    )


def jobs(
    settings: Settings,
    application: ProcurementApplication,
    clock: Clock,
    *,
    projections_and_ledger: bool = True,
    scheduler: bool = True,
) -> dict[str, Start]:
    """The background jobs, by name, each started only by the process that holds its lock."""
    env = eventsourcing_env(settings.dsn, settings.db_pool_size)
    found: dict[str, Start] = {}
    if projections_and_ledger:
        for projection_class, view_class in projections(ocds_context(settings)):

            def start_projection(
                projection_class: type[Any] = projection_class, view_class: type[Any] = view_class
            ) -> Stop:
                return ProjectionJob(env, projection_class, view_class).start().stop

            found[f"projection:{projection_class.name}"] = start_projection

        def start_ledger() -> Stop:
            writer = ledger_writer(settings, application, clock)
            writer.start()
            return writer.stop

        found["ledger"] = start_ledger

        def start_snapshotter() -> Stop:
            job = Snapshotter(application, settings.dsn)
            job.start()
            return job.stop

        found["snapshots"] = start_snapshotter

        def start_rate_limit_sweep() -> Stop:
            job = rate_limits.Sweeper(settings.dsn, clock)
            job.start()
            return job.stop

        found["rate_limit_sweep"] = start_rate_limit_sweep
    if scheduler:

        def start_scheduler() -> Stop:
            job = Scheduler(application, settings.dsn, settings.scheduler_interval)
            job.start()
            return job.stop

        found["scheduler"] = start_scheduler
    return found


def projections(context: Context) -> tuple[tuple[type[Any], type[Any]], ...]:
    """The projections, in the order they are run, the OCDS one bound to ``context``."""
    ocds_releases = type(
        "OcdsReleasesProjection",
        (OcdsReleasesProjection,),
        {"name": OcdsReleasesProjection.name, "context": context},  # a name of its own
    )
    return ((PublicTendersProjection, PublicTendersView), (ocds_releases, OcdsReleasesView))


def start_runners(
    env: Mapping[str, str],
    stack: ExitStack,
    context: Context = DEFAULT_CONTEXT,
    backoff: Backoff | None = None,
) -> list[ProjectionJob]:
    """Start one job per projection; they stop when ``stack`` closes."""
    return [
        stack.enter_context(ProjectionJob(env, projection_class, view_class, backoff))
        for projection_class, view_class in projections(context)
    ]


def status(settings: Settings) -> dict[str, Any]:
    """Each projection's position, lag behind the store's head and last failure, and the
    other jobs' last failures (``procurement projections status``)."""
    env = eventsourcing_env(settings.dsn, 1)
    app = ReadModelsApplication(env)
    try:
        head = app.recorder.max_notification_id() or 0
        positions: dict[str, int] = {}
        for projection_class, view_class in projections(ocds_context(settings)):
            factory = PostgresFactory(Environment(projection_class.name, env))
            try:
                view = factory.tracking_recorder(view_class)
                positions[projection_class.name] = view.max_tracking_id(app.name) or 0
            finally:
                factory.close()
    finally:
        app.close()
    recorded = failures.failures(settings.dsn)

    def job(name: str) -> dict[str, Any]:
        failure = recorded.get(name)
        return {
            "failing": failure is not None and failure.resolved_at is None,
            "last_error": None if failure is None else failure.as_json(),
        }

    return {
        "head": head,
        "projections": [
            {"name": name, "position": at, "lag": head - at, **job(f"projection:{name}")}
            for name, at in positions.items()
        ],
        "jobs": [
            {"job": name, **job(name)} for name in recorded if not name.startswith("projection:")
        ],
    }


def rebuild(
    env: Mapping[str, str],
    progress: Callable[[int, int], None] | None = None,
    context: Context = DEFAULT_CONTEXT,
) -> int:
    """Empty every read model and replay the whole store into it, a page of events per
    transaction (``procurement/rebuild.py``). Returns the number of events replayed.
    ``progress`` gets the position reached and the store's last position.

    Run it with the projection runners stopped: a live runner would race with the replay.
    """
    return paged.rebuild(env, projections(context), progress)
