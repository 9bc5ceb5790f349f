"""``procurement seal`` and ``verify-receipt``: a vendor's tools, run against a public server."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import ValidationError

from api.cli.console import console
from domain.account import account_id_for
from domain.bid import Attachment, BidContents, envelopes_for
from domain.documents import MAX_DOCUMENT_BYTES
from domain.sealing import HPKE_SUITE, SealingKey, SealingKeySet
from domain.values import Method
from procurement.crypto import hpke as sealing
from procurement.crypto import receipts
from procurement.crypto.sealed_documents import new_key
from procurement.store.documents import CHUNK_SIZE, Binding, seal_file

_LOOPBACK = ("http://127.0.0.1", "http://localhost", "http://[::1]")


def _fetch_json(url: str) -> Any:
    # Over plain http anyone on the way could hand over their own key and read the bid:
    # https, or a platform on this very machine.
    if not url.startswith(("https://", *_LOOPBACK)):
        console.print("--api takes an https URL (http only to this machine)")
        raise typer.Exit(2)
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 (scheme checked)
        return json.load(answer)


def seal(  # noqa: PLR0917 (one parameter per command-line option)
    tender: Annotated[UUID, typer.Option(help="The tender's id.")],
    bid_file: Annotated[Path, typer.Option("--in", help="The bid in plain JSON.")],
    username: Annotated[str, typer.Option(help="Your vendor username (bound into the seal).")],
    notice: Annotated[
        Path | None, typer.Option(help="The tender's public notice, saved as JSON.")
    ] = None,
    api: Annotated[str | None, typer.Option(help="Or the platform's URL to fetch it.")] = None,
    document: Annotated[
        list[Path] | None,
        typer.Option(help="A document of the bid (repeat for each): sealed into FILE.sealed."),
    ] = None,
) -> None:
    """Seal a bid on your own machine; print the body to POST to /tenders/{id}/bids.

    The plain bid never leaves this machine: only the envelopes are printed, and each
    document is sealed into FILE.sealed, to upload before the bid
    (POST /tenders/{id}/bids/documents?sealed=true&file_name=NAME).
    """
    if (notice is None) == (api is None):
        console.print("give either --notice FILE or --api URL")
        raise typer.Exit(2)
    public = (
        _read_notice(notice)
        if notice is not None
        else _fetch_json(f"{str(api).rstrip('/')}/public/tenders/{tender}")
    )
    if not isinstance(public, dict) or public.get("id") != str(tender):
        console.print("the notice is not this tender's")
        raise typer.Exit(2)
    try:
        contents = BidContents.model_validate_json(bid_file.read_text())
    except ValidationError as error:  # where and what, never the values (they are the bid)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        console.print(f"the bid is not valid: {problems}")
        raise typer.Exit(2) from None
    keys, method = _sealing_of(public)
    vendor = account_id_for(username)
    binding = (tender, vendor, envelopes_for(method)[0])
    attachments = tuple(_sealed_document(path, binding) for path in document or ())
    contents = contents.model_copy(update={"attachments": contents.attachments + attachments})
    sealed = sealing.seal_parts(keys, tender, vendor, contents.split(method))
    body = {
        "envelopes": [{"name": e.name.value, "ciphertext": e.ciphertext} for e in sealed.envelopes]
    }
    typer.echo(json.dumps(body, indent=2))
    for envelope in sealed.envelopes:
        console.print(f"{envelope.name.value}: commitment {envelope.commitment}")
    console.print(f"sealed for vendor {username} ({account_id_for(username)}) on tender {tender}")


def _sealed_document(path: Path, binding: Binding) -> Attachment:
    """``path`` sealed into ``path.sealed`` under a fresh key; what the envelope names. A
    file the platform would refuse exits 2 here, with nothing written."""
    try:
        size = path.stat().st_size
    except OSError as error:
        console.print(f"--document: {path} cannot be read ({error})", markup=False)
        raise typer.Exit(2) from None
    if not 0 < size <= MAX_DOCUMENT_BYTES:
        console.print(f"--document: {path} is empty or over {MAX_DOCUMENT_BYTES:,} bytes")
        raise typer.Exit(2)
    key = new_key()
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    try:
        blob = seal_file(path, key, binding, path.parent)
        attachment = Attachment(
            name=path.name,
            blob=blob.file.sha256,
            sha256=digest.hexdigest(),
            size=size,
            key=base64.b64encode(key).decode(),
        )
    except ValidationError as error:  # the name: where and what
        blob.path.unlink(missing_ok=True)
        what = "; ".join(e["msg"] for e in error.errors(include_input=False, include_url=False))
        console.print(f"--document: {path.name!r} cannot be a document's name ({what})")
        raise typer.Exit(2) from None
    target = path.with_name(path.name + ".sealed")
    blob.path.replace(target)
    console.print(f"{path.name}: sealed into {target} (commitment {blob.file.sha256})")
    return attachment


def _read_notice(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError included
        console.print(f"--notice: {path} is not a notice's JSON ({error})", markup=False)
        raise typer.Exit(2) from None


def _sealing_of(public: dict[str, Any]) -> tuple[SealingKeySet, Method]:
    """The notice's sealing keys and method, or exit 2 saying the notice is not one."""
    try:
        unknown = {k["suite"] for k in public["sealing"]} - {HPKE_SUITE}
        if unknown:
            what = f"the notice asks for a suite this tool does not seal with: {unknown}"
            console.print(what, markup=False)
            raise typer.Exit(2)
        keys = SealingKeySet(
            keys=tuple(
                SealingKey(
                    envelope=k["envelope"],
                    suite=k["suite"],
                    public_key=k["public_key"],
                    wrapped_private_key="",
                    kek_id="",
                )
                for k in public["sealing"]
            )
        )
        return keys, Method(public["method"])
    except (KeyError, TypeError, ValueError) as error:  # pydantic's ValidationError included
        what = f"the notice's sealing keys or method are not readable ({error!r})"
        console.print(what[:300], markup=False)
        raise typer.Exit(2) from None


def verify_receipt(
    receipt_file: Annotated[Path, typer.Argument(help="The receipt JSON.")],
    public_key: Annotated[
        str | None, typer.Option(help="The platform's receipt key (base64).")
    ] = None,
    api: Annotated[str | None, typer.Option(help="Or the platform's URL to fetch it.")] = None,
) -> None:
    """Check a bid receipt's signature offline (or with the key fetched from --api)."""
    if (public_key is None) == (api is None):
        console.print("give either --public-key KEY or --api URL")
        raise typer.Exit(2)
    key = (
        public_key
        or _fetch_json(f"{str(api).rstrip('/')}/public/keys")["receipt_signing_key"]["public_key"]
    )
    try:  # each field named once: a repeated one could show one value and verify another
        document = receipts.loads(receipt_file.read_text())
    except ValueError as error:
        console.print(f"INVALID: not a receipt's JSON ({error})")
        raise typer.Exit(1) from None
    receipt = document.get("receipt", document) if isinstance(document, dict) else document
    gaps = receipts.bid_receipt_gaps(receipt)
    if gaps:  # such as a ledger checkpoint, which the same key signs
        console.print(f"INVALID: not a bid receipt (no valid {', '.join(gaps)})")
        raise typer.Exit(1)
    if not receipts.verify_bid_receipt(key, receipt):
        console.print("INVALID: the receipt was not signed by this key, or it was changed")
        raise typer.Exit(1)
    console.print(
        f"valid: {receipt['kind']} bid {receipt['bid_id']} at {receipt['received_at']}, "
        f"position {receipt['position']}"
    )
