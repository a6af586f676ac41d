package service

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/errmap"
)

func apiError(err error) error { return APIError(err) }

// Every error the bank's biz declares reaches its signed API with a documented reason
// (docs/custody-protocol.md, api/bank-custody/v1/errors.proto), or is named here as
// answered elsewhere.
func TestEveryBizErrorHasItsReason(t *testing.T) {
	t.Parallel()
	page := "answered by the gateway page as HTML, not by the API (gateway_test.go)"
	errmap.Check(t, "../biz", apiError, []errmap.Row{
		{Name: "ErrUnknownPlatform", Err: biz.ErrUnknownPlatform, Code: 401, Reason: "UNKNOWN_PLATFORM"},
		{Name: "ErrRequestNotFound", Err: biz.ErrRequestNotFound, Code: 404, Reason: "REQUEST_NOT_FOUND"},
		{Name: "ErrAccountNotFound", Err: biz.ErrAccountNotFound, Code: 404, Reason: "ACCOUNT_NOT_FOUND"},
		{Name: "ErrProjectNotFound", Err: biz.ErrProjectNotFound, Code: 404, Reason: "PROJECT_NOT_FOUND"},
		{Name: "ErrInsufficientBalance", Err: biz.ErrInsufficientBalance, Code: 422, Reason: "INSUFFICIENT_BALANCE"},
		{Name: "ErrProjectNotCollecting", Err: biz.ErrProjectNotCollecting, Code: 409, Reason: "PROJECT_NOT_COLLECTING"},
		{Name: "ErrProjectAlreadyRegistered", Err: biz.ErrProjectAlreadyRegistered, Code: 409, Reason: "PROJECT_ALREADY_REGISTERED"},
		{Name: "ErrRequestNoConflict", Err: biz.ErrRequestNoConflict, Code: 409, Reason: "REQUEST_NO_CONFLICT"},
		{Name: "ErrExceedsProjectAmount", Err: biz.ErrExceedsProjectAmount, Code: 409, Reason: "EXCEEDS_PROJECT_AMOUNT"},
		{Name: "ErrNothingFrozen", Err: biz.ErrNothingFrozen, Code: 409, Reason: "NOTHING_FROZEN"},
		{Name: "ErrFreezeVoided", Err: biz.ErrFreezeVoided, Code: 409, Reason: "FREEZE_VOIDED"},
		{Name: "ErrFreezeTransferred", Err: biz.ErrFreezeTransferred, Code: 409, Reason: "FREEZE_TRANSFERRED"},
		{Name: "ErrProjectNotLoaned", Err: biz.ErrProjectNotLoaned, Code: 409, Reason: "PROJECT_NOT_LOANED"},
		{Name: "ErrPeriodAlreadyRepaid", Err: biz.ErrPeriodAlreadyRepaid, Code: 409, Reason: "PERIOD_ALREADY_REPAID"},
		{Name: "ErrPasswordsDiffer", Err: biz.ErrPasswordsDiffer, Internal: page},
		{Name: "ErrPasswordFormat", Err: biz.ErrPasswordFormat, Internal: page},
		{Name: "ErrNonceReplayed", Err: biz.ErrNonceReplayed, Internal: page},
		{Name: "ErrWrongPassword", Err: biz.ErrWrongPassword, Internal: page},
		{Name: "ErrExceedsAvailable", Err: biz.ErrExceedsAvailable, Internal: page},
		{Name: "ErrRepaymentNotFound", Err: biz.ErrRepaymentNotFound, Internal: "the repayment's check that its period is not paid yet"},
		{Name: "ErrDuplicateRequest", Err: biz.ErrDuplicateRequest, Internal: "a resubmitted form: the gateway answers the stored request"},
		{Name: "ErrUserNoTaken", Err: biz.ErrUserNoTaken, Internal: "a drawn user number that exists: the bank draws another"},
		{Name: "ErrPlatformUserHasAccount", Err: biz.ErrPlatformUserHasAccount, Internal: "processing's verdict: the opening fails and the platform is notified"},
		{Name: "ErrFreezeNotFound", Err: biz.ErrFreezeNotFound, Internal: "a freeze lookup before creating one"},
		{Name: "ErrRequestFinished", Err: biz.ErrRequestFinished, Internal: "the poller finishing a request twice: the second changes nothing"},
	})
}
