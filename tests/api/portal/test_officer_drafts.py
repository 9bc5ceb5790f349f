"""The officers' dashboard finds its drafts in a read model of its own: another entity's draft
with text PostgreSQL cannot store (stored before the input boundary refused it) breaks no
one's page, and the drafts listed are the entity's own, never published ones."""

from __future__ import annotations

import dataclasses
from uuid import uuid4

from domain.tender import Tender
from procurement.application import ProcurementApplication
from tests.api.conftest import Api
from tests.api.portal.conftest import Browser
from tests.support import FakeClock, officer, terms

PLACEHOLDER = "PLACEHOLDER-TITLE"


def stored_draft(
    application: ProcurementApplication, entity: str, escaped: bytes, clock: FakeClock
) -> None:
    """A draft whose stored title holds the JSON escape ``escaped``, written with the
    application's mapper and recorder past the API and the domain's commands."""
    draft = Tender(
        id=uuid4(),
        entity=entity,
        terms=terms(clock.now(), title=PLACEHOLDER),
        actor=officer(entity),
        timestamp=clock.now(),
    )
    [stored] = [application.mapper.to_stored_event(e) for e in draft.collect_events()]
    odd = stored.state.replace(PLACEHOLDER.encode(), b"Roads" + escaped + b"works")
    assert odd != stored.state
    application.recorder.insert_events([dataclasses.replace(stored, state=odd)])


def test_another_entitys_draft_with_odd_text_breaks_no_dashboard(
    api: Api, browser: Browser, application: ProcurementApplication, clock: FakeClock
) -> None:
    stored_draft(application, "health-department", b"\\u0000", clock)
    stored_draft(application, "health-department", b"\\ud800", clock)
    works = officer("works-and-services-department")
    mine = application.draft_tender(works, terms(clock.now(), reference="W-1"))
    published = application.draft_tender(works, terms(clock.now(), reference="W-2"))
    application.publish_tender(works, published.id, None)

    browser.sign_in("officer@works")
    dashboard = browser.page("/portal/officer")
    assert dashboard.status_code == 200, dashboard.text
    drafts = dashboard.text.split('id="drafts"')[1].split("</ul>")[0]
    assert f"/portal/officer/tenders/{mine.id}" in drafts
    assert f"/portal/officer/tenders/{published.id}" not in drafts  # published: listed below
    assert "Roads" not in dashboard.text  # another entity's
