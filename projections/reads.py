"""Read-model queries for the API, on asyncpg. Queries only: nothing here writes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from projections.ocds.releases_projection import NAME as OCDS_RELEASES
from projections.public_tenders import NAME as PUBLIC_TENDERS

APPLICATION_NAME = "procurement"
PROJECTIONS = (PUBLIC_TENDERS, OCDS_RELEASES)


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """A connection back in the pool keeps its session as it is: asyncpg still rolls back a
    transaction left open and drops listeners, but skips its reset query (advisory unlocks,
    ``CLOSE ALL``, ``UNLISTEN *``, ``RESET ALL``), a round trip on every release. Nothing run
    on this pool changes session state: no ``SET`` outside a transaction, no session advisory
    locks, no ``LISTEN`` (the read cache listens on a connection of its own), no cursors held
    past a transaction."""


async def create_pool(dsn: str, size: int) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=size, init=_init_connection, reset=_keep_session
    )
    if pool is None:  # pragma: no cover (only with a pool factory returning None)
        msg = "asyncpg returned no pool"
        raise RuntimeError(msg)
    return pool


async def projection_position(pool: asyncpg.Pool, projection: str) -> int:
    value = await pool.fetchval(
        f"SELECT notification_id FROM {projection}_tracking "  # noqa: S608 (fixed names)
        "WHERE application_name = $1",
        APPLICATION_NAME,
    )
    return int(value or 0)


async def wait_for_position(
    pool: asyncpg.Pool, projection: str, position: int, wait_seconds: float
) -> bool:
    """Wait until the projection has processed ``position``; False if the wait runs out."""
    return await position_reached(pool, projection, position, wait_seconds) is not None


async def position_reached(
    pool: asyncpg.Pool, projection: str, position: int, wait_seconds: float
) -> int | None:
    """The projection's position once it has processed ``position``; None if the wait runs
    out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    delay = 0.005
    while (reached := await projection_position(pool, projection)) < position:
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)
    return reached


@dataclass(frozen=True)
class TenderFilter:
    status: str | None = None
    entity: str | None = None
    category: str | None = None
    method: str | None = None
    text: str | None = None


_SUMMARY_COLUMNS = """
    tender_id, reference, title, entity, category, method, scope, estimated_amount, currency,
    status, published_at, clarification_deadline, submission_deadline, opening_time,
    cancelled_at, version
"""


