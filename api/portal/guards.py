"""Who may open a portal page: guards on the signed-in account's role, and the actor that
the events of a portal action record (the same account as the API's)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from api.auth import Guard
from api.errors import ApiProblem
from api.portal.session import portal_user
from domain.values import Actor, Role
from procurement.security import Principal


def signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = portal_user(connection)
    if principal is None:
        raise NotAuthorizedException("sign in first")
    return principal


def signed_in_account(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard: someone is signed in, perhaps only to enrol a second factor (their own
    account's pages)."""
    signed_in(connection)


def requires_portal_role(*roles: Role) -> Guard:
    """A guard: someone is signed in (else the sign-in page) holding one of ``roles``, with
    a session not limited to enrolling a second factor."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = signed_in(connection)
        if principal.enrolment_only:
            raise ApiProblem(
                403,
                "second_factor_enrolment_required",
                "set up your second factor first: Account, then Second factor "
                "(/portal/account/second-factor)",
            )
        if principal.role not in roles:
            allowed = ", ".join(role.value for role in roles)
            raise PermissionDeniedException(f"this page is for the role(s) {allowed}")

    return guard


def actor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    principal = signed_in(connection)
    return Actor(
        account_id=principal.account_id,
        role=principal.role,
        request_id=connection.scope.get("state", {}).get("request_id") or uuid.uuid4().hex,
        entity=principal.entity,
    )
