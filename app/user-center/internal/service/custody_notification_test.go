package service

import (
	"context"
	"crypto/rsa"
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
	"github.com/p2p-dtx/p2p-dtx/pkg/faults"
	"github.com/p2p-dtx/p2p-dtx/pkg/money"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing"
	"github.com/p2p-dtx/p2p-dtx/pkg/signing/signingtest"
)

// snapshot is consumer 12, request OA1 and the number of recharges, as stored now.
func snapshot(s *biztest.Custody) (biz.Consumer, biz.CustodyRequest, int) {
	r, _ := s.RequestNow("OA1") // a missing request is its zero value here
	return s.ConsumerNow(12), r, s.RechargeCount()
}

// callback is the notification handler over the fake store, behind the bank's signature
// check: consumer 12 with a pending opening OA1, a pending recharge RC1 of 500.00 and a
// pending withdrawal WD1 of 120.50 on BU0000000001.
type callback struct {
	store    *biztest.Custody
	faults   *faults.Registry
	srv      *httptest.Server
	platform *rsa.PrivateKey
	// notify posts body signed as the bank's notifier does and checks that a 2xx answer
	// is signed by the platform.
	notify func(body string) (int, map[string]any)
}

func newCallback(t *testing.T) callback {
	t.Helper()
	platform, bankKey := signingtest.Keys()
	now := time.Now().UTC()
	amount, withdrawn := money.MustParseAmount("500.00"), money.MustParseAmount("120.50")
	store := biztest.NewCustody(biz.Consumer{ID: 12, Status: biz.StatusActive, CustodyStatus: biz.CustodyPending})
	store.PutRequest(biz.CustodyRequest{RequestNo: "OA1", UserID: 12, Kind: biz.KindOpenAccount, Status: biz.RequestPending,
		CreatedAt: now, UpdatedAt: now})
	store.PutRequest(biz.CustodyRequest{RequestNo: "RC1", UserID: 12, Kind: biz.KindRecharge, Status: biz.RequestPending,
		Amount: &amount, BankUserNo: "BU0000000001", CreatedAt: now, UpdatedAt: now})
	store.PutRequest(biz.CustodyRequest{RequestNo: "WD1", UserID: 12, Kind: biz.KindWithdraw, Status: biz.RequestPending,
		Amount: &withdrawn, BankUserNo: "BU0000000001", CreatedAt: now, UpdatedAt: now})
	f := faults.New(biz.FaultCallbackReject)
	uc := biz.NewCustodyUsecase(store, store, store, biztest.NewBank(), biz.CustodySettings{AbandonAfter: time.Hour}, f, log.NewStdLogger(io.Discard))
	h := NewCustodyNotifications(uc, signing.NewSigner(platform), log.NewStdLogger(io.Discard))
	srv := httptest.NewServer(signing.NewVerifier(&bankKey.PublicKey, &signing.MemoryNonceStore{}).Require(h.Handle))
	t.Cleanup(srv.Close)

	// The bank's notifier: signs with the bank's key, checks our answers with ours.
	bank := &signing.Client{BaseURL: srv.URL, HTTP: srv.Client(), Signer: signing.NewSigner(bankKey),
		Verifier: signing.NewVerifier(&platform.PublicKey, &signing.MemoryNonceStore{})}
	notify := func(body string) (int, map[string]any) {
		t.Helper()
		resp, err := bank.Do(context.Background(), http.MethodPost, "/v1/custody/notifications", []byte(body))
		if err != nil {
			t.Fatalf("notify: %v", err) // includes an unsigned 2xx answer
		}
		var out map[string]any
		if err := json.Unmarshal(resp.Body, &out); err != nil {
			t.Fatalf("answer %s: %v", resp.Body, err)
		}
		return resp.Status, out
	}
	return callback{store: store, faults: f, srv: srv, platform: platform, notify: notify}
}

