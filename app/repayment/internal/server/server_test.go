package server

import (
	"context"
	"strings"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/transporttest"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func TestEveryPublicOperationNeedsABearerTokenAndAStrongSecret(t *testing.T) {
	t.Parallel()
	if _, err := authMiddleware(&conf.Bootstrap{Auth: &pconf.Auth{TokenSecret: "short"}}); err == nil {
		t.Fatal("a short token secret was accepted")
	}
	mw, err := authMiddleware(&conf.Bootstrap{Auth: &pconf.Auth{TokenSecret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	handler := mw(func(ctx context.Context, _ any) (any, error) {
		claims, _ := auth.FromContext(ctx)
		return claims, nil
	})
	issuer, err := auth.NewIssuer(testSecret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := issuer.Issue(1, auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := func() (string, time.Time, error) {
		other, err := auth.NewIssuer(strings.Repeat("x", 32), time.Hour)
		if err != nil {
			return "", time.Time{}, err
		}
		return other.Issue(1, auth.RoleAdmin)
	}()
	if err != nil {
		t.Fatal(err)
	}
	do := func(operation, token string) (any, error) {
		h := transporttest.Header{}
		if token != "" {
			h["Authorization"] = "Bearer " + token
		}
		return handler(transporttest.HTTP(operation, h), nil)
	}
	for name, token := range map[string]string{"no token": "", "a forged token": forged} {
		if _, err := do(v1.OperationRepaymentCreateRepaymentRun, token); kerrors.FromError(err).Code != 401 {
			t.Errorf("%s: %v, want 401", name, err)
		}
	}
	if got, err := do(v1.OperationRepaymentCreateRepaymentRun, admin); err != nil || got.(*auth.Claims).Role != auth.RoleAdmin {
		t.Fatalf("the admin's token: %v, %v", got, err)
	}
	// The plan reads need a token too; DTM's check-back carries none and is not matched.
	for _, op := range []string{v1.OperationRepaymentGetRepaymentPlan, v1.OperationRepaymentListReceivables} {
		if _, err := do(op, ""); kerrors.FromError(err).Code != 401 {
			t.Errorf("%s without a token: %v, want 401", op, err)
		}
		if got, err := do(op, admin); err != nil || got.(*auth.Claims).UserID != 1 {
			t.Errorf("%s with a token: %v, %v", op, got, err)
		}
	}
	if _, err := do(v1.RepaymentBranches_QueryPrepared_FullMethodName, ""); err != nil {
		t.Fatalf("DTM's check-back without a token: %v", err)
	}
}
