"""Test helpers: the fake clock (the only fake allowed), and builders of valid terms."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from domain.bid import envelopes_for
from domain.documents import NoticeDocuments
from domain.rules import rules_for
from domain.sealing import SealingKey, SealingKeySet
from domain.tender import Tender
from domain.values import (
    Actor,
    BidSecurity,
    Category,
    Item,
    Lot,
    Method,
    Money,
    NoticeText,
    Role,
    Scope,
    TenderTerms,
    Timeline,
    TranslationLanguage,
)

START = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)

# The notice in Urdu and Sindhi: open competitive tenders are published in all three.
URDU_TITLE = "ضلعی سڑک کی بحالی"
SINDHI_TITLE = "ضلعي رستي جي بحالي"
TRANSLATIONS_JSON: dict[str, dict[str, str]] = {
    "ur": {"title": URDU_TITLE, "description": "حیدرآباد کے قریب 15 کلومیٹر سڑک کا کام"},
    "sd": {"title": SINDHI_TITLE, "description": "حيدرآباد ويجهو 15 ڪلوميٽر رستي جو ڪم"},
}
TRANSLATIONS: dict[TranslationLanguage, NoticeText] = {
    "ur": NoticeText(title=URDU_TITLE, description="15 کلومیٹر سڑک کا کام"),
    "sd": NoticeText(title=SINDHI_TITLE, description="15 ڪلوميٽر رستي جو ڪم"),
}


class FakeClock:
    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


def sealing_keys(terms: TenderTerms) -> SealingKeySet:
    """Key descriptions for the domain (which never does cryptography): placeholders."""
    keys = tuple(
        SealingKey(
            envelope=name,
            public_key=base64.b64encode(bytes(32)).decode(),
            wrapped_private_key=base64.b64encode(bytes(60)).decode(),
            kek_id="test",
        )
        for name in envelopes_for(terms.method)
    )
    return SealingKeySet(keys=keys)


def published_tender(actor: Actor, at: datetime = START) -> Tender:
    """A tender drafted and published at ``at`` by ``actor`` under the SPPRA rules, straight
    through the aggregate (its events pending, for the caller to save)."""
    tender = Tender(id=uuid4(), entity="wsd", terms=terms(at), actor=actor, timestamp=at)
    tender.publish(
        notice=tender.terms,
        rules=rules_for("sppra", tender.terms.method, tender.terms.scope),
        sealing_keys=sealing_keys(tender.terms),
        actor=actor,
        timestamp=at,
        documents=NoticeDocuments(items=tuple(tender.documents.values())),
    )
    return tender


def officer(entity: str = "works-and-services-department") -> Actor:
    return Actor(account_id=uuid4(), role=Role.OFFICER, request_id=uuid4().hex, entity=entity)


def vendor() -> Actor:
    return Actor(account_id=uuid4(), role=Role.VENDOR, request_id=uuid4().hex)


def timeline(now: datetime, days: int = 20) -> Timeline:
    deadline = now + timedelta(days=days)
    return Timeline(
        clarification_deadline=deadline - timedelta(days=7),
        submission_deadline=deadline,
        opening_time=deadline + timedelta(minutes=30),
    )


def terms(now: datetime, **changes: Any) -> TenderTerms:
    base = TenderTerms(
        reference="WSD/RD/2026/001",
        title="Rehabilitation of a district road",
        description="15 km of road works",
        category=Category.WORKS,
        method=Method.SINGLE_STAGE_ONE_ENVELOPE,
        scope=Scope.NATIONAL,
        estimated_value=Money(amount=Decimal("10000000.00")),
        lots=(
            Lot(
                id="1",
                title="Earthworks",
                items=(Item(id="1-1", description="Excavation", quantity=Decimal(100), unit="m3"),),
            ),
        ),
        bid_security=BidSecurity(amount=Money(amount=Decimal("200000.00"))),
        bid_validity_days=90,
        timeline=timeline(now),
        translations=TRANSLATIONS,
    )
    return base.model_copy(update=changes) if changes else base


def tender_json(now: datetime, days: int = 20, **changes: Any) -> dict[str, Any]:
    """A draft tender as an API client sends it."""
    deadline = now + timedelta(days=days)

    def at(moment: datetime) -> str:
        return moment.isoformat().replace("+00:00", "Z")

    body: dict[str, Any] = {
        "reference": "WSD/RD/2026/001",
        "title": "Rehabilitation of a district road",
        "description": "15 km of road works near Hyderabad",
        "category": "works",
        "method": "single_stage_one_envelope",
        "scope": "national",
        "estimated_value": {"amount": "10000000.00", "currency": "PKR"},
        "lots": [
            {
                "id": "1",
                "title": "Earthworks",
                "items": [
                    {"id": "1-1", "description": "Excavation", "quantity": "100", "unit": "m3"}
                ],
            }
        ],
        "bid_security": {"amount": {"amount": "200000.00", "currency": "PKR"}},
        "bid_validity_days": 90,
        "timeline": {
            "clarification_deadline": at(deadline - timedelta(days=7)),
            "submission_deadline": at(deadline),
            "opening_time": at(deadline + timedelta(minutes=30)),
        },
        "translations": TRANSLATIONS_JSON,
    }
    body.update(changes)
    return body
