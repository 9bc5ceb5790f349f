"""The shared field limits (``domain/fields.py``): each alias carries its limit and its text
rule, so a value object and a request body that use it refuse the same values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.fields import (
    Amount,
    CurrencyCode,
    Description,
    Reference,
    ShortId,
    Title,
    ValidityDays,
)


@pytest.mark.parametrize(
    ("alias", "accepted", "refused"),
    [
        (Reference, "R" * 64, "R" * 65),
        (ShortId, "1", ""),
        (Title, "T" * 300, "a\nb"),  # single line
        (Description, "a\nb\tc", "D" * 20001),  # multi-line, up to 20000
        (ValidityDays, 365, 366),
        (CurrencyCode, "PKR", "pkr"),
        (Amount, Decimal("999999999999999.99"), Decimal("0.001")),
    ],
)
def test_each_alias_accepts_its_limit_and_refuses_beyond_it(
    alias: Any, accepted: object, refused: object
) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(alias)
    assert adapter.validate_python(accepted) == accepted
    with pytest.raises(ValidationError):
        adapter.validate_python(refused)
