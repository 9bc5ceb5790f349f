"""The bid form's lot-bundle discounts (docs/lots.md#bundle-discounts): up to
``MAX_DISCOUNTS`` rows, each the lots ticked among the tender's and a percent, read into the
API's own ``contents.discounts`` so that the platform seals them as it seals the API's (the
financial envelope of a two-envelope method).

The form's fields are ``discounts.{row}.lots`` (a checkbox per lot, the lot's id its value)
and ``discounts.{row}.percent``. A row left blank is no row; the others are checked here
first, each refusal named at its row's field in the user's language, then by the API's own
body (``BundleDiscountIn``), so the form takes exactly what the API takes, and the domain
checks the rest (a lot the bid does not price) when the bid is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from api.schemas.bids import DISCOUNT_PERCENT_PATTERN
from domain.bid import MAX_DISCOUNT_PERCENT, MAX_DISCOUNTS, DiscountPercent

PREFIX = "discounts"
ROWS = tuple(str(row) for row in range(MAX_DISCOUNTS))
SHOWN = 32
"""The most characters of a typed percent shown back: a value beyond it is refused, and only
its beginning is put back in the field."""
_PERCENT: TypeAdapter[Any] = TypeAdapter(DiscountPercent)
_RANGE = {"greater_than", "less_than_equal", "decimal_whole_digits"}
_PLACES = {"decimal_max_places", "decimal_max_digits"}


def is_discount_field(key: str) -> bool:
    return key == PREFIX or key.startswith((f"{PREFIX}.", f"{PREFIX}["))


@dataclass
class Discounts:
    """The form's discount rows: ``body`` the filled ones as the API's ``discounts`` list,
    ``row_of`` each body index's row on the form, ``values`` what to show back (the percent
    as typed, capped; each ticked lot under ``discounts.{row}.lots.{lot's index}``), and the
    refusals by field."""

    body: list[dict[str, Any]] = field(default_factory=list)
    row_of: dict[int, int] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def shown_at(self, key: str) -> str:
        """A body error's field (``discounts.0.percent``) on the form's row."""
        parts = key.split(".")
        if len(parts) > 1 and parts[0] == PREFIX and parts[1].isdigit():
            row = self.row_of.get(int(parts[1]))
            if row is not None:
                return ".".join([PREFIX, str(row), *parts[2:]])
        return key


def read_discounts(
    pairs: list[tuple[str, str]],
    lot_ids: Sequence[str],
    *,
    allowed: bool,
    t: Callable[..., str],
) -> tuple[list[tuple[str, str]], Discounts]:
    """The form without its discount fields, and its discounts read from them."""
    found = Discounts()
    rest = [(key, value) for key, value in pairs if not is_discount_field(key)]
    lots, percents = _typed(pairs, found, t)
    found.values = _shown(lots, percents, lot_ids)
    if not allowed:
        if found.errors or any(lots[row] or percents[row] for row in ROWS):
            found.errors = {PREFIX: t("This tender's notice does not allow bundle discounts.")}
        return rest, found
    seen: dict[frozenset[str], int] = {}
    for row in ROWS:
        if not (lots[row] or percents[row]):
            continue  # a blank row
        key = f"{PREFIX}.{row}.lots"
        chosen = _lots(lots[row], lot_ids, percents[row], key, found, t)
        percent = _percent(percents[row], f"{PREFIX}.{row}.percent", found, t)
        if chosen is None or percent is None:
            continue
        if frozenset(chosen) in seen:
            earlier = seen[frozenset(chosen)] + 1
            found.errors[key] = t("Discount {n} already offers this bundle of lots.", n=earlier)
            continue
        seen[frozenset(chosen)] = int(row)
        found.row_of[len(found.body)] = int(row)
        found.body.append({"lots": chosen, "percent": percent})
    return rest, found


def _typed(
    pairs: list[tuple[str, str]], found: Discounts, t: Callable[..., str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each row's ticked lots and typed percents (blank values left out); a filled field
    that is not one of the rows' is refused at ``discounts``."""
    lots: dict[str, list[str]] = {row: [] for row in ROWS}
    percents: dict[str, list[str]] = {row: [] for row in ROWS}
    for key, value in pairs:
        if not is_discount_field(key) or not value.strip():
            continue
        parts = key.split(".")
        if len(parts) == 3 and parts[1] in ROWS and parts[2] in {"lots", "percent"}:  # noqa: PLR2004
            if parts[2] == "lots":
                lots[parts[1]].append(value)  # a checkbox's value: the lot's id, as it is
            else:
                percents[parts[1]].append(value.strip())
        else:  # a field no page of ours sends: another row, another name
            found.errors[PREFIX] = t(
                "Only the form's discount rows are read: at most {count}, each lots and a percent.",
                count=MAX_DISCOUNTS,
            )
    return lots, percents


def _shown(
    lots: dict[str, list[str]], percents: dict[str, list[str]], lot_ids: Sequence[str]
) -> dict[str, str]:
    """What the form shows back: each row's percent as typed (its first ``SHOWN``
    characters), and its ticked lots, only the tender's."""
    values = {}
    for row in ROWS:
        if percents[row]:
            values[f"{PREFIX}.{row}.percent"] = percents[row][-1][:SHOWN]
        for index, lot in enumerate(lot_ids):
            if lot in lots[row]:
                values[f"{PREFIX}.{row}.lots.{index}"] = lot
    return values


def _lots(  # noqa: PLR0917 (one row's fields and where its refusal goes)
    ticked: list[str],
    lot_ids: Sequence[str],
    percents: list[str],
    key: str,
    found: Discounts,
    t: Callable[..., str],
) -> list[str] | None:
    """The row's lots in the notice's order, or None with its refusal at ``key``."""
    if any(lot not in lot_ids for lot in ticked):
        found.errors[key] = t("Choose among this tender's lots.")
        return None
    chosen = [lot for lot in lot_ids if lot in ticked]
    if len(chosen) < 2 and (chosen or percents):  # noqa: PLR2004 (a bundle's least)
        found.errors[key] = t("Tick at least two lots for a bundle discount.")
        return None
    return chosen


def _percent(typed: list[str], key: str, found: Discounts, t: Callable[..., str]) -> str | None:
    """The row's percent as typed, if the API's body takes it, or None with its refusal."""
    if len(typed) != 1:
        found.errors[key] = t("Give the discount's percent, once.")
        return None
    text = typed[0]
    refusal = t(
        "A percent more than 0 and at most {cap}, with at most two decimals (such as 7.5).",
        cap=MAX_DISCOUNT_PERCENT,
    )
    if len(text) > SHOWN:
        found.errors[key] = refusal
        return None
    if not re.fullmatch(DISCOUNT_PERCENT_PATTERN, text):  # ASCII digits only, as the API's
        if re.fullmatch(r"[0-9]+\.[0-9]{3,}", text):
            found.errors[key] = t("A discount's percent has at most two decimals.")
        elif re.fullmatch(r"[0-9]{3,}(\.[0-9]+)?", text):
            found.errors[key] = t(
                "A discount is more than 0% and at most {cap}%.", cap=MAX_DISCOUNT_PERCENT
            )
        else:
            found.errors[key] = refusal
        return None
    try:
        _PERCENT.validate_python(text)
    except ValidationError as error:
        kinds = {item["type"] for item in error.errors(include_url=False, include_input=False)}
        if kinds & _RANGE:
            found.errors[key] = t(
                "A discount is more than 0% and at most {cap}%.", cap=MAX_DISCOUNT_PERCENT
            )
        elif kinds & _PLACES:
            found.errors[key] = t("A discount's percent has at most two decimals.")
        else:
            found.errors[key] = refusal
        return None
    return text
