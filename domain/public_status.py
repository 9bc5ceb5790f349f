"""The statuses in which the public sees a tender: one spelling for the domain, the read
models, the API's status filter and the portal's translations.

A tender's own statuses (``domain.tender.TenderStatus``) take their public spelling from
here; after the opening the evaluation and the award decide it (``EvaluationReport.
public_status``, and the award's events in the read model).
"""

from __future__ import annotations

from enum import StrEnum


class PublicTenderStatus(StrEnum):
    ACTIVE = "active"  # published: bids are taken until the submission deadline
    CLOSED = "closed"  # the deadline has passed; the bids await the opening
    OPENED = "opened"  # the bids (or their technical envelopes) were opened in public
    EVALUATION = "evaluation"  # the committee is evaluating (again, after an upheld complaint)
    EVALUATED = "evaluated"  # the report is published; no award is live
    UNSUCCESSFUL = "unsuccessful"  # the report found no responsive bid
    AWARDED = "awarded"  # an award made on the report is live
    CONTRACTED = "contracted"  # the contract is signed
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # stage one of a two-stage tender: its stage two is published
