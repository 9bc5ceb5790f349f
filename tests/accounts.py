"""Staff accounts as tests need them: registered and enrolled in a second factor with a
secret the test knows, so it can compute codes from the clock the server checks them by."""

from __future__ import annotations

from datetime import timedelta

from domain.account import account_id_for
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.crypto.second_factor import STEP_SECONDS, code_at

PASSWORD = "correct-horse-battery"
STEP = timedelta(seconds=STEP_SECONDS)


def enrol(
    application: ProcurementApplication, username: str, role: Role, entity: str | None = None
) -> str:
    """The account's second factor, enrolled as its owner would: the secret. Confirmed with
    the code of the step before the application's clock, so a sign-in at the clock's own
    step is not a reuse."""
    actor = Actor(
        account_id=account_id_for(username), role=role, request_id="test-enrol", entity=entity
    )
    secret, _, _ = application.start_second_factor(actor)
    application.confirm_second_factor(actor, code_at(secret, application.clock.now() - STEP))
    return secret


def add_staff(
    application: ProcurementApplication,
    username: str,
    role: Role,
    entity: str | None = None,
    password: str = PASSWORD,
) -> str:
    """A staff account with a second factor: its TOTP secret."""
    application.register_account(
        system_actor("test"), username=username, password=password, role=role, entity=entity
    )
    return enrol(application, username, role, entity)


GRIEVANCE_MEMBERS = ("g.chair", "g.two", "g.three")


def name_grievance_committee(application: ProcurementApplication, entity: str) -> Actor:
    """Three officers of ``entity`` and its head (designated by the system, as an
    administrator would); the head names them its grievance committee. The chair's actor."""
    system = system_actor("test")
    names = [f"{name}@{entity}" for name in (*GRIEVANCE_MEMBERS, "g.head")]
    for username in names:
        application.register_account(
            system, username=username, password=PASSWORD, role=Role.OFFICER, entity=entity
        )
    application.designate_head(system, account_id_for(names[-1]), head=True)

    def officer(username: str) -> Actor:
        return Actor(
            account_id=account_id_for(username),
            role=Role.OFFICER,
            request_id="test",
            entity=entity,
        )

    application.name_grievance_committee(officer(names[-1]), names[:3], names[0])
    return officer(names[0])
