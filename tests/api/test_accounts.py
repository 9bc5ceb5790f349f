"""Accounts that hold (issue 16): a token stops working once its account's password changes,
the account is disabled or signs out, each an event an auditor reads; staff sign in only with
a second factor; codes work once; no staff username can be probed by registering it."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from api.app import create_app
from domain.account import account_id_for
from domain.errors import InvalidSecondFactorError, InvalidUsernameError
from domain.values import Role
from procurement.application import ProcurementApplication, system_actor
from procurement.second_factor import code_at, step_of
from procurement.session_epochs import TTL
from procurement.settings import Settings
from tests.accounts import STEP
from tests.api.conftest import PASSWORD, Api
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock

OFFICER = "officer@works"
ADMIN = "admin@sindh"


@pytest.fixture
def admin(api: Api) -> dict[str, str]:
    api.add_staff(ADMIN, Role.ADMIN)
    return api.login(ADMIN)


HELD = 404
"""An officer's read of a tender that does not exist: 404 while the token holds, else 401."""


def works(api: Api, headers: dict[str, str]) -> int:
    return int(api.client.get(f"/tenders/{UUID(int=1)}", headers=headers).status_code)


def stream(api: Api, account: str) -> list[dict[str, Any]]:
    """The account's events as an auditor reads them."""
    answer = api.client.get(
        f"/audit/streams/{account_id_for(account)}/events", headers=api.login("auditor@sindh")
    )
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def sign_in(api: Api, username: str, **more: str) -> Any:
    return api.client.post("/auth/token", json={"username": username, "password": PASSWORD, **more})


def test_a_password_change_ends_the_tokens_and_the_auditor_sees_it(api: Api) -> None:
    officer = api.login(OFFICER)
    other_device = sign_in(api, OFFICER, totp_code=api.code(OFFICER)).json()["access_token"]
    assert works(api, officer) == HELD
    changed = api.post(
        "/auth/password",
        officer,
        json={"current_password": PASSWORD, "new_password": "a-brand-new-password"},
    )
    assert changed.status_code == 200, changed.text
    assert_problem(api.client.get(f"/tenders/{UUID(int=1)}", headers=officer), 401, "session_ended")
    assert works(api, {"Authorization": f"Bearer {other_device}"}) == 401
    api.forget(OFFICER)
    assert works(api, api.login(OFFICER, "a-brand-new-password")) == HELD
    [changed_event] = [e for e in stream(api, OFFICER) if e["type"] == "PasswordChanged"]
    assert changed_event["payload"]["password_hash"] == "[redacted]"
    assert changed_event["actor"]["account_id"] == str(account_id_for(OFFICER))


def test_a_wrong_current_password_changes_nothing(api: Api) -> None:
    officer = api.login(OFFICER)
    before = api.event_count()
    wrong = api.post(
        "/auth/password",
        officer,
        json={"current_password": "not-my-password", "new_password": "a-brand-new-password"},
    )
    answer = assert_problem(wrong, 422, "wrong_current_password")
    assert answer["errors"][0]["loc"] == ["current_password"]
    assert api.event_count() == before
    assert works(api, officer) == HELD


def test_a_sign_out_ends_every_token_of_the_account(api: Api) -> None:
    officer = api.login(OFFICER)
    signed_out = api.post("/auth/sign-out", officer)
    assert signed_out.status_code == 200, signed_out.text
    assert works(api, officer) == 401
    assert [e["type"] for e in stream(api, OFFICER)][-1] == "SignedOut"


def test_disabled_accounts_cannot_sign_in_until_enabled(
    api: Api, admin: dict[str, str], clock: FakeClock
) -> None:
    officer = api.login(OFFICER)
    account = account_id_for(OFFICER)
    disabled = api.post(
        f"/admin/accounts/{account}/disable", admin, json={"reason": "left the department"}
    )
    assert disabled.status_code == 200, disabled.text
    assert works(api, officer) == 401
    assert_problem(sign_in(api, OFFICER, totp_code=api.code(OFFICER)), 403, "account_disabled")
    again = api.post(f"/admin/accounts/{account}/disable", admin, json={"reason": "twice"})
    assert_problem(again, 403, "account_disabled")
    enabled = api.post(f"/admin/accounts/{account}/enable", admin, json={"reason": "came back"})
    assert enabled.status_code == 200, enabled.text
    clock.advance(STEP)
    assert sign_in(api, OFFICER, totp_code=api.code(OFFICER)).status_code == 200
    kinds = [(e["type"], e["payload"].get("reason")) for e in stream(api, OFFICER)]
    assert ("AccountDisabled", "left the department") in kinds
    assert ("AccountEnabled", "came back") in kinds


