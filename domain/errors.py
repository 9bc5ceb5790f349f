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


class DocumentNotFoundError(NotFoundError):
    code = "document_not_found"
    title = "Document not found"


class QuestionNotFoundError(NotFoundError):
    code = "question_not_found"
    title = "Clarification question not found"


class BidNotFoundError(NotFoundError):
    code = "bid_not_found"
    title = "Bid not found"


class AccountNotFoundError(NotFoundError):
    code = "account_not_found"
    title = "Account not found"


class EvaluationNotFoundError(NotFoundError):
    code = "evaluation_not_found"
    title = "The tender has no evaluation yet"


class AwardNotFoundError(NotFoundError):
    code = "award_not_found"
    title = "Award not found"


class ComplaintNotFoundError(NotFoundError):
    code = "complaint_not_found"
    title = "Complaint not found"


class GrievanceCommitteeNotFoundError(NotFoundError):
    code = "grievance_committee_not_found"
    title = "The procuring entity has not named its grievance committee"


class DebarmentCaseNotFoundError(NotFoundError):
    code = "debarment_case_not_found"
    title = "Debarment case not found"


# Rules: the request is understood but breaks a procurement rule ---------------------------


class RuleViolationError(ProcurementError):
    code = "rule_violation"
    title = "The request breaks a procurement rule"


class InvalidTimelineError(RuleViolationError):
    code = "invalid_timeline"
    title = "The tender's timeline is not valid"


class OpeningTimeOutOfWindowError(InvalidTimelineError):
    """The opening time is not in the rules' window after the submission deadline (from the
    opening grace to the latest opening)."""

    code = "opening_time_out_of_window"
    title = "The opening time is outside the window the rules allow after the deadline"
    field = "timeline.opening_time"


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


class NoticeTranslationMissingError(RuleViolationError):
    code = "notice_translation_missing"
    title = "The notice lacks a language the rules require"


class InvalidDocumentsError(RuleViolationError):
    code = "invalid_documents"
    title = "The document changes do not apply"


class InvalidBillOfQuantitiesError(RuleViolationError):
    code = "invalid_bill_of_quantities"
    title = "The bill of quantities cannot be read"


class UploadNotFoundError(RuleViolationError):
    code = "upload_not_found"
    title = "No file was uploaded with that hash"


class DocumentTypeError(RuleViolationError):
    """The content is not a kind of file a tender carries, or not the kind its name or
    ``Content-Type`` claims."""

    code = "document_type_refused"
    title = "The file's content is not an accepted document type"


class InvalidTermsError(RuleViolationError):
    code = "invalid_terms"
    title = "The tender's terms are not valid"


class InvalidCommitteeError(RuleViolationError):
    code = "invalid_committee"
    title = "The evaluation committee is not valid"


class InvalidScoresError(RuleViolationError):
    code = "invalid_scores"
    title = "The scores are not valid"


class CorrectedTotalOutOfRangeError(RuleViolationError):
    code = "corrected_total_out_of_range"
    title = "The corrected total price would be out of range"


class ContractValueMismatchError(RuleViolationError):
    code = "contract_value_mismatch"
    title = "The contract's value is the award's"


class ReasonRequiredError(RuleViolationError):
    code = "reason_required"
    title = "A published reason is required"


class BidNotResponsiveError(RuleViolationError):
    code = "bid_not_responsive"
    title = "The bid is not responsive"


class NotABidderError(RuleViolationError):
    code = "not_a_bidder"
    title = "Only a bidder of the tender may do this"


class InvalidTextError(RuleViolationError):
    """Text the platform does not accept (``domain/text.py``): a control character other than
    tab and line breaks, a lone surrogate, a non-character, or a line break in a single line."""

    code = "invalid_text"
    title = "The text holds a character that is not accepted"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidUsernameError(RuleViolationError):
    """A new staff account's username without an "@" (vendors' never have one)."""

    code = "invalid_username"
    title = "The username is not valid"
    field = "username"


