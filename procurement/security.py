"""Passwords (argon2id) and access tokens (JWT, PyJWT).

Tokens are HS256 with a key from the settings; on the way in, every registered claim we
issue is required (``exp``, ``iat``, ``nbf``, ``aud``, ``iss``, ``sub``) and the algorithm
list is fixed, so ``alg: none`` or a token signed another way is refused. Two claims of our
own are required too: ``epoch``, the account's session epoch when the token was issued (a
token is refused once the account's epoch has moved on: ``procurement/session_epochs.py``),
and ``scope``: ``all``, or ``enrol`` for a token that may only enrol a second factor (staff
who must have one and have none yet).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.values import Role

_hasher = PasswordHasher()
ALGORITHMS = ["HS256"]
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "aud", "iss", "sub"]
MIN_PASSWORD_LENGTH = 10

# A hash of a random password, verified against when the username is unknown so that
# a wrong username takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(uuid.uuid4().hex)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


FULL_SCOPE = "all"
ENROL_SCOPE = "enrol"
SCOPES = (FULL_SCOPE, ENROL_SCOPE)


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the token says."""

    account_id: UUID
    username: str
    role: Role
    entity: str | None
    epoch: int = 0
    """The account's session epoch when the token was issued."""

    scope: str = FULL_SCOPE
    """``all``, or ``enrol``: signed in with a password only, to enrol a second factor."""

    @property
    def enrolment_only(self) -> bool:
        return self.scope == ENROL_SCOPE


class InvalidTokenError(Exception):
    """The token is missing a claim, expired, not yet valid, or not ours."""


@dataclass(frozen=True)
class TokenService:
    key: str
    issuer: str
    audience: str
    ttl: timedelta

    def issue(self, principal: Principal, now: datetime) -> str:
        claims = {
            "sub": str(principal.account_id),
            "name": principal.username,
            "role": principal.role.value,
            "entity": principal.entity,
            "epoch": principal.epoch,
            "scope": principal.scope,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHMS[0])

    def verify(self, token: str, now: datetime) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                # Time claims are checked below against the platform's clock, not the
                # library's wall clock, so that one clock decides everywhere.
                options={
                    "require": REQUIRED_CLAIMS,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            if not int(claims["nbf"]) <= now.timestamp() < int(claims["exp"]):
                raise InvalidTokenError("the token is expired or not yet valid")
            epoch, scope = claims["epoch"], claims["scope"]
            if not isinstance(epoch, int) or isinstance(epoch, bool) or scope not in SCOPES:
                raise InvalidTokenError("the token has no valid epoch or scope")
            return Principal(
                account_id=UUID(claims["sub"]),
                username=str(claims["name"]),
                role=Role(claims["role"]),
                entity=claims.get("entity"),
                epoch=epoch,
                scope=scope,
            )
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise InvalidTokenError(str(error)) from None