def test_only_administrators_manage_accounts(api: Api, admin: dict[str, str]) -> None:
    account = account_id_for("officer@health")
    path = f"/admin/accounts/{account}/disable"
    assert_problem(api.post(path, api.login(OFFICER), json={"reason": "x"}), 403, "forbidden")
    assert_problem(api.client.post(path, json={"reason": "x"}), 401, "unauthenticated")
    own = api.post(f"/admin/accounts/{account_id_for(ADMIN)}/disable", admin, json={"reason": "x"})
    assert_problem(own, 403, "own_account")
    missing = api.post(
        f"/admin/accounts/{account_id_for('nobody@works')}/enable", admin, json={"reason": "x"}
    )
    assert_problem(missing, 404, "account_not_found")


def test_a_password_reset_code_works_once_and_not_late(
    api: Api, admin: dict[str, str], clock: FakeClock
) -> None:
    officer = api.login(OFFICER)
    issued = api.post(f"/admin/accounts/{account_id_for(OFFICER)}/password-reset", admin)
    assert issued.status_code == 200, issued.text
    code = issued.json()["code"]
    assert works(api, officer) == 401  # a reset ends the sessions at once
    body = {"username": OFFICER, "code": code, "new_password": "reset-password-1"}
    wrong = api.client.post("/auth/password-reset", json={**body, "code": "not-the-code"})
    assert_problem(wrong, 401, "invalid_reset_code")
    done = api.client.post("/auth/password-reset", json=body)
    assert done.status_code == 200, done.text
    again = api.client.post("/auth/password-reset", json={**body, "new_password": "x" * 12})
    assert_problem(again, 401, "invalid_reset_code")
    api.forget(OFFICER)
    assert works(api, api.login(OFFICER, "reset-password-1")) == HELD

    late = api.post(f"/admin/accounts/{account_id_for(OFFICER)}/password-reset", admin)
    clock.advance(timedelta(hours=25))
    expired = {"username": OFFICER, "code": late.json()["code"], "new_password": "y" * 12}
    assert_problem(api.client.post("/auth/password-reset", json=expired), 401, "invalid_reset_code")
    issued_events = [e for e in stream(api, OFFICER) if e["type"] == "PasswordResetIssued"]
    assert all(e["payload"]["code_hash"] == "[redacted]" for e in issued_events)
    assert code not in str(stream(api, OFFICER))


def test_another_process_ends_the_session_within_seconds(
    api: Api, settings: Settings, clock: FakeClock
) -> None:
    """The sign-out is written by one API process; another, which has the account's epoch
    in its cache, refuses the token once the cache's ~2 s have passed."""
    officer = api.login(OFFICER)
    with TestClient(create_app(settings, clock=clock), raise_server_exceptions=False) as other:
        assert other.get(f"/tenders/{UUID(int=1)}", headers=officer).status_code == HELD  # cached
        assert api.post("/auth/sign-out", officer).status_code == 200
        clock.advance(TTL)
        assert_problem(other.get(f"/tenders/{UUID(int=1)}", headers=officer), 401, "session_ended")


# The second factor ---------------------------------------------------------------------------


def test_an_officer_without_a_second_factor_gets_no_token_only_an_enrolment(
    api: Api, application: ProcurementApplication, clock: FakeClock
) -> None:
    application.register_account(
        system_actor("test"),
        username="new@works",
        password=PASSWORD,
        role=Role.OFFICER,
        entity="wsd",
    )
    answer = assert_problem(sign_in(api, "new@works"), 403, "second_factor_enrolment_required")
    assert "access_token" not in answer
    enrolment = {"Authorization": f"Bearer {answer['enrolment_token']}"}
    assert_problem(
        api.client.get(f"/tenders/{UUID(int=1)}", headers=enrolment), 403, answer["code"]
    )
    offer = api.post("/auth/second-factor", enrolment).json()
    assert offer["otpauth_uri"].startswith("otpauth://totp/")
    wrong = api.post("/auth/second-factor/confirm", enrolment, json={"code": "000000"})
    assert_problem(wrong, 401, "invalid_second_factor")
    code = code_at(offer["secret"], clock.now())
    confirmed = api.post("/auth/second-factor/confirm", enrolment, json={"code": code})
    assert confirmed.status_code == 200, confirmed.text
    full = {"Authorization": f"Bearer {confirmed.json()['access_token']}"}
    assert works(api, full) == HELD
    assert works(api, enrolment) == 401  # the enrolment ended the password-only session
    events = stream(api, "new@works")
    started = next(e for e in events if e["type"] == "SecondFactorEnrolmentStarted")
    assert started["payload"]["encrypted_secret"] == "[redacted]"
    assert offer["secret"] not in str(events)
    state = api.client.get(
        f"/audit/streams/{account_id_for('new@works')}/state", headers=api.login("auditor@sindh")
    ).json()["state"]
    assert state["totp_secret"] == state["recovery_code_hashes"] == "[redacted]"


