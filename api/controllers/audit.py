"""Auditors: red-flag indicators on the live data (the ledger and replay come with the audit
issue)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.auth import requires_role
from domain.values import Role
from projections import reads
from projections.red_flags import INDICATORS, Thresholds, flags_for

Indicator = Literal["R003", "R018", "R028", "R030", "R036", "R038"]


class AuditController(Controller):
    path = "/audit"
    tags = ["auditor"]  # noqa: RUF012
    guards = [requires_role(Role.AUDITOR)]  # noqa: RUF012

    @get("/red-flags", summary="Red-flag indicators, each with its tender and evidence")
    async def red_flags(
        self,
        request: Request[Any, Any, Any],
        pool: NamedDependency[asyncpg.Pool],
        tender_id: Annotated[UUID | None, QueryParameter(description="one tender only")] = None,
        indicator: FromQuery[Indicator | None] = None,
    ) -> dict[str, Any]:
        settings = request.app.state.settings
        thresholds = Thresholds(
            min_submission_days=settings.red_flag_min_submission_days,
            disqualified_share=settings.red_flag_disqualified_share,
        )
        tenders, awards = await reads.red_flag_inputs(pool, tender_id)
        flags = [
            {"name": flag.name, **asdict(flag)}
            for flag in flags_for(tenders, awards, thresholds)
            if indicator is None or flag.indicator == indicator
        ]
        return {
            "indicators": INDICATORS,
            "thresholds": {
                "min_submission_days": thresholds.min_submission_days,
                "disqualified_share": str(thresholds.disqualified_share),
            },
            "flags": flags,
        }
