package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/biz"
	"github.com/p2p-dtx/p2p-dtx/app/bank-custody/internal/keyring/keyringtest"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
)

// call sends a signed call as the platform and checks the bank signed its 2xx answers.
func (b *testBank) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	c := &signing.Client{BaseURL: b.server.URL, HTTP: b.server.Client(), Signer: b.platform,
		Verifier: signing.NewVerifier(b.bankKey, &signing.MemoryNonceStore{})}
	var raw []byte
	if body != "" {
		raw = []byte(body)
	}
	resp, err := c.Do(context.Background(), method, path, raw)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	var out map[string]any
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		t.Fatalf("%s %s: %d %s: %v", method, path, resp.Status, resp.Body, err)
	}
	return resp.Status, out
}

// sendWith sends body with the signature headers h as they are (forged, replayed, …) and
// answers the HTTP status and the error reason.
func (b *testBank) sendWith(t *testing.T, method, path string, h signing.Headers, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, b.server.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	h.Set(req.Header)
	resp, err := b.server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out.Reason
}

func seedLending(b *testBank) {
	b.bank.PutUser(biz.BankUser{UserNo: "BUB", PlatformNo: "P2PDTX", PlatformUserID: 1}, biz.Account{})
	b.bank.PutUser(biz.BankUser{UserNo: "BUI", PlatformNo: "P2PDTX", PlatformUserID: 2}, biz.Account{Balance: money.MustParseAmount("1000.00")})
}

func TestSignedLendingCalls(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	seedLending(b)

	status, out := b.call(t, http.MethodPost, "/v1/projects",
		`{"requestNo":"PJ1","projectNo":"PN1","platformProjectId":"7","borrowerUserNo":"BUB","amount":"1500.00"}`)
	if status != http.StatusOK || out["status"] != "COLLECTING" || out["amount"] != "1500.00" || out["platformProjectId"] != "7" {
		t.Fatalf("register: %d %v", status, out)
	}
	// Proto (snake_case) names are accepted too.
	status, out = b.call(t, http.MethodPost, "/v1/freezes", `{"request_no":"FZ1","project_no":"PN1","user_no":"BUI","amount":"600.00"}`)
	if status != http.StatusOK || out["status"] != "FROZEN" || out["amount"] != "600.00" {
		t.Fatalf("freeze: %d %v", status, out)
	}
	status, out = b.call(t, http.MethodPost, "/v1/freezes", `{"requestNo":"FZ2","projectNo":"PN1","userNo":"BUI","amount":"400.01"}`)
	if status != http.StatusUnprocessableEntity || out["reason"] != "INSUFFICIENT_BALANCE" || fmt.Sprint(out["code"]) != "422" {
		t.Fatalf("freeze beyond balance: %d %v", status, out)
	}
	// The repeat answers the first result and freezes nothing more.
	status, out = b.call(t, http.MethodPost, "/v1/freezes", `{"requestNo":"FZ1","projectNo":"PN1","userNo":"BUI","amount":"600.00"}`)
	if status != http.StatusOK || out["requestNo"] != "FZ1" {
		t.Fatalf("repeated freeze: %d %v", status, out)
	}
	status, out = b.call(t, http.MethodGet, "/v1/accounts/BUI", "")
	if status != http.StatusOK || out["balance"] != "1000.00" || out["frozen"] != "600.00" || out["userNo"] != "BUI" {
		t.Fatalf("account: %d %v", status, out)
	}
	status, out = b.call(t, http.MethodPost, "/v1/loans", `{"requestNo":"LN1","projectNo":"PN1"}`)
	if status != http.StatusOK || out["amount"] != "600.00" || out["borrowerUserNo"] != "BUB" {
		t.Fatalf("loan: %d %v", status, out)
	}
	for userNo, want := range map[string][2]string{"BUI": {"400.00", "0.00"}, "BUB": {"600.00", "0.00"}} {
		if _, out := b.call(t, http.MethodGet, "/v1/accounts/"+userNo, ""); out["balance"] != want[0] || out["frozen"] != want[1] {
			t.Errorf("account %s after the loan: %v, want %v", userNo, out, want)
		}
	}
	status, out = b.call(t, http.MethodPost, "/v1/freezes", `{"requestNo":"FZ3","projectNo":"PN1","userNo":"BUI","amount":"money"}`)
	if status != http.StatusBadRequest || out["reason"] != "INVALID_ARGUMENT" {
		t.Fatalf("bad amount: %d %v", status, out)
	}
	if md, _ := out["metadata"].(map[string]any); md["field"] != "amount" {
		t.Errorf("bad amount metadata %v", out["metadata"])
	}
}

