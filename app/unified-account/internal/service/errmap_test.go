package service

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"

	"github.com/p2p-dtx/p2p-dtx/app/unified-account/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/errmap"
	"github.com/p2p-dtx/p2p-dtx/pkg/transporttest"
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
		{Name: "ErrInvalidCredentials", Err: biz.ErrInvalidCredentials, Code: 401, Reason: "INVALID_CREDENTIALS", Via: sessionErrorOutsideHTTP},
		{Name: "ErrTooManyAttempts", Err: biz.ErrTooManyAttempts, Code: 429, Reason: "TOO_MANY_ATTEMPTS", Via: sessionErrorOutsideHTTP},
		{Name: "ErrNotFound", Err: biz.ErrNotFound, Internal: "an unknown login: the session use case answers ErrInvalidCredentials, never which part was wrong"},
	})
}

// sessionErrorOutsideHTTP is sessionError for a call without a transport (no header).
func sessionErrorOutsideHTTP(err error) error { return sessionError(context.Background(), err) }

// A locked login's answer says when to retry, in whole seconds rounded up, in the
// Retry-After header and the error's metadata.
func TestLockedLoginAnswersRetryAfter(t *testing.T) {
	t.Parallel()
	tr := transporttest.NewServer(transport.KindHTTP, "/unifiedaccount.v1.UnifiedAccount/CreateSession", nil)
	ctx := tr.Context()
	err := errors.FromError(sessionError(ctx, fmt.Errorf("login: %w", &biz.LockedError{RetryAfter: 899*time.Second + time.Millisecond})))
	if err.Code != 429 || err.Reason != "TOO_MANY_ATTEMPTS" || err.Metadata["retry_after"] != "900" {
		t.Fatalf("locked login answered %v, want 429 TOO_MANY_ATTEMPTS retry_after 900", err)
	}
	if got := tr.Reply.Get("Retry-After"); got != "900" {
		t.Fatalf("Retry-After = %q, want 900", got)
	}
}