class WrongCurrentPasswordError(RuleViolationError):
    """A password change whose current password is not the account's."""

    code = "wrong_current_password"
    title = "The current password is wrong"
    field = "current_password"


class UnreadableBidError(RuleViolationError):
    """What a vendor sealed on its own machine is not a bid the opening accepts: the reason
    is recorded against the bid, marked unreadable."""

    code = "bid_unreadable"
    title = "The bid's envelope does not open to an acceptable bid"


# State: the request is valid but not in the object's current state -----------------------


class InvalidStateError(ProcurementError):
    code = "invalid_state"
    title = "Not possible in the current state"


class AccountEnabledError(InvalidStateError):
    code = "account_not_disabled"
    title = "The account is not disabled"


class NoEnrolmentError(InvalidStateError):
    code = "no_enrolment"
    title = "No second-factor enrolment has been started"


class NoSecondFactorError(InvalidStateError):
    code = "no_second_factor"
    title = "The account has no second factor"


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


class EvaluationStateError(InvalidStateError):
    code = "evaluation_state"
    title = "Not possible at this stage of the evaluation"


class DeclarationRequiredError(InvalidStateError):
    code = "declaration_required"
    title = "Declare your conflicts of interest before you see or score the bids"


class CommitteeNotReadyError(InvalidStateError):
    code = "committee_not_ready"
    title = "The committee starts its work once every member has declared"


class AlreadyScoredError(InvalidStateError):
    code = "already_scored"
    title = "You have already scored this bid"


class ScoringIncompleteError(InvalidStateError):
    code = "scoring_incomplete"
    title = "The committee has not finished its work"


class FinancialOpeningRequiredError(InvalidStateError):
    code = "financial_opening_required"
    title = "The financial envelopes are not opened yet"


class PricesOpenError(InvalidStateError):
    code = "prices_open"
    title = "Prices are open: a bid not yet scored by every member is not reinstated"


class ReportNotFinalError(InvalidStateError):
    code = "report_not_final"
    title = "The evaluation report is not finalised"


class NoResponsiveBidError(InvalidStateError):
    code = "no_responsive_bid"
    title = "No bid is responsive: the tender is unsuccessful"


class AwardNotActiveError(InvalidStateError):
    code = "award_not_active"
    title = "The award is cancelled or already contracted"


class StandstillError(InvalidStateError):
    code = "standstill_in_progress"
    title = "The standstill period has not ended"


class ComplaintPeriodClosedError(InvalidStateError):
    code = "complaint_period_closed"
    title = "Complaints are taken only during the standstill"


class ComplaintPendingError(InvalidStateError):
    code = "complaint_pending"
    title = "A complaint is pending: the process is suspended until its decision"


class ComplaintDecidedError(InvalidStateError):
    code = "complaint_decided"
    title = "The complaint is already decided"


class ContractSignedError(InvalidStateError):
    code = "contract_signed"
    title = "The contract is signed"


class AwardLiveError(InvalidStateError):
    code = "award_live"
    title = "The tender's award stands: cancel the award first"


# Concurrency -----------------------------------------------------------------------------


class ComplaintStageClosedError(InvalidStateError):
    """The complaint's stage is not open now (its window has not begun or has ended)."""

    code = "complaint_stage_closed"
    title = "Complaints about this stage are not accepted now"


class ComplaintNotAppealableError(InvalidStateError):
    code = "complaint_not_appealable"
    title = "The complaint cannot be appealed now"


class AppealPendingError(InvalidStateError):
    code = "appeal_pending"
    title = "The complaint is under appeal: the regulator decides it"


class OpeningHeldError(InvalidStateError):
    code = "opening_held_by_complaint"
    title = "A complaint about the notice or documents holds the opening"


class AmendmentRequiredError(InvalidStateError):
    code = "amendment_required"
    title = "An upheld complaint requires the documents amended and the deadline moved"


class FinancialOpeningHeldError(InvalidStateError):
    code = "financial_opening_held_by_complaint"
    title = "A complaint about the technical evaluation report holds the financial opening"


