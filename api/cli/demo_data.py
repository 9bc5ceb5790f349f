"""A realistic demo data set: Sindh departments, their officers, vendors, and tenders in
several states (published, amended, with answered questions, cancelled, a draft), and one
tender carried through to the end six weeks ago: opened, evaluated, awarded after a dismissed
complaint, and contracted.

Passwords are generated and written to ``data_dir/demo-credentials.txt`` (owner-only),
never to the repository. Staff of the roles that sign in with a second factor are enrolled
in one, and the file gives each one's otpauth URI: add it to an authenticator app (or compute
codes with ``pyotp``) to sign in as them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from api.cli import demo_documents
from domain.account import VendorProfile, account_id_for
from domain.award import ContractPeriod
from domain.bid import BidContents, BidSecurityOffer, LotPrice
from domain.rules import rules_for
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
from procurement.commands.application import ProcurementApplication, system_actor
from procurement.crypto import second_factor


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    entity: str | None = None
    vendor: VendorProfile | None = None


ACCOUNTS = (
    DemoAccount("officer@works", Role.OFFICER, "works-and-services-department"),
    DemoAccount("officer@health", Role.OFFICER, "health-department"),
    DemoAccount("auditor@sindh", Role.AUDITOR),
    DemoAccount("admin@sindh", Role.ADMIN),
    DemoAccount("regulator@sppra", Role.REGULATOR),
    DemoAccount("head@works", Role.OFFICER, "works-and-services-department"),
    DemoAccount("grievance.chair@works", Role.OFFICER, "works-and-services-department"),
    DemoAccount("legal@works", Role.OFFICER, "works-and-services-department"),
    DemoAccount("finance@works", Role.OFFICER, "works-and-services-department"),
    DemoAccount(
        "indus.builders",
        Role.VENDOR,
        vendor=VendorProfile(
            legal_name="Indus Builders (Pvt) Ltd",
            ntn="1234567-8",
            contact_email="tenders@indusbuilders.example",
        ),
    ),
    DemoAccount("chair@works", Role.OFFICER, "works-and-services-department"),
    DemoAccount("engineer@works", Role.OFFICER, "works-and-services-department"),
    DemoAccount("accounts@works", Role.OFFICER, "works-and-services-department"),
    DemoAccount(
        "kirthar.construction",
        Role.VENDOR,
        vendor=VendorProfile(
            legal_name="Kirthar Construction Company",
            ntn="2345678-9",
            contact_email="office@kirthar.example",
        ),
    ),
    DemoAccount(
        "thar.engineering",
        Role.VENDOR,
        vendor=VendorProfile(
            legal_name="Thar Engineering Works",
            ntn="3456789-0",
            contact_email="bids@tharengineering.example",
        ),
    ),
    DemoAccount(
        "mehran.medical",
        Role.VENDOR,
        vendor=VendorProfile(
            legal_name="Mehran Medical Supplies",
            ntn="7654321-0",
            contact_email="bids@mehranmedical.example",
        ),
    ),
)


def _money(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="PKR")


def _terms(  # noqa: PLR0917 (a private builder, called with all its fields)
    app: ProcurementApplication,
    reference: str,
    title: str,
    category: Category,
    method: Method,
    value: str,
    lots: tuple[Lot, ...],
    days: int,
    urdu: str | None = None,
    sindhi: str | None = None,
) -> TenderTerms:
    """Terms of a national tender; with ``urdu`` and ``sindhi`` titles, the notice in all
    three languages that open competitive bidding is advertised in."""
    now = app.clock.now().replace(microsecond=0)
    deadline = (now + timedelta(days=days)).replace(hour=6, minute=0, second=0)  # 11:00 PKT
    translations: dict[TranslationLanguage, NoticeText] = {}
    if urdu is not None:
        translations["ur"] = NoticeText(
            title=urdu,
            description=f"{urdu}۔ بولی کی دستاویزات خریدار ادارے سے دستیاب ہیں۔",  # noqa: RUF001 (Urdu full stop)
        )
    if sindhi is not None:
        translations["sd"] = NoticeText(
            title=sindhi,
            description=f"{sindhi}. بولي جا دستاويز خريدار اداري وٽ موجود آهن.",
        )
    return TenderTerms(
        reference=reference,
        title=title,
        description=f"{title}. Bidding documents are available from the procuring entity.",
        category=category,
        method=method,
        scope=Scope.NATIONAL,
        estimated_value=_money(value),
        lots=lots,
        bid_security=BidSecurity(amount=_money(str(Decimal(value) * Decimal("0.02")))),
        bid_validity_days=90,
        timeline=Timeline(
            clarification_deadline=deadline - timedelta(days=7),
            submission_deadline=deadline,
            opening_time=deadline + timedelta(minutes=30),
        ),
        translations=translations,
    )


def _lot(lot_id: str, title: str, *items: tuple[str, str, str]) -> Lot:
    return Lot(
        id=lot_id,
        title=title,
        items=tuple(
            Item(id=f"{lot_id}-{n}", description=d, quantity=Decimal(q), unit=u)
            for n, (d, q, u) in enumerate(items, start=1)
        ),
    )


def load(app: ProcurementApplication, data_dir: Path) -> list[tuple[str, str]]:
    """Create the demo accounts and tenders. Returns (username, password) pairs."""
    credentials: list[tuple[str, str]] = []
    uris: dict[str, str] = {}
    for account in ACCOUNTS:
        password = secrets.token_urlsafe(12)
        actor = system_actor("demo")
        app.register_account(
            actor,
            username=account.username,
            password=password,
            role=account.role,
            entity=account.entity,
            vendor=account.vendor,
        )
        credentials.append((account.username, password))
        if account.role in app.second_factor_roles:
            uris[account.username] = _enrol(app, account)
    _write_credentials(data_dir, credentials, uris)

    works = _officer("officer@works", "works-and-services-department")
    health = _officer("officer@health", "health-department")
    vendor = _vendor("indus.builders")
    _grievance_committee(app)
    _completed_tender(app, works)

    road = app.draft_tender(
        works,
        _terms(
            app,
            "WSD/RD/2026/114",
            "Rehabilitation of Hyderabad-Mirpurkhas road, km 12 to km 27",
            Category.WORKS,
            Method.SINGLE_STAGE_ONE_ENVELOPE,
            "245000000.00",
            (
                _lot("1", "Earthworks and sub-base", ("Excavation", "18000", "m3")),
                _lot("2", "Asphalt wearing course", ("Asphalt concrete 50 mm", "9500", "t")),
            ),
            days=21,
            urdu="حیدرآباد-میرپورخاص سڑک کی بحالی، کلومیٹر 12 تا 27",
            sindhi="حيدرآباد-ميرپورخاص رستي جي بحالي، ڪلوميٽر 12 کان 27",
        ),
    )
    road_terms = app.tender_for_officer(works, road.id).terms
    boq_id = demo_documents.attach(app, works, road.id, road_terms.reference, road_terms.lots)
    app.publish_tender(works, road.id, None)
    question = app.ask_question(vendor, road.id, "Is the quarry for sub-base material specified?")
    app.answer_question(
        works, road.id, question.id, "No: any quarry meeting the specification may be used."
    )
    app.amend_tender(
        works,
        road.id,
        "Addendum 1: revised bill of quantities for lot 2.",
        None,
        None,
        documents=demo_documents.revised_boq(app, road_terms.reference, boq_id, road_terms.lots),
    )

    drugs = app.draft_tender(
        health,
        _terms(
            app,
            "HD/MSD/2026/031",
            "Essential medicines for district hospitals, Larkana division",
            Category.GOODS,
            Method.SINGLE_STAGE_TWO_ENVELOPE,
            "38500000.00",
            (
                _lot("A", "Antibiotics", ("Amoxicillin 500 mg capsules", "400000", "capsule")),
                _lot("B", "Analgesics", ("Paracetamol 500 mg tablets", "900000", "tablet")),
            ),
            days=30,
            urdu="ضلعی ہسپتالوں کے لیے ضروری ادویات، لاڑکانہ ڈویژن",
            sindhi="ضلعي اسپتالن لاءِ ضروري دوائون، لاڙڪاڻو ڊويزن",
        ),
    )
    app.publish_tender(health, drugs.id, None)

    # Sealed bids: nobody, the demo's officers included, can read these before the opening.
    mehran = _vendor("mehran.medical")
    app.submit_bid(vendor, road.id, _bid({"1": "118500000.00", "2": "109900000.00"}, "4900000"))
    app.submit_bid(mehran, drugs.id, _bid({"A": "5200000.00", "B": "2950000.00"}, "770000"))

    it = app.draft_tender(
        works,
        _terms(
            app,
            "WSD/IT/2026/009",
            "Network equipment for the Karachi secretariat",
            Category.GOODS,
            Method.REQUEST_FOR_QUOTATIONS,
            "1800000.00",
            (_lot("1", "Switches", ("48-port managed switch", "12", "unit")),),
            days=10,
        ),
    )
    app.publish_tender(works, it.id, None)
    app.cancel_tender(works, it.id, "Requirement merged into the secretariat IT tender.", None)

    app.draft_tender(
        works,
        _terms(
            app,
            "WSD/BLD/2026/077",
            "Construction of a girls' primary school, Thatta",
            Category.WORKS,
            Method.SINGLE_STAGE_ONE_ENVELOPE,
            "62000000.00",
            (_lot("1", "Civil works", ("Reinforced concrete frame", "1", "lot")),),
            days=25,
            urdu="لڑکیوں کے پرائمری اسکول کی تعمیر، ٹھٹھہ",
            sindhi="ڇوڪرين جي پرائمري اسڪول جي تعمير، ٺٽو",
        ),
    )
    return credentials


class _DemoClock:
    """The demo's past: the completed tender happened weeks before the demo was loaded."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment


def _completed_tender(app: ProcurementApplication, works: Actor) -> None:
    """A bridge repair tender, from notice to contract, dated in the past. Its complaint
    comes within the standstill of the app's rule profile (seven days, or seconds)."""
    present = app.clock
    past = _DemoClock(present.now().replace(microsecond=0) - timedelta(days=45))
    app.clock = past
    try:
        terms = _terms(
            app,
            "WSD/BR/2026/052",
            "Repair of the Rohri canal bridge, Khairpur",
            Category.WORKS,
            Method.SINGLE_STAGE_ONE_ENVELOPE,
            "48000000.00",
            (_lot("1", "Bridge repair", ("Deck slab replacement", "640", "m2")),),
            days=16,
            urdu="روہڑی کینال پل کی مرمت، خیرپور",
            sindhi="روهڙي ڪئنال پل جي مرمت، خيرپور",
        )
        tender = app.draft_tender(works, terms)
        app.publish_tender(works, tender.id, None)
        standstill = rules_for(app.rule_profile, terms.method, terms.scope).standstill_period
        bids = {
            name: app.submit_bid(_vendor(name), tender.id, _bid({"1": price}, security)).id
            for name, price, security in (
                ("indus.builders", "44500000.00", "960000"),
                ("kirthar.construction", "46200000.00", "960000"),
                ("thar.engineering", "41900000.00", "250000"),  # security below 2%
            )
        }
        past.moment = terms.timeline.opening_time + timedelta(minutes=5)
        app.open_bids(works, tender.id, None)
        members = ["chair@works", "engineer@works", "accounts@works"]
        app.start_evaluation(works, tender.id, members, "chair@works")
        for member in members:
            past.moment += timedelta(minutes=20)
            app.declare_interests(
                _officer(member, works.entity or ""),
                tender.id,
                conflict=False,
                statement="I have no interest in any bidder.",
            )
        past.moment += timedelta(days=3)
        app.finalise_evaluation(_officer("chair@works", works.entity or ""), tender.id)
        past.moment += timedelta(days=1)
        award = app.award_tender(works, tender.id, bids["indus.builders"], "")
        past.moment += standstill * 2 / 7  # two days into a seven-day standstill
        complaint = app.lodge_award_complaint(
            _vendor("thar.engineering"),
            award.id,
            "Our bid was the lowest; the security shortfall is a minor deviation.",
        )
        past.moment += standstill * 3 / 7
        app.decide_award_complaint(
            _officer(GRIEVANCE_CHAIR, works.entity or ""),
            award.id,
            complaint.id,
            upheld=False,
            remedy=None,
            reasons="Bid security below the amount the notice required is a material "
            "deviation; the bid was rightly rejected.",
        )
        # The contract waits until the complainant's time to appeal has passed.
        past.moment += app.grievance_rules.appeal_period + timedelta(days=1)
        start = past.moment + timedelta(days=7)
        app.sign_contract(
            works,
            award.id,
            _money("44500000.00"),
            ContractPeriod(start=start, end=start + timedelta(days=240)),
        )
    finally:
        app.clock = present


