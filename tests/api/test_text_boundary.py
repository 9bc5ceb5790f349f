"""The text rule at every way in, over HTTP (issue 15): every write operation, with text drawn
from all of Unicode (the refused classes included) in each of its text fields in turn.

After each accepted write every projection reaches the store's head; each refused one wrote
nothing; no answer is a 5xx; and text with a character the rule refuses is always refused, by
a 422 naming its field (or, for a lone surrogate, which JSON cannot carry, a 400).

Each test builds its tender once and runs a few examples against it (the examples share the
store, as the platform's clients do), so the whole file stays within a minute or two.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.account import account_id_for
from domain.bid import EnvelopeName
from procurement.audit import verify as audit
from procurement.crypto import hpke as sealing
from projections.ocds.releases_projection import NAME as OCDS_RELEASES
from projections.public_tenders import NAME as PUBLIC_TENDERS
from tests.api.conftest import COMMITTEE, PASSWORD, Api
from tests.api.scenarios import Scenario, offer
from tests.support import FakeClock, tender_json

PROJECTIONS = (PUBLIC_TENDERS, OCDS_RELEASES)
EXAMPLES = settings(
    max_examples=4,
    deadline=None,
    database=None,  # the same few examples on every run and machine, none remembered
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Every class the rule refuses, drawn often (the whole of Unicode holds them rarely).
REFUSED_SAMPLES = (
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9f",
    "\ud800",
    "\udfff",
    "\ufdd0",
    "\ufdef",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0010ffff",
    "\t",
    "\n",
    "\r",
    "\u2028",
    "\u2029",
)
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())  # surrogates included
ANY_TEXT = st.text(ANY_CHARACTER, min_size=1, max_size=12)
TEXTS = st.one_of(
    ANY_TEXT,
    st.builds(
        lambda before, refused, after: before + refused + after,
        st.text(ANY_CHARACTER, max_size=4),
        st.sampled_from(REFUSED_SAMPLES),
        st.text(ANY_CHARACTER, max_size=4),
    ),
)
QUERY_TEXTS = TEXTS.filter(lambda text: not any(0xD800 <= ord(c) <= 0xDFFF for c in text))
"""What a URL can carry: a lone surrogate has no UTF-8 (those bytes are tried apart)."""

_names = itertools.count(1)


def drawn(write: Callable[[str], None]) -> Callable[[], None]:
    """``write`` run with a few texts drawn by ``TEXTS``, and always with U+0000 (the
    character that stopped the read models) and a plain text."""
    return EXAMPLES(
        example(text="Road\x00works")(example(text="Road works")(given(text=TEXTS)(write)))
    )


def refused(text: str, *, single_line: bool) -> bool:
    """The rule, written out apart from ``domain/text.py`` from Unicode's own categories."""
    for character in text:
        point = ord(character)
        category = unicodedata.category(character)
        if category == "Cs" or (category == "Cc" and character not in "\t\n\r"):
            return True
        if 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE:
            return True
        if single_line and character in "\t\n\r\u2028\u2029":
            return True
    return False


def has_surrogate(text: str) -> bool:
    return any(unicodedata.category(c) == "Cs" for c in text)


@dataclass(frozen=True)
class Field:
    path: str  # dotted, as a refusal's loc names it
    single_line: bool


def line(path: str) -> Field:
    return Field(path, single_line=True)


def multi(path: str) -> Field:
    return Field(path, single_line=False)