func TestNotificationEndpoint(t *testing.T) {
	t.Parallel()
	cb := newCallback(t)
	store, f, srv, platform, notify := cb.store, cb.faults, cb.srv, cb.platform, cb.notify
	success := `{"requestNo":"OA1","serviceName":"OPEN_ACCOUNT","status":"SUCCESS","userNo":"BU0000000001",
		"platformUserId":"12","amount":"","failureReason":"","finishedAt":"2026-11-21T11:00:00Z"}`

	// Refused before anything is read: unsigned, or signed by someone else.
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(success))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	forger := &signing.Client{BaseURL: srv.URL, HTTP: srv.Client(), Signer: signing.NewSigner(platform)}
	forged, err := forger.Do(context.Background(), http.MethodPost, "/", []byte(success))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || forged.Status != http.StatusUnauthorized ||
		!strings.Contains(string(forged.Body), "BAD_SIGNATURE") {
		t.Fatalf("unsigned %d, forged %d %s; want 401", resp.StatusCode, forged.Status, forged.Body)
	}

	// Armed fault: 500 and nothing applied.
	if err := f.Arm(biz.FaultCallbackReject, 1, 0); err != nil {
		t.Fatal(err)
	}
	if code, out := notify(success); code != http.StatusInternalServerError || out["reason"] != "FAULT_INJECTED" {
		t.Fatalf("fault: %d %v", code, out)
	}
	if c, r, _ := snapshot(store); c.CustodyStatus != biz.CustodyPending || r.Status != biz.RequestPending {
		t.Fatalf("fault changed something: %+v %+v", c, r)
	}

	// Refusals change nothing.
	for _, tc := range []struct {
		body   string
		code   int
		reason string
	}{
		{`not json`, 400, "INVALID_NOTIFICATION"},
		{`{"status":"SUCCESS"}`, 400, "INVALID_NOTIFICATION"},
		{strings.Replace(success, `"platformUserId":"12"`, `"platformUserId":"13"`, 1), 400, "NOTIFICATION_MISMATCH"},
		{strings.Replace(success, `"OPEN_ACCOUNT"`, `"RECHARGE"`, 1), 400, "NOTIFICATION_MISMATCH"},
		{strings.Replace(success, `"SUCCESS"`, `"PROCESSING"`, 1), 400, "INVALID_NOTIFICATION"},
		{strings.Replace(success, `"OA1"`, `"OA404"`, 1), 404, "REQUEST_NOT_FOUND"},
		{`{"requestNo":"RC1","serviceName":"RECHARGE","status":"SUCCESS","userNo":"BU0000000001","platformUserId":"12","amount":"5000.00"}`,
			400, "NOTIFICATION_MISMATCH"},
	} {
		if code, out := notify(tc.body); code != tc.code || out["reason"] != tc.reason {
			t.Errorf("%s: %d %v, want %d %s", tc.body, code, out, tc.code, tc.reason)
		}
	}
	if c, r, n := snapshot(store); c.CustodyStatus != biz.CustodyPending || r.Status != biz.RequestPending || n != 0 {
		t.Fatalf("a refusal changed something: %+v %+v %d recharges", c, r, n)
	}

	// Applied once (signed 200), then recognised as a duplicate (200 again).
	if code, out := notify(success); code != http.StatusOK || out["status"] != "SUCCESS" || out["applied"] != true {
		t.Fatalf("first: %d %v", code, out)
	}
	if code, out := notify(success); code != http.StatusOK || out["status"] != "SUCCESS" || out["applied"] != false {
		t.Fatalf("duplicate: %d %v", code, out)
	}
	if c, r, _ := snapshot(store); c.CustodyStatus != biz.CustodyOpen || c.CustodyUserNo != "BU0000000001" || r.Status != biz.RequestSuccess {
		t.Fatalf("after success: %+v %+v", c, r)
	}
}

// A withdrawal's result is applied like a recharge's: once, duplicates acknowledged, a
// result that disagrees with the request refused.
func TestNotificationOfAWithdrawal(t *testing.T) {
	t.Parallel()
	cb := newCallback(t)
	store, notify := cb.store, cb.notify
	success := `{"requestNo":"WD1","serviceName":"WITHDRAW","status":"SUCCESS","userNo":"BU0000000001",
		"platformUserId":"12","amount":"120.50","failureReason":"","finishedAt":"2026-11-21T11:00:00Z"}`
	for _, body := range []string{
		strings.Replace(success, `"120.50"`, `"120.51"`, 1),
		strings.Replace(success, `"BU0000000001"`, `"BU0000000002"`, 1),
		strings.Replace(success, `"WITHDRAW"`, `"RECHARGE"`, 1),
	} {
		if code, out := notify(body); code != http.StatusBadRequest || out["reason"] != "NOTIFICATION_MISMATCH" {
			t.Errorf("%s: %d %v, want 400 NOTIFICATION_MISMATCH", body, code, out)
		}
	}
	for i, applied := range []bool{true, false} {
		if code, out := notify(success); code != http.StatusOK || out["status"] != "SUCCESS" || out["applied"] != applied {
			t.Fatalf("notification %d: %d %v, want 200 applied=%v", i+1, code, out, applied)
		}
	}
	if r, _ := store.RequestNow("WD1"); r.Status != biz.RequestSuccess || store.WithdrawalCount() != 1 || store.RechargeCount() != 0 {
		t.Fatalf("after success: %+v, %d withdrawals, %d recharges", r, store.WithdrawalCount(), store.RechargeCount())
	}
}

func TestReturnPageEscapesTheRequestNumber(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	ReturnPage(w, httptest.NewRequest(http.MethodGet, "/custody/return?requestNo=%3Cscript%3E", nil))
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "<script>") || !strings.Contains(w.Body.String(), "&lt;script&gt;") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	ReturnPage(w, httptest.NewRequest(http.MethodPost, "/custody/return", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", w.Code)
	}
}
