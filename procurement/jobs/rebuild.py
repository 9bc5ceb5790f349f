"""Rebuilding the read models from the store, a page of events per transaction.

The live runners handle one event per transaction, each commit moving the tracking position
past that event. A rebuild has no reader to keep exact at every position, so it reads the
store in pages, decodes each event once for every read model, and writes each read model's
changes for a whole page in one transaction with the tracking position set to the page's
last event. The changes are the projections' own: ``public_tenders.statements_for`` and, for
OCDS, ``ocds_releases.link``, ``tender_of`` and ``release_for``, the functions the live views
run, on the events decoded as the live runners decode them (``ReadModelsApplication``: text
PostgreSQL cannot store replaced). Only the events some read model shows are read and decoded
(edits of drafts, bids, accounts and the committee's work are skipped in the query); the
position still ends at the store's last event.

With more than one read model, each is rebuilt in a process of its own (``spawn``), in
parallel: decoding is most of the time and holds the GIL, so one process uses one core. Each
process opens its own connections, reads and decodes the events its read model shows and
keeps its read model's own tracking position; the progress reported is the lowest position
any of them has reached.

Run it with the projection runners stopped: a live runner would race with the replay.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.utils import Environment, resolve_topic
from psycopg import ClientCursor, Cursor
from psycopg.rows import DictRow

from procurement.jobs.projection_runner import ReadModelsApplication
from procurement.store.recorder import StoreRecorder
from projections import (
    public_awards,
    public_grievances,
    public_plans,
    public_securities,
    public_tenders,
)
from projections.ocds import release_builder as ocds
from projections.ocds.rebuild_pages import OcdsReleasesPages, Page, handles
from projections.ocds.releases_projection import OcdsReleasesView
from projections.public_tenders import PublicTendersView

PAGE_SIZE = 5_000
"""Events read, decoded and written per transaction."""

Progress = Callable[[int, int], None]


class PageWriter(Protocol):
    """One read model's side of a rebuild."""

    def shows(self, event_class: type[Any]) -> bool:
        """Whether events of this class change the read model (the others only move its
        position, and are not read at all)."""

    def write(self, cursor: Cursor[DictRow], page: Page) -> None:
        """The read model's changes for a page of the events it shows, in the page's
        transaction."""


def rebuild(
    env: Mapping[str, str],
    selected: Iterable[tuple[type[Any], type[Any]]],
    progress: Progress | None = None,
    page_size: int = PAGE_SIZE,
    *,
    parallel: bool = True,
) -> int:
    """Empty the read models of ``selected`` (projection and view classes, as
    ``procurement.jobs.runners.projections`` gives them) and replay the whole store into them.
    Returns the number of events in the store the read models now reflect. ``progress`` is
    called after each page with the position reached and the store's last position. With
    ``parallel`` and more than one read model, each is rebuilt in a process of its own."""
    models = [
        ReadModel.of(projection_class, view_class) for projection_class, view_class in selected
    ]
    if parallel and len(models) > 1:
        return _in_parallel(dict(env), models, progress, page_size)
    return _in_process(env, models, progress, page_size)


@dataclass(frozen=True)
class ReadModel:
    """What a rebuild needs of a projection, picklable for a process of its own (the OCDS
    projection class is made at run time, bound to its context)."""

    name: str
    view_class: type[Any]
    context: ocds.Context | None

    @classmethod
    def of(cls, projection_class: type[Any], view_class: type[Any]) -> ReadModel:
        return cls(projection_class.name, view_class, getattr(projection_class, "context", None))


def _in_process(
    env: Mapping[str, str],
    models: Sequence[ReadModel],
    progress: Progress | None,
    page_size: int,
) -> int:
    app = ReadModelsApplication(env)
    factories: list[PostgresFactory] = []
    try:
        targets: list[tuple[PostgresTrackingRecorder, PageWriter]] = []
        for model in models:
            factory = PostgresFactory(Environment(model.name, dict(env)))
            factories.append(factory)
            view = factory.tracking_recorder(model.view_class)
            targets.append((view, writer_for(model, view)))
        for view, _ in targets:
            view.reset()  # type: ignore[attr-defined]
        with _collecting_per_page():
            return _replay(app, targets, progress, page_size)
    finally:
        for factory in factories:
            factory.close()
        app.close()


class RebuildError(RuntimeError):
    """A read model's process failed."""


def _in_parallel(
    env: dict[str, str],
    models: Sequence[ReadModel],
    progress: Progress | None,
    page_size: int,
) -> int:
    """Each read model in a spawned process; their progress and results come back on a
    queue as (index, kind, value, head)."""
    context = multiprocessing.get_context("spawn")
    messages: multiprocessing.Queue[tuple[int, str, Any, int]] = context.Queue()
    workers = [
        context.Process(
            target=_worker,
            args=(env, model, index, messages, page_size),
            name=f"rebuild-{model.name}",
            daemon=True,
        )
        for index, model in enumerate(models)
    ]
    positions = [0] * len(models)
    heads = [0] * len(models)
    results: dict[int, int] = {}
    reported = (-1, -1)
    try:
        for worker in workers:
            worker.start()
        while len(results) < len(workers):
            index, kind, value, head = _next(messages, workers, models, results)
            if kind == "done":  # value: the events replayed; head: the position reached
                results[index] = int(value)
                positions[index] = heads[index] = head
            else:
                positions[index], heads[index] = int(value), head
            now = (min(positions), max(heads))
            if progress is not None and now != reported and all(heads):
                reported = now
                progress(*now)
        for worker in workers:
            worker.join()
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join()
        messages.close()
    return min(results.values())


