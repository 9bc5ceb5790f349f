"""The rebuild's two ways (``procurement/jobs/rebuild.py``): each read model in a process of its
own (the default, compared with the live runners in ``test_rebuild.py``) and all in this
process; and a failure in a read model's process."""

from __future__ import annotations

import pytest

from procurement.commands.application import ProcurementApplication
from procurement.jobs import rebuild, runners
from procurement.jobs.projection_runner import ProjectionJob
from procurement.settings import Settings
from procurement.store.database import eventsourcing_env
from projections.public_tenders import PublicTendersProjection
from tests.integration.test_public_projection import _evaluated_history, _history
from tests.integration.test_rebuild import _documents_history, _snapshot, _tracking, live
from tests.support import FakeClock

__all__ = ["live"]  # the fixture, imported for the test below


def test_the_rebuild_in_one_process_equals_the_live_read_models_and_the_parallel_one(
    application: ProcurementApplication,
    settings: Settings,
    clock: FakeClock,
    live: list[ProjectionJob],
) -> None:
    _history(application, clock)
    _documents_history(application, clock)
    position = _evaluated_history(application, clock)
    for runner in live:
        runner.wait(position, timeout=20)
        runner.stop()
    expected = _snapshot(settings.dsn)
    tracked = _tracking(settings.dsn)
    env = eventsourcing_env(settings.dsn, 2)
    selected = runners.projections(runners.ocds_context(settings))

    seen: list[tuple[int, int]] = []
    replayed = rebuild.rebuild(
        env, selected, lambda *at: seen.append(at), page_size=3, parallel=False
    )
    assert replayed == position
    assert _snapshot(settings.dsn) == expected
    assert _tracking(settings.dsn) == tracked
    assert seen[-1] == (position, position)

    parallel: list[tuple[int, int]] = []
    assert rebuild.rebuild(env, selected, lambda *at: parallel.append(at), page_size=3) == position
    assert _snapshot(settings.dsn) == expected
    assert _tracking(settings.dsn) == tracked
    # The lowest position the read models' processes have reached, never going back.
    assert parallel[-1] == (position, position)
    assert [done for done, _ in parallel] == sorted(done for done, _ in parallel)


class Unknown:
    """A view no paged rebuild knows: its process fails before replaying."""


def test_a_failure_in_a_read_models_process_is_raised(settings: Settings) -> None:
    selected = [*runners.projections(runners.ocds_context(settings))]
    selected[0] = (PublicTendersProjection, Unknown)
    with pytest.raises(rebuild.RebuildError, match="rebuilding public_tenders failed"):
        rebuild.rebuild(eventsourcing_env(settings.dsn, 2), selected)
