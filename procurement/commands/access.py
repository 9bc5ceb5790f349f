"""Who acts: the platform's own actor, an account acting for itself, and the principal a
signed-in account's tokens carry (object-level checks on loads are in the store base).
"""

from __future__ import annotations

from uuid import UUID

from domain.account import Account
from domain.values import Actor, Role
from procurement.crypto.passwords_and_tokens import FULL_SCOPE, Principal

SYSTEM_ACCOUNT_ID = UUID(int=0)


def system_actor(request_id: str) -> Actor:
    """The platform itself: the scheduler, the command line, the demo loader."""
    return Actor(account_id=SYSTEM_ACCOUNT_ID, role=Role.SYSTEM, request_id=request_id)


def own_actor(account: Account, request_id: str) -> Actor:
    """The account acting for itself (signing in, resetting its password)."""
    return Actor(
        account_id=account.id, role=account.role, request_id=request_id, entity=account.entity
    )


def principal(account: Account, scope: str = FULL_SCOPE) -> Principal:
    return Principal(
        account_id=account.id,
        username=account.username,
        role=account.role,
        entity=account.entity,
        epoch=account.session_epoch,
        scope=scope,
    )
