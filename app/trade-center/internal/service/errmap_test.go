package service

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/trade-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/errmap"
)

// Every error trade-center's biz declares reaches the API with a documented reason
// (API.md, api/trade-center/v1/errors.proto) — or is named here as internal.
func TestEveryBizErrorHasItsReason(t *testing.T) {
	t.Parallel()
	errmap.Check(t, "../biz", apiError, []errmap.Row{
		{Name: "ErrForbidden", Err: biz.ErrForbidden, Code: 403, Reason: "FORBIDDEN"},
		{Name: "ErrProjectNotFound", Err: biz.ErrProjectNotFound, Code: 404, Reason: "PROJECT_NOT_FOUND"},
		{Name: "ErrUnknownProjectStatus", Err: biz.ErrUnknownProjectStatus, Code: 400, Reason: "INVALID_ARGUMENT"},
		{Name: "ErrBelowMinimum", Err: biz.ErrBelowMinimum, Code: 400, Reason: "BELOW_MINIMUM"},
		{Name: "ErrExceedsRemaining", Err: biz.ErrExceedsRemaining, Code: 409, Reason: "EXCEEDS_REMAINING"},
		{Name: "ErrProjectNotCollecting", Err: biz.ErrProjectNotCollecting, Code: 409, Reason: "PROJECT_NOT_COLLECTING"},
		{Name: "ErrInsufficientBalance", Err: biz.ErrInsufficientBalance, Code: 422, Reason: "INSUFFICIENT_BALANCE"},
		{Name: "ErrCustodyNotOpen", Err: biz.ErrCustodyNotOpen, Code: 409, Reason: "CUSTODY_NOT_OPEN"},
		{Name: "ErrProjectNotPendingReview", Err: biz.ErrProjectNotPendingReview, Code: 409, Reason: "PROJECT_NOT_PENDING_REVIEW"},
		{Name: "ErrProjectNotFull", Err: biz.ErrProjectNotFull, Code: 409, Reason: "PROJECT_NOT_FULL"},
		{Name: "ErrTendersUnsettled", Err: biz.ErrTendersUnsettled, Code: 409, Reason: "TENDERS_UNSETTLED"},
		{Name: "ErrProjectNotFailable", Err: biz.ErrProjectNotFailable, Code: 409, Reason: "PROJECT_NOT_FAILABLE"},
		{Name: "ErrProjectNotRepaying", Err: biz.ErrProjectNotRepaying, Code: 503, Reason: "PROJECT_NOT_REPAYING", Via: branchError},
		{Name: "ErrIdempotencyKeyReused", Err: biz.ErrIdempotencyKeyReused, Code: 409, Reason: "IDEMPOTENCY_KEY_REUSED"},
		{Name: "ErrTenderPending", Err: biz.ErrTenderPending, Code: 503, Reason: "TENDER_PENDING"},
		{Name: "ErrTenderNotPlaced", Err: biz.ErrTenderNotPlaced, Code: 503, Reason: "TENDER_NOT_PLACED"},
		{Name: "ErrBankRefused", Err: biz.ErrBankRefused, Code: 502, Reason: "BANK_REFUSED"},
		{Name: "ErrBankUnavailable", Err: biz.ErrBankUnavailable, Code: 503, Reason: "BANK_UNAVAILABLE"},
		{Name: "ErrUserCenterUnavailable", Err: biz.ErrUserCenterUnavailable, Code: 503, Reason: "USER_CENTER_UNAVAILABLE"},
		{Name: "ErrLoanNotCommitted", Err: biz.ErrLoanNotCommitted, Code: 503, Reason: "LOAN_NOT_COMMITTED"},
		{Name: "ErrBrokerUnavailable", Err: biz.ErrBrokerUnavailable, Code: 503, Reason: "BROKER_UNAVAILABLE"},
		{Name: "ErrLoanMessageNotFound", Err: biz.ErrLoanMessageNotFound, Internal: "the ledger's lookup of a message key; answered to the broker, never to a client"},
		{Name: "ErrLoanMessageBusy", Err: biz.ErrLoanMessageBusy, Internal: "a check-back meeting a running local transaction; the broker asks again"},
		{Name: "ErrTenderNotFound", Err: biz.ErrTenderNotFound, Internal: "an idempotency-key lookup that found nothing: the tender goes on"},
		{Name: "ErrFreezeVoided", Err: biz.ErrFreezeVoided, Internal: "the bank's refusal of a freeze the refund job voided: the tender answers PROJECT_NOT_COLLECTING"},
		{Name: "ErrFreezeTransferred", Err: biz.ErrFreezeTransferred, Internal: "an unfreeze of loaned money: the refund job logs it for an operator"},
		{Name: "ErrDuplicateRequestNo", Err: biz.ErrDuplicateRequestNo, Internal: "a racing twin of an idempotent tender: answered with the twin's tender"},
	})
}
