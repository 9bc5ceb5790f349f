"""A framework agreement's call-offs: ``FrameworkCallOffs``, one per framework tender (its id
derived from the tender's). See docs/frameworks.md.

A framework is a tender whose notice carries ``FrameworkTerms``: it is evaluated as any
tender, awarded to up to its most suppliers in rank order, and each supplier's signed
contract is its framework agreement. Then the entity calls off:

- a **direct order** to one supplier, placed here (``DirectOrderPlaced``): its own
  contracting process (its own OCDS ocid), linked to the framework;
- a **mini-competition** among the suppliers: a tender of its own, open only to them; its
  award is recorded here (``MiniCompetitionAwarded``) in the award's transaction.

Every call-off falls within the framework's period and keeps the sum of the call-offs within
its ceiling: the guards of both events, which read only this aggregate (so they re-run on
replay). Who the suppliers are (the signed agreements) is the application's check.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import (
    FrameworkPeriodTooLongError,
    InvalidTermsError,
    NotAFrameworkError,
    OutsideFrameworkPeriodError,
    OverFrameworkCeilingError,
    ReasonRequiredError,
)
from domain.fields import Description, Reason, Title
from domain.rules import FrameworkRules
from domain.text import says_nothing
from domain.values import Actor, FrameworkPeriod, FrameworkTerms, Money, TenderTerms, ValueObject

FRAMEWORK_NAMESPACE = uuid5(NAMESPACE_URL, "urn:sindh-procurement:framework")


def call_offs_id_for(framework_id: UUID) -> UUID:
    return uuid5(FRAMEWORK_NAMESPACE, f"call-offs:{framework_id}")


def framework_terms(terms: TenderTerms) -> FrameworkTerms:
    """The tender's framework terms; refused if it is not a framework agreement."""
    if terms.framework is None:
        raise NotAFrameworkError("the tender is not a framework agreement")
    return terms.framework


def check_framework_period(terms: TenderTerms, rules: FrameworkRules) -> None:
    """A framework's period runs no longer than its rules allow (checked when publishing)."""
    framework = terms.framework
    if framework is None:
        return
    if framework.period.end - framework.period.start > rules.max_period:
        raise FrameworkPeriodTooLongError(
            f"a framework agreement runs at most {rules.max_period.days} days"
        )


class CallOff(ValueObject):
    """One call-off: a direct order (its own id) or a mini-competition's award (``id`` its
    tender's)."""

    id: UUID
    kind: str  # "direct_order" or "mini_competition"
    vendor_id: UUID
    supplier_name: str
    value: Money
    at: datetime
    reason: str = ""  # a direct order's, published; a mini-competition competes instead


class FrameworkCallOffs(Aggregate):
    """A framework agreement's call-offs, within its period and ceiling."""

    TOPIC = "procurement:FrameworkCallOffs"

    class Created(Aggregate.Created):
        TOPIC = "procurement:FrameworkCallOffs.Created"

    class Opened(Aggregate.Created):
        TOPIC = "procurement:FrameworkCallOffs.Opened"
        framework_id: UUID
        entity: str
        title: str
        period: FrameworkPeriod
        ceiling: Money
        actor: Actor

    class DirectOrderPlaced(Aggregate.Event):
        """A direct order: a contracting process of its own (its id ``call_off_id``),
        public, carrying what its release needs."""

        TOPIC = "procurement:FrameworkCallOffs.DirectOrderPlaced"
        call_off_id: UUID
        framework_id: UUID
        entity: str
        category: str  # the framework's
        title: str
        description: str
        agreement_id: UUID  # the supplier's framework award (its contract the agreement)
        vendor_id: UUID
        supplier_name: str
        value: Money
        reason: str  # why this supplier is ordered from directly: published
        actor: Actor

    class MiniCompetitionAwarded(Aggregate.Event):
        TOPIC = "procurement:FrameworkCallOffs.MiniCompetitionAwarded"
        framework_id: UUID
        call_off_id: UUID  # the mini-competition's tender
        award_id: UUID
        vendor_id: UUID
        supplier_name: str
        value: Money
        actor: Actor

    @staticmethod
    def create_id(framework_id: UUID, **_: object) -> UUID:
        return call_offs_id_for(framework_id)

    @event(Opened)
    def __init__(
        self,
        *,
        framework_id: UUID,
        entity: str,
        title: str,
        period: FrameworkPeriod,
        ceiling: Money,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        self.framework_id = framework_id
        self.entity = entity
        self.title = title
        self.period = period
        self.ceiling = ceiling
        self.call_offs: dict[UUID, CallOff] = {}

    @property
    def used(self) -> Money:
        """The sum of the call-offs' values."""
        total = sum((c.value.amount for c in self.call_offs.values()), Decimal(0))
        return Money(amount=total, currency=self.ceiling.currency)

    def check_call_off(self, call_off_id: UUID, value: Money, at: datetime) -> None:
        """Within the period, within the ceiling, once."""
        if call_off_id in self.call_offs:
            raise InvalidTermsError("this call-off is recorded already")
        if not self.period.start <= at <= self.period.end:
            raise OutsideFrameworkPeriodError(
                f"the framework's period is {self.period.start.isoformat()} to "
                f"{self.period.end.isoformat()}"
            )
        if value.currency != self.ceiling.currency or value.amount <= 0:
            raise InvalidTermsError(f"a call-off's value is more than 0 {self.ceiling.currency}")
        if self.used.amount + value.amount > self.ceiling.amount:
            left = self.ceiling.amount - self.used.amount
            raise OverFrameworkCeilingError(
                f"the framework's ceiling is {self.ceiling.amount} {self.ceiling.currency}; "
                f"{left} is left"
            )

    @event(DirectOrderPlaced)
    def place_direct_order(
        self,
        *,
        call_off_id: UUID,
        framework_id: UUID,
        entity: str,
        category: str,
        title: Title,
        description: Description,
        agreement_id: UUID,
        vendor_id: UUID,
        supplier_name: str,
        value: Money,
        reason: Reason,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        if framework_id != self.framework_id or entity != self.entity:
            raise InvalidTermsError("a direct order names its own framework")
        if says_nothing(reason):
            raise ReasonRequiredError(
                "a direct order gives its reason (published): no competition chose it"
            )
        self.check_call_off(call_off_id, value, timestamp)
        self.call_offs[call_off_id] = CallOff(
            id=call_off_id,
            kind="direct_order",
            vendor_id=vendor_id,
            supplier_name=supplier_name,
            value=value,
            at=timestamp,
            reason=reason,
        )

    @event(MiniCompetitionAwarded)
    def record_mini_competition(
        self,
        *,
        framework_id: UUID,
        call_off_id: UUID,
        award_id: UUID,
        vendor_id: UUID,
        supplier_name: str,
        value: Money,
        actor: Actor,
        timestamp: datetime,
    ) -> None:
        if framework_id != self.framework_id:
            raise InvalidTermsError("a mini-competition names its own framework")
        # Keyed by the award: a mini-competition awarded again after a cancellation is a
        # second entry (the cancelled award still counts: docs/frameworks.md).
        self.check_call_off(award_id, value, timestamp)
        self.call_offs[award_id] = CallOff(
            id=call_off_id,
            kind="mini_competition",
            vendor_id=vendor_id,
            supplier_name=supplier_name,
            value=value,
            at=timestamp,
        )
