"""Auditors: history and time travel, the ledger's checkpoints and proofs, the export, and
red-flag indicators. Auditors see every stream (sealed parts stay ciphertext until opened;
password hashes are redacted)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import psycopg
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Stream

from api import proofs
from api.auth import requires_role
from api.errors import ApiProblem
from api.openapi import Refusal, bearer, problems
from api.params import BIGINT_MAX
from api.schemas import (
    CheckpointOut,
    ConsistencyProofOut,
    EventsOut,
    InclusionProofOut,
    RedFlagOut,
    RedFlagsOut,
    RedFlagThresholdsOut,
    StoredEventOut,
)
from domain.errors import TenderNotFoundError
from domain.rules import planning_rules
from domain.values import Role
from procurement.audit import export as audit_export
from procurement.audit import history
from procurement.commands.application import ProcurementApplication
from procurement.settings import Settings
from projections import reads
from projections.red_flags import INDICATORS, Thresholds, flags_for

Version = Annotated[
    int | None, QueryParameter(ge=1, le=BIGINT_MAX, description="the state as of this version")
]
TreeSize = Annotated[int, QueryParameter(ge=1, le=BIGINT_MAX)]
At = Annotated[datetime | None, QueryParameter(description="the state as of this moment")]
Replay = Annotated[
    Literal["snapshots", "events"],
    QueryParameter(
        description="fold from the nearest MAC-checked snapshot (the default), or from the "
        "first event, with no snapshot in the way"
    ),
]

Indicator = Literal[
    "R003", "R018", "R028", "R030", "R036", "R038", "S001", "S002", "S003", "S004", "S005"
]
EXPORT_MEDIA_TYPE = "application/x-ndjson"
NO_CHECKPOINT = Refusal(404, "no_checkpoint")
INVALID_PROOF_REQUEST = Refusal(422, "invalid_proof_request")
VERSION_OR_MOMENT = Refusal(422, "version_or_moment")
"""A state as of a version or as of a moment: both asked for (a rule across parameters,
which no parameter's schema can state)."""


class AuditController(Controller):
    path = "/audit"
    tags = ["auditor"]  # noqa: RUF012
    guards = [requires_role(Role.AUDITOR)]  # noqa: RUF012
    security = bearer(Role.AUDITOR)

    @get("/red-flags", summary="Red-flag indicators, each with its tender and evidence")
    async def red_flags(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        tender_id: Annotated[UUID | None, QueryParameter(description="one tender only")] = None,
        indicator: FromQuery[Indicator | None] = None,
    ) -> RedFlagsOut:
        settings = request.app.state.settings
        thresholds = Thresholds(
            min_submission_days=settings.red_flag_min_submission_days,
            disqualified_share=settings.red_flag_disqualified_share,
        )
        found = await reads.red_flag_inputs(pool, tender_id)
        flags = [
            RedFlagOut(name=flag.name, **asdict(flag))
            for flag in flags_for(
                found.tenders,
                found.awards,
                thresholds,
                complaints=found.complaints,
                debarments=found.debarments,
                planning=planning_rules(),
                peers=found.peers,
            )
            if indicator is None or flag.indicator == indicator
        ]
        return RedFlagsOut(
            indicators=INDICATORS,
            thresholds=RedFlagThresholdsOut(
                min_submission_days=thresholds.min_submission_days,
                disqualified_share=str(thresholds.disqualified_share),
            ),
            flags=flags,
        )

    @get(
        "/streams/{aggregate_id:uuid}/events",
        sync_to_thread=True,
        summary="Full history",
        responses=problems(history.StreamNotFoundError),
    )
    def events(
        self,
        aggregate_id: FromPath[UUID],
        procurement: NamedDependency[ProcurementApplication],
    ) -> EventsOut:
        return EventsOut(
            id=str(aggregate_id),
            events=[
                StoredEventOut.model_validate(event)
                for event in history.events_of(procurement, aggregate_id)
            ],
        )

    @get(
        "/streams/{aggregate_id:uuid}/state",
        sync_to_thread=True,
        summary="State as of",
        responses=problems(history.StreamNotFoundError, VERSION_OR_MOMENT),
    )
    def stream_state(
        self,
        aggregate_id: FromPath[UUID],
        procurement: NamedDependency[ProcurementApplication],
        version: Version = None,
        at: At = None,
        replay: Replay = "snapshots",
    ) -> Response[bytes]:
        return _answer(_state(procurement, aggregate_id, version, at, replay))

    @get(
        "/tenders/{tender_id:uuid}/state",
        sync_to_thread=True,
        summary="A tender as of",
        responses=problems(history.StreamNotFoundError, TenderNotFoundError, VERSION_OR_MOMENT),
    )
    def tender_state(
        self,
        tender_id: FromPath[UUID],
        procurement: NamedDependency[ProcurementApplication],
        version: Version = None,
        at: At = None,
        replay: Replay = "snapshots",
    ) -> Response[bytes]:
        state = _state(procurement, tender_id, version, at, replay)
        if state.type != "Tender":
            raise TenderNotFoundError(f"no tender {tender_id}")
        return _answer(state)

    @get(
        "/checkpoints/latest",
        summary="The latest signed ledger checkpoint",
        responses=problems(NO_CHECKPOINT),
    )
    async def latest_checkpoint(self, pool: NamedDependency[asyncpg.Pool]) -> CheckpointOut:
        checkpoint = await reads.latest_checkpoint(pool)
        if checkpoint is None:
            raise ApiProblem(
                NO_CHECKPOINT.status, NO_CHECKPOINT.code, "the ledger has signed no checkpoint yet"
            )
        return CheckpointOut.model_validate(checkpoint)

    @get(
        "/proofs/inclusion",
        summary="RFC 6962 inclusion proof of leaf `index` in tree `size`",
        responses=problems(INVALID_PROOF_REQUEST),
    )
    async def inclusion(
        self,
        pool: NamedDependency[asyncpg.Pool],
        index: Annotated[int, QueryParameter(ge=0, le=BIGINT_MAX)],
        size: TreeSize,
    ) -> InclusionProofOut:
        return await proofs.inclusion(pool, index, size)

    @get(
        "/proofs/consistency",
        summary="RFC 6962 consistency proof between two tree sizes",
        responses=problems(INVALID_PROOF_REQUEST),
    )
    async def consistency(
        self,
        pool: NamedDependency[asyncpg.Pool],
        first: TreeSize,
        second: TreeSize,
    ) -> ConsistencyProofOut:
        return await proofs.consistency(pool, first, second)

    @get(
        "/export",
        summary="JSON Lines: every stored event with its leaf, and the checkpoints",
        media_type=EXPORT_MEDIA_TYPE,
        response_description="One JSON object a line (see docs/audit.md): each stored event "
        "with its ledger leaf, then the signed checkpoints. `procurement audit verify` checks it.",
    )
    async def export(self, request: Request[Any, Any, Any]) -> Stream:
        settings: Settings = request.app.state.settings
        public_key = request.app.state.procurement.signer.public_key
        return Stream(
            _export(settings.dsn, public_key, settings.ledger_origin),
            media_type=EXPORT_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="audit-export.jsonl"'},
        )


def _export(dsn: str, public_key: str, origin: str) -> Iterator[str]:
    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield from audit_export.export_lines(conn, public_key, origin)


def _state(
    procurement: ProcurementApplication,
    aggregate_id: UUID,
    version: int | None,
    at: datetime | None,
    replay: str,
) -> history.StateAsOf:
    if version is not None and at is not None:
        raise ApiProblem(
            VERSION_OR_MOMENT.status,
            VERSION_OR_MOMENT.code,
            "ask for a version or a moment, not both",
            extra={
                "errors": [
                    {"loc": [name], "message": "a version or a moment, not both"}
                    for name in ("version", "at")
                ]
            },
        )
    return history.state_as_of_json(
        procurement, aggregate_id, version=version, at=at, snapshots=replay == "snapshots"
    )


def _answer(state: history.StateAsOf) -> Response[bytes]:
    """The state's JSON as ``history`` encoded it (the answer is not decoded to encode it
    again: for a long stream that took as long as the replay)."""
    return Response(content=state.json, media_type=MediaType.JSON)
