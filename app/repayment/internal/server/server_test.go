package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"

	v1 "github.com/p2p-dtx/p2p-dtx/api/repayment/v1"
	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
)

// headerCarrier is a transport.Header over http.Header.
type headerCarrier http.Header

func (h headerCarrier) Get(k string) string      { return http.Header(h).Get(k) }
func (h headerCarrier) Set(k, v string)          { http.Header(h).Set(k, v) }
func (h headerCarrier) Add(k, v string)          { http.Header(h).Add(k, v) }
func (h headerCarrier) Keys() []string           { return nil }
func (h headerCarrier) Values(k string) []string { return http.Header(h).Values(k) }

// call is a server-side request of operation with an Authorization header.
type call struct {
	operation string
	header    headerCarrier
}

func (c call) Kind() transport.Kind            { return transport.KindHTTP }
func (c call) Endpoint() string                { return "" }
func (c call) Operation() string               { return c.operation }
func (c call) RequestHeader() transport.Header { return c.header }
func (c call) ReplyHeader() transport.Header   { return headerCarrier{} }

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
		h := headerCarrier{}
		if token != "" {
			h.Set("Authorization", "Bearer "+token)
		}
		return handler(transport.NewServerContext(context.Background(), call{operation, h}), nil)
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
