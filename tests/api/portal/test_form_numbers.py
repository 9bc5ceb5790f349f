"""Numbers and list rows typed into a portal form: what is not a whole number the body takes,
or not a row a body can hold, is the form's 422 at its field, never a 500 or a list built
as long as a name says. (Each shows in the form's summary; a field of the page shows its
own message too.)"""

from __future__ import annotations

import pytest

from api.portal.forms import MAX_ROWS, nest
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.api.portal.test_officer_pages import DRAFT, NEW, draft


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("bid_validity_days", "²"),  # a digit to str.isdigit, not to int()
        ("bid_validity_days", "٩٠"),  # Arabic-Indic ninety: not what the form asks for
        ("bid_validity_days", "9" * 5000),  # more digits than int() reads
        ("lots.0.items.0.quantity", "²"),
        ("lots.².title", "A lot"),
        ("lots.99999999999999999999.title", "A lot"),  # a row no body holds
        (f"lots.{MAX_ROWS}.title", "A lot"),
    ],
)
def test_a_number_or_row_no_body_takes_is_refused_at_its_field(
    api: Api, browser: Browser, field: str, typed: str
) -> None:
    browser.sign_in("officer@works")
    before = api.event_count()
    answer = browser.submit(NEW, NEW, {**DRAFT, field: typed})
    assert answer.status_code == 422, answer.text[-500:]
    assert 'id="form-errors"' in answer.text  # the form again, saying what is wrong
    assert api.event_count() == before


def test_rows_are_list_indices_below_the_bound_only() -> None:
    assert nest([("lots.1.title", "b"), ("lots.0.title", "a")]) == {
        "lots": [{"title": "a"}, {"title": "b"}]
    }
    for index in (str(MAX_ROWS), "²", "٣", "01x"):
        assert nest([(f"lots.{index}.title", "a")]) == {"lots": {index: {"title": "a"}}}


@pytest.mark.parametrize("seen", ["²", "9" * 5000, "-1"])
def test_an_edit_whose_version_is_not_a_whole_number_edits_the_current_draft(
    browser: Browser, seen: str
) -> None:
    browser.sign_in("officer@works")
    tender_id = draft(browser)
    edit = f"/portal/officer/tenders/{tender_id}/edit"
    answer = browser.submit(edit, edit, {**DRAFT, "title": "Renamed", "_version": seen})
    assert answer.status_code == 303, answer.text[-500:]


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-01-01T10:00"])
def test_a_time_no_tender_can_have_is_refused_at_its_field(
    api: Api, browser: Browser, typed: str
) -> None:
    browser.sign_in("officer@works")
    before = api.event_count()
    answer = browser.submit(NEW, NEW, {**DRAFT, "timeline.opening_time": typed})
    assert answer.status_code == 422, answer.text[-500:]
    assert 'data-field="timeline.opening_time"' in answer.text
    assert api.event_count() == before
