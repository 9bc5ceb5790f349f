"""A bill of quantities read from a spreadsheet (XLSX, with openpyxl) into a draft's lots.

The first worksheet's first row names the columns, in any order and case: ``lot``, ``item``,
``description``, ``quantity``, ``unit``, and optionally ``lot title`` and
``classification``; every following row with an item is one item. A lot already on the
draft keeps its title and estimate; a new one takes its ``lot title`` (or "Lot <id>").

An XLSX file is a ZIP archive, and reading it expands it: before openpyxl opens it, its
entries are checked to expand to at most ``MAX_EXPANDED`` bytes in all and at most
``MAX_RATIO`` times their compressed size (a decompression bomb is refused, not read).
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError

from domain.errors import InvalidBillOfQuantitiesError
from domain.values import Item, Lot

MAX_SHEET_BYTES = 10 * 1024 * 1024
MAX_EXPANDED = 100 * 1024 * 1024
MAX_RATIO = 100
REQUIRED = ("lot", "item", "description", "quantity", "unit")


def lots_from_sheet(content: bytes, current: tuple[Lot, ...]) -> tuple[Lot, ...]:
    """The lots the spreadsheet describes; ``InvalidBillOfQuantitiesError`` naming the row
    and column of the first problem."""
    _check_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 (openpyxl raises many kinds on a bad file)
        raise InvalidBillOfQuantitiesError(f"the spreadsheet cannot be read ({error})") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(cell or "").strip().lower() for cell in next(rows, ())]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise InvalidBillOfQuantitiesError(
                f"row 1 names no column {', '.join(missing)} (it needs: {', '.join(REQUIRED)})"
            )
        column = {name: header.index(name) for name in header if name}
        items: dict[str, list[Item]] = {}
        titles: dict[str, str] = {}
        for number, row in enumerate(rows, start=2):
            cells = {
                name: row[index] if index < len(row) else None for name, index in column.items()
            }
            if all(cells.get(name) in {None, ""} for name in REQUIRED):
                continue
            lot_id = _text(cells["lot"])
            items.setdefault(lot_id, []).append(_item(number, cells))
            titles.setdefault(lot_id, _text(cells.get("lot title")) or f"Lot {lot_id}")
    finally:
        workbook.close()
    if not items:
        raise InvalidBillOfQuantitiesError("the spreadsheet has no items below its header row")
    known = {lot.id: lot for lot in current}
    try:
        return tuple(
            known[lot_id].model_copy(update={"items": tuple(lot_items)})
            if lot_id in known
            else Lot(id=lot_id, title=titles[lot_id], items=tuple(lot_items))
            for lot_id, lot_items in items.items()
        )
    except ValidationError as error:
        raise InvalidBillOfQuantitiesError(
            f"a lot is not valid: {error.errors()[0]['msg']}"
        ) from None


def _check_archive(content: bytes) -> None:
    if len(content) > MAX_SHEET_BYTES:
        raise InvalidBillOfQuantitiesError(f"a spreadsheet is at most {MAX_SHEET_BYTES:,} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise InvalidBillOfQuantitiesError("the file is not an XLSX spreadsheet") from None
    expanded = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    if expanded > MAX_EXPANDED or expanded > MAX_RATIO * packed:
        raise InvalidBillOfQuantitiesError(
            "the spreadsheet expands to too much to read (more than "
            f"{MAX_EXPANDED:,} bytes, or {MAX_RATIO} times its size)"
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _item(number: int, cells: dict[str, Any]) -> Item:
    try:
        quantity = Decimal(_text(cells["quantity"]))
    except InvalidOperation:
        raise InvalidBillOfQuantitiesError(
            f"row {number}, column quantity: {_text(cells['quantity'])!r} is not a number"
        ) from None
    try:
        return Item(
            id=_text(cells["item"]),
            description=_text(cells["description"]),
            quantity=quantity,
            unit=_text(cells["unit"]),
            classification=_text(cells.get("classification")) or None,
        )
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise InvalidBillOfQuantitiesError(
            f"row {number}, column {where}: {problem['msg']}"
        ) from None
