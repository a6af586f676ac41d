package data

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/p2p-dtx/p2p-dtx/app/repayment/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing/signingtest"
)

// fakeBankServer answers the bank's repayment API with what answer says: the platform's
// requests must be signed with the platform's key, 2xx answers are signed with the bank's.
func fakeBankServer(t *testing.T, answer func(r *http.Request, body []byte) (int, any, bool)) (*bank, *[]byte) {
	t.Helper()
	platformKey, bankKey := signingtest.Keys()
	verifyPlatform := signing.NewVerifier(&platformKey.PublicKey, &signing.MemoryNonceStore{})
	signAsBank := signing.NewSigner(bankKey)
	var last []byte
	srv := httptest.NewServer(verifyPlatform.Require(func(w http.ResponseWriter, r *http.Request, body []byte) {
		last = body
		code, v, signed := answer(r, body)
		if !signed {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			if err := json.NewEncoder(w).Encode(v); err != nil {
				t.Error(err)
			}
			return
		}
		signing.WriteSigned(w, signAsBank, code, v)
	}))
	t.Cleanup(srv.Close)
	return &bank{client: &signing.Client{BaseURL: srv.URL, HTTP: &http.Client{Timeout: 5 * time.Second},
		Signer: signing.NewSigner(platformKey), Verifier: signing.NewVerifier(&bankKey.PublicKey, &signing.MemoryNonceStore{})}}, &last
}

func kratosError(code int, reason string) map[string]any {
	return map[string]any{"code": code, "reason": reason, "message": strings.ToLower(reason)}
}

var testRepayment = biz.BankRepayment{RequestNo: "RP1", ProjectNo: "BP9", Period: 2, BorrowerUserNo: "BU0000000007",
	Amount: money.MustParseAmount("100.50"), Commission: money.MustParseAmount("0.50"),
	Credits: []biz.Credit{{UserNo: "BU0000000021", Amount: money.MustParseAmount("60.00")},
		{UserNo: "BU0000000021", Amount: money.MustParseAmount("40.00")}}}

func TestBankRepayMapsTheAnswers(t *testing.T) {
	t.Parallel()
	ok := map[string]any{"requestNo": "RP1", "projectNo": "BP9", "period": 2, "amount": "100.50", "commission": "0.50", "status": "SUCCESS"}
	for name, c := range map[string]struct {
		code   int
		body   any
		signed bool
		want   error
	}{
		"paid":                            {200, ok, true, nil},
		"paid, but unsigned":              {200, ok, false, biz.ErrBankUnavailable},
		"an answer about another request": {200, map[string]any{"requestNo": "RP2", "status": "SUCCESS"}, true, biz.ErrBankUnavailable},
		"short":                           {422, kratosError(422, "INSUFFICIENT_BALANCE"), true, biz.ErrInsufficientBalance},
		"paid by another":                 {409, kratosError(409, "PERIOD_ALREADY_REPAID"), true, biz.ErrPeriodAlreadyRepaid},
		"project not loaned":              {409, kratosError(409, "PROJECT_NOT_LOANED"), true, biz.ErrBankRefused},
		"a signed 401":                    {401, kratosError(401, "BAD_SIGNATURE"), true, biz.ErrBankRefused},
		"the bank is down":                {503, kratosError(503, "UNAVAILABLE"), false, biz.ErrBankUnavailable},
		"throttled":                       {429, kratosError(429, "TOO_MANY_REQUESTS"), true, biz.ErrBankUnavailable},
		// Unsigned, the same answers are no refusal (a proxy, a gateway, a forger): the
		// outcome is unknown and the run asks the bank's result query.
		"short, unsigned":              {422, kratosError(422, "INSUFFICIENT_BALANCE"), false, biz.ErrBankUnavailable},
		"paid by another, unsigned":    {409, kratosError(409, "PERIOD_ALREADY_REPAID"), false, biz.ErrBankUnavailable},
		"project not loaned, unsigned": {409, kratosError(409, "PROJECT_NOT_LOANED"), false, biz.ErrBankUnavailable},
	} {
		b, last := fakeBankServer(t, func(r *http.Request, _ []byte) (int, any, bool) {
			if r.Method != http.MethodPost || r.URL.Path != "/v1/repayments" {
				t.Errorf("%s: %s %s", name, r.Method, r.URL.Path)
			}
			return c.code, c.body, c.signed
		})
		err := b.Repay(context.Background(), testRepayment)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
		want := `{"requestNo":"RP1","projectNo":"BP9","period":2,"borrowerUserNo":"BU0000000007","amount":"100.50",` +
			`"commission":"0.50","credits":[{"userNo":"BU0000000021","amount":"60.00"},{"userNo":"BU0000000021","amount":"40.00"}]}`
		if string(*last) != want {
			t.Errorf("%s: body %s\nwant %s", name, *last, want)
		}
	}
}

func TestBankRequestStatusMapsTheAnswers(t *testing.T) {
	t.Parallel()
	result := func(status, service string) map[string]any {
		return map[string]any{"requestNo": "RP1", "serviceName": service, "status": status}
	}
	for name, c := range map[string]struct {
		code    int
		body    any
		want    biz.BankRequestStatus
		wantErr error
	}{
		"paid":              {200, result("SUCCESS", "REPAY"), biz.BankSucceeded, nil},
		"refused":           {200, result("FAILED", "REPAY"), biz.BankFailed, nil},
		"processing":        {200, result("PROCESSING", "REPAY"), biz.BankProcessing, nil},
		"another service":   {200, result("SUCCESS", "RECHARGE"), "", biz.ErrBankUnavailable},
		"an unknown status": {200, result("DONE", "REPAY"), "", biz.ErrBankUnavailable},
		"never received":    {404, kratosError(404, "REQUEST_NOT_FOUND"), "", biz.ErrRequestNotFound},
		"another 404":       {404, kratosError(404, "NOT_FOUND"), "", biz.ErrBankRefused},
		"the bank is down":  {502, kratosError(502, "BAD_GATEWAY"), "", biz.ErrBankUnavailable},
		// A proxy's "not found" is not the bank saying it never received the request.
		"never received, unsigned": {-404, kratosError(404, "REQUEST_NOT_FOUND"), "", biz.ErrBankUnavailable},
	} {
		b, _ := fakeBankServer(t, func(r *http.Request, body []byte) (int, any, bool) {
			if r.Method != http.MethodGet || r.URL.Path != "/v1/requests/RP1" || len(body) != 0 {
				t.Errorf("%s: %s %s %q", name, r.Method, r.URL.Path, body)
			}
			if c.code < 0 {
				return -c.code, c.body, false
			}
			return c.code, c.body, c.code < 500
		})
		got, err := b.RequestStatus(context.Background(), "RP1")
		if got != c.want || (c.wantErr == nil) != (err == nil) || (c.wantErr != nil && !errors.Is(err, c.wantErr)) {
			t.Errorf("%s: %q, %v; want %q, %v", name, got, err, c.want, c.wantErr)
		}
	}
}
