package operator

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	"github.com/p2p-dtx/p2p-dtx/pkg/transporttest"
)

const good = Token("0123456789abcdef0123456789abcdef")

func TestCheckRefusesMissingAndShortTokens(t *testing.T) {
	t.Parallel()
	for token, want := range map[Token]string{
		"":                 EnvVar + ": not set",
		"short":            EnvVar + ": 5 bytes, need at least 32",
		good[:MinLength-1]: EnvVar + ": 31 bytes, need at least 32",
	} {
		if err := token.Check(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%q) = %v, want %q", token, err, want)
		}
	}
	if err := good.Check(); err != nil {
		t.Errorf("Check(32 bytes) = %v", err)
	}
}

func TestRequireAnswersOnlyTheToken(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		token     Token
		presented string
		want      int
	}{
		"right token":            {good, string(good), http.StatusOK},
		"no header":              {good, "", http.StatusUnauthorized},
		"wrong token":            {good, "0123456789abcdef0123456789abcdeX", http.StatusUnauthorized},
		"a prefix of the token":  {good, string(good[:10]), http.StatusUnauthorized},
		"no token configured":    {"", "", http.StatusUnauthorized},
		"short token configured": {"abc", "abc", http.StatusUnauthorized},
	} {
		ran := false
		h := c.token.Require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
		req := httptest.NewRequest(http.MethodPost, "/debug/faults", nil)
		if c.presented != "" {
			req.Header.Set(Header, c.presented)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want || ran != (c.want == http.StatusOK) {
			t.Errorf("%s: status %d, handler ran %v; want %d", name, rec.Code, ran, c.want)
		}
		if c.want == http.StatusUnauthorized && !strings.Contains(rec.Body.String(), Reason) {
			t.Errorf("%s: body %s, want reason %s", name, rec.Body, Reason)
		}
	}
}

func TestCheckRequestOfAKratosMethod(t *testing.T) {
	t.Parallel()
	ctx := func(h transporttest.Header) context.Context { return transporttest.HTTP("/notifications", h) }
	if err := good.CheckRequest(ctx(transporttest.Header{Header: string(good)})); err != nil {
		t.Fatalf("right token: %v", err)
	}
	for name, c := range map[string]context.Context{
		"no transport": context.Background(),
		"no header":    ctx(transporttest.Header{}),
		"wrong token":  ctx(transporttest.Header{Header: "nope"}),
	} {
		err := good.CheckRequest(c)
		if e := kerrors.FromError(err); e.Code != http.StatusUnauthorized || e.Reason != Reason {
			t.Errorf("%s: %v, want 401 %s", name, err, Reason)
		}
	}
}
