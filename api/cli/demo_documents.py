"""The demo's bidding documents: a small real PDF and a bill of quantities spreadsheet, made
here so that ``make run`` shows a tender with documents to download and a revised version."""

from __future__ import annotations

import io
from uuid import UUID, uuid4

from openpyxl import Workbook

from domain.documents import DocumentChange, DocumentChanges, DocumentKind
from domain.values import Actor, Lot
from procurement.commands.application import ProcurementApplication


def pdf(title: str, *lines: str) -> bytes:
    """A one-page PDF showing ``title`` and ``lines`` (ASCII), with a correct cross-reference
    table, so that any viewer opens it."""
    text = [f"BT /F1 16 Tf 56 780 Td ({_escaped(title)}) Tj ET"]
    text += [
        f"BT /F1 11 Tf 56 {750 - 18 * n} Td ({_escaped(line)}) Tj ET"
        for n, line in enumerate(lines)
    ]
    stream = "\n".join(text).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def boq(lots: tuple[Lot, ...], note: str = "") -> bytes:
    """The lots' items as a bill of quantities spreadsheet (the columns the import reads)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 (a new workbook has one sheet)
    sheet.append(["Lot", "Lot title", "Item", "Description", "Quantity", "Unit", "Note"])
    for lot in lots:
        for item in lot.items:
            sheet.append(
                [lot.id, lot.title, item.id, item.description, item.quantity, item.unit, note]
            )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def attach(
    app: ProcurementApplication,
    officer: Actor,
    tender_id: UUID,
    reference: str,
    lots: tuple[Lot, ...],
) -> UUID:
    """A draft's standard bidding document and bill of quantities; the latter's id."""
    sbd = app.stored_file(
        pdf(
            f"{reference}: Standard Bidding Document",
            "Instructions to bidders, bid data sheet, conditions of contract.",
            "Bids are submitted and opened on the e-procurement platform.",
        ),
        f"{reference.replace('/', '-')} SBD.pdf",
    )
    sheet = app.stored_file(boq(lots), f"{reference.replace('/', '-')} BOQ.xlsx")
    boq_id = uuid4()
    changes = (
        DocumentChange(
            action="add",
            document_id=uuid4(),
            kind=DocumentKind.BIDDING_DOCUMENT,
            title="Standard bidding document",
            language="en",
            file=sbd,
        ),
        DocumentChange(
            action="add",
            document_id=boq_id,
            kind=DocumentKind.BILL_OF_QUANTITIES,
            title="Bill of quantities",
            language="en",
            file=sheet,
        ),
    )
    app.change_draft_documents(officer, tender_id, DocumentChanges(items=changes), None)
    return boq_id


def revised_boq(
    app: ProcurementApplication, reference: str, boq_id: UUID, lots: tuple[Lot, ...]
) -> DocumentChanges:
    """An addendum's new version of the bill of quantities."""
    sheet = app.stored_file(
        boq(lots, note="Revised by addendum 1"), f"{reference.replace('/', '-')} BOQ rev 1.xlsx"
    )
    return DocumentChanges(
        items=(DocumentChange(action="replace", document_id=boq_id, file=sheet),)
    )
