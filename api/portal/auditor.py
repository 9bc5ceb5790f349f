"""Auditors' pages: a tender's timeline of events with their actors, its state at any chosen
moment or version (by replay), and the ledger's verification run on demand."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from api.portal.guards import requires_portal_role
from api.portal.pages import PKT, render
from domain.errors import NotFoundError, ProcurementError, TenderNotFoundError
from domain.evaluation import evaluation_id_for
from domain.values import Role
from procurement.audit import export as audit_export
from procurement.audit import history
from procurement.audit import verify as audit
from procurement.commands.application import ProcurementApplication
from projections import reads

Moment = Annotated[str, QueryParameter(max_length=40)]
Version = Annotated[int | None, QueryParameter(ge=1, le=1_000_000_000)]


def _moment(text: str) -> datetime | None:
    """A ``datetime-local`` value, in Pakistan time, as an aware UTC moment."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=PKT)).astimezone(UTC)


def _timeline(procurement: ProcurementApplication, tender_id: UUID, awards: list[Any]) -> list[Any]:
    """The tender's events, its evaluation's and its awards', in the store's order."""
    streams = [tender_id, evaluation_id_for(tender_id), *(a["award_id"] for a in awards)]
    events: list[dict[str, Any]] = []
    for stream in streams:
        try:
            events.extend(
                {**event, "stream": str(stream)} for event in history.events_of(procurement, stream)
            )
        except NotFoundError:
            continue
    return sorted(events, key=lambda event: event["position"])


class AuditorPages(Controller):
    path = "/portal/audit"
    include_in_schema = False
    guards = [requires_portal_role(Role.AUDITOR)]  # noqa: RUF012 (litestar reads a class attribute)

    @get("", name="portal:audit")
    async def home(
        self, request: Request[Any, Any, Any], pool: NamedDependency[asyncpg.Pool]
    ) -> Template:
        rows, _ = await reads.list_tenders(pool, reads.TenderFilter(), 100, 0)
        return render(
            request,
            "audit_home.html",
            tenders=rows,
            checkpoint=await reads.latest_checkpoint(pool),
            report=None,
            seconds=None,
        )

    @post("/ledger/verify", name="portal:audit-verify")
    async def verify(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
    ) -> Template:
        """The whole store checked as an outside verifier would: leaves, roots, signatures,
        consistency, and every opened bid re-decrypted with its released key."""
        settings = request.app.state.settings
        public_key = procurement.signer.public_key
        started = time.perf_counter()
        lines = await sync_to_thread(
            audit_export.database_lines, settings.dsn, public_key, settings.ledger_origin
        )
        report = await sync_to_thread(audit.verify, lines, public_key)
        rows, _ = await reads.list_tenders(pool, reads.TenderFilter(), 100, 0)
        return render(
            request,
            "audit_home.html",
            status_code=200 if report.ok else 409,
            tenders=rows,
            checkpoint=await reads.latest_checkpoint(pool),
            report=report,
            seconds=round(time.perf_counter() - started, 3),
        )

    @get("/tenders/{tender_id:uuid}", name="portal:audit-tender")
    async def tender(  # noqa: PLR0917 (the tender and the moment asked for)
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        procurement: NamedDependency[ProcurementApplication],
        tender_id: FromPath[UUID],
        at: Moment = "",
        version: Version = None,
    ) -> Template:
        row = await reads.get_tender(pool, tender_id)
        if row is None:
            raise TenderNotFoundError(f"no published tender {tender_id}")
        events = await sync_to_thread(_timeline, procurement, tender_id, row["awards"])
        state = None
        problem = None
        try:
            moment = _moment(at)
            if moment is not None or version is not None:
                state = await sync_to_thread(
                    history.state_as_of, procurement, tender_id, version=version, at=moment
                )
        except ProcurementError as error:
            problem = f"{error} ({error.code})"
        except ValueError:
            problem = "the moment is not a date and time (YYYY-MM-DDTHH:MM)"
        return render(
            request,
            "audit_tender.html",
            status_code=422 if problem else 200,
            tender=row,
            events=events,
            state=state,
            state_json=json.dumps(state["state"], indent=2, ensure_ascii=False) if state else "",
            problem=problem,
            at=at,
            version=version,
        )
