"""Events written before the text rule still load: what is stored is never checked again."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.tender import Tender
from domain.text import STORED
from domain.values import TenderTerms
from procurement.audit import history
from procurement.commands.application import ProcurementApplication
from tests.support import FakeClock, officer, terms

OFFICER = officer()


def test_a_draft_stored_with_u0000_replays_travels_in_time_and_can_be_corrected(
    application: ProcurementApplication, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # As the platform accepted it before the rule: the terms built as stored ones are.
    written = terms(clock.now()).model_dump(mode="json") | {"title": "Road\x00works"}
    old = TenderTerms.model_validate(written, context=STORED)
    drafted = application.draft_tender(OFFICER, old)

    loaded = application._load(Tender, drafted.id)
    assert loaded.terms.title == "Road\x00works"
    for _ in range(70):  # past a snapshot (every 64 versions): its rows decode as stored too
        loaded.edit_draft(terms=old, actor=OFFICER, timestamp=clock.now())
    application._save(loaded)
    for version in (71, 70):  # the first made the snapshot, the second reads it
        state = history.state_as_of(application, drafted.id, version=version)
        assert state["state"]["terms"]["title"] == "Road\x00works"
    assert "do not decode" not in caplog.text  # read from the snapshot, not replayed instead

    # An edit re-checks the terms as they would be saved: the old title must be corrected.
    with pytest.raises(ValidationError, match="U\\+0000"):
        application.edit_tender(OFFICER, drafted.id, {"description": "Resurfacing"}, None)
    application.edit_tender(OFFICER, drafted.id, {"title": "Road works"}, None)
    assert application._load(Tender, drafted.id).terms.title == "Road works"
