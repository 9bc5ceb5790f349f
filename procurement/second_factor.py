"""The second factor's cryptography and its one table: TOTP (RFC 6238, ``pyotp``) secrets
encrypted under a key derived from the KEK, one-time codes (recovery codes, password reset
codes) kept as keyed hashes, QR codes (``segno``), and the last time step each account used.

- A TOTP secret is 160 random bits (RFC 4226's recommended length), stored only as
  AES-256-GCM ciphertext whose associated data is the account id (so a ciphertext copied to
  another account does not decrypt), under HKDF-SHA256(KEK, "totp-secrets").
- Recovery and reset codes are random; the store keeps HMAC-SHA256 of each under another key
  derived from the KEK: a copy of the events (an auditor's export, a database dump) cannot
  test guesses offline without the KEK, and a hash is compared, never a code.
- A code is accepted for the step of the platform's clock or one step either side, and only
  for a step later than the account's last accepted one (``claim_step``): a code seen once
  (shoulder-surfed, phished, replayed) is useless afterwards, across every process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ISSUER = "Sindh e-Procurement"
STEP_SECONDS = 30
WINDOW = 1
"""Steps accepted either side of the clock's (RFC 6238 section 5.2: one step of drift)."""

RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 10  # 10 of 31 symbols: about 50 bits, and a keyed hash in the store


def _derived(kek: bytes, label: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=f"sindh-procurement/{label}/v1".encode(),
    ).derive(kek)


@dataclass(frozen=True)
class SecondFactorKeys:
    """The keys of this module, derived once from the KEK."""

    secrets_key: bytes
    codes_key: bytes

    @classmethod
    def from_kek(cls, kek: bytes) -> SecondFactorKeys:
        return cls(_derived(kek, "totp-secrets"), _derived(kek, "one-time-codes"))

    def encrypt(self, account_id: UUID, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.secrets_key).encrypt(nonce, secret.encode(), account_id.bytes)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, account_id: UUID, stored: str) -> str:
        raw = base64.urlsafe_b64decode(stored)
        try:
            return AESGCM(self.secrets_key).decrypt(raw[:12], raw[12:], account_id.bytes).decode()
        except InvalidTag:
            msg = "a second-factor secret does not decrypt under this KEK"
            raise RuntimeError(msg) from None

    def code_hash(self, kind: str, account_id: UUID, code: str) -> str:
        """The keyed hash of a one-time code of ``kind`` (``recovery``, ``reset``)."""
        message = f"{kind}|{account_id}|{normalised_code(code)}".encode()
        return hmac.new(self.codes_key, message, hashlib.sha256).hexdigest()


def normalised_code(code: str) -> str:
    """A code as typed, without the spaces and dashes people add or copy along."""
    return "".join(code.split()).replace("-", "").lower()


def new_secret() -> str:
    return pyotp.random_base32(32)  # 32 base32 letters: 160 bits


def otpauth_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code: no script, no style, black on the page's colour."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return svg


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator shows at ``moment`` (for tests and the demo's notes)."""
    return pyotp.TOTP(secret).generate_otp(step_of(moment))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the window whose code is ``code``, or None."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):  # noqa: PLR2004 (RFC 6238's six digits)
        return None
    totp = pyotp.TOTP(secret)
    current = step_of(now)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):  # every one, in the same time
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def new_reset_code() -> str:
    return secrets.token_urlsafe(16)  # 128 bits


def looks_like_totp(code: str) -> bool:
    compact = "".join(code.split())
    return compact.isdigit() and len(compact) == 6  # noqa: PLR2004


# The table ---------------------------------------------------------------------------------


def claim_step(cursor: Any, account_id: UUID, step: int) -> bool:
    """Record ``step`` as the account's last used one, if it is later than the last: one
    row write, so of two processes given the same code only one gets True."""
    cursor.execute(
        "INSERT INTO account_totp_steps AS s (account_id, last_step) VALUES (%s, %s) "
        "ON CONFLICT (account_id) DO UPDATE SET last_step = EXCLUDED.last_step "
        "WHERE s.last_step < EXCLUDED.last_step RETURNING 1",
        (account_id, step),
    )
    return cursor.fetchone() is not None