class AwardHeldError(InvalidStateError):
    code = "award_held_by_complaint"
    title = "A complaint about the evaluation report holds the award"


class ContractHeldError(InvalidStateError):
    code = "contract_held_by_complaint"
    title = "A complaint about the award holds the contract"


class HearingOpenError(InvalidStateError):
    code = "hearing_open"
    title = "The vendor's time to answer has not ended and it has not answered"


class DebarmentCaseDecidedError(InvalidStateError):
    code = "debarment_case_decided"
    title = "The debarment case is already decided"


class HearingClosedError(InvalidStateError):
    code = "hearing_closed"
    title = "The time to answer the debarment case has ended"


class ConflictError(ProcurementError):
    code = "conflict"
    title = "Conflict"


class VersionConflictError(ConflictError):
    code = "version_conflict"
    title = "Another change was saved first; reload and try again"


class ComplaintExistsError(ConflictError):
    code = "complaint_exists"
    title = "A complaint with this id is already lodged"


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


class SecondFactorRequiredError(InvalidCredentialsError):
    """The password is right; the account has a second factor and no code came with it."""

    code = "second_factor_required"
    title = "A code from the authenticator app (or a recovery code) is required"


class InvalidSecondFactorError(InvalidCredentialsError):
    """A TOTP code that is wrong, outside the window of one step either side, or of a step
    the account has used already; or a recovery code that is wrong or spent."""

    code = "invalid_second_factor"
    title = "The code is wrong, expired or already used"


class InvalidResetCodeError(InvalidCredentialsError):
    code = "invalid_reset_code"
    title = "The password reset code is wrong, spent or expired"


# Authority -------------------------------------------------------------------------------


class ForbiddenError(ProcurementError):
    """The caller may see the object but may not do this to it."""

    code = "forbidden"
    title = "Not allowed"


class OwnAccountError(ForbiddenError):
    code = "own_account"
    title = "An administrator does not disable their own account"


class NotCommitteeMemberError(ForbiddenError):
    code = "not_committee_member"
    title = "Only the tender's evaluation committee may do this"


class NotChairError(ForbiddenError):
    code = "not_chair"
    title = "Only the committee's chair may do this"


class GrievancePanelConflictError(ForbiddenError):
    code = "grievance_panel_conflict"
    title = "A member of the tender's evaluation committee cannot decide its complaints"


class NotGrievanceChairError(ForbiddenError):
    code = "not_grievance_chair"
    title = "Only the chair of the entity's grievance committee records its decisions"


class NotEntityHeadError(ForbiddenError):
    code = "not_entity_head"
    title = "Only the head of the procuring entity may do this"


class VendorDebarredError(ForbiddenError):
    code = "vendor_debarred"
    title = "The vendor is debarred from public procurement"


# Vendor standing (ATL)


class VendorNotActiveTaxpayerError(ForbiddenError):
    """The vendor's NTN is not on the latest Active Taxpayer List, which is fresh, and the
    platform enforces the list (``PROCUREMENT_ATL_ENFORCE``)."""

    code = "vendor_not_active_taxpayer"
    title = "The vendor is not on the Active Taxpayer List"


# Lots (docs/lots.md) -----------------------------------------------------------------------


class LotRequiredError(RuleViolationError):
    """An award of a tender awarded by lot names its lot (``lot_id``)."""

    code = "lot_required"
    title = "The tender is awarded by lot: name the lot"
    field = "lot_id"


class UnknownLotError(RuleViolationError):
    """``lot_id`` is not a lot of the tender, or the tender is awarded whole."""

    code = "unknown_lot"
    title = "No such lot to award on this tender"
    field = "lot_id"


class BidNotRankedOnLotError(RuleViolationError):
    """The bid is not ranked on the lot (it did not price it, or is not responsive)."""

    code = "bid_not_ranked_on_lot"
    title = "The bid is not ranked on this lot"
    field = "bid_id"


class LotAwardedError(InvalidStateError):
    code = "lot_awarded"
    title = "The lot's award stands: cancel it before awarding the lot again"


