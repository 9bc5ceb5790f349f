"""The Account aggregate: officers, auditors and admins made by an administrator, vendors
who register themselves.

An account's id is derived from its normalised username, so "one account per username"
is an optimistic-concurrency fact of the event store, not a check that can race.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from domain.errors import AccountDisabledError, InvalidTermsError
from domain.text import SINGLE_LINE
from domain.values import Actor, Role, ValueObject

ACCOUNT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:account")


USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def account_id_for(username: str) -> UUID:
    return uuid5(ACCOUNT_NAMESPACE, normalise_username(username))


class VendorProfile(ValueObject):
    legal_name: Annotated[str, Field(min_length=1, max_length=300), SINGLE_LINE]
    ntn: Annotated[str, Field(pattern=r"^\d{7}-\d$|^\d{13}$")]
    """National Tax Number: seven digits and a check digit, or a 13-digit CNIC for individuals."""
    contact_email: Annotated[
        str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), SINGLE_LINE
    ]
    contact_phone: Annotated[str, Field(max_length=32), SINGLE_LINE] | None = None


class Account(Aggregate):
    TOPIC = "procurement:Account"

    class Created(Aggregate.Created):
        TOPIC = "procurement:Account.Created"

    class AccountRegistered(Aggregate.Created):
        TOPIC = "procurement:Account.AccountRegistered"
        username: str
        role: Role
        entity: str | None
        vendor: VendorProfile | None
        password_hash: str
        actor: Actor

    class PasswordChanged(Aggregate.Event):
        TOPIC = "procurement:Account.PasswordChanged"
        password_hash: str
        actor: Actor

    class AccountDisabled(Aggregate.Event):
        TOPIC = "procurement:Account.AccountDisabled"
        reason: str
        actor: Actor

    @staticmethod
    def create_id(username: str, **_: object) -> UUID:
        return account_id_for(username)

    @event(AccountRegistered)
    def __init__(
        self,
        *,
        username: str,
        role: Role,
        entity: str | None,
        vendor: VendorProfile | None,
        password_hash: str,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.check_username(username)
        self.check_role_fits(role, entity, vendor)
        self.username = normalise_username(username)
        self.role = Role(role)
        self.entity = entity
        self.vendor = vendor
        self.password_hash = password_hash
        self.disabled = False
        self.registered_by = actor.account_id

    @staticmethod
    def check_username(username: str) -> None:
        if not USERNAME.match(normalise_username(username)):
            raise InvalidTermsError(
                "a username has 3 to 64 letters, digits, dots, dashes or underscores"
            )

    @staticmethod
    def check_role_fits(role: Role | str, entity: str | None, vendor: VendorProfile | None) -> None:
        role = Role(role)  # replay hands back the stored string
        if role is Role.SYSTEM:
            raise InvalidTermsError("the system role is not an account")
        if role is Role.OFFICER and not (entity and entity.strip()):
            raise InvalidTermsError("an officer belongs to a procuring entity")
        if role is not Role.OFFICER and entity:
            raise InvalidTermsError("only officers belong to a procuring entity")
        if (role is Role.VENDOR) != (vendor is not None):
            raise InvalidTermsError("vendor details go with the vendor role, and only with it")

    def check_enabled(self) -> None:
        if self.disabled:
            raise AccountDisabledError("the account is disabled")

    @event(PasswordChanged)
    def change_password(self, *, password_hash: str, actor: Actor, timestamp: datetime) -> None:
        self.password_hash = password_hash

    @event(AccountDisabled)
    def disable(self, *, reason: str, actor: Actor, timestamp: datetime) -> None:
        self.check_enabled()
        self.disabled = True
