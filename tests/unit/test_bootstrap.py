"""Secrets left unset are generated once into the data folder, owner-only, and read back."""

from __future__ import annotations

from pathlib import Path

from procurement.bootstrap import resolve
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
