"""Procurement rules as data, each value with its source.

Two profiles:

- ``sppra``: our reading of the Sindh Public Procurement Rules, 2010 (as amended), for a
  real deployment. The rules' gazetted text was not available where these values were
  written, so every value says ``verified=False`` until someone checks it against the text;
  ``docs/rules.md`` lists them for that review.
- ``relaxed``: the same shape with seconds instead of days, for demos and tests.

A tender records the rule values it was published under (they are part of the
``TenderPublished`` event), so a later change to this table never rewrites history.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from domain.values import (
    DirectContractingCase,
    Method,
    Money,
    NoticeLanguage,
    Scope,
    ValueObject,
)

SPP_RULES = "Sindh Public Procurement Rules, 2010 (as amended)"
OPENING_GRACE = timedelta(minutes=1)
"""The bids open no sooner than this after the deadline: a bid accepted a moment before the
deadline is still being committed for at most this long (requests time out well within it),
and the opening must see it. It is the rules' least opening delay in every profile, so a
notice's opening time is always a time the bids can be opened."""


class Citation(ValueObject):
    source: str
    verified: bool = False
    note: str = ""


class MethodRules(ValueObject):
    """The rule values that apply to one tender: its profile, method and scope."""

    profile: str
    method: Method
    scope: Scope
    min_bidding_period: timedelta
    min_clarification_gap: timedelta
    min_opening_delay: timedelta
    max_opening_delay: timedelta
    bid_security_max_percent: Annotated[Decimal, Field(ge=0, le=100)]
    bid_validity_max_days: int
    late_amendment_window: timedelta
    late_amendment_min_extension: timedelta
    standstill_period: timedelta
    complaint_period: timedelta
    max_estimated_value: Money | None = None
    min_committee_size: int = 3
    # English only by default: the rule values of tenders published before this rule was
    # recorded, which were published in English alone.
    notice_languages: tuple[NoticeLanguage, ...] = ("en",)
    citations: dict[str, Citation] = Field(default_factory=dict)
    # None: no minimum (every method but a request for quotations, and the RFQs published
    # before this rule was recorded).
    min_quotations: int | None = None
    # The cases a direct-contracting tender may cite (empty for the other methods).
    direct_contracting_cases: tuple[DirectContractingCase, ...] = ()
    # A two-stage method's stage two: the method its priced bids are taken under (one
    # envelope, or technical and financial). None: the tender is not stage one.
    stage_two_method: Method | None = None


DIRECT_CONTRACTING_CASES: dict[DirectContractingCase, str] = {
    DirectContractingCase.PROPRIETARY_SPARES: (
        "spare parts or supplementary services of proprietary or standardised equipment, "
        "from the original manufacturer or its agent"
    ),
    DirectContractingCase.SINGLE_SOURCE: "only one supplier has the goods, works or services",
    DirectContractingCase.COMPATIBILITY: (
        "a particular supplier, for compatibility with equipment or services in use"
    ),
    DirectContractingCase.EXTENSION_BY_SAME_CONTRACTOR: (
        "an extension of work in progress, cheaper and better done by the same contractor"
    ),
    DirectContractingCase.GOVERNMENT_FIXED_PRICE: "a price fixed by the government",
    DirectContractingCase.EMERGENCY: "an emergency (reasons recorded)",
    DirectContractingCase.LOCALLY_MANUFACTURED_VEHICLES: "locally manufactured vehicles",
}
"""Each case of direct contracting in the rules' words (our summary): what a notice cites."""


class _Profile(ValueObject):
    name: str
    unit: timedelta  # one "day" of the profile: a day under sppra, a second under relaxed