# Bid validity and securities (docs/securities.md)


class BidValidityExpiredError(InvalidStateError):
    """The bid's validity ended, or its bidder declined (or let lapse) an extension."""

    code = "bid_validity_expired"
    title = "The bid is no longer valid"


class ExtensionRequestError(InvalidStateError):
    """No extension request open for this bidder's answer, or one already open, or the
    validity already ended."""

    code = "extension_request_closed"
    title = "The validity extension request cannot be made or answered now"


class SecurityNotRecordedError(InvalidStateError):
    code = "security_not_recorded"
    title = "No security is recorded for this bidder"


class SecurityRecordedError(ConflictError):
    code = "security_already_recorded"
    title = "The security is already recorded"


class SecurityClosedError(InvalidStateError):
    """Released or forfeited: a security is closed once."""

    code = "security_closed"
    title = "The security is already released or forfeited"


class SecurityInsufficientError(RuleViolationError):
    code = "security_insufficient"
    title = "The security's amount is below what the tender requires"


class PerformanceSecurityRequiredError(InvalidStateError):
    code = "performance_security_required"
    title = "The winner's performance security must be recorded before the contract"


class PerformanceSecurityTooHighError(RuleViolationError):
    code = "performance_security_out_of_range"
    title = "The performance security percent is outside the rules' range"


# Annual procurement plans (issue 20) ------------------------------------------------------


class PlanNotFoundError(NotFoundError):
    code = "plan_not_found"
    title = "The entity has no procurement plan for that fiscal year"


class PlanLineNotFoundError(NotFoundError):
    code = "plan_line_not_found"
    title = "The procurement plan has no such line"


class PlanNotDraftError(InvalidStateError):
    code = "plan_not_draft"
    title = "The procurement plan is published: amend it, with a reason"


class PlanNotPublishedError(InvalidStateError):
    code = "plan_not_published"
    title = "The procurement plan is not published"


class PlanLineExistsError(ConflictError):
    code = "plan_line_exists"
    title = "The procurement plan has a line of that id already"


class InvalidPlanLineError(RuleViolationError):
    """A tender cites a plan line that is not in the entity's published plan, or was
    withdrawn; or an amendment changes a withdrawn line."""

    code = "invalid_plan_line"
    title = "The plan line cannot be cited"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnplannedReasonRequiredError(RuleViolationError):
    """The entity published a plan for the fiscal year, and the tender cites none of its
    lines: publishing it needs the reason it was not planned."""

    code = "unplanned_reason_required"
    title = "A tender outside the entity's published plan needs the reason"
    field = "unplanned_reason"


# Methods: quotations, direct contracting, pre-bid meetings (issue 20) ---------------------


class TooFewQuotationsError(RuleViolationError):
    """A request for quotations received fewer quotations than its rules' minimum, and the
    award gives no reason (published with it) for going ahead."""

    code = "too_few_quotations"
    title = "Fewer quotations than the rules ask: give the reason for awarding"
    field = "reason"


class JustificationRequiredError(RuleViolationError):
    """A direct-contracting tender published without the rules' case it falls in, or with a
    case its rules do not list."""

    code = "justification_required"
    title = "Direct contracting needs its justification: the rules' case and an explanation"
    field = "direct_contracting"


class InvalidPreBidMeetingError(InvalidTimelineError):
    """A pre-bid meeting that is not in the future at publishing, or not before the
    clarification deadline."""

    code = "invalid_pre_bid_meeting"
    title = "The pre-bid meeting is not within the tender's timeline"
    field = "pre_bid_meeting.at"


class NoPreBidMeetingError(RuleViolationError):
    code = "no_pre_bid_meeting"
    title = "The tender's notice holds no pre-bid meeting"


class PreBidMeetingNotHeldError(RuleViolationError):
    code = "pre_bid_meeting_not_held"
    title = "The pre-bid meeting has not taken place yet"


class SecurityNotReleasableError(InvalidStateError):
    """A bid security released while its bidder may still win or must still sign: it holds
    an award not yet contracted, or still competes for the tender (a lot) with no award."""

    code = "security_not_releasable"
    title = "The bid security cannot be released yet"
    field = "vendor_id"


