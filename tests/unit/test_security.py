"""Tokens and passwords: what a forged, stale or incomplete token meets."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from uuid import uuid4

import jwt
import pytest

from domain.values import Role
from procurement.crypto.passwords_and_tokens import (
    InvalidTokenError,
    Principal,
    TokenService,
    hash_password,
    verify_password,
)
from tests.support import START

KEY = "k" * 40
SERVICE = TokenService(key=KEY, issuer="iss", audience="aud", ttl=timedelta(minutes=15))
ALICE = Principal(account_id=uuid4(), username="alice", role=Role.OFFICER, entity="wsd")


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_round_trips_to_its_principal() -> None:
    token = SERVICE.issue(ALICE, START)
    assert SERVICE.verify(token, START + timedelta(minutes=14)) == ALICE


@pytest.mark.parametrize("later", [timedelta(minutes=15), timedelta(days=1)])
def test_an_expired_token_is_refused(later: timedelta) -> None:
    token = SERVICE.issue(ALICE, START)
    with pytest.raises(InvalidTokenError):
        SERVICE.verify(token, START + later)


def test_a_token_from_the_future_is_refused() -> None:
    token = SERVICE.issue(ALICE, START)
    with pytest.raises(InvalidTokenError):
        SERVICE.verify(token, START - timedelta(seconds=1))


def test_an_unsigned_token_is_refused() -> None:
    good = jwt.decode(SERVICE.issue(ALICE, START), options={"verify_signature": False})
    forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(good)}."
    with pytest.raises(InvalidTokenError):
        SERVICE.verify(forged, START)


def test_a_token_signed_with_another_key_is_refused() -> None:
    other = TokenService(key="o" * 40, issuer="iss", audience="aud", ttl=timedelta(minutes=15))
    with pytest.raises(InvalidTokenError):
        SERVICE.verify(other.issue(ALICE, START), START)


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "aud", "iss", "sub"])
def test_every_registered_claim_is_required(claim: str) -> None:
    claims = jwt.decode(
        SERVICE.issue(ALICE, START),
        KEY,
        algorithms=["HS256"],
        options={
            "verify_aud": False,
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
        },
    )
    del claims[claim]
    token = jwt.encode(claims, KEY, algorithm="HS256")
    with pytest.raises(InvalidTokenError):
        SERVICE.verify(token, START)


def test_another_audience_or_issuer_is_refused() -> None:
    for service in (
        TokenService(key=KEY, issuer="other", audience="aud", ttl=timedelta(minutes=15)),
        TokenService(key=KEY, issuer="iss", audience="other", ttl=timedelta(minutes=15)),
    ):
        with pytest.raises(InvalidTokenError):
            SERVICE.verify(service.issue(ALICE, START), START)


def test_passwords_are_argon2_hashed_and_verified() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")
