"""A framework agreement in OCDS 1.1.5 (docs/frameworks.md). Core 1.1.5 has no field saying a
process is a framework (``tender.techniques`` is an extension of 1.2), so the framework's
notice says it in ``tender.procurementMethodDetails`` and gives its period as
``tender.contractPeriod``. Each direct order is a contracting process of its own (its own
ocid): one release with its tender, award and contract, and ``relatedProcesses`` naming the
framework's ocid with the codelist's ``framework`` relationship. A mini-competition is a
tender of its own, linked the same way by its notice."""

from __future__ import annotations

from typing import Any

from domain.framework import FrameworkCallOffs
from domain.values import FrameworkTerms
from projections.ocds.release_builder import Context, State, _time, _value, entity_name

DIRECT_ORDER_CRITERIA = (
    "Ordered directly, without competition, from a supplier holding a signed agreement of the "
    "framework, within the framework's period and ceiling; the order's value is the entity's, "
    "not checked against the prices of the supplier's agreement"
)
"""What the platform checked of a direct order, and what it did not."""


def framework_details(framework: FrameworkTerms) -> str:
    """The framework's terms, in words, after the method's details."""
    period = framework.period
    suppliers = (
        "one supplier"
        if framework.max_suppliers == 1
        else (f"up to {framework.max_suppliers} suppliers")
    )
    return (
        f"Framework agreement with {suppliers}; call-offs by direct order or "
        f"mini-competition from {_time(period.start)} to {_time(period.end)}, "
        f"within a ceiling of {framework.ceiling.amount} {framework.ceiling.currency}"
    )


def framework_tender(framework: FrameworkTerms | None, details: str) -> dict[str, Any]:
    """A framework notice's tender fields: its details and its period."""
    if framework is None:
        return {}
    return {
        "procurementMethodDetails": f"{details}. {framework_details(framework)}",
        "contractPeriod": {
            "startDate": _time(framework.period.start),
            "endDate": _time(framework.period.end),
        },
    }


def related_framework(context: Context, framework_id: Any, title: str) -> list[dict[str, Any]]:
    """A call-off's link to its framework's process."""
    return [
        {
            "id": "1",
            "relationship": ["framework"],
            "title": title,
            "scheme": "ocid",
            "identifier": context.ocid(framework_id),
        }
    ]


def direct_order(event: FrameworkCallOffs.DirectOrderPlaced, state: State, context: Context) -> str:
    """A direct order's whole process, in its one release."""
    entity = event.entity
    placed = _time(event.timestamp)
    supplier = {"id": str(event.vendor_id), "name": event.supplier_name}
    value = _value(event.value)
    order = str(event.call_off_id)
    state.update(
        {
            "ocid": context.ocid(event.call_off_id),
            "parties": [
                {"id": entity, "name": entity_name(entity), "roles": ["buyer", "procuringEntity"]},
                supplier | {"roles": ["supplier"]},
            ],
            "buyer": {"id": entity, "name": entity_name(entity)},
            "relatedProcesses": related_framework(context, event.framework_id, "Framework"),
            "tender": {
                "id": order,
                "title": event.title,
                "description": event.description or event.title,
                "status": "complete",
                "procuringEntity": {"id": entity, "name": entity_name(entity)},
                "value": value,
                "procurementMethod": "limited",
                "procurementMethodDetails": "Call-off by direct order under a framework agreement",
                "procurementMethodRationale": (
                    f"{event.reason} (ordered from a supplier of framework "
                    f"{event.framework_id}, whose agreement is award {event.agreement_id})"
                ),
                "mainProcurementCategory": event.category,
                "awardCriteria": "priceOnly",
                "awardCriteriaDetails": DIRECT_ORDER_CRITERIA,
                "datePublished": placed,
                "documents": [],
            },
            "awards": [
                {
                    "id": order,
                    "title": f"Direct order to {event.supplier_name}",
                    "status": "active",
                    "date": placed,
                    "value": value,
                    "suppliers": [supplier],
                    "documents": [],
                }
            ],
            "contracts": [
                {
                    "id": f"contract-{order}",
                    "awardID": order,
                    "title": event.title,
                    "status": "active",
                    "dateSigned": placed,
                    "value": value,
                }
            ],
        }
    )
    return "contract"