class PerformanceSecurityNotAskedError(RuleViolationError):
    code = "performance_security_not_asked"
    title = "The tender's notice asks no performance security"


class ForfeitureNotDueError(InvalidStateError):
    """A forfeiture for refusal to sign of a bidder that holds no award it could sign now:
    none standing, its standstill running, a complaint holding it, or the bid no longer
    valid (a bidder that left or whose validity ended was free not to sign)."""

    code = "forfeiture_not_due"
    title = "The bidder has no award it refused to sign"
    field = "reason"


class SecurityForfeitedError(InvalidStateError):
    """An award to a bidder whose bid security was forfeited: the forfeiture took it out of
    the competition (it withdrew after the deadline, or refused to sign)."""

    code = "security_forfeited"
    title = "The bidder's bid security was forfeited"
    field = "bid_id"


class PlanYearEndedError(InvalidStateError):
    """A plan drafted, published or amended for a fiscal year already over: a plan is made
    for the year ahead, and a past one is not written after the fact (a tender would cite a
    line planned once it was bought)."""

    code = "plan_year_ended"
    title = "The plan's fiscal year is over"
    field = "fiscal_year"


class VendorNotInvitedError(ForbiddenError):
    """A bid on a tender open only to invited vendors (stage two: the qualified of stage
    one; a mini-competition: the framework's suppliers) from a vendor not among them."""

    code = "vendor_not_invited"
    title = "Only the vendors invited to this tender may bid on it"


VendorNotInvited = VendorNotInvitedError
"""The name the shared conventions of issue 20 give it."""


# Two-stage tendering (docs/two-stage.md)


class NotStageOneError(RuleViolationError):
    """Stage two issued from a tender whose method is not a two-stage one."""

    code = "not_stage_one"
    title = "Only stage one of a two-stage tender issues a stage two"
    field = "method"


class NoQualifiedBiddersError(InvalidStateError):
    code = "no_qualified_bidders"
    title = "Stage one's report qualifies no bidder: there is nobody to invite to stage two"


class StageTwoIssuedError(InvalidStateError):
    code = "stage_two_issued"
    title = "Stage one has its stage two already"


class StageOneNotAwardedError(RuleViolationError):
    """An award on stage one, whose proposals carry no price: stage two is awarded."""

    code = "stage_one_not_awarded"
    title = "Stage one of a two-stage tender is not awarded: its stage two is"


class UnpricedProposalError(InvalidTermsError):
    """A bid on stage one that gives prices or rates: stage one takes unpriced technical
    proposals."""

    code = "unpriced_proposal_required"
    title = "Stage one takes unpriced technical proposals: leave out prices and rates"
    field = "contents.prices"


class FollowOnTermsFixedError(InvalidTermsError):
    """An edit of a follow-on draft (stage two, a call-off) that changes what the
    application filled in from the tender it follows: its method, ``related`` or the
    invited vendors."""

    code = "follow_on_terms_fixed"
    title = "A follow-on tender's method, framework and invitations come from its parent"

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class StageTwoHeldError(InvalidStateError):
    """Stage two drafted or published while a complaint about stage one's qualification
    report is not settled."""

    code = "stage_two_held_by_complaint"
    title = "A complaint about stage one's qualification report holds stage two"


class InvitedVendorsChangedError(InvalidStateError):
    """Stage two published inviting other vendors than stage one's report now qualifies
    (the report was withdrawn on a complaint and redone): draft stage two again."""

    code = "invited_vendors_changed"
    title = "Stage one's report now qualifies other vendors than stage two invites"


class FrameworkPeriodTooLongError(RuleViolationError):
    """A framework agreement's period longer than its rules allow, refused at publishing."""

    code = "framework_period_too_long"
    title = "The framework agreement's period is longer than the rules allow"
    field = "framework.period.end"


