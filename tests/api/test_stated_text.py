"""A published reason, grounds or title says something a reader sees: one of only spaces and
invisible characters (zero-width spaces, direction marks, the byte-order mark) is refused
with a 422 naming the field, and nothing is written; invisible characters inside words (the
zero-width non-joiner of Urdu) are text like any other (api/schemas/common.STATED)."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api
from tests.api.scenarios import Scenario
from tests.api.test_bad_input import assert_problem
from tests.support import FakeClock

BLANKS = ["\u200b\u200b", " \u200e\u200f ", "\ufeff", "\u2060\t\u200d"]


@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_reason_or_grounds_is_refused_and_nothing_is_written(
    api: Api, clock: FakeClock, blank: str
) -> None:
    tender = Scenario(api, clock)
    api.register_vendor("alpha")
    before = api.event_count()
    cancel = api.post(
        f"/tenders/{tender.id}/cancel", tender.token("officer@works"), json={"reason": blank}
    )
    assert_problem(cancel, 422, "validation_failed")
    assert [e["loc"] for e in cancel.json()["errors"]] == [["reason"]]
    complaint = api.post(
        f"/tenders/{tender.id}/complaints",
        tender.token("alpha"),
        json={"stage": "documents", "grounds": blank},
    )
    assert_problem(complaint, 422, "validation_failed")
    assert [e["loc"] for e in complaint.json()["errors"]] == [["grounds"]]
    assert api.event_count() == before


def test_invisible_characters_inside_words_are_text(api: Api, clock: FakeClock) -> None:
    tender = Scenario(api, clock)
    reason = (
        "\u0628\u062c\u0679 \u0648\u0627\u067e\u0633\u200c\u0644\u06cc\u0627 \u06af\u06cc\u0627"
    )
    cancel = api.post(
        f"/tenders/{tender.id}/cancel", tender.token("officer@works"), json={"reason": reason}
    )
    assert cancel.status_code == 200, cancel.text
