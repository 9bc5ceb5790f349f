"""The audit verifier's check of the bid openings: released keys against the published ones,
every opened (and every unreadable) bid re-decrypted and re-checked, no bid left out."""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from domain.bid import BidContents, EnvelopeName, SealedEnvelope, read_sealed_bid
from domain.errors import UnreadableBidError
from domain.text import STORED
from domain.values import Method
from procurement.audit.export import BID_ENVELOPES, OPENED, PUBLISHED, WITHDRAWN
from procurement.audit.verify_report import Report, _Event
from procurement.crypto import hpke as sealing


def _check_openings(events: list[_Event], report: Report) -> None:
    """Check that every released key is the private half of the key the tender published;
    re-decrypt every opened bid with it, and every bid marked unreadable (it must not open to
    a bid the opening accepts: ``read_sealed_bid``);
    re-check commitments and prices, and that every bid submitted on the tender before its
    opening is in its record. ``events``: the tenders' publications, the bids' envelopes and
    withdrawals and the openings, with their states."""
    latest: dict[str, dict[str, Any]] = {}  # bid id -> its latest envelope or withdrawal
    tenders: dict[str, list[str]] = {}  # tender id -> its bids (their ids as ``latest`` has)
    published: dict[str, _Publication] = {}  # tender id -> its keys and lots, as published
    for event in events:
        try:
            state = _state(event)
        except (ValueError, TypeError, AttributeError, RecursionError):  # not JSON, or not
            # the transcoder's (a "uuid_hex" that is no UUID); JSONDecodeError is a ValueError
            report.add(event.position, "the event's state is not the JSON it should be")
            continue
        try:
            if event.topic == PUBLISHED:
                _published_keys(event, state, published, report)
            elif event.topic == OPENED:
                report.openings += 1
                keys = published.get(str(UUID(event.aggregate_id)))
                _check_opening(event, state, latest, tenders, report, published=keys)
            else:
                _bid_event(event, state, latest, tenders, report)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            # A state its digest and leaf may vouch for, but not of its topic's shape: reported
            # at its position (its leaf, if it was changed, is reported there too).
            report.add(event.position, f"the event's state is not what {event.topic} holds")


def _bid_event(
    event: _Event,
    state: dict[str, Any],
    latest: dict[str, dict[str, Any]],
    tenders: dict[str, list[str]],
    report: Report,
) -> None:
    """Keep a bid's latest envelope or withdrawal, and which tender its submission names."""
    bid_id: str = event.aggregate_id
    entry = {"topic": event.topic, **state}
    if event.topic == BID_ENVELOPES[0] and bid_id not in latest:
        tender = _canonical_id(state.get("tender_id"))
        if tender is None:
            report.add(event.position, "the bid's submission names no tender")
        else:
            tenders.setdefault(tender, []).append(bid_id)
    if "vendor_id" not in entry and bid_id in latest:  # the submission names the vendor
        entry["vendor_id"] = latest[bid_id].get("vendor_id")
    latest[bid_id] = entry