def placed(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with ``value`` at the dotted ``path`` (numbers index lists)."""
    out = copy.deepcopy(body)
    node: Any = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


class Boundary:
    """Writes through the API, each checked: it lands and every projection reaches the
    store's head, or it is refused and wrote nothing."""

    def __init__(self, api: Api, connection: psycopg.Connection[Any]) -> None:
        self.api = api
        self.connection = connection

    def _scalar(self, sql: str, *args: Any) -> int:
        row = self.connection.execute(sql, args).fetchone()
        return int(row[0] or 0) if row else 0

    def head(self) -> int:
        return self._scalar("SELECT max(notification_id) FROM procurement_events")

    def written_by(self, request_id: str) -> int:
        """Events recorded by the request (every event records its request id)."""
        return self._scalar(
            "SELECT count(*) FROM procurement_events WHERE position(%s::bytea in state) > 0",
            request_id.encode(),
        )

    def caught_up(self) -> None:
        """Every projection has processed the store's head (bounded, as the suite's other
        waits on a projection)."""
        head = self.head()
        for projection in PROJECTIONS:
            reached = 0
            for _ in range(2000):
                reached = self._scalar(
                    f"SELECT max(notification_id) FROM {projection}_tracking"  # noqa: S608
                )
                if reached >= head:
                    break
                threading.Event().wait(0.005)
            assert reached >= head, f"{projection} stuck at {reached}, the store is at {head}"

    def write(  # noqa: PLR0917 (the request, and the field the drawn text is in)
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any,
        field: Field | None = None,
        text: str | None = None,
    ) -> httpx.Response:
        """One write; ``field`` is the one holding the drawn ``text``, if any."""
        request_id = uuid.uuid4().hex
        sent = {**headers, "X-Request-ID": request_id, "Content-Type": "application/json"}
        # Escaped, as JSON carries anything (a lone surrogate too: "\ud800").
        content = None if body is None else json.dumps(body).encode()
        answer = self.api.client.request(method, path, headers=sent, content=content)
        assert answer.status_code < 500, answer.text
        if field is not None and text is not None and refused(text, single_line=field.single_line):
            if has_surrogate(text):  # JSON cannot carry it: the body does not parse
                assert answer.status_code in {400, 422}, answer.text
            else:
                assert answer.status_code == 422, answer.text
                locs = [".".join(e["loc"]) for e in answer.json()["errors"]]
                assert field.path in locs, (field.path, locs)
        if answer.is_success:
            self.caught_up()
        else:
            assert self.written_by(request_id) == 0, answer.text
        return answer


@pytest.fixture
def boundary(api: Api) -> Iterator[Boundary]:
    with psycopg.connect(api.dsn, autocommit=True) as connection:
        yield Boundary(api, connection)


def registered(api: Api, prefix: str) -> tuple[str, dict[str, str]]:
    name = f"{prefix}{next(_names)}"
    return name, api.register_vendor(name)


# Registration -----------------------------------------------------------------------------

REGISTRATION_FIELDS = (
    line("legal_name"),
    line("contact_phone"),
    line("contact_email"),
    line("password"),
)


def test_registration(api: Api, boundary: Boundary) -> None:

    @drawn
    def register(text: str) -> None:
        for field in REGISTRATION_FIELDS:
            value = {
                "contact_email": f"a{text}@example.com",
                "password": PASSWORD + text,
            }.get(field.path, text)
            body = {
                "username": f"reg{next(_names)}",
                "password": PASSWORD,
                "legal_name": "Indus Builders (Pvt) Ltd",
                "ntn": "1234567-8",
                "contact_email": "office@indus.example",
                field.path: value,
            }
            boundary.write("POST", "/vendors/register", {}, body, field, text)

    register()


# Drafting, editing and publishing ---------------------------------------------------------

QCBS = {
    "method": "qcbs",
    "criteria": [{"id": "plan", "name": "Methodology and work plan", "max_score": 100}],
    "pass_mark": "50",
    "technical_weight": "70",
    "financial_weight": "30",
    "required_documents": ["Work plan"],
}
SCORED = {k: v for k, v in QCBS.items() if k != "required_documents"}  # every bid responsive
DRAFT_FIELDS = (
    line("reference"),
    line("title"),
    multi("description"),
    line("lots.0.id"),
    line("lots.0.title"),
    line("lots.0.items.0.id"),
    multi("lots.0.items.0.description"),
    line("lots.0.items.0.unit"),
    line("lots.0.items.0.classification"),
    line("bid_security.forms.0"),
    line("evaluation.criteria.0.id"),
    line("evaluation.criteria.0.name"),
    line("evaluation.required_documents.0"),
    line("translations.ur.title"),
    multi("translations.ur.description"),
    line("translations.sd.title"),
    multi("translations.sd.description"),
)


def _draft_body(clock: FakeClock) -> dict[str, Any]:
    body = tender_json(clock.now(), method="single_stage_two_envelope", evaluation=QCBS)
    body["lots"][0]["items"][0]["classification"] = "45233140"
    body["bid_security"]["forms"] = ["bank_guarantee"]
    return body


def test_drafting_editing_and_publishing(api: Api, boundary: Boundary, clock: FakeClock) -> None:
    """Each draft and each edit that lands is published too: a draft reaches the public
    read models only then."""
    officer = api.login("officer@works")
    base = _draft_body(clock)

    def publish(tender_id: str) -> None:
        boundary.write("POST", f"/tenders/{tender_id}/publish", officer, None)

    @drawn
    def draft_and_edit(text: str) -> None:
        for field in DRAFT_FIELDS:
            body = placed(base, field.path, text)
            drafted = boundary.write("POST", "/tenders", officer, body, field, text)
            if drafted.is_success:
                publish(drafted.json()["id"])
            plain = boundary.write("POST", "/tenders", officer, base)
            top = field.path.split(".")[0]
            patch = {top: placed(base, field.path, text)[top]}
            tender_id = plain.json()["id"]
            edited = boundary.write("PATCH", f"/tenders/{tender_id}", officer, patch, field, text)
            if edited.is_success:
                publish(tender_id)

    draft_and_edit()


# Questions, answers, amendments, cancellations --------------------------------------------


def test_questions_answers_amendments_and_cancellations(
    api: Api, boundary: Boundary, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    officer = api.login("officer@works")
    _, vendor = registered(api, "asker")
    questions = f"/tenders/{tender.id}/questions"

    @drawn
    def clarify(text: str) -> None:
        boundary.write("POST", questions, vendor, {"text": text}, multi("text"), text)
        asked = boundary.write("POST", questions, vendor, {"text": "Is asphalt included?"})
        answer = f"{questions}/{asked.json()['id']}/answer"
        boundary.write("POST", answer, officer, {"answer": text}, multi("answer"), text)
        amendments = f"/tenders/{tender.id}/amendments"
        boundary.write("POST", amendments, officer, {"text": text}, multi("text"), text)
        other = Scenario(api, clock)
        cancel = f"/tenders/{other.id}/cancel"
        boundary.write("POST", cancel, officer, {"reason": text}, multi("reason"), text)

    clarify()


# Bids -------------------------------------------------------------------------------------

BID_FIELDS = (
    multi("technical_offer"),
    line("documents.0.name"),
    line("bid_security.instrument"),
    line("bid_security.issuer"),
    line("prices.0.lot_id"),
)
PLAN = base64.b64encode(b"%PDF-1.4 work plan").decode()


def _contents() -> dict[str, Any]:
    return offer("900000.00", documents=[{"name": "plan.pdf", "content": PLAN}])


def _opened(boundary: Boundary, tender: Scenario) -> dict[str, Any]:
    tender.clock.set(tender.deadline + timedelta(minutes=31))
    officer = tender.token("officer@works")
    answer = boundary.write("POST", f"/tenders/{tender.id}/opening", officer, None)
    assert answer.status_code == 200, answer.text
    opening: dict[str, Any] = tender.page(answer.json()["read_token"])["opening"]
    return opening


def test_bids_with_plain_contents(api: Api, boundary: Boundary, clock: FakeClock) -> None:
    """Submitted and replaced with contents the platform seals on arrival: checked then, so
    every bid that landed opens."""
    tender = Scenario(api, clock)
    bids = f"/tenders/{tender.id}/bids"
    _, replacer = registered(api, "replacer")
    boundary.write("POST", bids, replacer, {"contents": _contents()})

    @drawn
    def bid(text: str) -> None:
        for field in BID_FIELDS:
            contents = {"contents": placed(_contents(), field.path, text)}
            where = Field(f"contents.{field.path}", field.single_line)
            _, vendor = registered(api, "bidder")
            boundary.write("POST", bids, vendor, contents, where, text)
            boundary.write("PUT", f"{bids}/mine", replacer, contents, where, text)

    bid()
    opening = _opened(boundary, tender)
    assert {b["status"] for b in opening["bids"]} == {"opened"}


def test_bids_sealed_on_the_vendors_machine_are_read_by_the_rule_at_the_opening(
    api: Api, boundary: Boundary, clock: FakeClock
) -> None:
    """Envelopes are opaque on arrival (they land); at the opening each is read by the rule:
    text it refuses makes the bid unreadable with the reason, as prices that break the
    tender's rules do, and the audit's re-opening agrees."""
    tender = Scenario(api, clock)
    notice = tender.page(tender.published_token)
    [key] = notice["sealing"]
    expected: dict[str, tuple[Field, str]] = {}  # bid id -> the field and text it carried

    @drawn
    def seal(text: str) -> None:
        for field in BID_FIELDS:
            name, vendor = registered(api, "sealer")
            # What a hostile vendor seals by hand (``procurement seal`` would refuse it).
            plain = json.dumps(placed(_contents(), field.path, text)).encode()
            envelope = sealing.seal(
                key["public_key"],
                uuid.UUID(tender.id),
                account_id_for(name),
                EnvelopeName.BID,
                plain,
            )
            body = {"envelopes": [{"name": "bid", "ciphertext": envelope.ciphertext}]}
            answer = boundary.write("POST", f"/tenders/{tender.id}/bids", vendor, body)
            assert answer.status_code == 201, answer.text
            expected[answer.json()["id"]] = (field, text)

    seal()
    opening = _opened(boundary, tender)
    for record in opening["bids"]:
        field, text = expected[record["bid_id"]]
        bad_text = refused(text, single_line=field.single_line)
        no_such_lot = field.path == "prices.0.lot_id" and text != "1"
        if bad_text or no_such_lot:
            assert record["status"] == "unreadable", record
            if bad_text and not has_surrogate(text):
                assert f"its text is not accepted: {field.path}: U+" in record["problem"]
        else:
            assert record["status"] == "opened", record
    _verified(api, boundary)


def _verified(api: Api, boundary: Boundary) -> None:
    """The audit export verifies: the audit re-opens every bid and agrees with the record."""
    auditor = api.login("auditor@sindh")
    key = api.client.get("/public/keys").json()["receipt_signing_key"]["public_key"]
    head = boundary.head()
    for _ in range(500):
        latest = api.client.get("/audit/checkpoints/latest", headers=auditor)
        if latest.status_code == 200 and latest.json()["tree_size"] >= head:
            break
        threading.Event().wait(0.02)
    export = api.client.get("/audit/export", headers=auditor)
    report = audit.verify(export.text.splitlines(), key)
    assert report.ok, report.problems
    assert report.openings == 1


# Evaluation, award, complaints -------------------------------------------------------------


@pytest.mark.usefixtures("committee")
def test_committee_and_declarations(api: Api, boundary: Boundary, clock: FakeClock) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.open()  # and the committee named
    members = list(COMMITTEE)
    committee = f"/tenders/{tender.id}/committee"

    @drawn
    def name_and_declare(text: str) -> None:
        officer = tender.token("officer@works")
        named = {"members": [text, *members[1:]], "chair": members[0]}
        boundary.write("POST", committee, officer, named, line("members.0"), text)
        chair = {"members": members, "chair": text}
        boundary.write("PUT", committee, officer, {**chair, "reason": "x"}, line("chair"), text)
        reformed = {"members": members, "chair": members[0], "reason": text}
        boundary.write("PUT", committee, officer, reformed, multi("reason"), text)
        declaration = {"conflict_of_interest": True, "statement": text}
        boundary.write(
            "POST",
            f"{committee}/declaration",
            tender.token(members[1]),
            declaration,
            multi("statement"),
            text,
        )
        plain = {"members": members, "chair": members[0], "reason": "a member recused"}
        boundary.write("PUT", committee, officer, plain)  # everyone declares afresh

    name_and_declare()


@pytest.mark.usefixtures("committee")
def test_rulings_corrections_award_complaints_and_decisions(  # noqa: C901, PLR0915 (in steps)
    api: Api, boundary: Boundary, clock: FakeClock
) -> None:
    tender = Scenario(api, clock)
    tender.bid("alpha", offer("900000.00"))
    tender.bid("beta", offer("950000.00"))
    tender.open()  # and the committee named
    tender.declare(*COMMITTEE)
    chair = COMMITTEE[0]
    evaluations = f"/tenders/{tender.id}/evaluations"
    alpha = tender.bids["alpha"]

    def act(body: dict[str, Any], field: Field | None = None, text: str | None = None) -> bool:
        return boundary.write(
            "POST", evaluations, tender.token(chair), body, field, text
        ).is_success

    def ruling(action: str, reason: str) -> dict[str, Any]:
        return {"action": action, "bid_id": alpha, "reason": reason}

    @drawn
    def rule(text: str) -> None:
        if act(ruling("disqualify", text), multi("reason"), text):
            act(ruling("reinstate", "cleared"))
        act(ruling("disqualify", "in doubt"))
        if not act(ruling("reinstate", text), multi("reason"), text):
            act(ruling("reinstate", "cleared"))
        price = {"amount": "899000.00", "currency": "PKR"}
        correction = {"action": "correct_price", "bid_id": alpha, "corrected_price": price}
        act({**correction, "lot_id": "1", "reason": text}, multi("reason"), text)
        act({**correction, "lot_id": text, "reason": "sum"}, line("lot_id"), text)

    rule()
    tender.finalise()
    token = tender.token  # signed in afresh for each write
    live: list[str] = []

    def award(reason: str, field: Field | None = None, text: str | None = None) -> None:
        body = {"bid_id": tender.bids["alpha"], "reason": reason}
        made = boundary.write(
            "POST", f"/tenders/{tender.id}/award", token("officer@works"), body, field, text
        )
        if made.is_success:
            live.append(made.json()["id"])

    def cancel(reason: str, field: Field | None = None, text: str | None = None) -> None:
        path = f"/awards/{live[-1]}/cancel"
        if boundary.write(
            "POST", path, token("officer@works"), {"reason": reason}, field, text
        ).is_success:
            live.pop()

    @drawn
    def award_and_complain(text: str) -> None:
        if not live:
            award(text, multi("reason"), text)
        if not live:
            award("")
        complaints = f"/awards/{live[-1]}/complaints"
        lodged = boundary.write(
            "POST", complaints, token("beta"), {"grounds": text}, multi("grounds"), text
        )
        plain = boundary.write("POST", complaints, token("beta"), {"grounds": "Too cheap."})
        for complaint, reasons in ((plain, text), (lodged, "Dismissed.")):
            if not complaint.is_success:
                continue
            decide = f"{complaints}/{complaint.json()['id']}/decision"
            decision = {"outcome": "dismissed", "reasons": reasons}
            field = multi("reasons") if reasons == text else None
            if not boundary.write(
                "POST", decide, token("officer@works"), decision, field, text
            ).is_success:
                boundary.write(
                    "POST",
                    decide,
                    token("officer@works"),
                    {"outcome": "dismissed", "reasons": "Dismissed."},
                )
        cancel(text, multi("reason"), text)
        if live:
            cancel("Cancelled.")

    award_and_complain()


@pytest.mark.usefixtures("committee")
def test_scores_and_their_justifications(api: Api, boundary: Boundary, clock: FakeClock) -> None:
    slots: list[tuple[Scenario, str, str]] = []  # a tender, a member and a bid not yet scored

    def fresh() -> Iterator[tuple[Scenario, str, str]]:
        tender = Scenario(api, clock, method="single_stage_two_envelope", evaluation=SCORED)
        for vendor in ("alpha", "beta"):
            tender.bid(vendor, offer("900000.00"))
        tender.open()  # and the committee named
        tender.declare(*COMMITTEE)
        return ((tender, member, tender.bids[v]) for member in COMMITTEE for v in ("alpha", "beta"))

    def score(criterion: str, justification: str, field: Field, text: str) -> None:
        if not slots:
            slots.extend(fresh())
        tender, member, bid_id = slots[-1]
        body = {
            "action": "score",
            "bid_id": bid_id,
            "scores": [{"criterion_id": criterion, "score": 70, "justification": justification}],
        }
        path = f"/tenders/{tender.id}/evaluations"
        if boundary.write("POST", path, tender.token(member), body, field, text).is_success:
            slots.pop()

    @drawn
    def scores(text: str) -> None:
        score("plan", text, multi("scores.0.justification"), text)
        score(text, "A sound plan.", line("scores.0.criterion_id"), text)

    scores()


# Query parameters -------------------------------------------------------------------------

QUERY_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/public/tenders", ("q", "entity", "method")),
    ("/portal/tenders", ("q", "entity")),
)


def test_text_query_parameters(api: Api) -> None:
    """A read's text parameter: a 422 naming the parameter when the rule refuses it, never a
    5xx (asyncpg refuses U+0000 in a query: that was a 500)."""

    @EXAMPLES
    @example(text="road\x00works")
    @given(text=QUERY_TEXTS)
    def search(text: str) -> None:
        for path, names in QUERY_PATHS:
            for name in names:
                answer = api.client.get(path, params={name: text})
                assert answer.status_code < 500, answer.text
                if refused(text, single_line=True):
                    assert answer.status_code == 422, answer.text
                    if path.startswith("/public"):
                        assert answer.json()["errors"][0]["loc"] == [name]
                else:
                    assert answer.status_code == 200, answer.text

    search()
    for raw in ("%ED%A0%80", "%FF", "%C0%80"):  # no UTF-8: never a 5xx
        assert api.client.get(f"/public/tenders?q={raw}").status_code < 500
