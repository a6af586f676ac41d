package signing_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

func TestFailureReadsKratosErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300)
	for name, c := range map[string]struct {
		resp       signing.Response
		want       signing.ErrorAnswer
		wantFailed bool
		refused    bool
	}{
		"a 2xx": {signing.Response{Status: http.StatusOK, Body: []byte(`{"reason":"X"}`)}, signing.ErrorAnswer{}, false, false},
		"a signed refusal": {signing.Response{Status: http.StatusConflict, Body: []byte(`{"code":409,"reason":"FREEZE_VOIDED","message":"voided"}`), Signed: true},
			signing.ErrorAnswer{Status: 409, Reason: "FREEZE_VOIDED", Message: "voided", Signed: true}, true, true},
		// A proxy, a gateway or a forger can answer 409 too: not final.
		"an unsigned refusal": {signing.Response{Status: http.StatusConflict, Body: []byte(`{"code":409,"reason":"FREEZE_VOIDED","message":"voided"}`)},
			signing.ErrorAnswer{Status: 409, Reason: "FREEZE_VOIDED", Message: "voided"}, true, false},
		"a proxy's page": {signing.Response{Status: http.StatusBadGateway, Body: []byte("<html>bad gateway</html>")},
			signing.ErrorAnswer{Status: 502, Message: "<html>bad gateway</html>"}, true, false},
		"a long page": {signing.Response{Status: http.StatusNotFound, Body: []byte(long)},
			signing.ErrorAnswer{Status: 404, Message: long[:200] + "..."}, true, false},
		"a time-out":  {signing.Response{Status: http.StatusRequestTimeout, Body: []byte(`{"reason":"TIMEOUT"}`)}, signing.ErrorAnswer{Status: 408, Reason: "TIMEOUT"}, true, false},
		"throttling":  {signing.Response{Status: http.StatusTooManyRequests, Body: nil}, signing.ErrorAnswer{Status: 429}, true, false},
		"unavailable": {signing.Response{Status: http.StatusServiceUnavailable, Body: []byte(`{"reason":"DOWN","message":"m"}`)}, signing.ErrorAnswer{Status: 503, Reason: "DOWN", Message: "m"}, true, false},
	} {
		got, failed := c.resp.Failure()
		if got != c.want || failed != c.wantFailed || got.Refused() != c.refused {
			t.Errorf("%s: %+v %v refused=%v; want %+v %v refused=%v", name, got, failed, got.Refused(), c.want, c.wantFailed, c.refused)
		}
	}
}

func TestErrorAnswerString(t *testing.T) {
	t.Parallel()
	e := signing.ErrorAnswer{Status: 409, Reason: "PROJECT_NOT_LOANED", Message: "not loaned", Signed: true}
	if got, want := e.String(), "HTTP 409 PROJECT_NOT_LOANED: not loaned"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	if got := signing.Excerpt([]byte("short")); got != "short" {
		t.Errorf("%q", got)
	}
	if got := signing.Excerpt([]byte(strings.Repeat("a", 201))); got != strings.Repeat("a", 200)+"..." {
		t.Errorf("%d bytes: %q", len(got), got)
	}
}

func TestRefusalsBelieveOnlyTheSignedWord(t *testing.T) {
	t.Parallel()
	errLow, errRefused, errUnavailable := errors.New("low"), errors.New("refused"), errors.New("unavailable")
	rs := signing.Refusals{
		Known:   []signing.Refusal{{Status: 422, Reason: "INSUFFICIENT_BALANCE", Err: errLow}},
		Refused: errRefused, Unavailable: errUnavailable,
	}
	body := []byte(`{"code":422,"reason":"INSUFFICIENT_BALANCE","message":"balance 1.00"}`)
	for name, c := range map[string]struct {
		resp signing.Response
		want error
	}{
		"a 2xx":                     {signing.Response{Status: 200, Signed: true}, nil},
		"a known signed refusal":    {signing.Response{Status: 422, Body: body, Signed: true}, errLow},
		"the same refusal unsigned": {signing.Response{Status: 422, Body: body}, errUnavailable},
		"another signed 4xx":        {signing.Response{Status: 409, Body: []byte(`{"reason":"OTHER"}`), Signed: true}, errRefused},
		"a signed 429":              {signing.Response{Status: 429, Signed: true}, errUnavailable},
		"a 503":                     {signing.Response{Status: 503, Signed: true}, errUnavailable},
	} {
		if err := rs.Error(c.resp); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
