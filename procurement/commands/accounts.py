"""Accounts: registration, sign-in with a second factor, passwords, administration."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property
from typing import Self, cast
from uuid import UUID

from domain.account import Account, VendorProfile, account_id_for
from domain.errors import (
    AccountNotFoundError,
    ForbiddenError,
    InvalidCredentialsError,
    InvalidResetCodeError,
    InvalidSecondFactorError,
    NoSecondFactorError,
    OwnAccountError,
    SecondFactorRequiredError,
    UsernameTakenError,
    VersionConflictError,
    WrongCurrentPasswordError,
)
from domain.values import Actor, Role
from procurement.clock import Clock
from procurement.commands.access import own_actor, principal
from procurement.commands.views import AccountView
from procurement.crypto import second_factor
from procurement.crypto.passwords_and_tokens import (
    ENROL_SCOPE,
    Principal,
    hash_password,
    verify_password,
)
from procurement.settings import Settings
from procurement.store.application_base import ProcurementStore, WriteResult
from procurement.store.recorder import StoreRecorder


class AccountCommands(ProcurementStore):
    """Accounts (mixed into ``ProcurementApplication``)."""

    second_factor_roles: frozenset[Role] = frozenset(
        {Role.OFFICER, Role.AUDITOR, Role.ADMIN, Role.REGULATOR}
    )
    """Roles that sign in only with a second factor (``PROCUREMENT_SECOND_FACTOR_ROLES``)."""

    reset_code_ttl = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Self:
        application = super().from_settings(settings, clock)
        application.second_factor_roles = frozenset(settings.second_factor_roles)
        return application

    @cached_property
    def second_factor_keys(self) -> second_factor.SecondFactorKeys:
        return second_factor.SecondFactorKeys.from_kek(self.kek)

    def register_account(
        self,
        actor: Actor,
        *,
        username: str,
        password: str,
        role: Role,
        entity: str | None = None,
        vendor: VendorProfile | None = None,
    ) -> WriteResult:
        Account.check_new_username(username, role)
        account = Account(
            username=username,
            role=role,
            entity=entity,
            vendor=vendor,
            password_hash=hash_password(password),
            actor=actor,
            timestamp=self._now(),
        )
        try:
            return self._save(account)
        except VersionConflictError:
            raise UsernameTakenError(f"the username {username!r} is taken") from None

    def authenticate(
        self,
        username: str,
        password: str,
        *,
        totp_code: str | None = None,
        recovery_code: str | None = None,
        request_id: str = "sign-in",
    ) -> Principal:
        """The account's principal for a token, if the password (and, where the account has
        one, the second factor) is right. Staff whose role needs a second factor and who
        have none get an enrolment-only principal; a recovery code is spent (an event)."""
        try:
            account = self._load(Account, account_id_for(username))
        except AccountNotFoundError:
            verify_password(None, password)  # same work as a wrong password
            raise InvalidCredentialsError("wrong username or password") from None
        if not verify_password(account.password_hash, password):
            raise InvalidCredentialsError("wrong username or password")
        account.check_enabled()
        if account.second_factor_enabled:
            if totp_code:
                self._check_totp(account, account.totp_secret, totp_code)
            elif recovery_code:
                self._spend_recovery_code(account, recovery_code, request_id)
            else:
                raise SecondFactorRequiredError(
                    "send the code from the authenticator app (totp_code) or a recovery code"
                )
        elif account.role in self.second_factor_roles:
            return principal(account, ENROL_SCOPE)
        return principal(account)

    def _check_totp(self, account: Account, encrypted: str | None, code: str) -> None:
        """The code is right for a step within the window, later than any used before."""
        if encrypted is None:  # pragma: no cover (callers check first)
            raise NoSecondFactorError("the account has no second factor")
        secret = self.second_factor_keys.decrypt(account.id, encrypted)
        step = second_factor.matching_step(secret, code, self._now())
        if step is None:
            raise InvalidSecondFactorError("the code is wrong or expired")
        datastore = cast("StoreRecorder", self.recorder).datastore
        with datastore.transaction(commit=True) as cursor:
            claimed = second_factor.claim_step(cursor, account.id, step)
        if not claimed:
            raise InvalidSecondFactorError("the code has been used already: wait for the next one")

    def _spend_recovery_code(self, account: Account, code: str, request_id: str) -> None:
        code_hash = self.second_factor_keys.code_hash("recovery", account.id, code)
        account.use_recovery_code(
            code_hash=code_hash, actor=own_actor(account, request_id), timestamp=self._now()
        )
        self._save(account)  # two sign-ins with one code: one of them meets a conflict

    def _own_account(self, actor: Actor) -> Account:
        return self._load(Account, actor.account_id)

    def account_view(self, actor: Actor) -> AccountView:
        """The caller's own account as its settings page shows it."""
        account = self._own_account(actor)
        pending = None
        if account.pending_totp_secret is not None:
            secret = self.second_factor_keys.decrypt(account.id, account.pending_totp_secret)
            pending = (secret, second_factor.otpauth_uri(secret, account.username))
        return AccountView(
            username=account.username,
            role=account.role,
            second_factor=account.second_factor_enabled,
            second_factor_required=account.role in self.second_factor_roles,
            recovery_codes_left=len(account.recovery_code_hashes),
            pending_enrolment=pending,
        )

    def change_password(
        self, actor: Actor, *, current_password: str, new_password: str
    ) -> WriteResult:
        """The owner's new password; every session of the account ends."""
        account = self._own_account(actor)
        if not verify_password(account.password_hash, current_password):
            raise WrongCurrentPasswordError("the current password is wrong")
        account.change_password(
            password_hash=hash_password(new_password), actor=actor, timestamp=self._now()
        )
        return self._save(account)

    def sign_out(self, actor: Actor) -> WriteResult:
        """Every token and portal session of the caller's account ends."""
        account = self._own_account(actor)
        account.sign_out(actor=actor, timestamp=self._now())
        return self._save(account)

    def start_second_factor(self, actor: Actor) -> tuple[str, str, WriteResult]:
        """A new TOTP secret for the caller to confirm: the secret, its otpauth URI."""
        account = self._own_account(actor)
        secret = second_factor.new_secret()
        account.start_second_factor_enrolment(
            encrypted_secret=self.second_factor_keys.encrypt(account.id, secret),
            actor=actor,
            timestamp=self._now(),
        )
        written = self._save(account)
        return secret, second_factor.otpauth_uri(secret, account.username), written

    def confirm_second_factor(
        self, actor: Actor, code: str, current_password: str | None = None
    ) -> tuple[list[str], Principal, WriteResult]:
        """The secret offered last, confirmed with a code from it: it becomes the account's
        second factor, with new recovery codes (shown once). The caller's sessions end; the
        answer's principal is one for the new epoch, with a full scope.

        Replacing a second factor takes the current password too: a token alone (a stolen
        one) must not put another authenticator in the owner's place, locking the owner
        out and minting fresh tokens. Checked before the code, which a refusal leaves
        unspent."""
        account = self._own_account(actor)
        account.check_enrolment_pending()
        if account.second_factor_enabled and not (
            current_password is not None
            and verify_password(account.password_hash, current_password)
        ):
            raise WrongCurrentPasswordError(
                "replacing a second factor takes your current password (current_password)"
            )
        self._check_totp(account, account.pending_totp_secret, code)
        codes = second_factor.new_recovery_codes()
        keys = self.second_factor_keys
        account.enable_second_factor(
            recovery_code_hashes=[keys.code_hash("recovery", account.id, c) for c in codes],
            actor=actor,
            timestamp=self._now(),
        )
        written = self._save(account)
        return codes, principal(account), written

    # Accounts, by an administrator ---------------------------------------------------------

    def _administered(self, actor: Actor, account_id: UUID) -> Account:
        if actor.role not in {Role.ADMIN, Role.SYSTEM}:
            raise ForbiddenError("only an administrator manages accounts")
        return self._load(Account, account_id)

    def disable_account(self, actor: Actor, account_id: UUID, reason: str) -> WriteResult:
        account = self._administered(actor, account_id)
        if account.id == actor.account_id:
            raise OwnAccountError("an administrator does not disable their own account")
        account.disable(reason=reason, actor=actor, timestamp=self._now())
        return self._save(account)

    def enable_account(self, actor: Actor, account_id: UUID, reason: str) -> WriteResult:
        account = self._administered(actor, account_id)
        account.enable(reason=reason, actor=actor, timestamp=self._now())
        return self._save(account)

    def designate_head(self, actor: Actor, account_id: UUID, *, head: bool) -> WriteResult:
        """An officer made (or no longer) the head of its procuring entity."""
        account = self._administered(actor, account_id)
        account.designate_head(head=head, actor=actor, timestamp=self._now())
        return self._save(account)

    def issue_password_reset(
        self, actor: Actor, account_id: UUID
    ) -> tuple[str, datetime, WriteResult]:
        """A one-time reset code for the account's owner (given out of band); its sessions
        end now. Only the code's keyed hash is stored."""
        account = self._administered(actor, account_id)
        code = second_factor.new_reset_code()
        expires_at = self._now() + self.reset_code_ttl
        account.issue_password_reset(
            code_hash=self.second_factor_keys.code_hash("reset", account.id, code),
            expires_at=expires_at,
            actor=actor,
            timestamp=self._now(),
        )
        return code, expires_at, self._save(account)

    def remove_second_factor(self, actor: Actor, account_id: UUID, reason: str) -> WriteResult:
        """For a lost phone: the owner enrols again at the next sign-in."""
        account = self._administered(actor, account_id)
        account.remove_second_factor(reason=reason, actor=actor, timestamp=self._now())
        return self._save(account)

    def complete_password_reset(
        self, username: str, code: str, new_password: str, request_id: str
    ) -> WriteResult:
        """The owner's new password, set with the reset code (once)."""
        try:
            account = self._load(Account, account_id_for(username))
        except AccountNotFoundError:
            raise InvalidResetCodeError("the reset code is wrong, spent or expired") from None
        account.complete_password_reset(
            code_hash=self.second_factor_keys.code_hash("reset", account.id, code),
            password_hash=hash_password(new_password),
            actor=own_actor(account, request_id),
            timestamp=self._now(),
        )
        return self._save(account)