def _canonical_id(value: Any) -> str | None:
    """``value`` as an id in its 8-4-4-4-12 form, or None when it is not one."""
    try:
        return str(UUID(value))
    except (TypeError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class _Publication:
    """What an opening is checked against from its tender's ``TenderPublished``."""

    keys: dict[str, str]  # envelope -> its public key (base64)
    lots: frozenset[str]  # the notice's lot ids (a bid pricing another is unreadable)
    unpriced: bool = False  # stage one of a two-stage tender: its record lists no price


def _published_keys(
    event: _Event, state: dict[str, Any], published: dict[str, _Publication], report: Report
) -> None:
    """Keep the public key of each envelope a tender was published with, and its lots."""
    tender = _canonical_id(event.aggregate_id)
    try:
        keys = {k["envelope"]: k["public_key"] for k in state["sealing_keys"]["keys"]}
        lots = frozenset(lot["id"] for lot in state["notice"]["lots"])
    except (KeyError, TypeError):
        report.add(event.position, "the tender's published sealing keys or lots are not readable")
        return
    if tender is not None:
        published[tender] = _Publication(keys, lots, _stage_one(state["notice"].get("method")))


def _stage_one(method: object) -> bool:
    """Whether the notice's method is stage one of a two-stage tender (whose opening record
    lists no price); a method this checker does not know is not."""
    try:
        return Method(str(method)).is_stage_one
    except ValueError:
        return False


def _check_opening(
    event: _Event,
    state: dict[str, Any],
    latest: dict[str, dict[str, Any]],
    tenders: dict[str, list[str]],
    report: Report,
    *,
    published: _Publication | None,
) -> None:
    position = event.position
    tender_id = UUID(event.aggregate_id)
    record = state["record"]
    _check_complete(position, record, tenders.get(str(tender_id), ()), latest, report)
    published_keys = None if published is None else published.keys
    keys = _released_keys(position, tender_id, record, published_keys, report)
    name = EnvelopeName(record["envelope"])
    for opened in record["bids"]:
        bid = latest.get(str(UUID(opened["bid_id"])))
        if opened["status"] == "withdrawn":
            if bid is None or bid["topic"] != WITHDRAWN:
                report.add(position, f"bid {opened['bid_id']} is listed withdrawn but is not")
            continue
        if bid is None or bid["topic"] == WITHDRAWN:
            report.add(position, f"bid {opened['bid_id']} is opened but has no live envelope")
            continue
        envelope = next((e for e in bid["envelopes"]["envelopes"] if e["name"] == name.value), None)
        recorded = dict(opened["commitments"]).get(name.value)
        if envelope is None or recorded != envelope["commitment"]:
            report.add(position, f"bid {opened['bid_id']}: the opened envelope is not its own")
            continue
        vendor = _vendor(position, opened, bid, report)
        report.bids_rechecked += 1
        plain = _open(keys.get(name.value), tender_id, vendor, envelope)
        if opened["status"] != "opened":  # unreadable: it must not open to a bid
            if plain is not None and _accepted(plain, published):
                report.add(
                    position,
                    f"bid {opened['bid_id']} was marked {opened['status']} "
                    "but opens with the released key",
                )
            continue
        contents = None if plain is None else _as_bid(plain)
        if contents is None:
            report.add(position, f"bid {opened['bid_id']} does not open with the released key")
            continue
        unpriced = published is not None and published.unpriced
        technical = name is EnvelopeName.TECHNICAL
        _check_contents(position, opened, contents, report, unpriced=unpriced, technical=technical)


def _check_contents(
    position: int,
    opened: dict[str, Any],
    contents: BidContents,
    report: Report,
    *,
    unpriced: bool = False,
    technical: bool = False,
) -> None:
    """The record lists the envelope's prices (none on stage one, which never publishes a
    price sealed into a proposal; a technical envelope's are listed by no opening since
    bundle discounts, and were by the earlier ones, so either is its own) and the sealed
    documents it names."""
    sealed = [p.model_dump(mode="json") for p in contents.prices]
    prices = [] if unpriced else sealed
    if opened["prices"] != prices and not (technical and opened["prices"] in ([], sealed)):
        report.add(position, f"bid {opened['bid_id']}: the published prices are not its own")
    offered = [d.model_dump(mode="json") for d in contents.discounts]
    discounts = [] if unpriced or technical else offered
    if discounts != list(opened.get("discounts") or ()):
        report.add(position, f"bid {opened['bid_id']}: the published discounts are not its own")
    named = [
        {"name": a.name, "blob": a.blob, "sha256": a.sha256, "size": a.size}
        for a in contents.attachments
    ]
    listed = [
        {key: document[key] for key in ("name", "blob", "sha256", "size")}
        for document in opened.get("attachments") or ()
    ]
    if named != listed:
        report.add(position, f"bid {opened['bid_id']}: the listed documents are not its envelope's")


def _vendor(position: int, opened: dict[str, Any], bid: dict[str, Any], report: Report) -> str:
    """The bid's vendor, as its submission names it (the opening binds the envelope to it),
    which the record must name too."""
    vendor = _canonical_id(bid.get("vendor_id"))
    if vendor is None:
        return str(opened["vendor_id"])
    if vendor != _canonical_id(opened["vendor_id"]):
        report.add(position, f"bid {opened['bid_id']}: the record names another vendor")
    return vendor


def _open(
    private_key: bytes | None, tender_id: UUID, vendor_id: str, envelope: dict[str, Any]
) -> bytes | None:
    """The envelope's plaintext, opened as the opening opens it: its commitment checked, HPKE
    with ``info`` binding the tender, the bid's vendor and the envelope. None when it does not
    open (the opening records it unreadable)."""
    if private_key is None:
        return None
    try:
        sealed = SealedEnvelope.model_validate(envelope)
        return sealing.open_envelope(private_key, tender_id, UUID(vendor_id), sealed)
    except (sealing.SealingError, ValueError, TypeError):
        return None


def _as_bid(plain: bytes) -> BidContents | None:
    """The plaintext read as a bid, as it was accepted when it was opened (an opening made
    before today's text rule may have opened text it now refuses)."""
    try:
        return BidContents.model_validate_json(plain, context=STORED)
    except ValueError:
        return None


def _accepted(plain: bytes, published: _Publication | None) -> bool:
    """Whether the opening would accept this plaintext (``read_sealed_bid``: a bid, its text,
    its prices): one sealed on the vendor's machine that it refuses is recorded unreadable."""
    if published is not None:
        lots: Collection[str] = published.lots
    else:  # the notice is not readable (reported): the bid's own lots
        contents = _as_bid(plain)
        if contents is None:
            return False
        lots = [price.lot_id for price in contents.prices]
    try:
        read_sealed_bid(plain, lots)
    except UnreadableBidError:
        return False
    return True


def _released_keys(
    position: int,
    tender_id: UUID,
    record: dict[str, Any],
    published: dict[str, str] | None,
    report: Report,
) -> dict[str, bytes]:
    """The released private keys by envelope, each checked against the key the tender was
    published with: its X25519 public half must be that envelope's published public key. A
    wrong key would make every bid unreadable, and the record could say just that."""
    if published is None:
        what = "no published sealing keys to check the released ones against"
        report.add(position, f"tender {tender_id}: {what}")
    keys: dict[str, bytes] = {}
    for released in record["keys"]:
        envelope = released["envelope"]
        try:
            private = base64.b64decode(released["private_key"])
            public = X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()
        except ValueError:  # binascii.Error included, and a key of another length
            public = None
        else:
            keys[envelope] = private
        if published is not None and (public is None or _bytes(published.get(envelope)) != public):
            report.add(
                position,
                f"tender {tender_id}: the released key of envelope {envelope} "
                "is not the one it published",
            )
    if record["envelope"] not in {released["envelope"] for released in record["keys"]}:
        report.add(
            position, f"tender {tender_id}: no key of envelope {record['envelope']} is released"
        )
    return keys


def _bytes(text: str | None) -> bytes | None:
    """The bytes of a published key's base64, or None when it is not base64."""
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def _check_complete(
    position: int,
    record: dict[str, Any],
    bids: Iterable[str],
    latest: dict[str, dict[str, Any]],
    report: Report,
) -> None:
    """Every bid submitted on the tender before its opening is in the opening's record: the
    live ones opened (or unreadable), the withdrawn ones as withdrawn (each entry is checked
    against the bid's own events in ``_check_opening``)."""
    listed = {_canonical_id(opened["bid_id"]) for opened in record["bids"]}
    for bid_id in bids:
        if _canonical_id(bid_id) not in listed:
            live = latest[bid_id]["topic"] != WITHDRAWN
            what = "was live at the opening" if live else "was withdrawn before the opening"
            report.add(position, f"bid {bid_id} {what} but is not in its record")


def _state(event: _Event) -> dict[str, Any]:
    plain: dict[str, Any] = _plain(json.loads(event.state))  # type: ignore[arg-type]
    return plain


def _plain(node: Any) -> Any:
    """The stored JSON with the transcoder's ``{"_type_", "_data_"}`` wrappers removed."""
    if isinstance(node, dict):
        if set(node) == {"_type_", "_data_"}:
            if node["_type_"] == "uuid_hex":
                return str(UUID(node["_data_"]))
            return _plain(node["_data_"])
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node
