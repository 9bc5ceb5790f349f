"""``procurement migrate``, ``serve``, ``worker`` and ``demo``: the database and the processes."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
from contextlib import ExitStack
from functools import partial
from typing import Annotated, Any

import typer

from api.cli import demo_data
from api.cli.console import _application, _settings, console, log
from procurement import logs
from procurement.jobs import runners
from procurement.jobs.coordination import Coordinator
from procurement.settings import Settings
from procurement.store import migrations


def migrate() -> None:
    """Apply the database migrations."""
    settings = _settings()
    migrations.upgrade(settings.dsn)
    console.print("migrations applied")


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