def _vendor(username: str) -> Actor:
    return Actor(account_id=account_id_for(username), role=Role.VENDOR, request_id="demo")


def _bid(prices: dict[str, str], security: str) -> BidContents:
    return BidContents(
        prices=tuple(LotPrice(lot_id=lot, price=_money(amount)) for lot, amount in prices.items()),
        technical_offer="Method statement, equipment list and key staff CVs attached.",
        bid_security=BidSecurityOffer(
            instrument="bank_guarantee", issuer="Sindh Bank Ltd", amount=_money(security)
        ),
    )


GRIEVANCE_CHAIR = "grievance.chair@works"


def _grievance_committee(app: ProcurementApplication) -> None:
    """The works department's head, named by the administrator, names its grievance
    committee: none of its members evaluates the department's tenders in the demo."""
    admin = Actor(account_id=account_id_for("admin@sindh"), role=Role.ADMIN, request_id="demo")
    app.designate_head(admin, account_id_for("head@works"), head=True)
    head = _officer("head@works", "works-and-services-department")
    app.name_grievance_committee(
        head, [GRIEVANCE_CHAIR, "legal@works", "finance@works"], GRIEVANCE_CHAIR
    )


def _officer(username: str, entity: str) -> Actor:
    return Actor(
        account_id=account_id_for(username), role=Role.OFFICER, request_id="demo", entity=entity
    )


def _enrol(app: ProcurementApplication, account: DemoAccount) -> str:
    """The account's second factor, enrolled as its owner would (confirmed with the code of
    the step before now, so a person can sign in with the code shown now): its URI."""
    actor = Actor(
        account_id=account_id_for(account.username),
        role=account.role,
        request_id="demo",
        entity=account.entity,
    )
    secret, uri, _ = app.start_second_factor(actor)
    earlier = app.clock.now() - timedelta(seconds=second_factor.STEP_SECONDS)
    app.confirm_second_factor(actor, second_factor.code_at(secret, earlier))
    return uri


def _write_credentials(
    data_dir: Path, credentials: list[tuple[str, str]], uris: dict[str, str]
) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "demo-credentials.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            "# Demo accounts (generated; local only): username, password, and for staff the\n"
            "# second factor's otpauth URI (add it to an authenticator app; then sign in with\n"
            "# the six digits it shows)\n"
        )
        handle.writelines(
            f"{user} {password} {uris[user]}\n" if user in uris else f"{user} {password}\n"
            for user, password in credentials
        )
