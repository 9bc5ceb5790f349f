"""Every domain error, under one base, each with a stable machine code.

The HTTP status belongs to the API (see ``api/errors.py``); here an error only says what
went wrong, in words for people (the message) and in a code for programs.
"""

from __future__ import annotations

from typing import ClassVar


class ProcurementError(Exception):
    """Base of every error the platform raises on purpose."""

    code: ClassVar[str] = "procurement_error"
    title: ClassVar[str] = "The request could not be carried out"


# Not found -------------------------------------------------------------------------------


class NotFoundError(ProcurementError):
    code = "not_found"
    title = "Not found"


class TenderNotFoundError(NotFoundError):
    code = "tender_not_found"
    title = "Tender not found"


class QuestionNotFoundError(NotFoundError):
    code = "question_not_found"
    title = "Clarification question not found"


class BidNotFoundError(NotFoundError):
    code = "bid_not_found"
    title = "Bid not found"


class AccountNotFoundError(NotFoundError):
    code = "account_not_found"
    title = "Account not found"


# Rules: the request is understood but breaks a procurement rule ---------------------------


class RuleViolationError(ProcurementError):
    code = "rule_violation"
    title = "The request breaks a procurement rule"


class InvalidTimelineError(RuleViolationError):
    code = "invalid_timeline"
    title = "The tender's timeline is not valid"


class DeadlineInPastError(RuleViolationError):
    code = "deadline_in_past"
    title = "The submission deadline is in the past"


class BiddingPeriodTooShortError(RuleViolationError):
    code = "bidding_period_too_short"
    title = "The bidding period is shorter than the rules allow"


class BidSecurityTooHighError(RuleViolationError):
    code = "bid_security_too_high"
    title = "The bid security exceeds the rules' ceiling"


class BidValidityError(RuleViolationError):
    code = "bid_validity_out_of_range"
    title = "The bid validity period is outside the rules' range"


class MethodNotAllowedForValueError(RuleViolationError):
    code = "method_not_allowed_for_value"
    title = "The procurement method is not allowed for this estimated value"


class DeadlineExtensionRequiredError(RuleViolationError):
    code = "deadline_extension_required"
    title = "A late amendment must extend the submission deadline"


class DeadlinePassedError(RuleViolationError):
    code = "deadline_passed"
    title = "The deadline has passed"


class ClarificationPeriodClosedError(RuleViolationError):
    code = "clarification_period_closed"
    title = "The clarification period has closed"


class InvalidTermsError(RuleViolationError):
    code = "invalid_terms"
    title = "The tender's terms are not valid"


# State: the request is valid but not in the object's current state -----------------------


class InvalidStateError(ProcurementError):
    code = "invalid_state"
    title = "Not possible in the current state"


class TenderNotDraftError(InvalidStateError):
    code = "tender_not_draft"
    title = "Only a draft tender can be edited"


class AlreadyPublishedError(InvalidStateError):
    code = "already_published"
    title = "The tender is already published"


class TenderNotPublishedError(InvalidStateError):
    code = "tender_not_published"
    title = "The tender is not published"


class BiddingClosedError(InvalidStateError):
    code = "bidding_closed"
    title = "Bidding on the tender has closed"


class DeadlineNotReachedError(InvalidStateError):
    code = "deadline_not_reached"
    title = "The deadline has not been reached"


class BidExistsError(InvalidStateError):
    code = "bid_exists"
    title = "You already have a live bid on this tender"


class BidNotLiveError(InvalidStateError):
    code = "bid_not_live"
    title = "There is no live bid"


class BidsSealedError(InvalidStateError):
    code = "bids_sealed"
    title = "The bids stay sealed until the opening time"


class AlreadyOpenedError(InvalidStateError):
    code = "already_opened"
    title = "The bids are already opened"


class TenderCancelledError(InvalidStateError):
    code = "tender_cancelled"
    title = "The tender is cancelled"


class QuestionAlreadyAnsweredError(InvalidStateError):
    code = "question_already_answered"
    title = "The question is already answered"


# Concurrency -----------------------------------------------------------------------------


class ConflictError(ProcurementError):
    code = "conflict"
    title = "Conflict"


class VersionConflictError(ConflictError):
    code = "version_conflict"
    title = "Another change was saved first; reload and try again"


class UsernameTakenError(ConflictError):
    code = "username_taken"
    title = "The username is taken"


class VersionMismatchError(ProcurementError):
    """The client's ``If-Match`` version is not the object's current version."""

    code = "version_mismatch"
    title = "The object has changed since the version you hold"


# Authentication --------------------------------------------------------------------------


class InvalidCredentialsError(ProcurementError):
    code = "invalid_credentials"
    title = "Wrong username or password"


class AccountDisabledError(ProcurementError):
    code = "account_disabled"
    title = "The account is disabled"