def _next(
    messages: multiprocessing.Queue[tuple[int, str, Any, int]],
    workers: Sequence[multiprocessing.process.BaseProcess],
    models: Sequence[ReadModel],
    results: Mapping[int, int],
) -> tuple[int, str, Any, int]:
    """The next progress or result from the read models' processes; a failure in one of them
    raised here."""
    while True:
        try:
            index, kind, value, head = messages.get(timeout=1)
        except queue.Empty:
            for index, worker in enumerate(workers):
                if index not in results and not worker.is_alive():
                    msg = f"rebuilding {models[index].name} ended ({worker.exitcode})"
                    raise RebuildError(msg) from None
            continue
        if kind == "error":
            msg = f"rebuilding {models[index].name} failed:\n{value}"
            raise RebuildError(msg)
        return index, kind, value, head


def _worker(
    env: dict[str, str],
    model: ReadModel,
    index: int,
    messages: multiprocessing.Queue[tuple[int, str, Any, int]],
    page_size: int,
) -> None:
    """One read model's rebuild, in its own process."""
    last = [0]

    def report(position: int, head: int) -> None:
        last[0] = head
        messages.put((index, "at", position, head))

    try:
        count = _in_process(env, [model], report, page_size)
    except BaseException:  # noqa: BLE001 (reported to the parent, which raises)
        messages.put((index, "error", traceback.format_exc(), 0))
    else:
        messages.put((index, "done", count, last[0]))


def writer_for(model: ReadModel, view: PostgresTrackingRecorder) -> PageWriter:
    if isinstance(view, PublicTendersView):
        return PublicTendersPages()
    if isinstance(view, OcdsReleasesView) and model.context is not None:
        return OcdsReleasesPages(model.context)
    msg = f"no paged rebuild for {type(view).__name__}"
    raise TypeError(msg)


def _replay(
    app: ReadModelsApplication,
    targets: Sequence[tuple[PostgresTrackingRecorder, PageWriter]],
    progress: Progress | None,
    page_size: int,
) -> int:
    recorder = cast("StoreRecorder", app.recorder)
    position = 0
    head = recorder.max_notification_id() or 0
    while position < head:
        shown = _shown_topics(app, [writer for _, writer in targets])
        while True:
            notifications = recorder.select_notifications(
                start=position,
                limit=page_size,
                stop=head,
                topics=sorted(set().union(*shown)),
                inclusive_of_start=False,
            )
            if not notifications:
                break
            events = [(n.topic, app.mapper.to_domain_event(n), n.id) for n in notifications]
            position = notifications[-1].id
            for (view, writer), topics in zip(targets, shown, strict=True):
                page = [(event, at) for topic, event, at in events if topic in topics]
                _commit(app, view, position, writer, page)
            del events
            gc.collect(0)  # the page's cyclic garbage, if any (see _collecting_per_page)
            if progress is not None:
                progress(position, head)
        if position < head:  # the rest are events no read model shows
            position = head
            for view, _ in targets:
                _commit(app, view, position, None, ())
            if progress is not None:
                progress(position, head)
        head = recorder.max_notification_id() or 0  # and any appended meanwhile
    return recorder.count_events(position)


@contextmanager
def _collecting_per_page() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the replay, and run by ``_replay`` once
    per page over the objects made since the replay began (the rest are frozen out of its
    scans). Left to itself it ran every 700 allocations, and each run went through the whole
    page of decoded events still held: decoding measured 70 µs per event with it and 25 µs
    without. Events hold no reference cycles, so there is next to nothing to collect."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _commit(
    app: ReadModelsApplication,
    view: PostgresTrackingRecorder,
    position: int,
    writer: PageWriter | None,
    page: Page,
) -> None:
    with view.datastore.transaction(commit=True) as cursor:
        if writer is not None and page:
            writer.write(cursor, page)
        # The live views' own tracking insert, once per page instead of once per event.
        view._insert_tracking(cursor, Tracking(app.name, position))  # noqa: SLF001
        if isinstance(view, PublicTendersView):  # the API's read caches listen, as live
            public_tenders.notify(cursor, position, changed=bool(page))


def _shown_topics(app: ReadModelsApplication, writers: Sequence[PageWriter]) -> list[set[str]]:
    """For each writer, the topics in the store of the events it shows. From the stored
    topics rather than the classes' own, so that a renamed event's older topic is found."""
    stored = cast("StoreRecorder", app.recorder).stored_topics()
    classes = {topic: resolve_topic(topic) for topic in stored}
    return [{t for t, cls in classes.items() if writer.shows(cls)} for writer in writers]


# Public tenders ---------------------------------------------------------------------------

BATCH = 1_000
"""Statements sent in one message: bound in Python (``ClientCursor``) and sent as one query
of many statements. Not psycopg's pipeline: it stalls on large statements
(``procurement/store/recorder.py``), and an opening record can be megabytes."""


class PublicTendersPages:
    """A page's statements, each event's as the live view would run them, in order."""

    def shows(self, event_class: type[Any]) -> bool:
        return any(
            handles(dispatcher, event_class)
            for dispatcher in (
                public_tenders.statements_for,
                public_awards.statements_for,
                public_securities.statements_for,
                public_grievances.statements_for,
                public_plans.statements_for,
            )
        )

    def write(self, cursor: Cursor[DictRow], page: Page) -> None:
        statements = [
            statement
            for event, position in page
            for statement in public_tenders.statements_for(
                event, Tracking(ReadModelsApplication.name, position)
            )
        ]
        client = ClientCursor(cursor.connection)
        for first in range(0, len(statements), BATCH):
            batch = statements[first : first + BATCH]
            client.execute(";\n".join(client.mogrify(query, params) for query, params in batch))


# OCDS releases ----------------------------------------------------------------------------
