"""Request and answer bodies of the account routes (``/auth/...``, ``/admin/accounts``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas import Body
from api.schemas.common import STATED
from domain.text import SECRET, SINGLE_LINE

Password = Annotated[str, Field(min_length=10, max_length=256), SECRET]
Code = Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE]
Reason = Annotated[str, Field(min_length=1, max_length=500), SINGLE_LINE, STATED]


class PasswordChange(Body):
    # Compared as typed with the password set before: not checked here.
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Password


class PasswordReset(Body):
    username: Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]
    code: Code
    new_password: Password


class SecondFactorConfirmation(Body):
    code: Annotated[str, Field(pattern=r"^\s*\d{3}\s?\d{3}\s*$")]
    # Needed to replace a second factor already enabled; compared as typed: not checked here.
    current_password: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class AdminAction(Body):
    reason: Reason


class SecondFactorOffer(BaseModel):
    secret: str
    """Base32, for typing into an authenticator app by hand."""
    otpauth_uri: str
    """The same as a URI, for a QR code."""
    version: int
    position: int


class SecondFactorEnabledOut(BaseModel):
    recovery_codes: list[str]
    """Shown once: each signs in once in place of a code (keep them somewhere safe)."""
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class PasswordResetOut(BaseModel):
    code: str
    """For the account's owner, given out of band; shown once, works once."""
    expires_at: datetime
    version: int
    position: int
