"""Debarment cases: opened by the regulator or referred by an entity's head, answered by the
vendor, decided by the regulator.

The rules' blacklisting procedure was not read (docs/rules.md): the platform lets the head of a
procuring entity refer a vendor with grounds and leaves the decision, which bars the vendor
from every entity's tenders, to the regulator, after the vendor's hearing.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.account import Account
from domain.debarment import Debarment, debarment_id_for
from domain.errors import (
    AccountNotFoundError,
    DebarmentCaseNotFoundError,
    ForbiddenError,
    NotEntityHeadError,
)
from domain.rules import grievance_rules
from domain.values import Actor, Role
from procurement.store.application_base import ProcurementStore, WriteResult


class DebarmentCommands(ProcurementStore):
    """A vendor's debarment record (mixed into ``ProcurementApplication``)."""

    def open_debarment_case(
        self,
        actor: Actor,
        vendor_id: UUID,
        grounds: str,
        idempotency_key: str | None = None,
    ) -> WriteResult:
        referred_by = self._check_may_open(actor)
        vendor = self._vendor(vendor_id)
        case_id = self._new_id(actor, idempotency_key)
        now = self._now()
        try:
            record = self._load(Debarment, debarment_id_for(vendor_id))
        except DebarmentCaseNotFoundError:
            record = Debarment(
                vendor_id=vendor_id,
                vendor_name=vendor.vendor.legal_name if vendor.vendor else vendor.username,
                rules=grievance_rules(self.rule_profile),
                timestamp=now,
            )
        if case_id in record.cases:  # this key's case, opened by an attempt without answer
            return WriteResult(
                case_id, record.version, self._position_of(record.id, record.version)
            )
        record.open_case(
            case_id=case_id,
            grounds=grounds,
            referred_by_entity=referred_by,
            actor=actor,
            timestamp=now,
        )
        result = self._save(record)
        return WriteResult(id=case_id, version=result.version, position=result.position)

    def answer_debarment_case(self, actor: Actor, case_id: UUID, answer: str) -> WriteResult:
        """The vendor's written answer: its hearing."""
        if actor.role is not Role.VENDOR:
            raise ForbiddenError("the vendor answers its own case")
        record = self._load(Debarment, debarment_id_for(actor.account_id))
        record.answer(case_id=case_id, answer=answer, actor=actor, timestamp=self._now())
        return self._save(record)

    def decide_debarment_case(
        self,
        actor: Actor,
        vendor_id: UUID,
        case_id: UUID,
        *,
        debarred_until: datetime | None,
        reasons: str,
    ) -> WriteResult:
        if actor.role is not Role.REGULATOR:
            raise ForbiddenError("debarment is decided by the regulator")
        record = self._load(Debarment, debarment_id_for(vendor_id))
        record.decide(
            case_id=case_id,
            debarred_until=debarred_until,
            reasons=reasons,
            actor=actor,
            timestamp=self._now(),
        )
        return self._save(record)

    def debarment_record(self, actor: Actor, vendor_id: UUID) -> Debarment:
        """A vendor's record: for the regulator, for officers (who refer and award: the API
        shows them only decided cases, without the vendor's answer), and for the vendor."""
        if actor.role is Role.VENDOR and actor.account_id != vendor_id:
            raise DebarmentCaseNotFoundError(f"no debarment record for {vendor_id}")
        if actor.role not in {Role.VENDOR, Role.OFFICER, Role.REGULATOR}:
            raise ForbiddenError("debarment records are for the regulator, officers and the vendor")
        return self._load(Debarment, debarment_id_for(vendor_id))

    def _check_may_open(self, actor: Actor) -> str | None:
        """The regulator opens a case; an entity's head refers one (its entity returned)."""
        if actor.role is Role.REGULATOR:
            return None
        if actor.role is Role.OFFICER and actor.entity:
            account = self._load(Account, actor.account_id)
            if account.head_of_entity and account.entity == actor.entity:
                return actor.entity
        raise NotEntityHeadError(
            "a case is opened by the regulator or referred by an entity's head"
        )

    def _vendor(self, vendor_id: UUID) -> Account:
        try:
            account = self._load(Account, vendor_id)
        except AccountNotFoundError:
            raise AccountNotFoundError(f"no vendor {vendor_id}") from None
        if account.role is not Role.VENDOR:
            raise AccountNotFoundError(f"no vendor {vendor_id}")
        return account