def _citations() -> dict[str, Citation]:
    def cite(note: str) -> Citation:
        return Citation(source=SPP_RULES, verified=False, note=note)

    return {
        "min_bidding_period": cite(
            "response time: 15 days for national, 30 for international competitive bidding; "
            "7 days for a request for quotations; direct contracting has no advertised period"
        ),
        "min_clarification_gap": cite("clarification requests close 5 days before bids are due"),
        "opening_delay": cite(
            "bids are opened in public within one hour of the deadline; the platform opens "
            "them no sooner than one minute after it, once every bid accepted at the "
            "deadline is committed"
        ),
        "bid_security_max_percent": cite("bid security shall not exceed 5% of estimated cost"),
        "bid_validity_max_days": cite("bid validity shall not exceed 90 days"),
        "late_amendment": cite(
            "an addendum issued in the last 5 days of the response time extends it by 5 days"
        ),
        "standstill_period": cite("evaluation report announced 7 days before the award"),
        "complaint_period": cite("complaints lodged within 10 days of the announcement"),
        "max_estimated_value": cite("requests for quotations only up to PKR 2,500,000"),
        "min_committee_size": cite(
            "a procurement committee of an odd number of members, at least three; one "
            "member may evaluate quotations and direct contracting"
        ),
        "min_quotations": cite(
            "a request for quotations obtains at least three quotations (sppr-facts row 26, "
            "a secondary summary); fewer only with a reason recorded and published"
        ),
        "direct_contracting_cases": cite(
            "direct contracting only in the listed cases: proprietary or standardised "
            "spares; single source; compatibility; extension by the same contractor; a "
            "government-fixed price; emergency; locally manufactured vehicles (sppr-facts "
            "row 28, a secondary summary; the rule's number was not read)"
        ),
        "two_stage": cite(
            "two-stage bidding: stage one takes technical proposals without prices, the "
            "agency discusses them with each bidder and revises the specifications; stage two "
            "invites priced bids from the bidders qualified in stage one, in one envelope or "
            "(two-stage two-envelope) technical and financial envelopes (sppr-facts row 21: "
            "R46 sets out the open-bidding procedures; that two-stage and two-stage "
            "two-envelope are among them was not read)"
        ),
        "notice_languages": cite(
            "notices inviting tenders by open competitive bidding are advertised in "
            "newspapers in English, Urdu and Sindhi (as well as on the Authority's website); "
            "requests for quotations and direct contracting are not advertised so"
        ),
    }


_MIN_PERIOD_DAYS: dict[tuple[Method, Scope], int] = {
    **{(m, Scope.NATIONAL): 15 for m in Method},
    **{(m, Scope.INTERNATIONAL): 30 for m in Method},
    (Method.REQUEST_FOR_QUOTATIONS, Scope.NATIONAL): 7,
    (Method.REQUEST_FOR_QUOTATIONS, Scope.INTERNATIONAL): 7,
    (Method.DIRECT_CONTRACTING, Scope.NATIONAL): 1,
    (Method.DIRECT_CONTRACTING, Scope.INTERNATIONAL): 1,
}

_OPEN_COMPETITIVE = frozenset(
    {
        Method.SINGLE_STAGE_ONE_ENVELOPE,
        Method.SINGLE_STAGE_TWO_ENVELOPE,
        Method.TWO_STAGE,
        Method.TWO_STAGE_ONE_ENVELOPE,
        Method.TWO_STAGE_TWO_ENVELOPE,
    }
)
STAGE_TWO_METHOD: dict[Method, Method] = {
    Method.TWO_STAGE_ONE_ENVELOPE: Method.SINGLE_STAGE_ONE_ENVELOPE,
    Method.TWO_STAGE_TWO_ENVELOPE: Method.SINGLE_STAGE_TWO_ENVELOPE,
}
"""Each two-stage method's stage two: a tender of the single-stage method with the same
envelopes, that follows stage one (``related``, ``prior``) and invites its qualified."""
_ALL_LANGUAGES: tuple[NoticeLanguage, ...] = ("en", "ur", "sd")
_ENGLISH: tuple[NoticeLanguage, ...] = ("en",)

_PROFILES = {
    "sppra": _Profile(name="sppra", unit=timedelta(days=1)),
    "relaxed": _Profile(name="relaxed", unit=timedelta(seconds=1)),
}

PROFILE_NAMES = tuple(_PROFILES)


class UnknownProfileError(ValueError):
    pass


