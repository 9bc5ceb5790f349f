"""The Account aggregate: officers, auditors and admins made by an administrator, vendors
who register themselves; and what happens to an account after: its password changed by its
owner or reset through an administrator, disabled and enabled again, a second factor
(TOTP) enrolled, recovery codes used, signed out everywhere.

An account's id is derived from its normalised username, so "one account per username"
is an optimistic-concurrency fact of the event store, not a check that can race. Staff
usernames contain "@" and vendors' cannot, so the names a vendor can register never meet a
staff account's (docs/api.md, "Usernames").

Every event that ends the account's sessions (``SESSION_ENDING``) adds one to its
``session_epoch``; tokens carry the epoch they were issued under and are refused once the
account's is higher. The domain does no cryptography and reads no clock: hashes, ciphertext
and times come in from the application, and the guards compare them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from domain.errors import (
    AccountDisabledError,
    AccountEnabledError,
    InvalidResetCodeError,
    InvalidSecondFactorError,
    InvalidTermsError,
    InvalidUsernameError,
    NoEnrolmentError,
    NoSecondFactorError,
)
from domain.fields import Title
from domain.text import SINGLE_LINE
from domain.values import Actor, Role, ValueObject

ACCOUNT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:account")


USERNAME = re.compile(r"^[a-z0-9._-]{3,64}$")
"""A vendor's username (and a staff username made before staff names took an "@")."""

STAFF_USERNAME = re.compile(r"^(?=.{3,64}$)[a-z0-9._-]+@[a-z0-9.-]+$")
"""A staff username: a name, "@" and a place (``o.khan@works``); vendors' names never
have an "@", so no vendor registration can meet a staff account."""


def normalise_username(username: str) -> str:
    return username.strip().lower()


def account_id_for(username: str) -> UUID:
    return uuid5(ACCOUNT_NAMESPACE, normalise_username(username))


