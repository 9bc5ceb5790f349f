"""A bill of quantities read from a spreadsheet (XLSX, with openpyxl) into a draft's lots.

The first worksheet's first row names the columns, in any order and case: ``lot``, ``item``,
``description``, ``quantity``, ``unit``, and optionally ``lot title`` and
``classification``; every following row with an item is one item. A lot already on the
draft keeps its title and estimate; a new one takes its ``lot title`` (or "Lot <id>").

An XLSX file is a ZIP archive, and reading it expands it: before openpyxl opens it, its
entries are checked to expand to at most ``MAX_EXPANDED`` bytes in all (50 MB) and at most
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
MAX_EXPANDED = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_ROWS = 10_000
"""Items a bill of quantities may have (a lot holds at most 500)."""
REQUIRED = ("lot", "item", "description", "quantity", "unit")


def lots_from_sheet(content: bytes, current: tuple[Lot, ...]) -> tuple[Lot, ...]:
    """The lots the spreadsheet describes; ``InvalidBillOfQuantitiesError`` naming the row
    and column of the first problem (or saying the file cannot be read)."""
    _check_archive(content)
    try:
        items, titles = _rows(content)
    except InvalidBillOfQuantitiesError:
        raise
    except Exception as error:  # noqa: BLE001 (openpyxl and its XML parser raise many kinds)
        raise InvalidBillOfQuantitiesError(
            f"the spreadsheet cannot be read ({type(error).__name__})"
        ) from None
    known = {lot.id: lot for lot in current}
    try:
        return tuple(
            known[lot_id].model_copy(update={"items": tuple(lot_items)})
            if lot_id in known
            else Lot(id=lot_id, title=titles[lot_id], items=tuple(lot_items))
            for lot_id, lot_items in items.items()
        )
    except ValidationError as error:
        problem = error.errors()[0]["msg"]
        raise InvalidBillOfQuantitiesError(f"a lot is not valid: {problem}") from None


def _rows(content: bytes) -> tuple[dict[str, list[Item]], dict[str, str]]:
    """Each lot's items and title, from the first worksheet, read row by row."""
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise InvalidBillOfQuantitiesError("the spreadsheet has no worksheet")
        sheet = workbook.worksheets[0]
        # Read-only openpyxl trusts the sheet's own claim of its size: a sheet that says
        # A1:E3 but holds ten rows would lose seven. Its rows are counted as they come.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = [str(cell or "").strip().lower() for cell in next(rows, ())]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise InvalidBillOfQuantitiesError(
                f"row 1 names no column {', '.join(missing)} (it needs: {', '.join(REQUIRED)})"
            )
        column = {name: header.index(name) for name in header if name}
        items: dict[str, list[Item]] = {}
        titles: dict[str, str] = {}
        count = 0
        for number, row in enumerate(rows, start=2):
            cells = {name: row[i] if i < len(row) else None for name, i in column.items()}
            if all(cells.get(name) in {None, ""} for name in REQUIRED):
                continue
            count += 1
            if count > MAX_ROWS:
                raise InvalidBillOfQuantitiesError(
                    f"a bill of quantities has at most {MAX_ROWS:,} items"
                )
            lot_id = _text(cells["lot"])
            items.setdefault(lot_id, []).append(_item(number, cells))
            titles.setdefault(lot_id, _text(cells.get("lot title")) or f"Lot {lot_id}")
    finally:
        workbook.close()
    if not items:
        raise InvalidBillOfQuantitiesError("the spreadsheet has no items below its header row")
    return items, titles


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
