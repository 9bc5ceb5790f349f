"""Turn the settings read from the environment into settings the platform can run on:
a database URL (starting the embedded PostgreSQL when none is given) and generated keys
for whatever secret is unset, kept in the data folder with owner-only permissions.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from pathlib import Path

from pydantic import SecretStr

from procurement.settings import Settings
from procurement.store.database import start_embedded


def resolve(settings: Settings) -> Settings:
    updates: dict[str, object] = {}
    if settings.database_url is None:
        updates["database_url"] = start_embedded(settings.data_dir)
    secrets_dir = settings.data_dir / "secrets"
    for field, name in (
        ("jwt_secret", "jwt"),
        ("sealing_kek", "sealing-kek"),
        ("signing_key", "signing"),
        ("metrics_token", "metrics"),
    ):
        if getattr(settings, field) is None:
            updates[field] = SecretStr(_generated_secret(secrets_dir, name))
    return settings.model_copy(update=updates) if updates else settings


class SecretFileError(RuntimeError):
    """A generated secret's file is readable by others than its owner."""


def _generated_secret(folder: Path, name: str) -> str:
    """A 256-bit secret, made once and then read back from ``folder/name.key``. A file that
    others may read is refused, not used: the key in it may have been copied."""
    path = folder / f"{name}.key"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made earlier, or just now by another process starting
        return _read_private(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _read_private(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        msg = f"{path} may be read by others (mode {mode:o}): run chmod 600 on it"
        raise SecretFileError(msg)
    for _ in range(50):  # another process may be between creating and writing it
        text = path.read_text().strip()
        if text:
            return text
        time.sleep(0.01)
    msg = f"{path} is empty"
    raise SecretFileError(msg)
