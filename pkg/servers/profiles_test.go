package servers

import (
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/operator"
)

func TestProfilesAnswerTheOperatorOnly(t *testing.T) {
	token := strings.Repeat("a1", 32)
	t.Setenv(operator.EnvVar, token)
	srv := NewHTTP(&conf.Server{}, log.DefaultLogger, nil)
	for _, tc := range []struct {
		name, token string
		want        int
	}{{"no token", "", nethttp.StatusUnauthorized}, {"wrong token", strings.Repeat("b2", 32), nethttp.StatusUnauthorized},
		{"the operator", token, nethttp.StatusOK}} {
		req := httptest.NewRequest(nethttp.MethodGet, "/debug/pprof/goroutine?debug=1", nil)
		if tc.token != "" {
			req.Header.Set(operator.Header, tc.token)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: GET /debug/pprof/goroutine = %d, want %d", tc.name, rec.Code, tc.want)
		}
		if tc.want == nethttp.StatusOK && !strings.Contains(rec.Body.String(), "goroutine profile") {
			t.Errorf("%s: body %.200q is no goroutine profile", tc.name, rec.Body.String())
		}
	}
}
