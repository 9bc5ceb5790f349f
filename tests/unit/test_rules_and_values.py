"""Rules as data, and the value objects' own checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.account import Account, VendorProfile, account_id_for
from domain.errors import InvalidTermsError
from domain.rules import PROFILE_NAMES, UnknownProfileError, rules_for
from domain.values import Method, Money, Role, Scope, Timeline
from tests.support import START, officer, terms


@pytest.mark.parametrize("profile", PROFILE_NAMES)
@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("scope", list(Scope))
def test_every_rule_value_names_its_source_and_whether_it_was_checked(
    profile: str, method: Method, scope: Scope
) -> None:
    rules = rules_for(profile, method, scope)
    assert rules.citations
    for citation in rules.citations.values():
        assert citation.source
        assert citation.verified is False  # nobody has checked them against the text yet
        assert citation.note


def test_sppra_periods_are_days_and_relaxed_are_seconds() -> None:
    sppra = rules_for("sppra", Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.NATIONAL)
    relaxed = rules_for("relaxed", Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.NATIONAL)
    assert sppra.min_bidding_period == timedelta(days=15)
    assert relaxed.min_bidding_period == timedelta(seconds=15)
    international = rules_for("sppra", Method.SINGLE_STAGE_ONE_ENVELOPE, Scope.INTERNATIONAL)
    assert international.min_bidding_period == timedelta(days=30)


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(UnknownProfileError):
        rules_for("lenient", Method.TWO_STAGE, Scope.NATIONAL)


@pytest.mark.parametrize("amount", ["-1", "1.001", "NaN", "Infinity"])
def test_money_refuses_negative_fractional_cents_and_non_numbers(amount: str) -> None:
    with pytest.raises(ValidationError):
        Money(amount=Decimal(amount))


def test_a_timeline_must_be_ordered_and_aware() -> None:
    with pytest.raises(ValidationError):
        Timeline(
            clarification_deadline=START + timedelta(days=2),
            submission_deadline=START + timedelta(days=1),
            opening_time=START + timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        Timeline(
            clarification_deadline=START.replace(tzinfo=None),
            submission_deadline=START + timedelta(days=1),
            opening_time=START + timedelta(days=1),
        )


def test_terms_refuse_duplicate_lots_and_mixed_currencies() -> None:
    base = terms(START)
    with pytest.raises(ValidationError):
        type(base).model_validate({**base.model_dump(), "lots": [*base.lots, base.lots[0]]})
    with pytest.raises(ValidationError):
        type(base).model_validate(
            {**base.model_dump(), "estimated_value": {"amount": "1.00", "currency": "USD"}}
        )


def test_account_ids_come_from_the_normalised_username() -> None:
    assert account_id_for(" Officer.Works ") == account_id_for("officer.works")
    assert account_id_for("a") != account_id_for("b")


@pytest.mark.parametrize(
    ("role", "entity", "vendor"),
    [
        (Role.OFFICER, None, None),
        (Role.AUDITOR, "wsd", None),
        (Role.VENDOR, None, None),
        (Role.SYSTEM, None, None),
    ],
)
def test_an_account_role_must_fit_its_details(
    role: Role, entity: str | None, vendor: VendorProfile | None
) -> None:
    with pytest.raises(InvalidTermsError):
        Account(
            username="someone",
            role=role,
            entity=entity,
            vendor=vendor,
            password_hash="x",
            actor=officer(),
            timestamp=START,
        )


@pytest.mark.parametrize("username", ["", "  ", "ab", "has space", "x" * 65, "ümlaut"])
def test_a_username_is_plain_and_long_enough(username: str) -> None:
    with pytest.raises(InvalidTermsError):
        Account(
            username=username,
            role=Role.AUDITOR,
            entity=None,
            vendor=None,
            password_hash="x",
            actor=officer(),
            timestamp=START,
        )
