package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/errors"

	"github.com/p2p-dtx/p2p-dtx/pkg/transporttest"
)

const secret = "0123456789abcdef0123456789abcdef"

func call(t *testing.T, mwSecret, token string) (*Claims, error) {
	t.Helper()
	ctx := transporttest.HTTP("/test", transporttest.Header{"Authorization": "Bearer " + token})
	var got *Claims
	_, err := Server(mwSecret)(func(ctx context.Context, _ any) (any, error) {
		got, _ = FromContext(ctx)
		return nil, nil
	})(ctx, nil)
	return got, err
}

func TestIssuedTokenCarriesUserAndRole(t *testing.T) {
	t.Parallel()
	iss, err := NewIssuer(secret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := iss.Issue(42, RoleInvestor)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expiry in %v, want about 1h", d)
	}
	c, err := call(t, secret, tok)
	if err != nil {
		t.Fatal(err)
	}
	if c == nil || c.UserID != 42 || c.Role != RoleInvestor {
		t.Fatalf("claims = %+v", c)
	}
}

func TestTokenRejectedWhenForgedOrExpired(t *testing.T) {
	t.Parallel()
	iss, err := NewIssuer(secret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Issue(1, RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	old, err := NewIssuer(secret, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	old.now = func() time.Time { return time.Now().Add(-2 * time.Minute) }
	expired, _, err := old.Issue(1, RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ secret, token string }{
		"other secret": {strings.Repeat("x", 32), tok},
		"tampered":     {secret, tok[:len(tok)-2] + "AA"},
		"expired":      {secret, expired},
		"garbage":      {secret, "abc"},
	} {
		if _, err := call(t, tc.secret, tc.token); errors.Code(err) != 401 {
			t.Errorf("%s: err = %v, want 401", name, err)
		}
	}
}

func TestIssuerRefusesShortSecret(t *testing.T) {
	t.Parallel()
	if _, err := NewIssuer("short", time.Hour); err == nil {
		t.Fatal("want an error for a short secret")
	}
}
