"""An entity's annual procurement plans: its officers draft the lines, its head publishes
the plan and amends it, each amendment with its reason (``domain/plan.py``)."""

from __future__ import annotations

from domain.errors import PlanNotFoundError
from domain.plan import AmendmentKind, PlanLine, ProcurementPlan
from domain.values import Actor, Role
from procurement.store.application_base import ProcurementStore, WriteResult


class PlanCommands(ProcurementStore):
    """A procuring entity's plans (mixed into ``ProcurementApplication``)."""

    def draft_plan_line(self, actor: Actor, fiscal_year: str, line: PlanLine) -> WriteResult:
        """Add a line to the year's draft plan (opened by its first line), or replace one."""
        entity = self._plan_entity(actor)
        now = self._now()
        plan = self._plan_of(entity, fiscal_year)
        if plan is None:
            plan = ProcurementPlan(
                entity=entity, fiscal_year=fiscal_year, actor=actor, timestamp=now
            )
        plan.draft_line(line=line, actor=actor, timestamp=now)
        return self._save(plan)

    def remove_plan_line(self, actor: Actor, fiscal_year: str, line_id: str) -> WriteResult:
        plan = self.entity_plan(actor, fiscal_year)
        plan.remove_line(line_id=line_id, actor=actor, timestamp=self._now())
        return self._save(plan)

    def publish_plan(self, actor: Actor, fiscal_year: str) -> WriteResult:
        """The head publishes the draft's lines."""
        self._check_head(actor)
        plan = self.entity_plan(actor, fiscal_year)
        plan.publish(
            fiscal_year=plan.fiscal_year,
            lines=list(plan.lines.values()),
            actor=actor,
            timestamp=self._now(),
        )
        return self._save(plan)

    def amend_plan(
        self,
        actor: Actor,
        fiscal_year: str,
        *,
        kind: AmendmentKind,
        line_id: str,
        line: PlanLine | None,
        reason: str,
    ) -> WriteResult:
        """The head adds, changes or withdraws a line of the published plan, with a reason."""
        self._check_head(actor)
        plan = self.entity_plan(actor, fiscal_year)
        plan.amend(
            number=len(plan.amendments) + 1,
            kind=kind,
            line_id=line_id,
            line=line,
            reason=reason,
            actor=actor,
            timestamp=self._now(),
        )
        return self._save(plan)

    def entity_plan(self, actor: Actor, fiscal_year: str) -> ProcurementPlan:
        """The officer's entity's plan for the year, draft or published."""
        entity = self._plan_entity(actor)
        plan = self._plan_of(entity, fiscal_year)
        if plan is None:
            raise PlanNotFoundError(f"{entity} has no plan for {fiscal_year}")
        return plan

    @staticmethod
    def _plan_entity(actor: Actor) -> str:
        if actor.role is not Role.OFFICER or not actor.entity:
            raise PlanNotFoundError("an entity's plans are its officers'")
        return actor.entity
