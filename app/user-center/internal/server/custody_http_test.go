package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/biz/biztest"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/conf"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/data"
	"github.com/p2p-dtx/p2p-dtx/app/user-center/internal/service"
	"github.com/p2p-dtx/p2p-dtx/pkg/auth"
	pconf "github.com/p2p-dtx/p2p-dtx/pkg/conf"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

const testSecret = "0123456789abcdef0123456789abcdef"

// custodyAPI is the real HTTP server (routes, bearer-token middleware, error encoding)
// over the fake store and bank: alice (12) has an OPEN account holding 500.00 with
// 100.00 frozen, bob (13) has none, the fee account holds 12.34.
func custodyAPI(t *testing.T) (*httptest.Server, *biztest.Custody, *biztest.Bank) {
	t.Helper()
	store := biztest.NewCustody(
		biz.Consumer{ID: 12, Status: biz.StatusActive, CustodyStatus: biz.CustodyOpen, CustodyUserNo: "BU0000000001"},
		biz.Consumer{ID: 13, Status: biz.StatusActive, CustodyStatus: biz.CustodyNone})
	bank := biztest.NewBank()
	bank.SetAccount(biz.BankAccount{UserNo: "BU0000000001", Balance: money.MustParseAmount("500"), Frozen: money.MustParseAmount("100")})
	bank.SetFeeAccount(biz.BankAccount{UserNo: "FEE_P2PDTX", Balance: money.MustParseAmount("12.34")})
	logger := log.NewStdLogger(io.Discard)
	uc := biz.NewCustodyUsecase(store, store, store, bank, biz.CustodySettings{AbandonAfter: time.Hour}, nil, logger)
	c := &conf.Bootstrap{Server: &pconf.Server{}, Auth: &pconf.Auth{TokenSecret: testSecret}}
	// Nothing here reaches the database, the registration use cases or the callback.
	srv := NewHTTPServer(c, new(data.Data), service.NewUserCenterService(nil, nil), service.NewCustodyService(uc),
		service.NewCustodyNotifications(uc, nil, logger), signing.NewVerifier(nil, &signing.MemoryNonceStore{}), nil, logger)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, store, bank
}

