"""The bundle discounts' cheapest-combination search, beside a baseline in the same run.

``.venv/bin/python bench/bundle_combination.py [--lots 12] [--bids 1000] [--discounts 3]
[--repeats 9] [--seed 1]`` times ``domain.evaluation.combination.cheapest_combination`` (the
exact search over the sets of lots that a report awarded by lot with bundle discounts runs,
docs/lots.md#bundle-discounts) on seeded random bids: each bid prices every lot and offers
``--discounts`` bundles of 2 to 6 random lots at 0.5% to 15%. The baseline, on the same bids
in the same run, is the per-lot ranking alone: each lot's bids sorted by price, the cheapest
first (what the report does without bundle discounts, and what the search is given); and,
below it, each lot's cheapest bid alone (``min``, no order of the rest).

The three alternate, ``--repeats`` times each, after one untimed warm-up of each; the report
gives the median, the fastest and the slowest of each in wall time and in this process's CPU
time (steadier on a shared machine), with the machine (cores, CPU model) and its load
average before and after. No database: the search is pure. Prints a Markdown report and writes
it to ``bench/results/bundle_combination.md``; a watchdog stops a run past 2 minutes.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import TypeVar
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.bid import MAX_DISCOUNTS, BundleDiscount
from domain.evaluation.combination import CombinationPart, cheapest_combination
from domain.values import MAX_BUNDLE_LOTS

T = TypeVar("T")
RESULTS = Path(__file__).resolve().parent / "results" / "bundle_combination.md"
WATCHDOG_SECONDS = 120
CURRENCY = "PKR"

Prices = dict[UUID, dict[str, Decimal]]
Ranked = dict[str, list[tuple[UUID, Decimal]]]


class BenchError(RuntimeError):
    pass


def bids(
    lots: Sequence[str], count: int, per_bid: int, seed: int
) -> tuple[Prices, dict[UUID, tuple[BundleDiscount, ...]]]:
    """``count`` bids, each pricing every lot (900,000.00 to 1,100,000.00) and offering
    ``per_bid`` bundles of 2 to 6 of the lots at 0.50% to 15.00%: all from ``seed``."""
    chance = random.Random(seed)
    prices: Prices = {}
    discounts: dict[UUID, tuple[BundleDiscount, ...]] = {}
    for _ in range(count):
        bid = UUID(int=chance.getrandbits(128), version=4)
        prices[bid] = {lot: Decimal(chance.randint(90_000_000, 110_000_000)) / 100 for lot in lots}
        offered = []
        for _ in range(per_bid):
            bundle = chance.sample(list(lots), chance.randint(2, min(6, len(lots))))
            offered.append(
                BundleDiscount(
                    lots=tuple(lot for lot in lots if lot in bundle),
                    percent=Decimal(chance.randint(50, 1500)) / 100,
                )
            )
        discounts[bid] = tuple(offered)
    return prices, discounts


def per_lot_ranking(lots: Sequence[str], prices: Prices) -> Ranked:
    """The baseline: each lot's bids by price, the cheapest first (then by id, for a tie),
    in the shape the search is given."""
    ranked: Ranked = {}
    for lot in lots:
        order = sorted((offer[lot], bid) for bid, offer in prices.items())
        ranked[lot] = [(bid, price) for price, bid in order]
    return ranked


def cheapest_per_lot(lots: Sequence[str], prices: Prices) -> dict[str, tuple[Decimal, UUID]]:
    """Each lot's cheapest bid alone (no order of the rest): the least a report could do."""
    return {lot: min((offer[lot], bid) for bid, offer in prices.items()) for lot in lots}


