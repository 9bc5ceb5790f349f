"""Secrets left unset are generated once into the data folder, owner-only, and read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from procurement.bootstrap import SecretFileError, resolve
from procurement.settings import Settings


def test_unset_secrets_are_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql://localhost/unused", data_dir=tmp_path)

    first = resolve(settings)
    again = resolve(settings)

    for field in ("jwt_secret", "sealing_kek", "signing_key", "metrics_token"):
        secret = getattr(first, field)
        assert secret is not None, field
        assert secret == getattr(again, field), field
    assert first.metrics_token is not None
    assert first.metrics_token != first.jwt_secret
    key = tmp_path / "secrets" / "metrics.key"
    assert key.read_text().strip() == first.metrics_token.get_secret_value()
    assert key.stat().st_mode & 0o777 == 0o600


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql://localhost/unused", data_dir=tmp_path)
    resolve(settings)
    (tmp_path / "secrets" / "jwt.key").chmod(0o644)

    with pytest.raises(SecretFileError, match="chmod 600"):
        resolve(settings)


def test_a_short_token_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(jwt_secret=SecretStr("short"))
