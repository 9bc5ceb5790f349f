"""The app factory: ``create_app(settings)`` builds the whole HTTP app from resolved settings.

Its lifespan opens the event-sourced application, the read pool and (unless a separate
worker runs them) the projection runners and the scheduler, and closes them in reverse
order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, asynccontextmanager
from functools import cache
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.concurrency import set_asyncio_executor
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig

from api.auth import request_id_middleware
from api.body import REQUEST_MAX_BODY_SIZE, JsonBodyRequest
from api.circuit import DatabaseWatch, circuit_middleware
from api.client_address import client_address_middleware
from api.controllers.admin import AdminAccountController
from api.controllers.audit import AuditController
from api.controllers.auth import AuthController
from api.controllers.awards import ComplaintController, OfficerAwardController
from api.controllers.bids import BidController
from api.controllers.debarments import OfficerDebarmentController, VendorDebarmentController
from api.controllers.documents import (
    BidDocumentController,
    BillOfQuantitiesController,
    DocumentUploadController,
    OfficerDocumentController,
    PublicDocumentController,
)
from api.controllers.evaluation import EvaluationController
from api.controllers.frameworks import FrameworkController
from api.controllers.grievances import (
    GrievanceCommitteeController,
    OfficerComplaintController,
    VendorComplaintController,
)
from api.controllers.health import HealthController, MetricsController
from api.controllers.ocds import OcdsController
from api.controllers.officer import OfficerTenderController
from api.controllers.plans import OfficerPlanController, PublicPlanController
from api.controllers.public import PublicController
from api.controllers.regulator import RegulatorController
from api.controllers.securities import (
    OfficerSecuritiesController,
    PerformanceSecurityController,
    PublicSecuritiesController,
    VendorSecuritiesController,
)
from api.controllers.vendor import VendorTenderController
from api.dependencies import DEPENDENCIES
from api.errors import EXCEPTION_HANDLERS
from api.idempotency import IdempotencyMiddleware
from api.metrics import metrics_middleware
from api.openapi import OpenAPIDocument
from api.options import allow_header_middleware
from api.params import refuse_odd_parameters
from api.portal import portal_handlers
from api.portal.pages import template_config
from api.portal.session import portal_tokens
from api.rate_limits import Limiter
from api.read_cache import Listener, ReadCache, read_cache_middleware
from api.read_tokens import ReadTokens
from api.security_headers import security_headers
from api.standing import vendor_standings
from procurement.clock import Clock, SystemClock
from procurement.commands.application import ProcurementApplication
from procurement.crypto.passwords_and_tokens import TokenService
from procurement.jobs.coordination import Coordinator
from procurement.jobs.runners import jobs
from procurement.settings import Settings
from procurement.store import idempotency_keys as idempotency
from procurement.store.documents import DocumentStore
from procurement.store.session_epochs import SessionEpochs
from projections.reads import create_pool

log = logging.getLogger(__name__)


@cache
def _use_handler_threads(count: int) -> None:
    """Once per process: enough threads that concurrent writers can share a group commit
    (asyncio's default pool has cores + 4 threads, which caps every batch at that size)."""
    with contextlib.suppress(RuntimeError):  # a running loop keeps its executor
        set_asyncio_executor(ThreadPoolExecutor(count, thread_name_prefix="handler"))


def create_app(settings: Settings, *, clock: Clock | None = None) -> Litestar:
    """The API for ``settings``, which must be resolved (``procurement.bootstrap.resolve``)."""
    _use_handler_threads(settings.handler_threads)
    the_clock: Clock = clock or SystemClock()
    tokens = TokenService(
        key=settings.jwt_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.token_ttl,
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        with ExitStack() as stack:
            procurement = ProcurementApplication.from_settings(settings, the_clock)
            stack.callback(procurement.close)
            coordinator = Coordinator(
                settings.dsn,
                jobs(
                    settings,
                    procurement,
                    the_clock,
                    projections_and_ledger=settings.run_projections,
                    scheduler=settings.run_scheduler,
                ),
            )
            coordinator.start()
            stack.callback(coordinator.stop)
            pool = await create_pool(settings.dsn, settings.db_pool_size)
            app.state.procurement = procurement
            app.state.pool = pool
            documents_pool = await create_pool(settings.dsn, settings.document_pool_size)
            app.state.documents = DocumentStore(documents_pool)
            app.state.limiter.attach(pool)  # limits counted in PostgreSQL, cluster-wide
            # Each account's session epoch, read from the store and kept ~2 s.
            app.state.epochs = SessionEpochs(pool, the_clock)
            # Vendors' standing on the Active Taxpayer List, read and kept ~30 s.
            app.state.standings = vendor_standings(settings, pool, the_clock, procurement)
            # Idempotency-Key claims, each held by this process's session while its request
            # runs (a claim never outlives its request: procurement/store/idempotency_keys.py).
            claims = idempotency.Batches.on(pool, settings.dsn)
            app.state.idempotency = claims
            watch = DatabaseWatch(pool)
            watch.start()
            app.state.database_watch = watch
            # The public reads' answers, dropped when the public read model changes.
            read_cache = ReadCache()
            listener = Listener(settings.dsn, read_cache)
            listener.start()
            app.state.read_cache = read_cache
            # Everything loaded so far lives as long as the process: keep it out of the
            # collector's full passes, which otherwise pause every request ~100 ms.
            gc.freeze()
            try:
                yield
            finally:
                await listener.stop()
                await watch.stop()
                await claims.close()
                await _close(documents_pool, "document store")
                await _close(pool, "read")

    state: dict[str, Any] = {
        "settings": settings,
        "limiter": Limiter(settings, the_clock),
        "clock": the_clock,
        "tokens": tokens,
        "portal_tokens": portal_tokens(settings),
        "read_tokens": ReadTokens.of(settings),
        "idempotency_secret": hashlib.sha256(
            b"sindh-procurement/idempotency/v1|" + settings.jwt_key.encode()
        ).digest(),
    }
    app = Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            AuthController,
            AdminAccountController,
            PublicController,
            PublicDocumentController,
            OcdsController,
            AuditController,
            OfficerTenderController,
            OfficerDocumentController,
            DocumentUploadController,
            BidDocumentController,
            BillOfQuantitiesController,
            VendorTenderController,
            BidController,
            EvaluationController,
            OfficerSecuritiesController,
            VendorSecuritiesController,
            PerformanceSecurityController,
            PublicSecuritiesController,
            ComplaintController,
            OfficerAwardController,
            VendorComplaintController,
            OfficerComplaintController,
            GrievanceCommitteeController,
            RegulatorController,
            VendorDebarmentController,
            OfficerDebarmentController,
            OfficerPlanController,
            PublicPlanController,
            FrameworkController,
            *portal_handlers(),
        ],
        template_config=template_config(),
        # Portal pages and their assets travel gzip-compressed to browsers on slow links; the
        # API's JSON is left as it is (its clients are programs, mostly on fast links).
        compression_config=CompressionConfig(
            backend="gzip", gzip_compress_level=6, exclude=r"^/(?!portal/|portal$|static/|$)"
        ),
        dependencies=DEPENDENCIES,
        request_class=JsonBodyRequest,  # the one JSON body reader: api/body.py
        request_max_body_size=REQUEST_MAX_BODY_SIZE,
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_odd_parameters,
        middleware=[
            allow_header_middleware,  # litestar#4169: api/options.py
            metrics_middleware,
            circuit_middleware,
            read_cache_middleware,  # the public reads only: answered before the rest
            IdempotencyMiddleware,
        ],
        lifespan=[lifespan],
        state=State(state),
        openapi_config=OpenAPIConfig(
            title="Sindh e-procurement",
            version="0.1.0",
            description="Public tenders, sealed bids, evaluation, award and audit.",
            path="/schema",
            render_plugins=[OpenAPIDocument()],  # the document, completed: api/openapi.py
        ),
        debug=False,
        # The process's logging is its entry point's (``procurement.logs``): Litestar would
        # otherwise replace the root logger's handler with a plain-text one of its own.
        logging_config=None,
    )
    # Outside the router, so that every request has its id, in its answer and its log
    # lines, and every answer its security headers, even one no route takes (404, 405):
    # route middleware never sees those.
    app.asgi_handler = security_headers(settings, request_id_middleware(app.asgi_handler))
    # Outermost: every limit and the access log see the client, not a proxy in front.
    app.asgi_handler = client_address_middleware(app.asgi_handler, settings.trusted_proxies)
    return app


async def _close(pool: asyncpg.Pool, name: str) -> None:
    """Close a pool; a connection still out, or broken, must not hold or fail the shutdown."""
    try:
        await asyncio.wait_for(pool.close(), timeout=5)
    except Exception as error:  # noqa: BLE001 (shutting down whatever happened)
        log.warning("the %s pool did not close cleanly (%r): terminated", name, error)
        pool.terminate()
