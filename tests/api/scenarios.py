"""A tender's life through the API, as its officers, committee and vendors act it: shared by
the evaluation and open-data tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.api.conftest import COMMITTEE, GRIEVANCE, Api
from tests.support import FakeClock, tender_json

MEMBERS = COMMITTEE
SECURITY = {
    "instrument": "bank_guarantee",
    "issuer": "Sindh Bank",
    "amount": {"amount": "200000.00", "currency": "PKR"},
}
FAILING_PRICE = "4444444.44"  # a technically failing bid's price: never to be decrypted


class Scenario:
    """One tender's life through the API, as its officers, committee and vendors act it."""

    def __init__(self, api: Api, clock: FakeClock, **changes: Any) -> None:
        self.api = api
        self.clock = clock
        self.deadline = clock.now() + timedelta(days=20)
        officer = self.token("officer@works")
        answer = api.post("/tenders", officer, json=tender_json(clock.now(), **changes))
        assert answer.status_code == 201, answer.text
        self.id = answer.json()["id"]
        published = api.post(f"/tenders/{self.id}/publish", officer)
        assert published.status_code == 200, published.text
        self.published_token: str = published.json()["read_token"]
        self.bids: dict[str, str] = {}

    def token(self, username: str) -> dict[str, str]:
        return self.api.login(username)  # tokens expire as the clock moves: sign in each time

    def bid(self, vendor: str, contents: dict[str, Any]) -> None:
        if not self.api.has_account(vendor):
            self.api.register_vendor(vendor)
        answer = self.api.post(
            f"/tenders/{self.id}/bids", self.token(vendor), json={"contents": contents}
        )
        assert answer.status_code == 201, answer.text
        self.bids[vendor] = answer.json()["id"]

    def open(self) -> dict[str, Any]:
        self.clock.set(self.deadline + timedelta(minutes=31))
        self.api.settle()  # bidding closed now, not by the background scheduler mid-opening
        answer = self.api.post(f"/tenders/{self.id}/opening", self.token("officer@works"))
        assert answer.status_code == 200, answer.text
        committee = self.api.post(
            f"/tenders/{self.id}/committee",
            self.token("officer@works"),
            json={"members": list(MEMBERS), "chair": MEMBERS[0]},
        )
        assert committee.status_code == 201, committee.text
        return self.page(committee.json()["read_token"])

    def declare(self, *members: str) -> None:
        for member in members:
            answer = self.api.post(
                f"/tenders/{self.id}/committee/declaration",
                self.token(member),
                json={"conflict_of_interest": False},
            )
            assert answer.status_code == 200, answer.text

    def recuse(self, member: str, statement: str = "Alpha's director is my brother") -> None:
        """The member declares a conflict of interest."""
        answer = self.api.post(
            f"/tenders/{self.id}/committee/declaration",
            self.token(member),
            json={"conflict_of_interest": True, "statement": statement},
        )
        assert answer.status_code == 200, answer.text

    def act(self, member: str, body: dict[str, Any]) -> Any:
        return self.api.post(f"/tenders/{self.id}/evaluations", self.token(member), json=body)

    def finalise(self) -> dict[str, Any]:
        answer = self.api.post(f"/tenders/{self.id}/evaluation-report", self.token(MEMBERS[0]))
        assert answer.status_code == 200, answer.text
        return self.page(answer.json()["read_token"])

    def award(self, vendor: str, reason: str = "") -> str:
        answer = self.api.post(
            f"/tenders/{self.id}/award",
            self.token("officer@works"),
            json={"bid_id": self.bids[vendor], "reason": reason},
        )
        assert answer.status_code == 201, answer.text
        award_id: str = answer.json()["id"]
        return award_id

    def complain(self, award_id: str, vendor: str, grounds: str) -> Any:
        return self.api.post(
            f"/awards/{award_id}/complaints", self.token(vendor), json={"grounds": grounds}
        )

    def decide(self, award_id: str, complaint_id: str, **decision: Any) -> Any:
        return self.api.post(
            f"/awards/{award_id}/complaints/{complaint_id}/decision",
            self.token(GRIEVANCE[0]),
            json=decision,
        )

    def uphold(self, award_id: str, complaint_id: str, remedy: str, reasons: str) -> Any:
        """The complaint upheld with ``remedy``; the decision must be accepted."""
        answer = self.decide(
            award_id, complaint_id, outcome="upheld", remedy=remedy, reasons=reasons
        )
        assert answer.status_code == 200, answer.text
        return answer

    def sign(self, award_id: str, amount: str = "1000000.00") -> Any:
        start = self.clock.now() + timedelta(days=1)
        return self.api.post(
            f"/awards/{award_id}/contract",
            self.token("officer@works"),
            json={
                "value": {"amount": amount, "currency": "PKR"},
                "period": {"start": at(start), "end": at(start + timedelta(days=180))},
            },
        )

    def page(self, read_token: str) -> dict[str, Any]:
        answer = self.api.client.get(f"/public/tenders/{self.id}?read_token={read_token}")
        assert answer.status_code == 200, answer.text
        page: dict[str, Any] = answer.json()
        return page

    def entries(self, page: dict[str, Any], report: int = -1) -> dict[str, dict[str, Any]]:
        names = {f"{vendor} (Pvt) Ltd": vendor for vendor in self.bids}
        return {
            names[entry["vendor_name"]]: entry
            for entry in page["evaluation"]["reports"][report]["entries"]
        }


def at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def offer(price: str, *, security: bool = True, **more: Any) -> dict[str, Any]:
    return {
        "prices": [{"lot_id": "1", "price": {"amount": price, "currency": "PKR"}}],
        "technical_offer": "Twelve graders, four rollers, a site office at Kotri.",
        "bid_security": SECURITY if security else None,
        **more,
    }
