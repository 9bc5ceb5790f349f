"""The app factory that ``procurement serve --workers N`` hands to uvicorn: each worker
process builds its own app from the settings in its environment (the parent has already
resolved the database URL and generated the secrets into the data folder)."""

from __future__ import annotations

from litestar import Litestar

from api.app import create_app
from procurement import logs
from procurement.bootstrap import resolve
from procurement.settings import Settings


def app_factory() -> Litestar:
    settings = resolve(Settings())
    logs.configure(settings.log_level, settings.log_format, force=True)
    return create_app(settings)
