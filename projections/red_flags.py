"""Red flags for auditors: Open Contracting red-flag indicators computed on the public read
models, each with the tender and the evidence. Pure functions over rows; no I/O.

The indicators follow the Open Contracting Partnership's "Red flags for integrity" guide (the
codes are its numbers); the thresholds are settings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.award import AwardStatus

INDICATORS = {
    "R003": "Short submission period",
    "R018": "Single bid received",
    "R028": "Identical bid prices",
    "R030": "Late bid won",
    "R036": "Lowest bid disqualified",
    "R038": "Excessive disqualified bids",
}


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
    tenders: list[dict[str, Any]], awards: list[dict[str, Any]], thresholds: Thresholds
) -> list[Flag]:
    """Every flag raised by ``tenders`` (public tender rows) and ``awards`` (public award
    rows), by tender then indicator."""
    awards_by_tender: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for award in awards:
        awards_by_tender[str(award["tender_id"])].append(award)
    found: list[Flag] = []
    for tender in tenders:
        tender_awards = awards_by_tender[str(tender["tender_id"])]
        for indicator, evidence in _evidence(tender, tender_awards, thresholds):
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
    if priced:
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
