"""What every command of the ``procurement`` CLI shares: its console (stderr), its logger
(named ``procurement.cli``, as operators filter on it), and the settings and application it
starts from."""

from __future__ import annotations

import logging

from rich.console import Console

from procurement import logs
from procurement.bootstrap import resolve
from procurement.commands.application import ProcurementApplication
from procurement.settings import Settings

console = Console(stderr=True)
log = logging.getLogger("procurement.cli")


def _settings() -> Settings:
    settings = resolve(Settings())
    logs.configure(settings.log_level, settings.log_format)
    return settings


def _application(settings: Settings) -> ProcurementApplication:
    return ProcurementApplication.from_settings(settings)
