"""The public statuses of a tender: one spelling, shared by the tender's own statuses."""

from __future__ import annotations

from domain.public_status import PublicTenderStatus
from domain.tender import TenderStatus


def test_the_public_statuses_are_spelt_as_the_read_models_and_the_api_store_them() -> None:
    assert [status.value for status in PublicTenderStatus] == [
        "active",
        "closed",
        "opened",
        "evaluation",
        "evaluated",
        "unsuccessful",
        "awarded",
        "contracted",
        "cancelled",
        "completed",
    ]


def test_a_published_tenders_own_status_is_a_public_status_of_the_same_spelling() -> None:
    for status in TenderStatus:
        if status is TenderStatus.DRAFT:
            assert status.value not in set(PublicTenderStatus)  # a draft is never public
        else:
            assert PublicTenderStatus(status).value == status.value
