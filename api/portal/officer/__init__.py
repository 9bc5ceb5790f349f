"""The officers' pages, split as the API's controllers are: ``tenders`` (the dashboard,
drafting, and the tender up to the opening), ``evaluation`` (the committee's work) and
``awards`` (award, complaints, contract). All three serve under ``/portal/officer``;
``tender_page`` holds what they share: the tender's page and the one way an action posted
from it runs."""
