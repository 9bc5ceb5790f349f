"""The rate-limit tables' sweep (``procurement/store/rate_limit_tables.py``): their expired rows
deleted periodically, in whichever process holds the job's lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from procurement.clock import Clock
from procurement.jobs.periodic import PeriodicJob
from procurement.store.rate_limit_tables import sweep


@dataclass
class Sweeper(PeriodicJob):
    dsn: str
    clock: Clock
    interval: float = 60.0
    name: str = "rate_limit_sweep"

    def run_once(self) -> Any:
        return sweep(self.dsn, self.clock.now())