func TestResultQuery(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	amount := money.MustParseAmount("500.10")
	b.bank.PutRequest(biz.CustodyRequest{RequestNo: "RC1", PlatformNo: "P2PDTX", ServiceName: biz.ServiceRecharge,
		PlatformUserID: 12, UserNo: "BU0000000001", Amount: &amount, Status: biz.RequestFailed, FailureReason: "unknown userNo BU0000000001"})
	b.bank.PutRequest(biz.CustodyRequest{RequestNo: "RC2", PlatformNo: "OTHER", ServiceName: biz.ServiceRecharge, Status: biz.RequestSuccess})
	status, out := b.call(t, http.MethodGet, "/v1/requests/RC1", "")
	want := map[string]any{"requestNo": "RC1", "serviceName": "RECHARGE", "status": "FAILED", "userNo": "BU0000000001",
		"amount": "500.10", "platformUserId": "12", "failureReason": "unknown userNo BU0000000001"}
	if status != http.StatusOK || len(out) != len(want) {
		t.Fatalf("query: %d %v", status, out)
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %v, want %v", k, out[k], v)
		}
	}
	// Never received, or another platform's: 404 REQUEST_NOT_FOUND.
	for _, no := range []string{"OA404", "RC2"} {
		if status, out := b.call(t, http.MethodGet, "/v1/requests/"+no, ""); status != http.StatusNotFound || out["reason"] != "REQUEST_NOT_FOUND" {
			t.Errorf("query %s: %d %v", no, status, out)
		}
	}
}

func TestSignedAPIRefusesForgedAndReplayedCalls(t *testing.T) {
	t.Parallel()
	b := newTestBank(t)
	seedLending(b)
	b.bank.PutProject(biz.Project{ProjectNo: "PN1", PlatformProjectID: 7, BorrowerUserNo: "BUB",
		Amount: money.MustParseAmount("1000.00"), Status: biz.ProjectCollecting})
	body := []byte(`{"requestNo":"FZ1","projectNo":"PN1","userNo":"BUI","amount":"1.00"}`)
	send := func(h signing.Headers, body []byte, method string) (int, string) {
		return b.sendWith(t, method, "/v1/freezes", h, body)
	}
	_, bankKey := keyringtest.Keys()
	forged, err := signing.NewSigner(bankKey).SignRequest(http.MethodPost, "/v1/freezes", body) // the wrong party's key
	if err != nil {
		t.Fatal(err)
	}
	good, err := b.platform.SignRequest(http.MethodPost, "/v1/freezes", body)
	if err != nil {
		t.Fatal(err)
	}
	// The platform's signature of the same body for another call, or as a browser form.
	otherCall, err := b.platform.SignRequest(http.MethodPost, "/v1/loans", body)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{signing.FieldReqData: {string(body)}}
	if err := b.platform.SignForm(form); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(body, []byte(`"1.00"`), []byte(`"999.00"`), 1)
	for _, tc := range []struct {
		name   string
		h      signing.Headers
		body   []byte
		method string
		status int
		reason string
	}{
		{"forged", forged, body, http.MethodPost, 401, "BAD_SIGNATURE"},
		{"signed for another call", otherCall, body, http.MethodPost, 401, "BAD_SIGNATURE"},
		{"a browser form's signature", signing.HeadersFromForm(form), body, http.MethodPost, 401, "BAD_SIGNATURE"},
		{"tampered", good, tampered, http.MethodPost, 401, "BAD_SIGNATURE"},
		{"unsigned", signing.Headers{}, body, http.MethodPost, 401, "MISSING_SIGNATURE"},
		{"wrong method", good, body, http.MethodPut, 405, "METHOD_NOT_ALLOWED"},
		{"genuine", good, body, http.MethodPost, 200, ""},
		{"replayed", good, body, http.MethodPost, 401, "NONCE_REPLAYED"},
	} {
		if status, reason := send(tc.h, tc.body, tc.method); status != tc.status || reason != tc.reason {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, reason, tc.status, tc.reason)
		}
	}
	if f := b.bank.Freezes(); len(f) != 1 || f["FZ1"].Amount.String() != "1.00" {
		t.Fatalf("freezes %+v, want only the genuine one", f)
	}
}
