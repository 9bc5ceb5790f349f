"""``procurement users``: accounts for officers, auditors and admins."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from api.cli.console import _application, _settings, console
from domain.account import account_id_for
from domain.errors import InvalidTextError, ProcurementError
from domain.text import check_text
from domain.values import Role
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.store import migrations

users = typer.Typer(help="Accounts for officers, auditors and admins.", no_args_is_help=True)


@users.command("add")
def users_add(
    username: Annotated[str, typer.Option(help="Login name.")],
    role: Annotated[Role, typer.Option(help="officer, auditor or admin.")],
    entity: Annotated[str | None, typer.Option(help="The officer's procuring entity.")] = None,
) -> None:
    """Add a staff account (its username has an @, such as o.khan@works); the password is
    read from standard input. Staff of the roles that need a second factor enrol it at
    their first sign-in, in the portal."""
    if role in {Role.VENDOR, Role.SYSTEM}:
        console.print("vendors register themselves (POST /vendors/register)")
        raise typer.Exit(2)
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 10:  # noqa: PLR2004
        console.print("the password must have at least 10 characters")
        raise typer.Exit(2)
    try:  # the text rule, as for what comes over HTTP (the password is kept as typed)
        username = check_text(username, single_line=True, field="username")
        entity = None if entity is None else check_text(entity, single_line=True, field="entity")
        check_text(password, single_line=True, field="password")
    except InvalidTextError as error:
        console.print(f"{error.code}: {error}")
        raise typer.Exit(2) from None
    settings = _settings()
    migrations.upgrade(settings.dsn)
    application = _application(settings)
    try:
        result = application.register_account(
            system_actor("cli"),
            username=username,
            password=password,
            role=role,
            entity=entity,
        )
    except ProcurementError as error:
        console.print(f"{error.code}: {error}")
        raise typer.Exit(1) from None
    finally:
        application.close()
    console.print(f"account {username} ({role.value}) created: {result.id}")


def _administer(action: Callable[[ProcurementApplication], str]) -> None:
    """One administrator's action on an account, as the platform (the system actor): what
    it printed, or the refusal's code and exit status 1."""
    settings = _settings()
    application = _application(settings)
    try:
        console.print(action(application))
    except ProcurementError as error:
        console.print(f"{error.code}: {error}")
        raise typer.Exit(1) from None
    finally:
        application.close()


Username = Annotated[str, typer.Option(help="The account's username.")]
Reason = Annotated[str, typer.Option(help="Why, for the record (auditors read it).")]


def _account_write(username: str, done: str, command: Callable[..., Any], *args: Any) -> None:
    def run(application: ProcurementApplication) -> str:
        written = command(application, system_actor("cli"), account_id_for(username), *args)
        return f"{username}: {done} (position {written.position})"

    _administer(run)


@users.command("disable")
def users_disable(username: Username, reason: Reason) -> None:
    """Disable an account: it cannot sign in, and its sessions end within seconds."""
    _account_write(username, "disabled", ProcurementApplication.disable_account, reason)


@users.command("enable")
def users_enable(username: Username, reason: Reason) -> None:
    """Enable a disabled account again."""
    _account_write(username, "enabled", ProcurementApplication.enable_account, reason)


@users.command("reset-password")
def users_reset_password(username: Username) -> None:
    """A one-time code for the owner to set a new password with (shown once, valid 24 hours;
    the portal's "Set a new password" page or POST /auth/password-reset). The account's
    sessions end now."""

    def reset(application: ProcurementApplication) -> str:
        code, expires_at, _ = application.issue_password_reset(
            system_actor("cli"), account_id_for(username)
        )
        return f"reset code for {username}: {code} (valid until {expires_at.isoformat()})"

    _administer(reset)


@users.command("remove-second-factor")
def users_remove_second_factor(username: Username, reason: Reason) -> None:
    """Remove a lost second factor: the owner enrols a new one at the next sign-in."""
    _account_write(
        username, "second factor removed", ProcurementApplication.remove_second_factor, reason
    )
