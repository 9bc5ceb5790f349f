"""A framework agreement in the public read model (docs/frameworks.md): its terms and its
call-offs, with their suppliers and values, in the framework's ``public_tenders.framework``
column. Statements only, run by ``public_tenders.py``'s view."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from domain.framework import FrameworkCallOffs
from domain.tender import Tender

Statement = tuple[str, dict[str, Any]]

SET_TERMS = "UPDATE public_tenders SET framework = %(framework)s WHERE tender_id = %(id)s"
ADD_CALL_OFF = (
    "UPDATE public_tenders SET framework = jsonb_set(framework, '{call_offs}', "
    "framework->'call_offs' || %(call_off)s) WHERE tender_id = %(id)s"
)


def published(event: Tender.TenderPublished) -> list[Statement]:
    """A framework's terms, with no call-off yet; nothing for any other tender."""
    framework = event.notice.framework
    if framework is None:
        return []
    terms = framework.model_dump(mode="json") | {"call_offs": []}
    return [(SET_TERMS, {"id": event.originator_id, "framework": Jsonb(terms)})]


def direct_order(event: FrameworkCallOffs.DirectOrderPlaced) -> list[Statement]:
    return [
        _call_off(
            event.framework_id,
            {
                "kind": "direct_order",
                "id": str(event.call_off_id),
                "tender_id": None,
                "title": event.title,
                "supplier_name": event.supplier_name,
                "value": event.value.model_dump(mode="json"),
                "at": event.timestamp.isoformat(),
                "reason": event.reason,
            },
        )
    ]


def mini_competition(event: FrameworkCallOffs.MiniCompetitionAwarded) -> list[Statement]:
    return [
        _call_off(
            event.framework_id,
            {
                "kind": "mini_competition",
                "id": str(event.award_id),
                "tender_id": str(event.call_off_id),
                "title": None,
                "supplier_name": event.supplier_name,
                "value": event.value.model_dump(mode="json"),
                "at": event.timestamp.isoformat(),
                "reason": None,
            },
        )
    ]


def _call_off(framework_id: Any, call_off: dict[str, Any]) -> Statement:
    return (ADD_CALL_OFF, {"id": framework_id, "call_off": Jsonb([call_off])})
