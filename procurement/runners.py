"""Starting the projections (in ``serve`` or a worker) and rebuilding them from the store."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresFactory
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import Environment

from procurement.application import ProcurementApplication
from projections.public_tenders import PublicTendersProjection, PublicTendersView

PROJECTIONS: tuple[tuple[type[Any], type[Any]], ...] = (
    (PublicTendersProjection, PublicTendersView),
)


def start_runners(env: Mapping[str, str], stack: ExitStack) -> list[ProjectionRunner[Any, Any]]:
    """Start one runner per projection; they stop when ``stack`` closes."""
    runners: list[ProjectionRunner[Any, Any]] = []
    for projection_class, view_class in PROJECTIONS:
        runner: ProjectionRunner[Any, Any] = ProjectionRunner(
            application_class=ProcurementApplication,
            projection_class=projection_class,
            view_class=view_class,
            env=dict(env),
        )
        runners.append(stack.enter_context(runner))
    return runners


def rebuild(
    env: Mapping[str, str],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Empty every read model and replay the whole store into it. Returns events replayed.

    Run it with the projection runners stopped: a live runner would race with the replay.
    """
    app = ProcurementApplication(env)
    try:
        total = app.recorder.max_notification_id() or 0
        done = 0
        for projection_class, view_class in PROJECTIONS:
            factory = PostgresFactory(Environment(projection_class.name, dict(env)))
            view = factory.tracking_recorder(view_class)
            projection = projection_class(view=view)
            view.reset()
            start: int | None = None
            while True:
                batch = app.recorder.select_notifications(
                    start=start, limit=500, inclusive_of_start=False
                )
                if not batch:
                    break
                for notification in batch:
                    event = app.mapper.to_domain_event(notification)
                    projection.process_event(event, Tracking(app.name, notification.id))
                    done += 1
                    if progress is not None:
                        progress(done, total * len(PROJECTIONS))
                start = batch[-1].id
            factory.close()
        return done
    finally:
        app.close()