@dataclass
class Times:
    """One measurement's runs: the wall and the CPU milliseconds of this process."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def run(self, action: Callable[[], T]) -> T:
        gc.collect()
        cpu, started = time.process_time(), time.perf_counter()
        result = action()
        self.wall.append((time.perf_counter() - started) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)
        return result

    def row(self, what: str, size: str) -> str:
        return f"| {what} | {size} | {spread(self.wall)} | {spread(self.cpu)} |"


def checked(parts: tuple[CombinationPart, ...], lots: Sequence[str], ranked: Ranked) -> Decimal:
    """The combination covers every lot once and costs no more than the cheapest bids alone."""
    covered = sorted(lot for part in parts for lot in part.lots)
    if covered != sorted(lots):
        raise BenchError(f"the combination covers {covered}, not every lot once")
    total = sum((part.price.amount for part in parts), Decimal(0))
    alone = sum((ranked[lot][0][1] for lot in lots), Decimal(0))
    if total > alone:
        raise BenchError(f"the combination costs {total}, more than the cheapest bids' {alone}")
    return alone - total


def machine() -> dict[str, str]:
    model = "unknown"
    with Path("/proc/cpuinfo").open(encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git on the PATH, as make's)
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "CPU": f"{model} ({platform.machine()})",
        "Python": platform.python_version(),
        "commit": commit,
    }


def load() -> str:
    return " / ".join(f"{figure:.2f}" for figure in os.getloadavg())


def spread(samples: list[float]) -> str:
    return f"{statistics.median(samples):.2f} ({min(samples):.2f} to {max(samples):.2f})"


def measure(args: argparse.Namespace) -> str:
    lots = [str(n) for n in range(1, args.lots + 1)]
    prices, discounts = bids(lots, args.bids, args.discounts, args.seed)
    load_before = load()
    started = datetime.now(UTC)
    ranked = per_lot_ranking(lots, prices)  # the warm-ups, untimed
    parts = cheapest_combination(lots, ranked, discounts, CURRENCY)
    cheapest = cheapest_per_lot(lots, prices)
    search, ranking, least = Times(), Times(), Times()
    for _ in range(args.repeats):  # alternating, so that a burst of load lands on each
        ranked_now = ranking.run(lambda: per_lot_ranking(lots, prices))
        cheapest_now = least.run(lambda: cheapest_per_lot(lots, prices))
        found = search.run(lambda: cheapest_combination(lots, ranked, discounts, CURRENCY))
        if ranked_now != ranked or cheapest_now != cheapest or found != parts:
            raise BenchError("the ranking or the combination changed between runs")
    if any(ranked[lot][0][0] != cheapest[lot][1] for lot in lots):
        raise BenchError("the ranking's first is not the cheapest bid")
    saved = checked(parts, lots, ranked)
    load_after = load()
    facts = machine()
    timed = (search, ranking, least)
    share = sum(sum(t.cpu) for t in timed) / sum(sum(t.wall) for t in timed)
    bundles = sum(len(offered) for offered in discounts.values())
    bundled = [part for part in parts if part.discount_percent is not None]
    size = f"{args.lots} lots x {args.bids:,} bids"
    ratio = statistics.median(search.wall) / statistics.median(ranking.wall)
    setting = (
        f"{started:%Y-%m-%d %H:%M} UTC. {size}, every bid pricing every lot; {bundles:,} "
        f"bundle discounts ({args.discounts} a bid, 2 to 6 lots, 0.50% to 15.00%; seed "
        f"{args.seed}). {args.repeats} timed runs of each, alternating, after a warm-up."
    )
    table = [
        "| what | size | wall ms, median (fastest to slowest) | CPU ms, median (least to most) |",
        "|---|---|---:|---:|",
        search.row("**cheapest combination** (`cheapest_combination`)", size),
        ranking.row("baseline: per-lot ranking alone (each lot's bids sorted by price)", size),
        least.row("baseline: each lot's cheapest bid alone (`min`)", size),
    ]
    outcome = (
        f"The search takes {ratio:,.0f}x the per-lot ranking (wall medians). Its combination: "
        f"{len(parts)} parts, {len(bundled)} of them bundles, "
        f"{saved:,.2f} {CURRENCY} below the cheapest bids alone."
    )
    where = (
        f"Machine: nproc {facts['nproc']}, {facts['CPU']}, Python {facts['Python']}, "
        f"commit `{facts['commit']}`. Load average (1 / 5 / 15 min) before: {load_before}; "
        f"after: {load_after}. This process had {share:.0%} of a core while timed (CPU time "
        "over wall time): below about 95%, other processes took the rest, and the CPU column "
        "is the steadier figure."
    )
    return "\n".join(["# Bundle combination", "", setting, "", *table, "", outcome, "", where, ""])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lots", type=int, default=MAX_BUNDLE_LOTS)
    parser.add_argument("--bids", type=int, default=1_000)
    parser.add_argument("--discounts", type=int, default=MAX_DISCOUNTS)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not 2 <= args.lots <= MAX_BUNDLE_LOTS:  # noqa: PLR2004 (a bundle's least)
        parser.error(f"--lots: 2 to {MAX_BUNDLE_LOTS}, as a notice allows")
    if not 0 <= args.discounts <= MAX_DISCOUNTS:
        parser.error(f"--discounts: 0 to {MAX_DISCOUNTS}, as a bid offers")

    def expired(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        msg = f"the benchmark ran longer than {WATCHDOG_SECONDS} s"
        raise BenchError(msg)

    signal.signal(signal.SIGALRM, expired)
    signal.alarm(WATCHDOG_SECONDS)
    try:
        text = measure(args)
    finally:
        signal.alarm(0)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
