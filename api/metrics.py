"""Prometheus metrics: request latency by route, bids accepted, projection lag, ledger size,
checkpoint age and background jobs' failures. Counts of events are for operators only
(``/metrics`` can be closed with a token): they would let the public watch bids arrive before an
opening."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "procurement_request_seconds",
    "HTTP request latency by route",
    ["method", "route", "status"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BIDS_ACCEPTED = Counter(
    "procurement_bids_accepted_total",
    "Bids accepted (submitted, replaced, withdrawn), by kind",
    ["kind"],
    registry=REGISTRY,
)
PROJECTION_LAG = Gauge(
    "procurement_projection_lag_events",
    "Events stored but not yet processed, by projection",
    ["projection"],
    registry=REGISTRY,
)
LEDGER_SIZE = Gauge("procurement_ledger_size", "Leaves in the ledger", registry=REGISTRY)
CHECKPOINT_AGE = Gauge(
    "procurement_checkpoint_age_seconds",
    "Seconds since the latest signed ledger checkpoint",
    registry=REGISTRY,
)

JOB_FAILING = Gauge(
    "procurement_job_failing",
    "1 while a background job (projection:<name>, ledger, scheduler, snapshots) is failing",
    ["job"],
    registry=REGISTRY,
)


class JobFailures(Collector):
    """``procurement_job_failures_total``: failed attempts of each background job. The jobs
    may run in another process (a worker), so the count is the one they record in the
    database (``job_failures``), read at each scrape (``set``) rather than counted here."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def set(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "procurement_job_failures",
            "Failed attempts of each background job, in all processes",
            labels=["job"],
        )
        for job, count in sorted(self.counts.items()):
            family.add_metric([job], count)
        yield family


JOB_FAILURES = JobFailures()
REGISTRY.register(JOB_FAILURES)


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    # The histogram's child per (method, route, status), looked up once: ``labels`` takes a
    # lock and builds its key on every call.
    children: dict[tuple[str, str, int], Any] = {}

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - started
            key = (scope["method"], scope.get("path_template") or "unmatched", status)
            child = children.get(key)
            if child is None:
                child = children[key] = REQUEST_SECONDS.labels(key[0], str(key[1]), str(status))
            child.observe(elapsed)

    return middleware