def rules_for(profile_name: str, method: Method, scope: Scope) -> MethodRules:
    """The rule values for a tender of this method and scope under the named profile."""
    try:
        profile = _PROFILES[profile_name]
    except KeyError:
        msg = f"unknown rule profile {profile_name!r}; known: {', '.join(PROFILE_NAMES)}"
        raise UnknownProfileError(msg) from None
    day = profile.unit
    rfq_ceiling = (
        Money(amount=Decimal("2500000.00"), currency="PKR")
        if method is Method.REQUEST_FOR_QUOTATIONS
        else None
    )
    return MethodRules(
        profile=profile.name,
        method=method,
        scope=scope,
        min_bidding_period=_MIN_PERIOD_DAYS[method, scope] * day,
        min_clarification_gap=(0 if method is Method.DIRECT_CONTRACTING else 5) * day,
        min_opening_delay=OPENING_GRACE,
        # One hour in both profiles: a demo needs the same window an officer has.
        max_opening_delay=timedelta(hours=1),
        bid_security_max_percent=Decimal(5),
        bid_validity_max_days=90,
        late_amendment_window=5 * day,
        late_amendment_min_extension=5 * day,
        standstill_period=7 * day,
        complaint_period=10 * day,
        max_estimated_value=rfq_ceiling,
        min_committee_size=1
        if method in {Method.REQUEST_FOR_QUOTATIONS, Method.DIRECT_CONTRACTING}
        else 3,
        notice_languages=_ALL_LANGUAGES if method in _OPEN_COMPETITIVE else _ENGLISH,
        citations=_citations(),
        min_quotations=3 if method is Method.REQUEST_FOR_QUOTATIONS else None,
        direct_contracting_cases=tuple(DIRECT_CONTRACTING_CASES)
        if method is Method.DIRECT_CONTRACTING
        else (),
        stage_two_method=STAGE_TWO_METHOD.get(method),
    )


class GrievanceRules(ValueObject):
    """The periods of complaints, appeals and debarment under one profile. A complaint file
    records the values it was opened under (``TenderComplaints.Opened``), as a tender records
    its ``MethodRules``."""

    profile: str
    report_complaint_period: timedelta
    """A complaint about an evaluation report: within this of the report's publication."""
    decision_period: timedelta
    """The grievance committee decides within this of the complaint."""
    appeal_period: timedelta
    """An appeal to the regulator: within this of the decision (or of its being overdue)."""
    appeal_decision_period: timedelta
    committee_min_size: int
    hearing_period: timedelta
    """A vendor answers a debarment case within this of its opening."""
    max_debarment: timedelta
    citations: dict[str, Citation] = Field(default_factory=dict)


def _grievance_citations() -> dict[str, Citation]:
    def cite(rule: str, note: str) -> Citation:
        return Citation(source=f"{SPP_RULES}, {rule}", verified=False, note=note)

    return {
        "stages": cite(
            "rules 31-32",
            "a bidder may complain about the notice and bidding documents until bids are "
            "due (anyone who intends to bid, rule 2(1)(f)), about an evaluation report, and "
            "about the award; the stages and the holds are the platform's reading",
        ),
        "report_complaint_period": cite(
            "rule 31", "a complaint within 10 days of the evaluation report (recalled, not read)"
        ),
        "decision_period": cite(
            "rule 31", "the complaint redressal committee decides within 7 days (recalled)"
        ),
        "committee": cite(
            "rule 31",
            "each procuring agency notifies a complaint redressal committee, an odd number "
            "of members (practice); none of them evaluates the tender it decides",
        ),
        "appeal_period": cite(
            "rule 32",
            "appeals from the committee go to the Authority's review committee; its decisions "
            "are posted on the Authority's website (32(11)); the periods were not read: 10 "
            "days to appeal and 30 to decide are placeholders",
        ),
        "debarment": cite(
            "rule 2(1)(i)",
            "blacklisting bars or debars a bidder from future procurement; the procedure, "
            "hearing and period were not read: 15 days to answer and at most 3 years are "
            "placeholders; the entity refers, the Authority decides",
        ),
    }


def grievance_rules(profile_name: str) -> GrievanceRules:
    """The complaint, appeal and debarment periods under the named profile."""
    try:
        profile = _PROFILES[profile_name]
    except KeyError:
        msg = f"unknown rule profile {profile_name!r}; known: {', '.join(PROFILE_NAMES)}"
        raise UnknownProfileError(msg) from None
    day = profile.unit
    return GrievanceRules(
        profile=profile.name,
        report_complaint_period=10 * day,
        decision_period=7 * day,
        appeal_period=10 * day,
        appeal_decision_period=30 * day,
        committee_min_size=3,
        hearing_period=15 * day,
        max_debarment=3 * 365 * day,
        citations=_grievance_citations(),
    )