def _where(filters: TenderFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for column in ("status", "entity", "category", "method"):
        value = getattr(filters, column)
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        args.append(pattern + "%")
        n = len(args)
        clauses.append(f"(title ILIKE ${n} OR description ILIKE ${n} OR reference ILIKE ${n})")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


async def list_tenders(
    pool: asyncpg.Pool, filters: TenderFilter, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where, args = _where(filters)
    count = f"SELECT count(*) FROM public_tenders{where}"  # noqa: S608 (fixed parts)
    return await _page(
        pool,
        f"SELECT {_SUMMARY_COLUMNS}, ({count}) AS total FROM public_tenders{where} "  # noqa: S608
        f"ORDER BY published_at DESC, tender_id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        count,
        args,
        limit=limit,
        offset=offset,
    )


async def _page(
    pool: asyncpg.Pool, page: str, count: str, args: list[Any], *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page with the total of its query (``count`` as a column of every row, computed once):
    one statement, so one snapshot without a transaction. A page past the end has no row to
    carry it: then the count and the page again, in one REPEATABLE READ snapshot."""
    rows = await pool.fetch(page, *args, limit, offset)
    if rows:
        total = int(rows[0]["total"])
        return [{k: v for k, v in row.items() if k != "total"} for row in rows], total
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
        total = int(await connection.fetchval(count, *args))
        rows = await connection.fetch(page, *args, limit, offset)
    return [{k: v for k, v in row.items() if k != "total"} for row in rows], total


async def get_tender(pool: asyncpg.Pool, tender_id: UUID) -> dict[str, Any] | None:
    """A tender with its amendments, answered questions and awards: one statement, so one
    snapshot without a transaction (the nested rows come back as arrays of records)."""
    row = await pool.fetchrow(_TENDER, tender_id)
    if row is None:
        return None
    tender = dict(row)
    tender["amendments"] = [dict(zip(_AMENDMENT, a, strict=True)) for a in tender["amendments"]]
    tender["questions"] = [dict(zip(_QUESTION, q, strict=True)) for q in tender["questions"]]
    awards = [dict(zip(_AWARD, a, strict=True)) for a in tender["awards"]]
    for award in awards:  # their jsonb, as text (``_AWARD_IN_RECORD``)
        for column in ("complaints", "contract"):
            if award[column] is not None:
                award[column] = json.loads(award[column])
    tender["awards"] = awards
    tender["complaints"] = [dict(zip(_COMPLAINT, c, strict=True)) for c in tender["complaints"]]
    return tender


_AWARD_COLUMNS = """
    a.award_id, a.tender_id, t.reference, t.title, t.entity, a.report_number, a.bid_id,
    a.supplier_id, a.supplier_name, a.amount, a.currency, a.rank, a.reason, a.status,
    a.made_at, a.standstill_ends, a.cancelled_at, a.cancellation_reason, a.complaints,
    a.contract, a.version, a.lot_id
"""


_AMENDMENT = (
    "number",
    "text",
    "issued_at",
    "clarification_deadline",
    "submission_deadline",
    "opening_time",
)
_QUESTION = ("question_id", "text", "asked_at", "answer", "answered_at")
_COMPLAINT = (
    "complaint_id",
    "stage",
    "status",
    "award_id",
    "lodged_at",
    "decision_due",
    "overdue",
    "decided_at",
    "upheld",
    "remedy",
    "reasons",
    "panel_size",
    "appeal_lodged_at",
    "appeal_due",
    "appeal_overdue",
    "appeal_decided_at",
    "appeal_upheld",
    "appeal_remedy",
    "appeal_reasons",
)
"""What the public reads of a complaint (``public_complaints``): never who lodged it, nor
its grounds (the table holds neither)."""
_AWARD = tuple(column.strip().split(".")[-1] for column in _AWARD_COLUMNS.split(","))
# asyncpg decodes a record's fields in binary, without the pool's jsonb codec: text instead.
_AWARD_IN_RECORD = _AWARD_COLUMNS.replace("a.complaints", "a.complaints::text").replace(
    "a.contract", "a.contract::text"
)
_TENDER = f"""
    SELECT t.*,
        ARRAY(
            SELECT ROW({", ".join(_AMENDMENT)}) FROM public_tender_amendments
            WHERE tender_id = t.tender_id ORDER BY number
        ) AS amendments,
        ARRAY(
            SELECT ROW({", ".join(_QUESTION)}) FROM public_tender_questions
            WHERE tender_id = t.tender_id AND answer IS NOT NULL ORDER BY answered_at, question_id
        ) AS questions,
        ARRAY(
            SELECT ROW({_AWARD_IN_RECORD})
            FROM public_awards a WHERE a.tender_id = t.tender_id ORDER BY a.made_at, a.award_id
        ) AS awards,
        ARRAY(
            SELECT ROW({", ".join(_COMPLAINT)}) FROM public_complaints
            WHERE tender_id = t.tender_id ORDER BY lodged_at, complaint_id
        ) AS complaints
    FROM public_tenders t WHERE t.tender_id = $1
"""  # noqa: S608 (fixed parts)


async def list_awards(
    pool: asyncpg.Pool, status: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where = " WHERE a.status = $1" if status else ""
    args: list[Any] = [status] if status else []
    count = f"SELECT count(*) FROM public_awards a{where}"  # noqa: S608 (fixed parts)
    return await _page(
        pool,
        f"SELECT {_AWARD_COLUMNS}, ({count}) AS total "  # noqa: S608 (fixed parts)
        f"FROM public_awards a JOIN public_tenders t USING (tender_id){where} "
        f"ORDER BY a.made_at DESC, a.award_id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        count,
        args,
        limit=limit,
        offset=offset,
    )


async def get_award(pool: asyncpg.Pool, award_id: UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f"SELECT {_AWARD_COLUMNS} FROM public_awards a "  # noqa: S608 (fixed parts)
        "JOIN public_tenders t USING (tender_id) WHERE a.award_id = $1",
        award_id,
    )
    return dict(row) if row else None


@dataclass(frozen=True)
class Failing:
    """A projection that cannot apply an event, as its job recorded it (``job_failures``):
    what ``/ready`` may say, never the event's contents nor the error's message."""

    projection: str
    position: int | None
    error: str
    since: datetime


@dataclass(frozen=True)
class Readiness:
    state: dict[str, str]
    within: bool
    """Every projection within the lag bound."""
    failing: list[Failing]


async def readiness(pool: asyncpg.Pool, max_lag: int, head: int) -> Readiness:
    """Whether each projection has caught up (or is failing), and whether all are within
    ``max_lag`` events. Not how far: event counts would let anyone watch bids arrive before
    the opening (the operators' figures go to metrics). ``head``: the store's newest
    position (``procurement.store.recorder.head_position``)."""
    positions = {name: await projection_position(pool, name) for name in PROJECTIONS}
    rows = await pool.fetch(
        "SELECT job, position, error, failing_since FROM job_failures "
        "WHERE resolved_at IS NULL AND job = ANY($1::text[]) ORDER BY job",
        [f"projection:{name}" for name in PROJECTIONS],
    )
    failing = [
        Failing(
            str(r["job"]).removeprefix("projection:"), r["position"], r["error"], r["failing_since"]
        )
        for r in rows
    ]
    state = {name: "current" if at >= head else "catching_up" for name, at in positions.items()}
    state |= {failure.projection: "failing" for failure in failing}
    return Readiness(state, all(head - at <= max_lag for at in positions.values()), failing)


async def job_failures(pool: asyncpg.Pool) -> dict[str, tuple[int, bool]]:
    """Each job that ever failed: its failed attempts in all, and whether it is failing now
    (``job_failures``, written by the jobs: ``procurement/jobs/failures.py``)."""
    rows = await pool.fetch(
        "SELECT job, failures, resolved_at IS NULL AS failing FROM job_failures ORDER BY job"
    )
    return {str(r["job"]): (int(r["failures"]), bool(r["failing"])) for r in rows}


async def drafts_of(pool: asyncpg.Pool, entity: str, limit: int) -> list[UUID]:
    """The entity's latest tenders never published, newest first (``entity_tenders``, kept by
    the public tenders projection; never served publicly)."""
    rows = await pool.fetch(
        "SELECT tender_id FROM entity_tenders WHERE entity = $1 AND NOT published "
        "ORDER BY position DESC LIMIT $2",
        entity,
        limit,
    )
    return [row["tender_id"] for row in rows]


async def follow_ons_of(pool: asyncpg.Pool, tender_id: UUID) -> list[dict[str, Any]]:
    """The published tenders that follow ``tender_id`` (its stage two, a framework's
    mini-competitions), each with its reference, in the order published."""
    rows = await pool.fetch(
        "SELECT tender_id, reference FROM public_tenders WHERE related->>'tender_id' = $1 "
        "ORDER BY published_at, tender_id",
        str(tender_id),
    )
    return [dict(row) for row in rows]


def as_utc(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


async def ocds_releases_after(
    pool: asyncpg.Pool, after: int, limit: int
) -> list[tuple[int, str, datetime]]:
    """Releases after a position, in the store's order: (position, release JSON text, date)."""
    rows = await pool.fetch(
        "SELECT position, release::text AS release, date FROM ocds_releases "
        "WHERE position > $1 ORDER BY position LIMIT $2",
        after,
        limit,
    )
    return [(int(r["position"]), str(r["release"]), r["date"]) for r in rows]


async def ocds_releases_of(pool: asyncpg.Pool, ocid: str) -> list[tuple[int, str, datetime]]:
    rows = await pool.fetch(
        "SELECT position, release::text AS release, date FROM ocds_releases "
        "WHERE ocid = $1 ORDER BY position",
        ocid,
    )
    return [(int(r["position"]), str(r["release"]), r["date"]) for r in rows]


async def ocds_ocids(pool: asyncpg.Pool) -> list[str]:
    rows = await pool.fetch("SELECT ocid FROM ocds_processes ORDER BY ocid")
    return [str(r["ocid"]) for r in rows]


@dataclass(frozen=True)
class RedFlagInputs:
    """The public rows the red flags are computed on, read in one snapshot."""

    tenders: list[dict[str, Any]]
    awards: list[dict[str, Any]]
    complaints: list[dict[str, Any]]
    """Every complaint of the tenders' entities (a flag counts an entity's upheld ones)."""
    debarments: list[dict[str, Any]]
    """Every case decided as a debarment, of any vendor."""
    peers: list[dict[str, Any]]
    """Every tender of the tenders' entities (a tender split under a threshold is seen
    among its entity's others)."""


async def red_flag_inputs(pool: asyncpg.Pool, tender_id: UUID | None) -> RedFlagInputs:
    """The public tender, award, complaint and debarment rows the red flags are computed on."""
    where = " WHERE tender_id = $1" if tender_id else ""
    args = [tender_id] if tender_id else []
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
        tenders = await connection.fetch(
            "SELECT tender_id, reference, title, entity, method, t.published_at, "  # noqa: S608
            "submission_deadline, opening, evaluation, p.line_id, p.unplanned_reason "
            "FROM public_tenders t LEFT JOIN public_tender_plans p USING (tender_id, entity)"
            f"{where} ORDER BY t.published_at, tender_id",
            *args,
        )
        awards = await connection.fetch(
            "SELECT award_id, tender_id, bid_id, supplier_id, supplier_name, status, "  # noqa: S608
            f"made_at FROM public_awards{where} ORDER BY made_at, award_id",
            *args,
        )
        entities = (
            " WHERE entity IN (SELECT entity FROM public_tenders WHERE tender_id = $1)"
            if tender_id
            else ""
        )
        complaints = await connection.fetch(
            f"SELECT tender_id, entity, {', '.join(_COMPLAINT)} "  # noqa: S608 (fixed parts)
            f"FROM public_complaints{entities} ORDER BY lodged_at, complaint_id",
            *args,
        )
        debarments = await connection.fetch(
            f"SELECT {_DEBARMENT_COLUMNS} FROM public_debarments "  # noqa: S608 (fixed parts)
            "WHERE status = 'debarred' ORDER BY decided_at, case_id"
        )
        peers = await connection.fetch(
            "SELECT tender_id, entity, t.category, t.method, t.estimated_amount, t.currency, "  # noqa: S608
            "t.published_at, p.fiscal_year, p.line_id FROM public_tenders t "
            f"LEFT JOIN public_tender_plans p USING (tender_id, entity){entities} "
            "ORDER BY t.published_at, tender_id",
            *args,
        )
    return RedFlagInputs(
        [dict(t) for t in tenders],
        [dict(a) for a in awards],
        [dict(c) for c in complaints],
        [dict(d) for d in debarments],
        [dict(p) for p in peers],
    )


_DEBARMENT_COLUMNS = (
    "case_id, vendor_id, vendor_name, grounds, referred_by_entity, opened_at, decided_at, "
    "debarred_until, reasons"
)
_DEBARRED = "status = 'debarred'"
"""The cases the public reads: decided as debarments. A case in hearing is not published (a
regulator publishes its decisions, not the accusations it has yet to hear), nor a dismissed
one (the vendor was cleared)."""


async def list_debarments(
    pool: asyncpg.Pool, now: datetime, *, active: bool | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Debarments decided, the latest first; with ``active``, only those in force at ``now``
    (True) or only those ended (False). A debarment in force is one decided and not yet at
    its date: it ends by itself."""
    where = f" WHERE {_DEBARRED}"
    args: list[Any] = []
    if active is not None:
        args.append(now)
        where += f" AND {'' if active else 'NOT '}(debarred_until > $1)"
    count = f"SELECT count(*) FROM public_debarments{where}"  # noqa: S608 (fixed parts)
    return await _page(
        pool,
        f"SELECT {_DEBARMENT_COLUMNS}, ({count}) AS total "  # noqa: S608 (fixed parts)
        f"FROM public_debarments{where} ORDER BY decided_at DESC, case_id "
        f"LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        count,
        args,
        limit=limit,
        offset=offset,
    )


async def appeals_awaiting(pool: asyncpg.Pool, limit: int = 200) -> list[dict[str, Any]]:
    """Appeals across every tender that await the regulator's decision, the oldest first
    (for the regulator's desk; the public reads them per tender)."""
    rows = await pool.fetch(
        "SELECT c.tender_id, t.reference, t.title, c.entity, c.complaint_id, c.stage, "
        "c.appeal_lodged_at AS lodged_at, c.appeal_due AS decision_due, c.appeal_overdue "
        "FROM public_complaints c JOIN public_tenders t ON t.tender_id = c.tender_id "
        "WHERE c.appeal_lodged_at IS NOT NULL AND c.appeal_decided_at IS NULL "
        "ORDER BY c.appeal_lodged_at, c.complaint_id LIMIT $1",
        limit,
    )
    return [dict(row) for row in rows]


async def grievance_committee(pool: asyncpg.Pool, entity: str) -> dict[str, Any] | None:
    """An entity's grievance committee: its members' names and chair, when it was named."""
    row = await pool.fetchrow(
        "SELECT entity, members, named_at FROM public_grievance_committees WHERE entity = $1",
        entity,
    )
    return dict(row) if row else None


async def latest_checkpoint(pool: asyncpg.Pool) -> dict[str, Any] | None:
    value = await pool.fetchval(
        "SELECT checkpoint FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"
    )
    return dict(value) if value else None


async def checkpoint_covering(pool: asyncpg.Pool, leaf_index: int) -> dict[str, Any] | None:
    """The earliest signed checkpoint whose tree holds ``leaf_index``."""
    value = await pool.fetchval(
        "SELECT checkpoint FROM ledger_checkpoints WHERE tree_size > $1 ORDER BY tree_size LIMIT 1",
        leaf_index,
    )
    return dict(value) if value else None


async def ledger_size(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT size FROM ledger_state WHERE id = 1") or 0)


async def leaf_hashes(pool: asyncpg.Pool, size: int) -> list[bytes]:
    rows = await pool.fetch(
        "SELECT leaf_hash FROM ledger_leaves WHERE leaf_index < $1 ORDER BY leaf_index", size
    )
    return [bytes(r["leaf_hash"]) for r in rows]


async def leaf_index_of(pool: asyncpg.Pool, position: int) -> int | None:
    value = await pool.fetchval(
        "SELECT leaf_index FROM ledger_leaves WHERE position = $1", position
    )
    return None if value is None else int(value)


_DOCUMENT_COLUMNS = (
    "tender_id, document_id, version, kind, title, language, sha256, size, media_type, "
    "file_name, issued_at, amendment, withdrawn_at, withdrawn_by_amendment"
)


async def tender_documents(pool: asyncpg.Pool, tender_id: UUID) -> list[asyncpg.Record] | None:
    """Every version of every document of a published tender, by document then version;
    None if no tender of that id is public."""
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        public = await connection.fetchval(
            "SELECT 1 FROM public_tenders WHERE tender_id = $1", tender_id
        )
        if public is None:
            return None
        rows: list[asyncpg.Record] = await connection.fetch(
            f"SELECT {_DOCUMENT_COLUMNS} FROM public_tender_documents "  # noqa: S608 (fixed)
            "WHERE tender_id = $1 ORDER BY issued_at, document_id, version",
            tender_id,
        )
        return rows


async def document_version(
    pool: asyncpg.Pool, document_id: UUID, version: int | None
) -> asyncpg.Record | None:
    """One version of a published document (its latest if ``version`` is None)."""
    row: asyncpg.Record | None = await pool.fetchrow(
        f"SELECT {_DOCUMENT_COLUMNS} FROM public_tender_documents "  # noqa: S608 (fixed)
        "WHERE document_id = $1 AND ($2::int IS NULL OR version = $2) "
        "ORDER BY version DESC LIMIT 1",
        document_id,
        version,
    )
    return row


async def tender_securities(
    pool: asyncpg.Pool, tender_id: UUID
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] | None:
    """A published tender's securities rows (``public_securities``), its validity extension
    requests and its performance securities; None if the tender is not published."""
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
        if not await connection.fetchval(
            "SELECT 1 FROM public_tenders WHERE tender_id = $1", tender_id
        ):
            return None
        bidders = await connection.fetch(
            "SELECT bid_id, vendor_name AS bidder_name, valid_until, standing, left_at, "
            "waiting_request IS NOT NULL AS waiting_answer, state AS security, amount, "
            "currency, recorded_at, closed_at, forfeit_reason, forfeit_text, release_overdue "
            "FROM public_securities WHERE tender_id = $1 ORDER BY vendor_name, bid_id",
            tender_id,
        )
        requests = await connection.fetch(
            "SELECT number, new_end, due, reason, asked_at FROM public_security_requests "
            "WHERE tender_id = $1 ORDER BY number",
            tender_id,
        )
        performance = await connection.fetch(
            "SELECT award_id, amount, currency, required, recorded_at "
            "FROM public_performance_securities WHERE tender_id = $1 ORDER BY recorded_at",
            tender_id,
        )
    return [dict(r) for r in bidders], [dict(r) for r in requests], [dict(r) for r in performance]


# Annual procurement plans ---------------------------------------------------------------

_PLAN_LINES = (
    "SELECT plan_id, line_id, description, category, amount, currency, method, quarter, "
    "withdrawn FROM public_plan_lines WHERE plan_id = ANY($1::uuid[]) "
    "ORDER BY plan_id, ordinal"
)


async def list_plans(
    pool: asyncpg.Pool,
    *,
    entity: str | None,
    fiscal_year: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """Published plans, the latest fiscal year first, each with its lines (``lines``) in the
    order they were planned."""
    clauses, args = [], []
    for column, value in (("entity", entity), ("fiscal_year", fiscal_year)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    count = f"SELECT count(*) FROM public_plans{where}"  # noqa: S608 (fixed parts)
    plans, total = await _page(
        pool,
        "SELECT plan_id, entity, fiscal_year, published_at, amendments, "  # noqa: S608
        f"({count}) AS total FROM public_plans{where} "
        f"ORDER BY fiscal_year DESC, entity LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        count,
        args,
        limit=limit,
        offset=offset,
    )
    lines = await pool.fetch(_PLAN_LINES, [plan["plan_id"] for plan in plans])
    by_plan: dict[UUID, list[dict[str, Any]]] = {plan["plan_id"]: [] for plan in plans}
    for line in lines:
        by_plan[line["plan_id"]].append(dict(line))
    return [plan | {"lines": by_plan[plan["plan_id"]]} for plan in plans], total


async def plan_against_actual(
    pool: asyncpg.Pool, entity: str, fiscal_year: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The entity's published plan for the year (None if it has none) with its lines, and
    every tender of the entity in that year: the ones citing a line of it and the unplanned
    ones (published in the year), each with its status and the value awarded on it."""
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read"):
        plan = await connection.fetchrow(
            "SELECT plan_id, entity, fiscal_year, published_at, amendments FROM public_plans "
            "WHERE entity = $1 AND fiscal_year = $2",
            entity,
            fiscal_year,
        )
        lines = await connection.fetch(_PLAN_LINES, [plan["plan_id"]] if plan else [])
        tenders = await connection.fetch(
            """
            SELECT p.tender_id, p.line_id, p.unplanned_reason, t.reference, t.title,
                t.status, t.estimated_amount, t.currency, t.published_at,
                (SELECT sum(a.amount) FROM public_awards a
                 WHERE a.tender_id = p.tender_id AND a.status <> 'cancelled') AS awarded
            FROM public_tender_plans p JOIN public_tenders t USING (tender_id)
            WHERE p.entity = $1 AND p.fiscal_year = $2
            ORDER BY p.published_at, p.tender_id
            """,
            entity,
            fiscal_year,
        )
    if plan is None:
        return None, [dict(t) for t in tenders]
    return dict(plan) | {"lines": [dict(line) for line in lines]}, [dict(t) for t in tenders]
