package service

import (
	"testing"

	v1 "github.com/p2p-dtx/p2p-dtx/api/user-center/v1"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/errmap"
)

// Every error user-center's biz declares reaches one of its APIs — the public one, the
// DTM branches, the bank's callback — with a documented reason (API.md,
// api/user-center/v1/errors.proto), or is named here as internal.
func TestEveryBizErrorHasItsReason(t *testing.T) {
	t.Parallel()
	register := func(err error) error { return registrationError(err, &v1.CreateUserRequest{}, "gid") }
	custody := func(err error) error { return custodyError(err, 7) }
	callback := func(err error) error { return notificationRefusal(err) }
	errmap.Check(t, "../biz", register, []errmap.Row{
		{Name: "ErrUsernameTaken", Err: biz.ErrUsernameTaken, Code: 409, Reason: "USERNAME_TAKEN"},
		{Name: "ErrMobileTaken", Err: biz.ErrMobileTaken, Code: 409, Reason: "MOBILE_TAKEN"},
		{Name: "ErrRolledBack", Err: biz.ErrRolledBack, Code: 409, Reason: "REGISTRATION_ROLLED_BACK"},
		{Name: "ErrFaultInjected", Err: biz.ErrFaultInjected, Code: 409, Reason: "FAULT_INJECTED"},
		{Name: "ErrOutcomeUnknown", Err: biz.ErrOutcomeUnknown, Code: 503, Reason: "REGISTRATION_OUTCOME_UNKNOWN"},
		{Name: "ErrNotFound", Err: biz.ErrNotFound, Code: 404, Reason: "USER_NOT_FOUND", Via: custody},
		{Name: "ErrCustodyAlreadyRequested", Err: biz.ErrCustodyAlreadyRequested, Code: 409, Reason: "CUSTODY_ALREADY_REQUESTED", Via: custody},
		{Name: "ErrCustodyAlreadyOpen", Err: biz.ErrCustodyAlreadyOpen, Code: 409, Reason: "CUSTODY_ALREADY_OPEN", Via: custody},
		{Name: "ErrCustodyNotOpen", Err: biz.ErrCustodyNotOpen, Code: 409, Reason: "CUSTODY_NOT_OPEN", Via: custody},
		{Name: "ErrRequestNotFound", Err: biz.ErrRequestNotFound, Code: 404, Reason: "REQUEST_NOT_FOUND", Via: custody},
		{Name: "ErrInsufficientBalance", Err: biz.ErrInsufficientBalance, Code: 422, Reason: "INSUFFICIENT_BALANCE", Via: custody},
		{Name: "ErrForbidden", Err: biz.ErrForbidden, Code: 403, Reason: "FORBIDDEN", Via: custody},
		{Name: "ErrBankUnavailable", Err: biz.ErrBankUnavailable, Code: 503, Reason: "BANK_UNAVAILABLE", Via: custody},
		{Name: "ErrResultMismatch", Err: biz.ErrResultMismatch, Code: 400, Reason: "NOTIFICATION_MISMATCH", Via: callback},
		{Name: "ErrInvalidResult", Err: biz.ErrInvalidResult, Code: 400, Reason: "INVALID_NOTIFICATION", Via: callback},
		{Name: "ErrFaultCallbackReject", Err: biz.ErrFaultCallbackReject, Code: 500, Reason: "FAULT_INJECTED", Via: callback},
		{Name: "ErrNotReceivedByBank", Err: biz.ErrNotReceivedByBank, Internal: "reconciliation's verdict on a request the bank never saw: it marks the request FAILED"},
	})
}