class NotAFrameworkError(RuleViolationError):
    """A call-off from a tender that is not a framework agreement."""

    code = "not_a_framework"
    title = "The tender is not a framework agreement"
    field = "framework_id"


class FrameworkNotAwardedError(InvalidStateError):
    """A call-off before any of the framework's suppliers has signed its agreement."""

    code = "framework_not_awarded"
    title = "No framework agreement is signed yet"
    field = "framework_id"


class OutsideFrameworkPeriodError(RuleViolationError):
    """A call-off placed (or awarded) outside the framework agreement's period."""

    code = "outside_framework_period"
    title = "The framework agreement's period does not cover this call-off"
    field = "framework_id"


class OverFrameworkCeilingError(RuleViolationError):
    """A call-off that would bring the framework's call-offs above its ceiling."""

    code = "over_framework_ceiling"
    title = "The call-offs would exceed the framework agreement's ceiling"
    field = "value"


class NotAFrameworkSupplierError(RuleViolationError):
    """A direct order to a vendor that holds no signed agreement of the framework."""

    code = "not_a_framework_supplier"
    title = "The vendor is not a supplier of the framework agreement"
    field = "vendor_id"


# One lot of a tender awarded by lot cancelled (docs/lots.md)


class NotAwardedByLotError(RuleViolationError):
    """A lot named for cancellation on a tender awarded whole: cancel the tender."""

    code = "not_awarded_by_lot"
    title = "The tender is awarded whole: only the whole tender is cancelled"
    field = "lot_id"


class LotCancelledError(InvalidStateError):
    """The lot was cancelled: it is neither awarded nor cancelled again."""

    code = "lot_cancelled"
    title = "The lot is cancelled"
    field = "lot_id"


class LastOpenLotError(InvalidStateError):
    """The last lot not cancelled is not cancelled alone: the tender is."""

    code = "last_open_lot"
    title = "The last open lot is not cancelled alone: cancel the tender"
    field = "lot_id"


class CancelledLotPricedError(RuleViolationError):
    """A bid (new or replaced) that prices a lot cancelled before the deadline."""

    code = "cancelled_lot_priced"
    title = "The bid prices a cancelled lot"
    field = "contents.prices"


# Lot-bundle discounts (docs/lots.md#bundle-discounts) -------------------------------------


class BundleDiscountsNotAllowedError(InvalidTermsError):
    """A notice that allows bundle discounts but is not awarded by lot, not evaluated at
    least cost (or lowest quotation), or has fewer than two lots or more than
    ``MAX_BUNDLE_LOTS``."""

    code = "bundle_discounts_not_allowed"
    title = "This tender's notice cannot allow lot-bundle discounts"
    field = "bundle_discounts"


class InvalidDiscountError(InvalidTermsError):
    """A plain bid's bundle discounts: on a tender whose notice does not allow them, or
    naming a lot the bid does not price."""

    code = "invalid_discount"
    title = "The bid's lot-bundle discounts are not accepted"
    field = "contents.discounts"


class BundleAwardedError(InvalidStateError):
    """An award of a lot of the report's winning bundle to another bid than the bundle's,
    while the bundle's bid holds a live award of another of its lots at the discounted
    price: cancel that award first."""

    code = "bundle_awarded"
    title = "A lot of this bundle is awarded at the bundle's discount: cancel that award first"
    field = "lot_id"


class LotCancellationHeldError(InvalidStateError):
    """One lot cancelled alone while its bidders may still complain: within the report's
    complaint period, or within the standstill of an award of the lot that was cancelled
    (a corrupt cancellation would otherwise take a lot from the bidder ranked first with
    no complaint left to undo it)."""

    code = "lot_cancellation_held"
    title = "The lot's bidders may still complain: the lot is cancelled alone after that"
    field = "lot_id"


class LotInBundleError(InvalidStateError):
    """One lot cancelled alone while the latest report recommends it in a bundle with other
    lots: the bundle's discount was offered for all of them together."""

    code = "lot_in_bundle"
    title = "The report recommends this lot in a bundle: it is not cancelled alone"
    field = "lot_id"
