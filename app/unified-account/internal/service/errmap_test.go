package service

import (
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/errmap"
)

// Every error unified-account's biz declares reaches its API (sessions) or DTM (the
// registration branches) with a documented reason, or is named here as internal.
func TestEveryBizErrorHasItsReason(t *testing.T) {
	t.Parallel()
	errmap.Check(t, "../biz", branchError, []errmap.Row{
		{Name: "ErrUsernameTaken", Err: biz.ErrUsernameTaken, Code: 409, Reason: "USERNAME_TAKEN"},
		{Name: "ErrMobileTaken", Err: biz.ErrMobileTaken, Code: 409, Reason: "MOBILE_TAKEN"},
		{Name: "ErrFaultInjected", Err: biz.ErrFaultInjected, Code: 409, Reason: "FAULT_INJECTED"},
		{Name: "ErrFaultRetryable", Err: biz.ErrFaultRetryable, Code: 503, Reason: "FAULT_RETRYABLE"},
		{Name: "ErrInvalidCredentials", Err: biz.ErrInvalidCredentials, Code: 401, Reason: "INVALID_CREDENTIALS", Via: sessionError},
		{Name: "ErrNotFound", Err: biz.ErrNotFound, Internal: "an unknown login: the session use case answers ErrInvalidCredentials, never which part was wrong"},
	})
}
