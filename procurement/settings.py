"""One typed settings object, read from the environment once and passed down.

Every variable is ``PROCUREMENT_<NAME>``, except ``DATABASE_URL``, which keeps the name
every PostgreSQL tool knows. Secrets left unset are generated into the data folder
(``procurement.bootstrap``), never written to the repository.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.values import Role

MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROCUREMENT_", extra="ignore", frozen=True)

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PROCUREMENT_DATABASE_URL")
    )
    """A PostgreSQL URL. Unset: an embedded PostgreSQL runs in ``data_dir/pgdata``."""

    data_dir: Path = Path(".procurement")
    """Local state: the embedded database and generated keys. Never committed."""

    rule_profile: Literal["sppra", "relaxed"] = "sppra"
    jwt_secret: SecretStr | None = None
    """Signs the API's tokens (HS256); the portal's session and CSRF keys derive from it.
    At least 32 characters."""

    sealing_kek: SecretStr | None = None
    """Key-encryption key for tenders' sealing keys: 32 bytes, URL-safe base64."""

    signing_key: SecretStr | None = None
    """The platform's Ed25519 signing key (receipts): a 32-byte seed, URL-safe base64."""

    jwt_issuer: str = "sindh-procurement"
    jwt_audience: str = "sindh-procurement-api"
    token_ttl: timedelta = timedelta(minutes=15)

    second_factor_roles: Annotated[tuple[Role, ...], NoDecode] = (
        Role.OFFICER,
        Role.AUDITOR,
        Role.ADMIN,
        Role.REGULATOR,
    )
    """Roles that sign in only with a second factor (TOTP), comma-separated
    ("officer,auditor,admin,regulator"); vendors may enrol one and need not."""

    host: str = "127.0.0.1"
    port: int = 8000
    run_projections: bool = True
    """Run the projection runners inside the API process (``procurement serve``)."""

    run_scheduler: bool = True
    """Run the scheduler of time-driven transitions inside the API process."""

    scheduler_interval: float = 5.0
    """Seconds between two scheduler passes."""

    read_wait_timeout: float = 5.0
    """How long a read with a ``read_token`` waits for the projection, in seconds."""

    sign_in_max_delay: float = Field(default=900.0, ge=0)
    """The longest wait, in seconds, after failed sign-ins on one username from one client
    address: after the n-th failure in a row, that pair's next attempt waits
    ``min(2**n, sign_in_max_delay)`` seconds (0: no wait). A success ends the wait; other
    addresses never wait for it (see docs/deployment.md, "Rate limits")."""

    rate_limit_sign_in_address: str = "120/minute"
    """Sign-in attempts per client address (``limits`` notation: "120/minute", "1000/hour";
    offices put many vendors behind one address)."""

    rate_limit_register_address: str = "10/minute"
    """Vendor registrations per client address (each hashes a password with argon2)."""

    rate_limit_bids: str = "60/minute"
    """Bid submissions, replacements and withdrawals per vendor."""

    rate_limit_bids_address: str = "600/minute"
    """Bid submissions, replacements and withdrawals per client address."""

    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = ()
    """The proxies (addresses or CIDR networks, comma-separated) whose ``X-Forwarded-For``
    names the client. None by default, not even loopback: a request's client is then the
    connection's peer, whatever its headers say (``api/client_address.py``)."""

    header_timeout: float = Field(default=10.0, gt=0)
    """Seconds a connection has to send a request's line and headers, from its opening or
    the end of the previous answer; then it is closed."""

    body_timeout: float = Field(default=30.0, gt=0)
    """Seconds a request body may pause between two pieces, and the time it has in all
    beside ``body_min_rate``; then 408 ``request_timeout`` and the connection is closed."""

    body_min_rate: int = Field(default=500, gt=0)
    """Bytes per second a request body must average: each piece received extends its time
    by its length over this rate (a 25 MiB upload at 500 B/s: 30 s plus 14 hours)."""

    metrics_token: SecretStr | None = None
    """The bearer token ``/metrics`` asks for (operators only: its counters move with every
    bid, so an open endpoint would count a tender's bids before the opening). Unset, one is
    generated into ``data_dir/secrets/metrics.key``; without one, ``/metrics`` refuses all."""

    ready_max_lag: int = 1000
    """``/ready`` fails (503) when a read model is more events than this behind the store."""

    db_pool_size: int = 5
    document_pool_size: int = Field(default=4, ge=1, le=100)
    """Connections of the document store (an upload's write, a download's chunk reads), a
    pool apart from the reads': downloads never take the public reads' connections."""
    upload_dir: Path | None = None
    """Where an upload is spooled (hashed, checked) before it is stored; unset, the system's
    temporary directory. It needs room for the uploads in flight, 200 MB each at most."""
    handler_threads: int = 64
    """Threads for the synchronous (write) handlers: each waits on its group commit."""

    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    """Logs on stderr: one JSON object per line (``json``) or plain lines (``text``)."""

    ocid_prefix: str = Field(default="ocds-sindh1", pattern=r"^ocds-[a-z0-9]{6}$")
    """The OCDS ocid prefix (registered with the Open Contracting Partnership for a real
    deployment; the default is a placeholder). An ocid is ``<prefix>-<tender id>``."""

    public_url: str | None = None
    """The platform's public address, for OCDS package URIs and links. Unset: the
    ``host`` and ``port`` it serves on."""

    ledger_origin: str = "sindh-procurement/ledger"
    """The name every signed ledger checkpoint carries (its log's identity)."""

    checkpoint_interval: float = 60.0
    """Seconds between two ledger checkpoints (there is one after every closing of bidding
    and every opening whatever the interval)."""

    red_flag_min_submission_days: int = 15
    """R003: a submission period shorter than this many days is flagged."""

    red_flag_disqualified_share: Decimal = Decimal("0.5")
    """R038: a tender whose share of disqualified bids exceeds this is flagged."""

    atl_max_age_days: int = Field(default=45, ge=1)
    """The Active Taxpayer List counts as stale this many days after FBR published it (or,
    with no date given, after its import): a stale list refuses no bid."""

    atl_enforce: bool = False
    """Refuse a bid (403 ``vendor_not_active_taxpayer``) when a fresh Active Taxpayer List
    does not have the vendor's NTN. Off: standings are shown, never enforced."""

    @field_validator("trusted_proxies", "second_factor_roles", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and len(secret.get_secret_value()) < MIN_SECRET_LENGTH:
            msg = f"must be at least {MIN_SECRET_LENGTH} characters (a random 256-bit value)"
            raise ValueError(msg)
        return secret

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def jwt_key(self) -> str:
        if self.jwt_secret is None:
            msg = "settings are not resolved: call procurement.bootstrap.resolve() first"
            raise RuntimeError(msg)
        return self.jwt_secret.get_secret_value()

    @property
    def kek(self) -> bytes:
        return _key_bytes(self.sealing_kek, "PROCUREMENT_SEALING_KEK")

    @property
    def signing_seed(self) -> bytes:
        return _key_bytes(self.signing_key, "PROCUREMENT_SIGNING_KEY")

    @property
    def dsn(self) -> str:
        if self.database_url is None:
            msg = "settings are not resolved: call procurement.bootstrap.resolve() first"
            raise RuntimeError(msg)
        return self.database_url


def _key_bytes(secret: SecretStr | None, name: str) -> bytes:
    if secret is None:
        msg = "settings are not resolved: call procurement.bootstrap.resolve() first"
        raise RuntimeError(msg)
    text = secret.get_secret_value().strip()
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 32:  # noqa: PLR2004
        msg = f"{name} must be 32 bytes in URL-safe base64"
        raise ValueError(msg)
    return raw