class VendorProfile(ValueObject):
    legal_name: Title
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

    class AccountEnabled(Aggregate.Event):
        TOPIC = "procurement:Account.AccountEnabled"
        reason: str
        actor: Actor

    class PasswordResetIssued(Aggregate.Event):
        """An administrator gave out a one-time reset code: only its keyed hash is kept."""

        TOPIC = "procurement:Account.PasswordResetIssued"
        code_hash: str
        expires_at: datetime
        actor: Actor

    class PasswordResetCompleted(Aggregate.Event):
        """The owner set a new password with the reset code (which is then spent)."""

        TOPIC = "procurement:Account.PasswordResetCompleted"
        code_hash: str
        password_hash: str
        actor: Actor

    class SignedOut(Aggregate.Event):
        TOPIC = "procurement:Account.SignedOut"
        actor: Actor

    class SecondFactorEnrolmentStarted(Aggregate.Event):
        """A TOTP secret offered to the owner (encrypted under a key from the KEK); it
        counts only once confirmed with a code."""

        TOPIC = "procurement:Account.SecondFactorEnrolmentStarted"
        encrypted_secret: str
        actor: Actor

    class SecondFactorEnabled(Aggregate.Event):
        """The offered secret confirmed: it is the second factor now, with fresh recovery
        codes (their keyed hashes)."""

        TOPIC = "procurement:Account.SecondFactorEnabled"
        recovery_code_hashes: list[str]
        actor: Actor

    class SecondFactorRemoved(Aggregate.Event):
        TOPIC = "procurement:Account.SecondFactorRemoved"
        reason: str
        actor: Actor

    class RecoveryCodeUsed(Aggregate.Event):
        TOPIC = "procurement:Account.RecoveryCodeUsed"
        code_hash: str
        actor: Actor

    class HeadOfEntityDesignated(Aggregate.Event):
        TOPIC = "procurement:Account.HeadOfEntityDesignated"
        head: bool
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
        self.check_username(username, role)
        self.check_role_fits(role, entity, vendor)
        self.username = normalise_username(username)
        self.role = Role(role)
        self.entity = entity
        self.vendor = vendor
        self.password_hash = password_hash
        self.disabled = False
        self.registered_by = actor.account_id
        self.session_epoch = 0
        self.totp_secret: str | None = None
        self.pending_totp_secret: str | None = None
        self.recovery_code_hashes: list[str] = []
        self.reset_code_hash: str | None = None
        self.reset_expires_at: datetime | None = None
        self.head_of_entity = False

    @staticmethod
    def check_username(username: str, role: Role | str) -> None:
        """What every account's username is, on replay too: a vendor's never has an "@";
        a staff name has one (or is a plain name made before that rule,
        ``check_new_username``)."""
        name = normalise_username(username)
        staff_name = Role(role) is not Role.VENDOR and STAFF_USERNAME.match(name)
        if not staff_name and not USERNAME.match(name):
            raise InvalidTermsError(
                "a username has 3 to 64 letters, digits, dots, dashes or underscores"
                + ("" if Role(role) is Role.VENDOR else ", and a staff username an @")
            )

    @staticmethod
    def check_new_username(username: str, role: Role | str) -> None:
        """A new staff account's username has an "@" (``o.khan@works``): checked before a
        registration, not on replay, since staff accounts made before the rule keep their
        plain names."""
        Account.check_username(username, role)
        if Role(role) is not Role.VENDOR and not STAFF_USERNAME.match(normalise_username(username)):
            raise InvalidUsernameError(
                "a staff username has an @, such as o.khan@works: vendors' names never do"
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

    @property
    def second_factor_enabled(self) -> bool:
        return self.totp_secret is not None

    def check_enabled(self) -> None:
        if self.disabled:
            raise AccountDisabledError("the account is disabled")

    def _end_sessions(self) -> None:
        """Every token and portal session issued before this event stops working."""
        self.session_epoch += 1

    @event(HeadOfEntityDesignated)
    def designate_head(self, *, head: bool, actor: Actor, timestamp: datetime) -> None:
        """The officer heads its procuring entity (names its grievance committee, refers
        vendors for debarment), or no longer does."""
        if self.role is not Role.OFFICER:
            raise InvalidTermsError("only an officer heads a procuring entity")
        self.check_enabled()
        self.head_of_entity = head

    @event(PasswordChanged)
    def change_password(self, *, password_hash: str, actor: Actor, timestamp: datetime) -> None:
        self.check_enabled()
        self.password_hash = password_hash
        self.reset_code_hash = None  # the owner chose a password: a reset code is spent
        self.reset_expires_at = None
        self._end_sessions()

    @event(AccountDisabled)
    def disable(self, *, reason: str, actor: Actor, timestamp: datetime) -> None:
        self.check_enabled()
        self.disabled = True
        self._end_sessions()

    @event(AccountEnabled)
    def enable(self, *, reason: str, actor: Actor, timestamp: datetime) -> None:
        self.check_disabled()
        self.disabled = False

    def check_disabled(self) -> None:
        if not self.disabled:
            raise AccountEnabledError("the account is not disabled")

    @event(PasswordResetIssued)
    def issue_password_reset(
        self, *, code_hash: str, expires_at: datetime, actor: Actor, timestamp: datetime
    ) -> None:
        self.check_expiry_after(expires_at, timestamp)
        self.reset_code_hash = code_hash
        self.reset_expires_at = expires_at
        self._end_sessions()

    @staticmethod
    def check_expiry_after(expires_at: datetime, timestamp: datetime) -> None:
        if expires_at <= timestamp:
            raise InvalidTermsError("a reset code expires after it is issued")

    def check_reset_code(self, code_hash: str, timestamp: datetime) -> None:
        """The code given is the one issued last, not yet spent and not expired."""
        if (
            self.reset_code_hash is None
            or self.reset_expires_at is None
            or code_hash != self.reset_code_hash
            or timestamp > self.reset_expires_at
        ):
            raise InvalidResetCodeError("the reset code is wrong, spent or expired")

    @event(PasswordResetCompleted)
    def complete_password_reset(
        self, *, code_hash: str, password_hash: str, actor: Actor, timestamp: datetime
    ) -> None:
        self.check_enabled()
        self.check_reset_code(code_hash, timestamp)
        self.password_hash = password_hash
        self.reset_code_hash = None
        self.reset_expires_at = None
        self._end_sessions()

    @event(SignedOut)
    def sign_out(self, *, actor: Actor, timestamp: datetime) -> None:
        self._end_sessions()

    @event(SecondFactorEnrolmentStarted)
    def start_second_factor_enrolment(
        self, *, encrypted_secret: str, actor: Actor, timestamp: datetime
    ) -> None:
        self.check_enabled()
        self.pending_totp_secret = encrypted_secret

    def check_enrolment_pending(self) -> None:
        if self.pending_totp_secret is None:
            raise NoEnrolmentError("start an enrolment first: there is no secret to confirm")

    @event(SecondFactorEnabled)
    def enable_second_factor(
        self, *, recovery_code_hashes: list[str], actor: Actor, timestamp: datetime
    ) -> None:
        self.check_enabled()
        self.check_enrolment_pending()
        self.totp_secret = self.pending_totp_secret
        self.pending_totp_secret = None
        self.recovery_code_hashes = list(recovery_code_hashes)
        self._end_sessions()

    @event(SecondFactorRemoved)
    def remove_second_factor(self, *, reason: str, actor: Actor, timestamp: datetime) -> None:
        self.check_second_factor()
        self.totp_secret = None
        self.pending_totp_secret = None
        self.recovery_code_hashes = []
        self._end_sessions()

    def check_second_factor(self) -> None:
        if self.totp_secret is None:
            raise NoSecondFactorError("the account has no second factor")

    def check_recovery_code(self, code_hash: str) -> None:
        if code_hash not in self.recovery_code_hashes:
            raise InvalidSecondFactorError("the code is wrong, expired or already used")

    @event(RecoveryCodeUsed)
    def use_recovery_code(self, *, code_hash: str, actor: Actor, timestamp: datetime) -> None:
        self.check_enabled()
        self.check_second_factor()
        self.check_recovery_code(code_hash)
        self.recovery_code_hashes = [h for h in self.recovery_code_hashes if h != code_hash]


SESSION_ENDING: tuple[type[Aggregate.Event], ...] = (
    Account.PasswordChanged,
    Account.AccountDisabled,
    Account.PasswordResetIssued,
    Account.PasswordResetCompleted,
    Account.SignedOut,
    Account.SecondFactorEnabled,
    Account.SecondFactorRemoved,
)
"""The events that add one to an account's ``session_epoch``: the session-epoch check
counts them in the store (``procurement/store/session_epochs.py``)."""

SESSION_ENDING_TOPICS: tuple[str, ...] = tuple(cls.TOPIC for cls in SESSION_ENDING)  # type: ignore[attr-defined]
