"""An entity's annual procurement plans: its officers draft the lines, its head publishes
the plan and amends it, each amendment with its reason (``domain/plan.py``)."""

from __future__ import annotations

from datetime import datetime

from domain.errors import PlanNotFoundError, PlanYearEndedError
from domain.plan import AmendmentKind, PlanLine, ProcurementPlan, fiscal_year_of
from domain.values import Actor, Role, is_fiscal_year
from procurement.store.application_base import ProcurementStore, WriteResult


class PlanCommands(ProcurementStore):
    """A procuring entity's plans (mixed into ``ProcurementApplication``)."""

    def draft_plan_line(self, actor: Actor, fiscal_year: str, line: PlanLine) -> WriteResult:
        """Add a line to the year's draft plan (opened by its first line), or replace one."""
        entity = self._plan_entity(actor)
        now = self._now()
        _check_year_not_over(fiscal_year, now)
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
        now = self._now()
        _check_year_not_over(plan.fiscal_year, now)
        lines = list(plan.lines.values())
        plan.publish(fiscal_year=plan.fiscal_year, lines=lines, actor=actor, timestamp=now)
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
        now = self._now()
        _check_year_not_over(plan.fiscal_year, now)
        plan.amend(
            number=len(plan.amendments) + 1,
            kind=kind,
            line_id=line_id,
            line=line,
            reason=reason,
            actor=actor,
            timestamp=now,
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


def _check_year_not_over(fiscal_year: str, now: datetime) -> None:
    """Refuse to write a plan of a fiscal year already over (409 ``plan_year_ended``): a
    plan published after its year would turn a purchase made without one into a planned
    one. An application check, so plans written before it replay. A year not written as
    one ("2026-27") is the plan's own refusal, not this one."""
    if is_fiscal_year(fiscal_year) and fiscal_year < fiscal_year_of(now):
        raise PlanYearEndedError(
            f"the fiscal year {fiscal_year} is over (it is {fiscal_year_of(now)} now): its plan "
            "is no longer drafted, published or amended"
        )
