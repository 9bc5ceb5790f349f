"""A framework agreement's direct orders, and what its officers read of its call-offs
(docs/frameworks.md). Its mini-competitions are tenders (``TenderCommands``), their awards
recorded on the framework by ``AwardCommands``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.errors import (
    FrameworkNotAwardedError,
    NotAFrameworkSupplierError,
    TenderNotFoundError,
)
from domain.framework import FrameworkCallOffs, call_offs_id_for, framework_terms
from domain.values import Actor, Money
from procurement.store.application_base import ProcurementStore, WriteResult


class FrameworkCommands(ProcurementStore):
    """Direct orders under a framework agreement (mixed into ``ProcurementApplication``)."""

    def place_direct_order(  # noqa: PLR0917 (the order's fields)
        self,
        actor: Actor,
        framework_id: UUID,
        vendor_id: UUID,
        title: str,
        description: str,
        value: Money,
        reason: str,
        *,
        idempotency_key: str | None = None,
    ) -> WriteResult:
        """Order from one of the framework's suppliers, within its period and ceiling, for
        the published ``reason``: a contracting process of its own (answered id: the
        order's)."""
        framework = self._officers_tender(actor, framework_id, None)
        framework.check_not_cancelled()
        framework_terms(framework.terms)
        suppliers, read = self._framework_suppliers(framework_id)
        agreement = suppliers.get(vendor_id)
        if agreement is None:
            raise NotAFrameworkSupplierError(
                "the vendor holds no signed agreement of this framework"
            )
        now = self._now()
        read |= self._check_not_debarred(vendor_id, now)
        call_offs = self._call_offs_of(framework, actor, now)
        order_id = self._new_id(actor, idempotency_key)
        if order_id in call_offs.call_offs:  # an earlier attempt with this key placed it
            return self._written(call_offs, order_id)
        call_offs.place_direct_order(
            call_off_id=order_id,
            framework_id=framework.id,
            entity=framework.entity,
            category=framework.terms.category.value,
            title=title,
            description=description,
            agreement_id=agreement.id,
            vendor_id=vendor_id,
            supplier_name=agreement.vendor_name,
            value=value,
            reason=reason,
            actor=actor,
            timestamp=now,
        )
        # Decided from the framework as read: a cancellation meanwhile refuses it.
        result = self._save(call_offs, unless_changed={framework.id: framework.version, **read})
        return WriteResult(id=order_id, version=result.version, position=result.position)

    def framework_for_officer(self, actor: Actor, framework_id: UUID) -> dict[str, Any]:
        """The framework's terms, suppliers and call-offs, as its entity's officers see them."""
        framework = self._officers_tender(actor, framework_id, None)
        terms = framework_terms(framework.terms)
        try:
            call_offs: FrameworkCallOffs | None = self._load(
                FrameworkCallOffs, call_offs_id_for(framework_id)
            )
        except TenderNotFoundError:
            call_offs = None
        try:
            suppliers, _ = self._framework_suppliers(framework_id)
        except FrameworkNotAwardedError:
            suppliers = {}
        listed = call_offs.call_offs.values() if call_offs else ()
        used = call_offs.used if call_offs else Money(amount=0, currency=terms.ceiling.currency)
        return {
            "id": str(framework_id),
            "terms": terms.model_dump(mode="json"),
            "suppliers": [
                {"vendor_id": str(vendor), "name": award.vendor_name, "agreement_id": str(award.id)}
                for vendor, award in sorted(suppliers.items(), key=lambda s: s[1].vendor_name)
            ],
            "call_offs": [c.model_dump(mode="json") for c in listed],
            "used": used.model_dump(mode="json"),
        }
