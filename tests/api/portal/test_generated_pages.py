"""Every tender the platform can hold renders on every portal page, in both languages: tenders
whose every text field holds text drawn from all of Unicode that the text rule accepts (right
to left, combining marks, astral characters, markup-like text), taken through their life over
HTTP, then every page fetched for each kind of user."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.text import refusal
from domain.values import Role
from tests.api.conftest import COMMITTEE, GRIEVANCE, PASSWORD, REGULATOR, Api
from tests.api.portal.every_page import Account, by_path, render_every_page
from tests.api.scenarios import Scenario, offer
from tests.support import FakeClock, tender_json

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
MARKUP = st.sampled_from(["<script>alert(1)</script>", "{{ 7*7 }}", "&amp;", "'\"", "%s"])


def _accepted(single_line: bool) -> st.SearchStrategy[str]:
    drawn = st.one_of(st.text(ANY_CHARACTER, min_size=1, max_size=30), MARKUP)
    return drawn.filter(
        lambda text: refusal(text, single_line=single_line) is None and bool(text.strip())
    )


_names = itertools.count(1)
LINE = _accepted(single_line=True)
TEXT = _accepted(single_line=False)


def _tender(texts: dict[str, str]) -> dict[str, Any]:
    return {
        "title": texts["title"],
        "description": texts["description"],
        "translations": {
            language: {"title": texts["urdu"], "description": texts["description"]}
            for language in ("ur", "sd")
        },
    }


@settings(
    max_examples=3,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    texts=st.fixed_dictionaries(
        {
            "title": LINE,
            "urdu": LINE,
            "description": TEXT,
            "question": TEXT,
            "answer": TEXT,
            "amendment": TEXT,
            "offer": TEXT,
            "issuer": LINE,
            "reason": TEXT,
            "complaint": TEXT,
        }
    )
)
def test_every_page_renders_tenders_of_any_accepted_text(
    api: Api, clock: FakeClock, committee: None, texts: dict[str, str]
) -> None:
    number = next(_names)
    asker, bidder = f"asker{number}", f"bidder{number}"
    officer = api.login("officer@works")
    opened = Scenario(api, clock, **_tender(texts))
    asked = api.post(
        f"/tenders/{opened.id}/questions",
        api.register_vendor(asker),
        json={"text": texts["question"]},
    )
    assert asked.status_code == 201, asked.text
    answered = api.post(
        f"/tenders/{opened.id}/questions/{asked.json()['id']}/answer",
        officer,
        json={"answer": texts["answer"]},
    )
    assert answered.status_code == 200, answered.text
    amendment = {"text": texts["amendment"]}
    amended = api.post(f"/tenders/{opened.id}/amendments", officer, json=amendment)
    assert amended.status_code == 201, amended.text
    security = {
        "instrument": "bank_guarantee",
        "issuer": texts["issuer"],
        "amount": {"amount": "200000.00", "currency": "PKR"},
    }
    opened.bid(bidder, offer("900000.00", technical_offer=texts["offer"], bid_security=security))
    opened.open()
    cancelled = Scenario(api, clock, **_tender(texts))
    complained = api.post(
        f"/tenders/{cancelled.id}/complaints",
        api.login(bidder),
        json={"stage": "documents", "grounds": texts["complaint"]},
    )
    assert complained.status_code == 201, complained.text
    dismissed = api.post(
        f"/tenders/{cancelled.id}/complaints/{complained.json()['id']}/decision",
        api.login(GRIEVANCE[0]),
        json={"outcome": "dismissed", "reasons": texts["reason"]},
    )
    assert dismissed.status_code == 200, dismissed.text
    officer = api.login("officer@works")
    stopped = api.post(f"/tenders/{cancelled.id}/cancel", officer, json={"reason": texts["reason"]})
    assert stopped.status_code == 200, stopped.text
    drafted = api.post("/tenders", officer, json=tender_json(clock.now(), **_tender(texts)))
    assert drafted.status_code == 201, drafted.text

    accounts = [
        Account("officer@works", PASSWORD, Role.OFFICER),
        Account("auditor@sindh", PASSWORD, Role.AUDITOR),
        Account(bidder, PASSWORD, Role.VENDOR),
        Account(COMMITTEE[0], PASSWORD, Role.OFFICER),
        Account(REGULATOR, PASSWORD, Role.REGULATOR),
    ]
    tenders = [opened.id, cancelled.id, drafted.json()["id"]]
    statuses = render_every_page(api.client, api.dsn, accounts, tenders, codes=_code_of(api))
    for tender in (opened.id, cancelled.id):
        assert by_path(statuses, f"/portal/tenders/{tender}", None) == {200}
        assert by_path(statuses, f"/portal/audit/tenders/{tender}", "auditor@sindh") == {200}
    for tender in tenders:
        assert by_path(statuses, f"/portal/officer/tenders/{tender}", "officer@works") == {200}
        securities = f"/portal/officer/tenders/{tender}/securities"
        assert by_path(statuses, securities, "officer@works") == {200}
    for tender in (opened.id, cancelled.id):
        assert by_path(statuses, f"/portal/regulator/tenders/{tender}", REGULATOR) == {200}


def _code_of(api: Api) -> Callable[[str], str | None]:
    return lambda username: api.code(username) if username in api.secrets else None