def human_period(period: timedelta) -> str:
    """A rule's period as its refusals spell it: "7 days", "1 hour", "90 seconds"."""
    seconds = int(period.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


class SecurityRules(ValueObject):
    """Bid securities' release and the performance security's cap under one profile. A
    tender's securities file records the values it was opened under
    (``TenderSecurities.Opened``), as a tender records its ``MethodRules``."""

    profile: str
    release_period: timedelta
    """An unsuccessful bidder's security is released within this of the contract's signing
    or of the end of its bid's validity."""
    performance_security_max_percent: Annotated[Decimal, Field(ge=0, le=100)]
    """Of the contract's value."""
    citations: dict[str, Citation] = Field(default_factory=dict)


def _security_citations() -> dict[str, Citation]:
    return {
        "release_period": Citation(
            source=f"{SPP_RULES}, amendment notified 4 October 2024 (new sub-rule (6))",
            verified=True,
            note=(
                "unsuccessful bidders' securities are returned within 7 days of the contract's "
                "signing or of the end of bid validity (sppr-facts.md row 16, source A24: "
                "the value was read in the notification)"
            ),
        ),
        "performance_security_max_percent": Citation(
            source=f"{SPP_RULES}, rule 39",
            verified=False,
            note="performance security at most 10% of the contract value (sppr-facts row 30)",
        ),
    }


def security_rules(profile_name: str) -> SecurityRules:
    """The securities' release period and performance security cap under the named profile."""
    try:
        profile = _PROFILES[profile_name]
    except KeyError:
        msg = f"unknown rule profile {profile_name!r}; known: {', '.join(PROFILE_NAMES)}"
        raise UnknownProfileError(msg) from None
    return SecurityRules(
        profile=profile.name,
        release_period=7 * profile.unit,
        performance_security_max_percent=Decimal(10),
        citations=_security_citations(),
    )


class PlanningRules(ValueObject):
    """The annual plan's rule and the red flag of a procurement split to stay under a
    method's threshold. Not periods of a tender's procedure but what the public reads of an
    entity's record: the same in every profile."""

    splitting_window: timedelta
    """Tenders published within this of one another count together."""
    splitting_band_percent: Annotated[Decimal, Field(gt=0, le=100)]
    """"Just under" a threshold: at most the threshold, and no more than this percent below
    it."""
    splitting_min_tenders: int
    """How many such tenders of one entity and category make the flag."""
    thresholds: dict[Method, Money]
    """Each method's value ceiling (``MethodRules.max_estimated_value``)."""
    citations: dict[str, Citation] = Field(default_factory=dict)


def planning_rules() -> PlanningRules:
    thresholds = {
        method: ceiling
        for method in Method
        if (ceiling := rules_for("sppra", method, Scope.NATIONAL).max_estimated_value) is not None
    }
    return PlanningRules(
        splitting_window=timedelta(days=90),
        splitting_band_percent=Decimal(20),
        splitting_min_tenders=2,
        thresholds=thresholds,
        citations={
            "annual_plan": Citation(
                source=f"{SPP_RULES}, rule 11 (number not seen)",
                note=(
                    "a procuring agency plans its procurements for the year (or a longer "
                    "rolling period) within its resources, naming each one's method "
                    "(sppr-facts row 5, a secondary summary); the plan travels with the "
                    "notices the Authority posts (row 6, practice). The platform asks a "
                    "reason of a tender outside a published plan, and flags it"
                ),
            ),
            "splitting": Citation(
                source=f"{SPP_RULES}, rule 12 (number not seen)",
                note=(
                    "splitting or regrouping a procurement to avoid a threshold is "
                    "prohibited (sppr-facts row 7, recalled, no source reached). The flag's "
                    "window (90 days), band (within 20% under the ceiling) and count (two "
                    "tenders) are the platform's own, for auditors to look, not a finding"
                ),
            ),
        },
    )


class FrameworkRules(ValueObject):
    """A framework agreement's limits (docs/frameworks.md): the same in every profile (its
    period is the notice's dates, not a procedure's days)."""

    max_period: timedelta
    """The longest a framework agreement's period may run."""
    citations: dict[str, Citation] = Field(default_factory=dict)


def framework_rules() -> FrameworkRules:
    return FrameworkRules(
        max_period=timedelta(days=3 * 365),
        citations={
            "max_period": Citation(
                source=SPP_RULES,
                verified=False,
                note=(
                    "no framework-agreement provision was read: sppr-facts.md has no row on "
                    "frameworks (its nearest, row 29, limits a repeat order to 15% of the "
                    "original within the financial year). Three years is the platform's "
                    "placeholder, to be checked against the gazetted text"
                ),
            ),
        },
    )