def test_codes_are_needed_and_work_once_within_one_step_either_side(
    api: Api, clock: FakeClock
) -> None:
    secret = api.secrets[OFFICER]
    assert_problem(sign_in(api, OFFICER), 401, "second_factor_required")
    assert_problem(sign_in(api, OFFICER, totp_code="123456"), 401, "invalid_second_factor")
    clock.advance(STEP * 4)
    stale = code_at(secret, clock.now() - STEP * 2)
    early = code_at(secret, clock.now() + STEP * 2)
    for code in (stale, early):
        assert_problem(sign_in(api, OFFICER, totp_code=code), 401, "invalid_second_factor")
    previous = code_at(secret, clock.now() - STEP)  # an authenticator a little slow: accepted
    assert sign_in(api, OFFICER, totp_code=previous).status_code == 200
    now = code_at(secret, clock.now())
    assert sign_in(api, OFFICER, totp_code=now).status_code == 200
    reused = assert_problem(sign_in(api, OFFICER, totp_code=now), 401, "invalid_second_factor")
    assert "used already" in reused["detail"]
    older = assert_problem(sign_in(api, OFFICER, totp_code=previous), 401, "invalid_second_factor")
    assert "used already" in older["detail"]


def test_one_code_given_to_two_processes_at_once_signs_in_once(
    api: Api, settings: Settings, clock: FakeClock
) -> None:
    """The step is claimed by one row write: of simultaneous sign-ins, across processes,
    with the same code, one gets a token."""
    clock.advance(STEP)
    code = code_at(api.secrets[OFFICER], clock.now())
    apps = [ProcurementApplication.from_settings(settings, clock) for _ in range(4)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(apps))

    def attempt(application: ProcurementApplication) -> None:
        barrier.wait()
        try:
            application.authenticate(OFFICER, PASSWORD, totp_code=code)
            outcomes.append("token")
        except InvalidSecondFactorError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for app in apps:
        app.close()
    assert sorted(outcomes) == ["refused", "refused", "refused", "token"]


@pytest.fixture
def recovery_codes(api: Api, clock: FakeClock) -> list[str]:
    """An officer enrolled through the API, with its recovery codes."""
    officer = api.login(OFFICER)
    offer = api.post("/auth/second-factor", officer).json()
    clock.advance(STEP)
    code = code_at(offer["secret"], clock.now())
    confirmed = api.post("/auth/second-factor/confirm", officer, json={"code": code})
    assert confirmed.status_code == 200, confirmed.text
    api.forget(OFFICER)
    api.secrets[OFFICER] = offer["secret"]
    api.last_steps[OFFICER] = step_of(clock.now())
    codes: list[str] = confirmed.json()["recovery_codes"]
    return codes


def test_recovery_codes_work_once(api: Api, recovery_codes: list[str]) -> None:
    first, second = recovery_codes[:2]
    assert len(set(recovery_codes)) == 10
    assert sign_in(api, OFFICER, recovery_code=first.upper()).status_code == 200
    assert_problem(sign_in(api, OFFICER, recovery_code=first), 401, "invalid_second_factor")
    assert sign_in(api, OFFICER, recovery_code=second.replace("-", "")).status_code == 200
    used = [e for e in stream(api, OFFICER) if e["type"] == "RecoveryCodeUsed"]
    assert len(used) == 2
    assert all(e["payload"]["code_hash"] == "[redacted]" for e in used)


def test_an_administrator_removes_a_lost_second_factor(
    api: Api, admin: dict[str, str], clock: FakeClock
) -> None:
    officer = api.login(OFFICER)
    path = f"/admin/accounts/{account_id_for(OFFICER)}/second-factor-removal"
    assert api.post(path, admin, json={"reason": "phone lost"}).status_code == 200
    assert works(api, officer) == 401
    assert_problem(sign_in(api, OFFICER), 403, "second_factor_enrolment_required")
    assert_problem(api.post(path, admin, json={"reason": "again"}), 409, "no_second_factor")


def test_vendors_may_enrol_and_then_need_the_code(api: Api, clock: FakeClock) -> None:
    vendor = api.register_vendor("indus")
    offer = api.post("/auth/second-factor", vendor).json()
    code = code_at(offer["secret"], clock.now())
    assert api.post("/auth/second-factor/confirm", vendor, json={"code": code}).status_code == 200
    assert_problem(sign_in(api, "indus"), 401, "second_factor_required")
    clock.advance(STEP)
    answer = sign_in(api, "indus", totp_code=code_at(offer["secret"], clock.now()))
    assert answer.status_code == 200


# Usernames -----------------------------------------------------------------------------------


def registration(username: str) -> dict[str, str]:
    return {
        "username": username,
        "password": PASSWORD,
        "legal_name": "Impostor (Pvt) Ltd",
        "ntn": "1234567-8",
        "contact_email": "x@example.com",
    }


def test_no_staff_username_can_be_probed_by_registering_it(
    api: Api, application: ProcurementApplication
) -> None:
    taken = api.client.post("/vendors/register", json=registration(OFFICER))
    free = api.client.post("/vendors/register", json=registration("nobody@works"))
    assert taken.status_code == free.status_code == 422
    assert taken.json()["errors"] == free.json()["errors"]
    with pytest.raises(InvalidUsernameError, match="staff username has an @"):
        application.register_account(
            system_actor("test"),
            username="plain.officer",
            password=PASSWORD,
            role=Role.OFFICER,
            entity="e",
        )