func token(t *testing.T, userID int64, role string) string {
	t.Helper()
	iss, err := auth.NewIssuer(testSecret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := iss.Issue(userID, role)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call sends a request with the token (none when empty) and decodes the JSON answer.
func call(t *testing.T, ts *httptest.Server, method, path, tok, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return resp.StatusCode, out
}

func TestWithdrawalAndBalanceRoutesNeedAToken(t *testing.T) {
	t.Parallel()
	ts, store, _ := custodyAPI(t)
	for _, r := range []struct{ method, path, body string }{
		{http.MethodPost, "/v1/withdrawals", `{"amount":"1.00"}`},
		{http.MethodGet, "/v1/withdrawals", ""},
		{http.MethodGet, "/v1/users/me/balance", ""},
		{http.MethodGet, "/v1/platform/balance", ""},
	} {
		for _, tok := range []string{"", "not-a-token"} {
			if code, out := call(t, ts, r.method, r.path, tok, r.body); code != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d %v, want 401", r.method, r.path, tok, code, out)
			}
		}
	}
	if store.RequestCount() != 0 {
		t.Fatalf("%d requests stored by unauthenticated calls", store.RequestCount())
	}
}

func TestWithdrawalOverHTTP(t *testing.T) {
	t.Parallel()
	ts, store, bank := custodyAPI(t)
	alice, bob := token(t, 12, auth.RoleInvestor), token(t, 13, auth.RoleInvestor)

	for _, tc := range []struct {
		name, tok, body string
		code            int
		reason          string
	}{
		{"three decimals", alice, `{"amount":"1.001"}`, 400, "INVALID_ARGUMENT"},
		{"negative", alice, `{"amount":"-1.00"}`, 400, "INVALID_ARGUMENT"},
		{"missing", alice, `{}`, 400, "INVALID_ARGUMENT"},
		{"above the available 400.00", alice, `{"amount":"400.01"}`, 422, "INSUFFICIENT_BALANCE"},
		{"no custody account", bob, `{"amount":"1.00"}`, 409, "CUSTODY_NOT_OPEN"},
	} {
		code, out := call(t, ts, http.MethodPost, "/v1/withdrawals", tc.tok, tc.body)
		if code != tc.code || out["reason"] != tc.reason {
			t.Errorf("%s: %d %v, want %d %s", tc.name, code, out, tc.code, tc.reason)
		}
		if md, _ := out["metadata"].(map[string]any); tc.code != 409 && md["field"] != "amount" {
			t.Errorf("%s: metadata %v, want field amount", tc.name, out["metadata"])
		}
	}
	if store.RequestCount() != 0 {
		t.Fatalf("%d requests stored by refused withdrawals", store.RequestCount())
	}

	code, out := call(t, ts, http.MethodPost, "/v1/withdrawals", alice, `{"amount":"400"}`)
	no, _ := out["requestNo"].(string)
	gw, _ := out["gateway"].(map[string]any)
	fields, _ := gw["fields"].(map[string]any)
	if code != 200 || !strings.HasPrefix(no, "WD") || fields["serviceName"] != biz.KindWithdraw {
		t.Fatalf("withdrawal: %d %v", code, out)
	}

	code, out = call(t, ts, http.MethodGet, "/v1/withdrawals", alice, "")
	items, _ := out["items"].([]any)
	if code != 200 || len(items) != 1 {
		t.Fatalf("list: %d %v", code, out)
	}
	item, _ := items[0].(map[string]any)
	if item["requestNo"] != no || item["amount"] != "400.00" || item["status"] != "PENDING" ||
		item["createdAt"] == nil || item["updatedAt"] == nil {
		t.Fatalf("listed %v", item)
	}
	if code, out := call(t, ts, http.MethodGet, "/v1/withdrawals", bob, ""); code != 200 || len(out["items"].([]any)) != 0 {
		t.Fatalf("bob's list: %d %v, want empty", code, out)
	}
	code, out = call(t, ts, http.MethodGet, "/v1/custody/requests/"+no, alice, "")
	if code != 200 || out["kind"] != biz.KindWithdraw || out["status"] != "PENDING" {
		t.Fatalf("the request: %d %v", code, out)
	}

	bank.SetAccountError(biz.ErrBankUnavailable)
	code, out = call(t, ts, http.MethodPost, "/v1/withdrawals", alice, `{"amount":"1.00"}`)
	if code != 503 || out["reason"] != "BANK_UNAVAILABLE" || store.RequestCount() != 1 {
		t.Fatalf("bank down: %d %v, %d requests", code, out, store.RequestCount())
	}
}

func TestBalancesOverHTTP(t *testing.T) {
	t.Parallel()
	ts, _, _ := custodyAPI(t)
	alice, bob := token(t, 12, auth.RoleInvestor), token(t, 13, auth.RoleBorrower)
	admin := token(t, 1, auth.RoleAdmin)
	for _, tc := range []struct {
		name, path, tok string
		code            int
		want            map[string]any
	}{
		{"alice's", "/v1/users/me/balance", alice, 200, map[string]any{"balance": "500.00", "frozen": "100.00"}},
		{"bob's, no account", "/v1/users/me/balance", bob, 409, map[string]any{"reason": "CUSTODY_NOT_OPEN"}},
		{"the platform's, admin", "/v1/platform/balance", admin, 200, map[string]any{"balance": "12.34"}},
		{"the platform's, investor", "/v1/platform/balance", alice, 403, map[string]any{"reason": "FORBIDDEN"}},
		{"the platform's, borrower", "/v1/platform/balance", bob, 403, map[string]any{"reason": "FORBIDDEN"}},
	} {
		code, out := call(t, ts, http.MethodGet, tc.path, tc.tok, "")
		if code != tc.code {
			t.Errorf("%s: %d %v, want %d", tc.name, code, out, tc.code)
			continue
		}
		for k, v := range tc.want {
			if out[k] != v {
				t.Errorf("%s: %s = %v, want %v (%v)", tc.name, k, out[k], v, out)
			}
		}
	}
}
