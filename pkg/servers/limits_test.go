package servers

import (
	"bytes"
	"encoding/json"
	"io"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport/http"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/p2p-dtx/p2p-dtx/pkg/conf"
)

// echoServer is a server built by NewHTTP with one JSON endpoint, POST /echo, that
// answers its decoded body; calls counts how often the endpoint itself ran.
func echoServer(t *testing.T, calls *int) *http.Server {
	t.Helper()
	srv := NewHTTP(&conf.Server{}, log.DefaultLogger, Middleware(log.DefaultLogger))
	srv.Route("/").POST("/echo", func(ctx http.Context) error {
		var in structpb.Struct
		if err := ctx.Bind(&in); err != nil {
			return err
		}
		*calls++
		return ctx.Result(200, &in)
	})
	srv.Route("/").POST("/typed", func(ctx http.Context) error {
		var in conf.Server
		if err := ctx.Bind(&in); err != nil {
			return err
		}
		*calls++
		return ctx.Result(200, &in)
	})
	return srv
}

// errorBody is the Kratos error body.
type errorBody struct {
	Code     int               `json:"code"`
	Reason   string            `json:"reason"`
	Metadata map[string]string `json:"metadata"`
}

func TestNewHTTPBodyLimits(t *testing.T) {
	t.Parallel()
	big := `{"a":"` + strings.Repeat("x", 2<<20) + `"}`
	cases := []struct {
		name       string
		path       string
		body       io.Reader
		wantStatus int
		wantReason string
		wantField  string
	}{
		{"valid JSON", "/echo", strings.NewReader(`{"a":"é"}`), 200, "", ""},
		{"over 1 MiB with Content-Length", "/echo", strings.NewReader(big), 413, ReasonBodyTooLarge, ""},
		// No Content-Length: only reading finds out.
		{"over 1 MiB chunked", "/echo", io.MultiReader(strings.NewReader(big)), 413, ReasonBodyTooLarge, ""},
		{"not UTF-8", "/echo", bytes.NewReader([]byte("{\"a\":\"\xff\xfe\"}")), 400, ReasonInvalidBody, ""},
		{"not JSON", "/echo", strings.NewReader(`{"a":`), 400, ReasonInvalidBody, ""},
		// The field is named as a validation error names it.
		{"a number for a string", "/typed", strings.NewReader(`{"http":{"addr":12}}`), 400, ReasonInvalidBody, "addr"},
		{"an object for a string", "/typed", strings.NewReader(`{"http":{"addr":{}}}`), 400, ReasonInvalidBody, "addr"},
		{"a field twice", "/typed", strings.NewReader(`{"http":{"addr":"a","addr":"b"}}`), 400, ReasonInvalidBody, "addr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			srv := echoServer(t, &calls)
			req := httptest.NewRequest(nethttp.MethodPost, tc.path, tc.body)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %.200s", rec.Code, tc.wantStatus, rec.Body.String())
			}
			if tc.wantStatus == 200 {
				if calls != 1 {
					t.Fatalf("endpoint ran %d times, want 1", calls)
				}
				return
			}
			if calls != 0 {
				t.Fatalf("endpoint ran %d times on a refused body", calls)
			}
			var e errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("error body %.200s: %v", rec.Body.String(), err)
			}
			if e.Code != tc.wantStatus || e.Reason != tc.wantReason || e.Metadata["field"] != tc.wantField {
				t.Fatalf("error body = %+v, want code %d reason %s field %q", e, tc.wantStatus, tc.wantReason, tc.wantField)
			}
		})
	}
}

func TestNewHTTPTimeouts(t *testing.T) {
	t.Parallel()
	srv := NewHTTP(&conf.Server{}, log.DefaultLogger, nil)
	if srv.ReadHeaderTimeout != ReadHeaderTimeout || srv.ReadTimeout != ReadTimeout || srv.IdleTimeout != IdleTimeout {
		t.Fatalf("timeouts = %v/%v/%v, want %v/%v/%v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout,
			ReadHeaderTimeout, ReadTimeout, IdleTimeout)
	}
}

func TestLimitInFlightRefusesBeyondMax(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	busy := limitInFlight(1)(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		w.WriteHeader(200)
	}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		busy.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(nethttp.MethodGet, "/slow", nil))
	}()
	<-entered

	rec := httptest.NewRecorder()
	busy.ServeHTTP(rec, httptest.NewRequest(nethttp.MethodGet, "/fast", nil))
	var e errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %.200s: %v", rec.Body.String(), err)
	}
	if rec.Code != 503 || e.Reason != ReasonOverloaded || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("second request: status %d, reason %q, Retry-After %q; want 503 %s with Retry-After",
			rec.Code, e.Reason, rec.Header().Get("Retry-After"), ReasonOverloaded)
	}
	health := httptest.NewRecorder()
	busy.ServeHTTP(health, httptest.NewRequest(nethttp.MethodGet, "/healthz", nil))
	if health.Code != 200 {
		t.Fatalf("/healthz while busy: status %d, want 200", health.Code)
	}

	close(release)
	<-done
	after := httptest.NewRecorder()
	busy.ServeHTTP(after, httptest.NewRequest(nethttp.MethodGet, "/fast", nil))
	if after.Code != 200 {
		t.Fatalf("after the slow request ended: status %d, want 200", after.Code)
	}
}
