"""Complaints, grievance committees and debarments made with the domain's aggregates and saved
through the real application: what the commands will record, for the read models' tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from domain.award import Remedy
from domain.debarment import Debarment
from domain.errors import GrievanceCommitteeNotFoundError
from domain.evaluation.values import Member
from domain.grievance import ComplaintStage, GrievanceCommittee, TenderComplaints
from domain.rules import GrievanceRules, grievance_rules
from domain.values import Actor, Role
from procurement.commands.application import ProcurementApplication
from tests.support import FakeClock

RULES = grievance_rules("sppra")


def staff(role: Role, entity: str | None = None) -> Actor:
    return Actor(account_id=uuid4(), role=role, request_id=uuid4().hex, entity=entity)


def saved(application: ProcurementApplication, *aggregates: object) -> int:
    """Save through the application, as a command does; the position reached."""
    return application._save(*aggregates).position  # type: ignore[arg-type]


@dataclass
class Grievances:
    """One tender's complaint file, its entity's committee, and the actors deciding."""

    application: ProcurementApplication
    clock: FakeClock
    tender_id: UUID
    entity: str
    rules: GrievanceRules = RULES
    members: list[Member] = field(default_factory=list)
    regulator: Actor = field(default_factory=lambda: staff(Role.REGULATOR))
    file: TenderComplaints | None = None
    position: int = 0

    def name_committee(self, *names: str) -> GrievanceCommittee:
        self.members = [
            Member(account_id=uuid4(), name=name, chair=n == 0) for n, name in enumerate(names)
        ]
        actor = staff(Role.OFFICER, self.entity)
        try:  # named already (the API tests' ``committee`` fixture names one): anew
            committee = self.application.grievance_committee(self.entity)
        except GrievanceCommitteeNotFoundError:
            committee = GrievanceCommittee(
                entity=self.entity,
                members=self.members,
                min_size=self.rules.committee_min_size,
                actor=actor,
                timestamp=self.clock.now(),
            )
        else:
            committee.reconstitute(
                members=self.members,
                min_size=self.rules.committee_min_size,
                actor=actor,
                timestamp=self.clock.now(),
            )
        self.position = saved(self.application, committee)
        return committee

    @property
    def chair(self) -> Actor:
        return Actor(
            account_id=self.members[0].account_id,
            role=Role.OFFICER,
            request_id=uuid4().hex,
            entity=self.entity,
        )

    def _file(self) -> TenderComplaints:
        if self.file is None:  # the tender's file, if complaints were lodged through the API
            self.file = self.application._complaints_of(self.tender_id)
        if self.file is None:
            self.file = TenderComplaints(
                tender_id=self.tender_id,
                entity=self.entity,
                rules=self.rules,
                timestamp=self.clock.now(),
            )
        return self.file

    def _save(self) -> int:
        self.position = saved(self.application, self._file())
        return self.position

    def lodge(self, stage: ComplaintStage, vendor: Actor, award_id: UUID | None = None) -> UUID:
        complaint_id = uuid4()
        self._file().lodge(
            complaint_id=complaint_id,
            stage=stage,
            grounds="SECRET GROUNDS: the specification names one maker",
            award_id=award_id,
            report_number=None,
            actor=vendor,
            timestamp=self.clock.now(),
        )
        self._save()
        return complaint_id

    def decide(self, complaint_id: UUID, remedy: Remedy | None, reasons: str) -> int:
        self._file().decide(
            complaint_id=complaint_id,
            upheld=remedy is not None,
            remedy=remedy,
            reasons=reasons,
            panel=[m.account_id for m in self.members],
            actor=self.chair,
            timestamp=self.clock.now(),
        )
        return self._save()

    def overdue(self, complaint_id: UUID) -> int:
        self._file().mark_overdue(
            complaint_id=complaint_id, actor=staff(Role.SYSTEM), timestamp=self.clock.now()
        )
        return self._save()

    def appeal(self, complaint_id: UUID, vendor: Actor) -> int:
        self._file().appeal(
            complaint_id=complaint_id,
            grounds="SECRET APPEAL GROUNDS",
            actor=vendor,
            timestamp=self.clock.now(),
        )
        return self._save()

    def appeal_overdue(self, complaint_id: UUID) -> int:
        self._file().mark_appeal_overdue(
            complaint_id=complaint_id, actor=staff(Role.SYSTEM), timestamp=self.clock.now()
        )
        return self._save()

    def decide_appeal(self, complaint_id: UUID, remedy: Remedy | None, reasons: str) -> int:
        self._file().decide_appeal(
            complaint_id=complaint_id,
            upheld=remedy is not None,
            remedy=remedy,
            reasons=reasons,
            actor=self.regulator,
            timestamp=self.clock.now(),
        )
        return self._save()


def debar(
    application: ProcurementApplication,
    clock: FakeClock,
    vendor_id: UUID,
    vendor_name: str,
    *,
    until: datetime | None,
    grounds: str = "Forged bid security",
    record: Debarment | None = None,
) -> tuple[Debarment, UUID, int]:
    """A case opened against the vendor, answered, and decided now (debarred ``until``, or
    dismissed for None); the clock is where it was."""
    regulator = staff(Role.REGULATOR)
    if record is None:
        record = Debarment(
            vendor_id=vendor_id, vendor_name=vendor_name, rules=RULES, timestamp=clock.now()
        )
    case_id = uuid4()
    record.open_case(
        case_id=case_id,
        grounds=grounds,
        referred_by_entity=None,
        actor=regulator,
        timestamp=clock.now(),
    )
    record.answer(
        case_id=case_id,
        answer="SECRET ANSWER: the guarantee is genuine",
        actor=Actor(account_id=vendor_id, role=Role.VENDOR, request_id="answer"),
        timestamp=clock.now(),
    )
    record.decide(
        case_id=case_id,
        debarred_until=until,
        reasons=f"Decided: {grounds}",
        actor=regulator,
        timestamp=clock.now(),
    )
    return record, case_id, saved(application, record)


def open_case(
    application: ProcurementApplication,
    clock: FakeClock,
    record: Debarment,
    entity: str | None = None,
) -> tuple[UUID, int]:
    """A case in hearing: not public."""
    case_id = uuid4()
    record.open_case(
        case_id=case_id,
        grounds="IN HEARING: late delivery",
        referred_by_entity=entity,
        actor=staff(Role.OFFICER, entity) if entity else staff(Role.REGULATOR),
        timestamp=clock.now(),
    )
    return case_id, saved(application, record)


def later(clock: FakeClock, period: timedelta) -> None:
    clock.set(clock.now() + period)
