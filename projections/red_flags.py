"""Red flags for auditors: Open Contracting red-flag indicators computed on the public read
models, each with the tender and the evidence. Pure functions over rows; no I/O.

The R indicators follow the Open Contracting Partnership's "Red flags for integrity" guide
(the codes are its numbers); the thresholds are settings. The S indicators are the
platform's own, on complaints and debarments (issue 19) and on annual plans (issue 20,
``docs/plans.md``: S004 a tender citing no plan line, S005 tenders split under a method's
threshold, its parameters rule data in ``domain/rules.py``), which the guide does not
number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.award import AwardStatus
from domain.rules import PlanningRules
from domain.values import Method

INDICATORS = {
    "R003": "Short submission period",
    "R018": "Single bid received",
    "R028": "Identical bid prices",
    "R030": "Late bid won",
    "R036": "Lowest bid disqualified",
    "R038": "Excessive disqualified bids",
    "S001": "Award to a debarred vendor",
    "S002": "Complaints upheld repeatedly against the entity",
    "S003": "Complaint decision overdue",
    "S004": "Unplanned procurement",
    "S005": "Procurement split under a method's threshold",
}

REPEATED_UPHELD = 3
REPEATED_WINDOW = timedelta(days=365)
"""S002: an entity with this many complaints upheld (by its committee or on appeal) within
this window. One upheld complaint is the system working; two can be chance; a third within a
financial year says the entity's documents or evaluations keep failing its bidders, which an
auditor should look at. A constant, not a setting: its reason is the rule, not a local
tuning."""


@dataclass(frozen=True)
class Thresholds:
    min_submission_days: int = 15
    disqualified_share: Decimal = Decimal("0.5")


@dataclass(frozen=True)
class Flag:
    indicator: str
    tender_id: str
    reference: str
    title: str
    entity: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return INDICATORS[self.indicator]


def flags_for(
    tenders: list[dict[str, Any]],
    awards: list[dict[str, Any]],
    thresholds: Thresholds,
    *,
    complaints: Sequence[dict[str, Any]] = (),
    debarments: Sequence[dict[str, Any]] = (),
    planning: PlanningRules | None = None,
    peers: Sequence[dict[str, Any]] = (),
) -> list[Flag]:
    """Every flag raised by ``tenders`` (public tender rows), ``awards`` (public award rows),
    ``complaints`` (public complaint rows of the tenders' entities) and ``debarments`` (the
    cases decided as debarments), by tender then indicator. With ``planning``, the plan's
    flags too: the tender rows then carry their plan line (``line_id``, None if unplanned,
    and ``unplanned_reason``), and ``peers`` are every tender of their entities (``tender_id,
    entity, category, method, estimated_amount, currency, published_at``)."""
    awards_by_tender: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for award in awards:
        awards_by_tender[str(award["tender_id"])].append(award)
    complaints_by_tender: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for complaint in complaints:
        complaints_by_tender[str(complaint["tender_id"])].append(complaint)
    debarred: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in debarments:
        debarred[str(case["vendor_id"])].append(case)
    repeated = _repeatedly_upheld(complaints)
    split = _split(peers, planning) if planning is not None else {}
    found: list[Flag] = []
    for tender in tenders:
        key = str(tender["tender_id"])
        tender_awards = awards_by_tender[key]
        raised = [
            *_evidence(tender, tender_awards, thresholds),
            *_debarred_awards(tender_awards, debarred),
            *([("S002", repeated[key])] if key in repeated else []),
            *_overdue(complaints_by_tender[key]),
            *(_unplanned(tender) if planning is not None else []),
            *([("S005", split[key])] if key in split else []),
        ]
        for indicator, evidence in raised:
            found.append(
                Flag(
                    indicator=indicator,
                    tender_id=str(tender["tender_id"]),
                    reference=tender["reference"],
                    title=tender["title"],
                    entity=tender["entity"],
                    evidence=evidence,
                )
            )
    return found


def _evidence(
    tender: dict[str, Any], awards: list[dict[str, Any]], thresholds: Thresholds
) -> list[tuple[str, dict[str, Any]]]:
    flags: list[tuple[str, dict[str, Any]]] = []
    period = tender["submission_deadline"] - tender["published_at"]
    days = Decimal(period.total_seconds()) / 86400
    if tender["method"] != "direct_contracting" and days < thresholds.min_submission_days:
        flags.append(
            (
                "R003",
                {
                    "published_at": _time(tender["published_at"]),
                    "submission_deadline": _time(tender["submission_deadline"]),
                    "days": f"{days:.2f}",
                    "threshold_days": thresholds.min_submission_days,
                },
            )
        )
    opening = tender.get("opening")
    if not opening:
        return flags
    submitted = [b for b in opening["bids"] if b["status"] != "withdrawn"]
    if len(submitted) == 1:
        flags.append(("R018", {"bids_submitted": 1, "bid_id": submitted[0]["bid_id"]}))
    prices = _read_prices(opening, tender.get("evaluation"))
    by_amount: dict[tuple[str, str], list[str]] = defaultdict(list)
    for bid_id, money in prices.items():
        by_amount[money].append(bid_id)
    flags.extend(
        ("R028", {"amount": amount, "currency": currency, "bids": sorted(bids)})
        for (amount, currency), bids in sorted(by_amount.items())
        if len(bids) > 1
    )
    received = {b["bid_id"]: b["received_at"] for b in opening["bids"]}
    deadline = tender["submission_deadline"]
    for award in awards:
        if award["status"] == AwardStatus.CANCELLED:
            continue
        at = received.get(str(award["bid_id"]))
        if at is not None and datetime.fromisoformat(at) >= deadline:
            flags.append(
                (
                    "R030",
                    {
                        "award_id": str(award["award_id"]),
                        "bid_id": str(award["bid_id"]),
                        "received_at": at,
                        "submission_deadline": _time(deadline),
                    },
                )
            )
    flags.extend(_report_flags(tender.get("evaluation"), prices, thresholds))
    return flags


def _report_flags(
    evaluation: dict[str, Any] | None,
    prices: dict[str, tuple[str, str]],
    thresholds: Thresholds,
) -> list[tuple[str, dict[str, Any]]]:
    reports = (evaluation or {}).get("reports") or []
    if not reports:
        return []
    report = reports[-1]
    examined = [e for e in report["entries"] if e["status"] != "withdrawn"]
    flags: list[tuple[str, dict[str, Any]]] = []
    priced = [e for e in examined if e["bid_id"] in prices]
    # Awarded by lot, the bids' totals cover different lots: their lowest says nothing.
    if priced and not report.get("award_by_lot"):
        lowest = min(priced, key=lambda e: Decimal(prices[e["bid_id"]][0]))
        if not lowest["responsive"]:
            flags.append(
                (
                    "R036",
                    {
                        "report_number": report["number"],
                        "bid_id": lowest["bid_id"],
                        "read_price": prices[lowest["bid_id"]][0],
                        "reasons": lowest["reasons"],
                    },
                )
            )
    if examined:
        rejected = [e for e in examined if not e["responsive"]]
        share = Decimal(len(rejected)) / len(examined)
        if share > thresholds.disqualified_share:
            flags.append(
                (
                    "R038",
                    {
                        "report_number": report["number"],
                        "disqualified": len(rejected),
                        "examined": len(examined),
                        "share": f"{share:.2f}",
                        "threshold": str(thresholds.disqualified_share),
                    },
                )
            )
    return flags


def _debarred_awards(
    awards: list[dict[str, Any]], debarred: dict[str, list[dict[str, Any]]]
) -> list[tuple[str, dict[str, Any]]]:
    """S001: an award made while its supplier was debarred (whatever became of it since)."""
    return [
        (
            "S001",
            {
                "award_id": str(award["award_id"]),
                "supplier_id": str(award["supplier_id"]),
                "supplier_name": award["supplier_name"],
                "award_status": str(award["status"]),
                "made_at": _time(award["made_at"]),
                "case_id": str(case["case_id"]),
                "debarred_at": _time(case["decided_at"]),
                "debarred_until": _time(case["debarred_until"]),
            },
        )
        for award in awards
        for case in debarred.get(str(award.get("supplier_id")), ())
        if case["decided_at"] <= award["made_at"] < case["debarred_until"]
    ]


def _upheld_at(complaint: dict[str, Any]) -> datetime | None:
    """When a complaint was upheld against its entity: by the committee, or on appeal."""
    if complaint["upheld"]:
        moment: datetime = complaint["decided_at"]
        return moment
    if complaint["appeal_upheld"]:
        appealed: datetime = complaint["appeal_decided_at"]
        return appealed
    return None


def _repeatedly_upheld(complaints: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """S002, by tender: each tender with a complaint upheld when its entity had
    ``REPEATED_UPHELD`` or more upheld within ``REPEATED_WINDOW`` up to then (the window of
    the tender's latest such complaint)."""
    by_entity: dict[str, list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    for complaint in complaints:
        at = _upheld_at(complaint)
        if at is not None:
            by_entity[complaint["entity"]].append((at, complaint))
    found: dict[str, dict[str, Any]] = {}
    for entity, upheld in by_entity.items():
        upheld.sort(key=lambda pair: (pair[0], str(pair[1]["complaint_id"])))
        for at, complaint in upheld:
            window = [c for when, c in upheld if at - REPEATED_WINDOW < when <= at]
            if len(window) >= REPEATED_UPHELD:
                found[str(complaint["tender_id"])] = {
                    "entity": entity,
                    "upheld": len(window),
                    "window_days": REPEATED_WINDOW.days,
                    "threshold": REPEATED_UPHELD,
                    "complaints": [str(c["complaint_id"]) for c in window],
                    "last_upheld_at": _time(at),
                }
    return found


def _overdue(complaints: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """S003: a complaint the committee, or an appeal the regulator, did not decide in time
    (flagged even once decided late)."""
    flags: list[tuple[str, dict[str, Any]]] = []
    for complaint in complaints:
        evidence = {"complaint_id": str(complaint["complaint_id"]), "stage": complaint["stage"]}
        if complaint["overdue"]:
            decided = complaint["decided_at"]
            flags.append(
                (
                    "S003",
                    evidence
                    | {
                        "by": "grievance_committee",
                        "decision_due": _time(complaint["decision_due"]),
                        "decided_at": _time(decided) if decided else None,
                    },
                )
            )
        if complaint["appeal_overdue"]:
            decided = complaint["appeal_decided_at"]
            flags.append(
                (
                    "S003",
                    evidence
                    | {
                        "by": "regulator",
                        "decision_due": _time(complaint["appeal_due"]),
                        "decided_at": _time(decided) if decided else None,
                    },
                )
            )
    return flags


def _unplanned(tender: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """S004: a tender that cites no line of its entity's plan, with the reason it gave (None
    when its entity had no published plan to give it against)."""
    if tender.get("line_id") is not None:
        return []
    return [("S004", {"unplanned_reason": tender.get("unplanned_reason")})]


def _split(peers: Sequence[dict[str, Any]], rules: PlanningRules) -> dict[str, dict[str, Any]]:
    """S005, by tender: each tender valued just under a method's threshold (at most the
    threshold, within the band below it, in its currency) when its entity published at
    least ``splitting_min_tenders`` such tenders of its category, for the same threshold,
    within ``splitting_window`` of one another (a window ending at the tender or after)."""
    near: dict[tuple[str, str, Method], list[dict[str, Any]]] = defaultdict(list)
    for tender in peers:
        for method, ceiling in rules.thresholds.items():
            floor = ceiling.amount * (100 - rules.splitting_band_percent) / 100
            if tender["currency"] == ceiling.currency and (
                floor <= tender["estimated_amount"] <= ceiling.amount
            ):
                near[(tender["entity"], tender["category"], method)].append(tender)
    found: dict[str, dict[str, Any]] = {}
    for (entity, category, method), group in near.items():
        group.sort(key=lambda t: (t["published_at"], str(t["tender_id"])))
        for tender in group:
            at = tender["published_at"]
            window = [t for t in group if abs(t["published_at"] - at) <= rules.splitting_window]
            if len(window) >= rules.splitting_min_tenders:
                ceiling = rules.thresholds[method]
                found[str(tender["tender_id"])] = {
                    "entity": entity,
                    "category": category,
                    "threshold_method": method.value,
                    "threshold": f"{ceiling.amount:.2f}",
                    "currency": ceiling.currency,
                    "band_percent": str(rules.splitting_band_percent),
                    "window_days": rules.splitting_window.days,
                    "tenders": [str(t["tender_id"]) for t in window],
                    "total": f"{sum(t['estimated_amount'] for t in window):.2f}",
                }
    for tender_id, evidence in _split_line(peers, rules).items():
        found.setdefault(tender_id, evidence)
    return found


def _split_line(peers: Sequence[dict[str, Any]], rules: PlanningRules) -> dict[str, dict[str, Any]]:
    """S005, by plan line: tenders citing one line of a plan (one purchase, as the entity
    planned it), each within a method's threshold while together above it, whatever how far
    under it each is: the planned purchase was tendered in parts a cheaper method allows."""
    by_line: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for tender in peers:
        if tender.get("line_id") is not None:
            by_line[(tender["entity"], tender["fiscal_year"], tender["line_id"])].append(tender)
    found: dict[str, dict[str, Any]] = {}
    for (entity, fiscal_year, line_id), group in by_line.items():
        if len(group) < rules.splitting_min_tenders:
            continue
        group.sort(key=lambda t: (t["published_at"], str(t["tender_id"])))
        for method, ceiling in rules.thresholds.items():
            amounts = [t["estimated_amount"] for t in group if t["currency"] == ceiling.currency]
            if len(amounts) != len(group) or max(amounts) > ceiling.amount:
                continue
            total = sum(amounts, Decimal(0))
            if total <= ceiling.amount:
                continue
            for tender in group:
                found.setdefault(
                    str(tender["tender_id"]),
                    {
                        "entity": entity,
                        "category": group[0]["category"],
                        "threshold_method": method.value,
                        "threshold": f"{ceiling.amount:.2f}",
                        "currency": ceiling.currency,
                        "plan_line": {"fiscal_year": fiscal_year, "line_id": line_id},
                        "tenders": [str(t["tender_id"]) for t in group],
                        "total": f"{total:.2f}",
                    },
                )
    return found


def _read_prices(
    opening: dict[str, Any], evaluation: dict[str, Any] | None
) -> dict[str, tuple[str, str]]:
    """Each bid's read total (amount, currency): from the opening for one envelope, from the
    financial openings for two."""
    sources = [(b["bid_id"], b.get("prices") or []) for b in opening["bids"]]
    for financial in (evaluation or {}).get("financial_openings") or []:
        sources += [(b["bid_id"], b.get("prices") or []) for b in financial["bids"]]
    totals: dict[str, tuple[str, str]] = {}
    for bid_id, lot_prices in sources:
        if not lot_prices:
            continue
        currency = lot_prices[0]["price"]["currency"]
        total = sum((Decimal(p["price"]["amount"]) for p in lot_prices), Decimal(0))
        totals[bid_id] = (f"{total:.2f}", currency)
    return totals


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
